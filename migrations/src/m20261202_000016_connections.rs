//! Connections to the OAuth platforms (Xero, QuickBooks Online) and the authorizations
//! in progress that lead to them.
//!
//! - `connections`: one per company connected through an OAuth platform: which books
//!   (the platform's tenant or realm id and its name), the tokens — sealed with
//!   AES-256-GCM by crate `vault`, never in clear —, when the access token expires, the
//!   connection's state, and the token refresh's own bookkeeping: a lease so that one
//!   process at a time refreshes, and a failure count with the next attempt's time so
//!   a failing refresh backs off and then stops.
//! - `oauth_authorizations`: a customer sent to the platform's authorize page. Its
//!   `state` is stored as a hash and used once; the PKCE verifier is sealed. Between the
//!   callback and the customer's choice of organisation it also holds the sealed tokens
//!   and the organisations on offer. It belongs to the information request, and goes
//!   when the request does.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Companies {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum InformationRequests {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Connections {
    Table,
    Id,
    OrganizationId,
    CompanyId,
    Platform,
    TenantId,
    TenantName,
    AccessToken,
    RefreshToken,
    AccessExpiresAt,
    RefreshedAt,
    State,
    RefreshFailures,
    RefreshRetryAt,
    RefreshLeaseOwner,
    RefreshLeaseExpiresAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OauthAuthorizations {
    Table,
    Id,
    OrganizationId,
    InformationRequestId,
    Platform,
    StateHash,
    PkceVerifier,
    Tokens,
    Tenants,
    ExpiresAt,
    CreatedAt,
}

fn cascade(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

const TENANT_TABLES: [&str; 2] = ["connections", "oauth_authorizations"];

// The trait is declared with an elided lifetime; matching it exactly is required.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Connections::Table)
                    .col(uuid(Connections::Id).primary_key())
                    .col(uuid(Connections::OrganizationId))
                    .col(uuid_uniq(Connections::CompanyId))
                    .col(string_len(Connections::Platform, 16))
                    .col(string_len(Connections::TenantId, 128))
                    .col(string_len(Connections::TenantName, 500))
                    .col(text(Connections::AccessToken))
                    .col(text(Connections::RefreshToken))
                    .col(timestamp_with_time_zone(Connections::AccessExpiresAt))
                    .col(timestamp_with_time_zone(Connections::RefreshedAt))
                    .col(string_len(Connections::State, 16))
                    .col(integer(Connections::RefreshFailures).default(0))
                    .col(timestamp_with_time_zone_null(Connections::RefreshRetryAt))
                    .col(string_len_null(Connections::RefreshLeaseOwner, 128))
                    .col(timestamp_with_time_zone_null(
                        Connections::RefreshLeaseExpiresAt,
                    ))
                    .col(timestamp_with_time_zone(Connections::CreatedAt))
                    .col(timestamp_with_time_zone(Connections::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (Connections::Table, Connections::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (Connections::Table, Connections::CompanyId),
                        (Companies::Table, Companies::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // The keep-alive sweep: connections whose token was last renewed longest ago.
        manager
            .create_index(
                Index::create()
                    .name("connections_refreshed_at_idx")
                    .table(Connections::Table)
                    .col(Connections::RefreshedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthAuthorizations::Table)
                    .col(uuid(OauthAuthorizations::Id).primary_key())
                    .col(uuid(OauthAuthorizations::OrganizationId))
                    .col(uuid(OauthAuthorizations::InformationRequestId))
                    .col(string_len(OauthAuthorizations::Platform, 16))
                    .col(string_len_uniq(OauthAuthorizations::StateHash, 64))
                    .col(text(OauthAuthorizations::PkceVerifier))
                    .col(text_null(OauthAuthorizations::Tokens))
                    .col(text_null(OauthAuthorizations::Tenants))
                    .col(timestamp_with_time_zone(OauthAuthorizations::ExpiresAt))
                    .col(timestamp_with_time_zone(OauthAuthorizations::CreatedAt))
                    .foreign_key(&mut cascade(
                        (
                            OauthAuthorizations::Table,
                            OauthAuthorizations::OrganizationId,
                        ),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (
                            OauthAuthorizations::Table,
                            OauthAuthorizations::InformationRequestId,
                        ),
                        (InformationRequests::Table, InformationRequests::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            // Row-level security as for every tenant table (migration 11).
            let db = manager.get_connection();
            for table in TENANT_TABLES {
                db.execute_unprepared(&format!(
                    "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; \
                     ALTER TABLE {table} FORCE ROW LEVEL SECURITY; \
                     CREATE POLICY tenant_isolation ON {table} \
                     USING (current_setting('spendlens.organization_id', true) \
                            IN ('*', organization_id::text))"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OauthAuthorizations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Connections::Table).to_owned())
            .await
    }
}
