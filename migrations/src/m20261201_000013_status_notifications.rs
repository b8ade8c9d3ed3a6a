//! Tells every process when a company's polled status may have changed: on PostgreSQL,
//! triggers send `NOTIFY spendlens_statuses, '<organization id>'` whenever a change
//! touches what `GET /api/v1/company-statuses` answers — a company's status, its time
//! or its error, and any field of a refresh job that the answer shows.
//!
//! Each `serve` process `LISTEN`s and keeps the answers of unchanged polls in memory
//! (`crates/server/src/status_cache.rs`), so a poll that finds nothing new is answered
//! without a round trip to the database (docs/benchmarks.md, eighth round). The
//! triggers fire whichever statement makes the change (an API request, a worker on
//! another machine, the watchdog, an operator's SQL), so no code path can forget to
//! say so. PostgreSQL folds a transaction's identical notifications into one, and a
//! heartbeat (which moves only the lease) sends none.
//!
//! SQLite has one process and no `NOTIFY`: there every poll reads the database and
//! this migration does nothing.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: [&str; 8] = [
    "CREATE FUNCTION spendlens_notify_status() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF TG_OP = 'DELETE' THEN \
         PERFORM pg_notify('spendlens_statuses', OLD.organization_id::text); \
       ELSE \
         PERFORM pg_notify('spendlens_statuses', NEW.organization_id::text); \
         IF TG_OP = 'UPDATE' AND OLD.organization_id <> NEW.organization_id THEN \
           PERFORM pg_notify('spendlens_statuses', OLD.organization_id::text); \
         END IF; \
       END IF; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER companies_notify_status_rows AFTER INSERT OR DELETE ON companies \
     FOR EACH ROW EXECUTE FUNCTION spendlens_notify_status()",
    "CREATE TRIGGER companies_notify_status AFTER UPDATE ON companies FOR EACH ROW \
     WHEN ((OLD.organization_id, OLD.status, OLD.status_updated_at, OLD.error_code, \
            OLD.error_message) \
           IS DISTINCT FROM \
           (NEW.organization_id, NEW.status, NEW.status_updated_at, NEW.error_code, \
            NEW.error_message)) \
     EXECUTE FUNCTION spendlens_notify_status()",
    "CREATE TRIGGER refresh_jobs_notify_status_rows AFTER INSERT OR DELETE ON refresh_jobs \
     FOR EACH ROW EXECUTE FUNCTION spendlens_notify_status()",
    "CREATE TRIGGER refresh_jobs_notify_status AFTER UPDATE ON refresh_jobs FOR EACH ROW \
     WHEN ((OLD.organization_id, OLD.company_id, OLD.state, OLD.trigger, OLD.requested_at, \
            OLD.started_at, OLD.finished_at, OLD.attempts, OLD.error_code, OLD.error_message) \
           IS DISTINCT FROM \
           (NEW.organization_id, NEW.company_id, NEW.state, NEW.trigger, NEW.requested_at, \
            NEW.started_at, NEW.finished_at, NEW.attempts, NEW.error_code, NEW.error_message)) \
     EXECUTE FUNCTION spendlens_notify_status()",
    // TRUNCATE has no rows to name: every organization may have changed.
    "CREATE FUNCTION spendlens_notify_status_all() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       PERFORM pg_notify('spendlens_statuses', '*'); \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER companies_notify_status_truncate AFTER TRUNCATE ON companies \
     FOR EACH STATEMENT EXECUTE FUNCTION spendlens_notify_status_all()",
    "CREATE TRIGGER refresh_jobs_notify_status_truncate AFTER TRUNCATE ON refresh_jobs \
     FOR EACH STATEMENT EXECUTE FUNCTION spendlens_notify_status_all()",
];

const DOWN: [&str; 8] = [
    "DROP TRIGGER refresh_jobs_notify_status_truncate ON refresh_jobs",
    "DROP TRIGGER companies_notify_status_truncate ON companies",
    "DROP TRIGGER refresh_jobs_notify_status ON refresh_jobs",
    "DROP TRIGGER refresh_jobs_notify_status_rows ON refresh_jobs",
    "DROP TRIGGER companies_notify_status ON companies",
    "DROP TRIGGER companies_notify_status_rows ON companies",
    "DROP FUNCTION spendlens_notify_status_all()",
    "DROP FUNCTION spendlens_notify_status()",
];

// The trait is declared with an elided lifetime; matching it exactly is required.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for statement in UP {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for statement in DOWN {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}
