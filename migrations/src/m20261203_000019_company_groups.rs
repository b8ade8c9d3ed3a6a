//! Client groups (issue #21): a company can have several legal entities, each with its
//! own connection, status, refresh history and reports.
//!
//! An entity is a company row whose `group_id` names its group (another company of the
//! same organization, never itself an entity). The group's own row is its first entity:
//! its books stay where they were. Deleting a group deletes its entities, and deleting
//! an entity deletes its data, through the same foreign keys as deleting a company.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

// The trait is declared with an elided lifetime; matching it exactly is required.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // SQLite adds a column with a foreign key only through this spelling; the type
        // is the one sea-query gives a UUID there.
        let column = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => "uuid_text",
            _ => "uuid",
        };
        db.execute_unprepared(&format!(
            "ALTER TABLE companies ADD COLUMN group_id {column} NULL \
             REFERENCES companies (id) ON DELETE CASCADE"
        ))
        .await?;
        // A group's entities; also what the foreign key's cascade looks up.
        db.execute_unprepared(
            "CREATE INDEX companies_group_id_idx ON companies (group_id) \
             WHERE group_id IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX companies_group_id_idx")
            .await?;
        db.execute_unprepared("ALTER TABLE companies DROP COLUMN group_id")
            .await?;
        Ok(())
    }
}
