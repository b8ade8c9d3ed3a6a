//! Connections sharing one authorization (issue #21): a platform that authorizes several
//! organisations at once (Xero) gives one set of tokens for all of them. When the
//! customer connects several of those organisations as entities of a group, each entity
//! has its own connection row (its own organisation id) holding the same tokens, and
//! `grant_id` names the authorization they share: the tokens are sealed for it, and a
//! token refresh (leased on the authorization's first row) writes the new tokens to
//! every row of it in one transaction, as the platform rotates them for all at once.
//! `NULL` for a connection alone in its authorization: its tokens are sealed for its own
//! id, as before.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

// The trait is declared with an elided lifetime; matching it exactly is required.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let column = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => "uuid_text",
            _ => "uuid",
        };
        db.execute_unprepared(&format!(
            "ALTER TABLE connections ADD COLUMN grant_id {column} NULL"
        ))
        .await?;
        db.execute_unprepared(
            "CREATE INDEX connections_grant_id_idx ON connections (grant_id) \
             WHERE grant_id IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX connections_grant_id_idx")
            .await?;
        db.execute_unprepared("ALTER TABLE connections DROP COLUMN grant_id")
            .await?;
        Ok(())
    }
}
