//! A batch's progress from its own rows: each `refresh_batch_jobs` link carries its job's
//! state, kept by triggers, so a batch's progress is one index-only count of its links.
//!
//! Before, every `GET /refresh-batches/{id}` joined the batch's links to their jobs and
//! sorted the states: with 100,000 jobs, half a second of PostgreSQL per poll (the sort
//! spilled to disk) while the portal polls every second; the count of links by state is
//! 25–40 ms (docs/benchmarks.md, seventh round).
//!
//! Two triggers keep the copy exact, whoever changes a job (the store's claim, finish,
//! release and watchdog statements alike):
//! - a new link takes its job's current state and marks the job `batched`. On
//!   PostgreSQL the linked jobs are first locked `FOR SHARE`, so a worker changing one at
//!   that moment either commits first (and its state is the one copied) or waits for the
//!   link to commit (and the second trigger then sees the link);
//! - a `batched` job whose state changes copies it to its links. Jobs in no batch (a
//!   manual or scheduled refresh) skip the trigger in its `WHEN` clause, and each
//!   transaction writes only its own job's links: no row is shared between workers.
//!
//! The store marks the jobs a batch creates `batched` as it inserts them; the first
//! trigger marks any other job that joins. Triggers are not portable SQL, so this is
//! written once per backend: PL/pgSQL on PostgreSQL, and SQLite's own triggers (one
//! writer at a time there, so no locks).

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

const POSTGRES: [&str; 4] = [
    "CREATE FUNCTION refresh_batch_jobs_linked() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       PERFORM 1 FROM refresh_jobs \
         WHERE id IN (SELECT job_id FROM linked) ORDER BY id FOR SHARE; \
       UPDATE refresh_jobs SET batched = TRUE \
        WHERE id IN (SELECT job_id FROM linked) AND NOT batched; \
       UPDATE refresh_batch_jobs l SET state = j.state \
         FROM linked n JOIN refresh_jobs j ON j.id = n.job_id \
        WHERE l.batch_id = n.batch_id AND l.job_id = n.job_id AND l.state <> j.state; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER refresh_batch_jobs_linked AFTER INSERT ON refresh_batch_jobs \
     REFERENCING NEW TABLE AS linked \
     FOR EACH STATEMENT EXECUTE FUNCTION refresh_batch_jobs_linked()",
    "CREATE FUNCTION refresh_jobs_copy_state() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       UPDATE refresh_batch_jobs SET state = NEW.state WHERE job_id = NEW.id; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER refresh_jobs_copy_state AFTER UPDATE OF state ON refresh_jobs \
     FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state AND NEW.batched) \
     EXECUTE FUNCTION refresh_jobs_copy_state()",
];

const SQLITE: [&str; 2] = [
    "CREATE TRIGGER refresh_batch_jobs_linked AFTER INSERT ON refresh_batch_jobs \
     BEGIN \
       UPDATE refresh_batch_jobs \
          SET state = (SELECT state FROM refresh_jobs WHERE id = NEW.job_id) \
        WHERE batch_id = NEW.batch_id AND job_id = NEW.job_id; \
       UPDATE refresh_jobs SET batched = TRUE WHERE id = NEW.job_id AND NOT batched; \
     END",
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
                "DROP TRIGGER refresh_batch_jobs_linked ON refresh_batch_jobs",
                "DROP FUNCTION refresh_jobs_copy_state()",
                "DROP FUNCTION refresh_batch_jobs_linked()",
            ],
            _ => &[
                "DROP TRIGGER refresh_jobs_copy_state",
                "DROP TRIGGER refresh_batch_jobs_linked",
            ],
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
