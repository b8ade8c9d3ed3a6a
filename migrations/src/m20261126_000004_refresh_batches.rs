//! Bulk refreshes: a batch and the refresh jobs it follows.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RefreshJobs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RefreshBatches {
    Table,
    Id,
    OrganizationId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RefreshBatchJobs {
    Table,
    BatchId,
    JobId,
}

// The trait is declared with an elided lifetime; matching it exactly is required.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RefreshBatches::Table)
                    .col(uuid(RefreshBatches::Id).primary_key())
                    .col(uuid(RefreshBatches::OrganizationId))
                    .col(timestamp_with_time_zone(RefreshBatches::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefreshBatches::Table, RefreshBatches::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshBatchJobs::Table)
                    .col(uuid(RefreshBatchJobs::BatchId))
                    .col(uuid(RefreshBatchJobs::JobId))
                    .primary_key(
                        Index::create()
                            .col(RefreshBatchJobs::BatchId)
                            .col(RefreshBatchJobs::JobId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefreshBatchJobs::Table, RefreshBatchJobs::BatchId)
                            .to(RefreshBatches::Table, RefreshBatches::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefreshBatchJobs::Table, RefreshBatchJobs::JobId)
                            .to(RefreshJobs::Table, RefreshJobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RefreshBatchJobs::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RefreshBatches::Table).to_owned())
            .await
    }
}
