//! Report snapshots: each successful refresh adds a version of each report it fetched
//! instead of replacing it; the store keeps the newest few per company and report.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reports {
    Table,
    CompanyId,
    Kind,
    UpdatedAt,
}

// The trait is declared with an elided lifetime; matching it exactly is required.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("reports_company_kind_key")
                    .table(Reports::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("reports_company_kind_time")
                    .table(Reports::Table)
                    .col(Reports::CompanyId)
                    .col(Reports::Kind)
                    .col(Reports::UpdatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("reports_company_kind_time")
                    .table(Reports::Table)
                    .to_owned(),
            )
            .await
    }
}
