//! A batch's progress from its own rows: each `refresh_batch_jobs` link carries its job's
//! state, so a batch's progress is one index-only count of its links by state.
//!
//! Before, every `GET /refresh-batches/{id}` joined the batch's links to their jobs and
//! sorted the states: with 100,000 jobs, half a second of PostgreSQL per poll (the sort
//! spilled to disk) while the portal polls every second (docs/benchmarks.md, seventh
//! round).
//!
//! The store writes a link with its job's state (`Store::join_batch`: a job it just made
//! is `queued`; a job that joins is read under its row lock) and marks the job
//! `batched`. From then on one trigger copies every state change of a `batched` job to
//! its links, whichever statement makes it (claim, finish, release, watchdog). Jobs in no
//! batch skip the trigger in its `WHEN` clause, and a transaction writes only its own
//! job's links: no row is shared between workers. Triggers are not portable SQL, so the
//! trigger is written once per backend (PL/pgSQL, and SQLite's own).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RefreshJobs {
    Table,
    Batched,
}

#[derive(DeriveIden)]
enum RefreshBatchJobs {
    Table,
    State,
}

/// The copies as they are now, for links made before this migration.
const BACKFILL: [&str; 2] = [
    "UPDATE refresh_batch_jobs SET state = \
       (SELECT state FROM refresh_jobs WHERE refresh_jobs.id = refresh_batch_jobs.job_id)",
    "UPDATE refresh_jobs SET batched = TRUE \
      WHERE id IN (SELECT job_id FROM refresh_batch_jobs)",
];

const INDEXES: [&str; 2] = [
    // A batch's progress: an index-only count by state.
    "CREATE INDEX refresh_batch_jobs_batch_state_idx ON refresh_batch_jobs (batch_id, state)",
    // A job's links, for the state trigger.
    "CREATE INDEX refresh_batch_jobs_job_idx ON refresh_batch_jobs (job_id)",
];

const POSTGRES: [&str; 2] = [
    "CREATE FUNCTION refresh_jobs_copy_state() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       UPDATE refresh_batch_jobs SET state = NEW.state WHERE job_id = NEW.id; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER refresh_jobs_copy_state AFTER UPDATE OF state ON refresh_jobs \
     FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state AND NEW.batched) \
     EXECUTE FUNCTION refresh_jobs_copy_state()",
];

const SQLITE: [&str; 1] = [
    "CREATE TRIGGER refresh_jobs_copy_state AFTER UPDATE OF state ON refresh_jobs \
     WHEN OLD.state IS NOT NEW.state AND NEW.batched \
     BEGIN \
       UPDATE refresh_batch_jobs SET state = NEW.state WHERE job_id = NEW.id; \
     END",
];

// The trait is declared with an elided lifetime; matching it exactly is required.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshJobs::Table)
                    .add_column(boolean(RefreshJobs::Batched).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshBatchJobs::Table)
                    .add_column(string_len(RefreshBatchJobs::State, 16).default("queued"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let triggers: &[&str] = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => &POSTGRES,
            _ => &SQLITE,
        };
        for statement in BACKFILL.iter().chain(&INDEXES).chain(triggers) {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements: &[&str] = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => &[
                "DROP TRIGGER refresh_jobs_copy_state ON refresh_jobs",
                "DROP FUNCTION refresh_jobs_copy_state()",
            ],
            _ => &["DROP TRIGGER refresh_jobs_copy_state"],
        };
        for statement in statements {
            db.execute_unprepared(statement).await?;
        }
        for index in [
            "refresh_batch_jobs_batch_state_idx",
            "refresh_batch_jobs_job_idx",
        ] {
            db.execute_unprepared(&format!("DROP INDEX {index}"))
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshBatchJobs::Table)
                    .drop_column(RefreshBatchJobs::State)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshJobs::Table)
                    .drop_column(RefreshJobs::Batched)
                    .to_owned(),
            )
            .await
    }
}
