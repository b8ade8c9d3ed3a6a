//! Spendlens's database schema, as one backend-neutral migration set.
//!
//! Architecture invariant: every migration runs unchanged on SQLite and PostgreSQL.
//! Schema is written with sea-query's DSL; the few statements it cannot express
//! (partial indexes) are plain SQL that both backends accept; row-level security
//! exists only on PostgreSQL, and its migration does nothing on SQLite; the triggers
//! behind a batch's progress are written once per backend, with the same effect.
//! Applied migrations are never edited: a change is a new migration.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_initial;
mod m20261126_000002_information_requests;
mod m20261126_000003_idempotency_keys;
mod m20261126_000004_refresh_batches;
mod m20261127_000005_schedules_and_rate_limits;
mod m20261127_000006_accounts;
mod m20261127_000007_report_snapshots;
mod m20261127_000008_claim_indexes;
mod m20261128_000010_webhooks;
mod m20261129_000011_row_level_security;
mod m20261130_000012_batch_job_states;
mod m20261201_000013_status_notifications;
mod m20261201_000014_company_status_name_index;
mod m20261202_000015_fair_claim_indexes;
mod m20261202_000016_connections;
mod m20261202_000017_partner_links;
mod m20261203_000018_uploads;
mod m20261203_000019_company_groups;
mod m20261203_000020_shared_grants;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_initial::Migration),
            Box::new(m20261126_000002_information_requests::Migration),
            Box::new(m20261126_000003_idempotency_keys::Migration),
            Box::new(m20261126_000004_refresh_batches::Migration),
            Box::new(m20261127_000005_schedules_and_rate_limits::Migration),
            Box::new(m20261127_000006_accounts::Migration),
            Box::new(m20261127_000007_report_snapshots::Migration),
            Box::new(m20261127_000008_claim_indexes::Migration),
            Box::new(m20261128_000010_webhooks::Migration),
            Box::new(m20261129_000011_row_level_security::Migration),
            Box::new(m20261130_000012_batch_job_states::Migration),
            Box::new(m20261201_000013_status_notifications::Migration),
            Box::new(m20261201_000014_company_status_name_index::Migration),
            Box::new(m20261202_000015_fair_claim_indexes::Migration),
            Box::new(m20261202_000016_connections::Migration),
            Box::new(m20261202_000017_partner_links::Migration),
            Box::new(m20261203_000018_uploads::Migration),
            Box::new(m20261203_000019_company_groups::Migration),
            Box::new(m20261203_000020_shared_grants::Migration),
        ]
    }
}
