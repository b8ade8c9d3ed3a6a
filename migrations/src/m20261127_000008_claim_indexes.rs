//! The claim's first probe (rows whose holder's lease expired) walks these partial
//! indexes instead of every active row, so claiming stays cheap on long queues.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

// The trait is declared with an elided lifetime; matching it exactly is required.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX refresh_jobs_running_lease_idx \
             ON refresh_jobs (lease_expires_at) WHERE state = 'running'",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX outgoing_emails_sending_lease_idx \
             ON outgoing_emails (lease_expires_at) WHERE state = 'sending'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX refresh_jobs_running_lease_idx")
            .await?;
        db.execute_unprepared("DROP INDEX outgoing_emails_sending_lease_idx")
            .await?;
        Ok(())
    }
}
