//! Scheduled refreshes (a schedule and the next run on each company), when a company's
//! data was last fetched (for the freshness rule), and the token buckets that pace
//! requests to an upstream across every worker process.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Companies {
    Table,
    RefreshSchedule,
    NextRefreshAt,
    DataUpdatedAt,
}

#[derive(DeriveIden)]
enum RateLimits {
    Table,
    Key,
    Tokens,
    RefilledAt,
}

// The trait is declared with an elided lifetime; matching it exactly is required.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Companies::Table)
                    .add_column(string(Companies::RefreshSchedule).default("off"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Companies::Table)
                    .add_column(timestamp_with_time_zone_null(Companies::NextRefreshAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Companies::Table)
                    .add_column(timestamp_with_time_zone_null(Companies::DataUpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE companies SET data_updated_at = \
                 (SELECT max(updated_at) FROM reports WHERE reports.company_id = companies.id)",
            )
            .await?;
        // The scheduler's sweep reads only the companies with a run planned.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX companies_next_refresh_at ON companies (next_refresh_at) \
                 WHERE next_refresh_at IS NOT NULL",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RateLimits::Table)
                    .col(string(RateLimits::Key).primary_key())
                    // Tokens left, and when (seconds since the epoch, by the database's
                    // clock) they were last topped up.
                    .col(double(RateLimits::Tokens))
                    .col(double(RateLimits::RefilledAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RateLimits::Table).to_owned())
            .await?;
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX companies_next_refresh_at")
            .await?;
        for column in [
            Companies::DataUpdatedAt,
            Companies::NextRefreshAt,
            Companies::RefreshSchedule,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Companies::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
