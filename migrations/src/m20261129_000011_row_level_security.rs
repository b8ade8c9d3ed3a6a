//! Row-level security on PostgreSQL, as defence in depth behind the store's own
//! organization filters (a no-op on SQLite, which has none).
//!
//! Each tenant table gets `ENABLE` and `FORCE ROW LEVEL SECURITY` (so the owner the
//! portal connects as is bound too) and one policy, `tenant_isolation`, for every
//! command: a row is visible and writable only when the setting
//! `spendlens.organization_id` is its organization or `*`. A table without an
//! `organization_id` column follows its parent row, whose own policy then applies.
//! Superusers and `BYPASSRLS` roles skip every policy: connect the portal as an
//! ordinary role (docs/ARCHITECTURE.md, "Tenant isolation").
//!
//! Tables that belong to no organization stay open: `rate_limits` (keyed by provider
//! or sign-in address) and sea-orm's `seaql_migrations`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables with their own `organization_id`.
const WITH_ORGANIZATION: &[&str] = &[
    "api_keys",
    "audit_events",
    "companies",
    "events",
    "idempotency_keys",
    "information_requests",
    "notifications",
    "outgoing_emails",
    "refresh_batches",
    "refresh_jobs",
    "sessions",
    "users",
    "webhook_deliveries",
    "webhook_endpoints",
];

/// Tables that follow a parent row: (table, column, parent table).
const WITH_PARENT: &[(&str, &str, &str)] = &[
    ("account_tokens", "user_id", "users"),
    ("company_assignees", "company_id", "companies"),
    ("notification_preferences", "user_id", "users"),
    ("refresh_batch_jobs", "batch_id", "refresh_batches"),
    ("reports", "company_id", "companies"),
    ("webhook_attempts", "delivery_id", "webhook_deliveries"),
];

/// The setting, or NULL when a connection never set it (then nothing is visible).
const SETTING: &str = "current_setting('spendlens.organization_id', true)";

fn policies() -> Vec<String> {
    let mut statements = vec![format!(
        "ALTER TABLE organizations ENABLE ROW LEVEL SECURITY; \
         ALTER TABLE organizations FORCE ROW LEVEL SECURITY; \
         CREATE POLICY tenant_isolation ON organizations USING ({SETTING} IN ('*', id::text))"
    )];
    for table in WITH_ORGANIZATION {
        statements.push(format!(
            "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; \
             ALTER TABLE {table} FORCE ROW LEVEL SECURITY; \
             CREATE POLICY tenant_isolation ON {table} \
             USING ({SETTING} IN ('*', organization_id::text))"
        ));
    }
    for (table, column, parent) in WITH_PARENT {
        statements.push(format!(
            "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; \
             ALTER TABLE {table} FORCE ROW LEVEL SECURITY; \
             CREATE POLICY tenant_isolation ON {table} \
             USING ({SETTING} = '*' OR EXISTS (SELECT 1 FROM {parent} p WHERE p.id = {table}.{column}))"
        ));
    }
    statements
}

fn tables() -> impl Iterator<Item = &'static str> {
    std::iter::once("organizations")
        .chain(WITH_ORGANIZATION.iter().copied())
        .chain(WITH_PARENT.iter().map(|(table, _, _)| *table))
}

// The trait is declared with an elided lifetime; matching it exactly is required.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for statement in policies() {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in tables() {
            db.execute_unprepared(&format!(
                "DROP POLICY IF EXISTS tenant_isolation ON {table}; \
                 ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY; \
                 ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"
            ))
            .await?;
        }
        Ok(())
    }
}
