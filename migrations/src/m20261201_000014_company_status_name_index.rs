//! The list's default order within one status: `(organization_id, status, name, id)`.
//!
//! A page of one status's companies in name order is then an ordered walk of this
//! index that stops after the page, whatever the status and however rare it is. Before,
//! PostgreSQL walked the name index and skipped the other statuses' rows (fine for a
//! common status, a scan of the whole portfolio for a rare one), or took every row of
//! the status and sorted them. With one best plan for every status, the page query can
//! run with a generic plan, planned once per connection (`Store::with_generic_plans`;
//! docs/benchmarks.md, eighth round).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Companies {
    Table,
    OrganizationId,
    Status,
    Name,
    Id,
}

const INDEX: &str = "companies_organization_status_name_idx";

// The trait is declared with an elided lifetime; matching it exactly is required.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Companies::Table)
                    .col(Companies::OrganizationId)
                    .col(Companies::Status)
                    .col(Companies::Name)
                    .col(Companies::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Companies::Table).to_owned())
            .await
    }
}
