//! Sign-in and accountability: users' passwords and deactivation, sessions, API keys,
//! one-time account links (invitations and password resets), and the audit log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    PasswordHash,
    Active,
    LastSignInAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    TokenHash,
    UserId,
    OrganizationId,
    CsrfToken,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    Ip,
    UserAgent,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    OrganizationId,
    Name,
    Prefix,
    KeyHash,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AccountTokens {
    Table,
    Id,
    TokenHash,
    UserId,
    Kind,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OrganizationId,
    At,
    ActorKind,
    ActorId,
    ActorLabel,
    Action,
    CompanyId,
    Target,
    Ip,
    Detail,
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

// The trait is declared with an elided lifetime; matching it exactly is required.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            text_null(Users::PasswordHash),
            boolean(Users::Active).default(true).to_owned(),
            timestamp_with_time_zone_null(Users::LastSignInAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(uuid(Sessions::Id).primary_key())
                    .col(string_len(Sessions::TokenHash, 64).unique_key())
                    .col(uuid(Sessions::UserId))
                    .col(uuid(Sessions::OrganizationId))
                    .col(string_len(Sessions::CsrfToken, 64))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::LastSeenAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .col(string_len_null(Sessions::Ip, 64))
                    .col(string_len_null(Sessions::UserAgent, 512))
                    .foreign_key(&mut cascade(
                        (Sessions::Table, Sessions::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(uuid(ApiKeys::Id).primary_key())
                    .col(uuid(ApiKeys::OrganizationId))
                    .col(string_len(ApiKeys::Name, 200))
                    .col(string_len(ApiKeys::Prefix, 32))
                    .col(string_len(ApiKeys::KeyHash, 64).unique_key())
                    .col(uuid_null(ApiKeys::CreatedBy))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .foreign_key(&mut cascade(
                        (ApiKeys::Table, ApiKeys::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccountTokens::Table)
                    .col(uuid(AccountTokens::Id).primary_key())
                    .col(string_len(AccountTokens::TokenHash, 64).unique_key())
                    .col(uuid(AccountTokens::UserId))
                    .col(string_len(AccountTokens::Kind, 16))
                    .col(timestamp_with_time_zone(AccountTokens::CreatedAt))
                    .col(timestamp_with_time_zone(AccountTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(AccountTokens::UsedAt))
                    .foreign_key(&mut cascade(
                        (AccountTokens::Table, AccountTokens::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(uuid(AuditEvents::Id).primary_key())
                    .col(uuid(AuditEvents::OrganizationId))
                    .col(timestamp_with_time_zone(AuditEvents::At))
                    .col(string_len(AuditEvents::ActorKind, 16))
                    .col(uuid_null(AuditEvents::ActorId))
                    .col(string_len(AuditEvents::ActorLabel, 254))
                    .col(string_len(AuditEvents::Action, 64))
                    // No foreign key: the trail outlives a deleted company.
                    .col(uuid_null(AuditEvents::CompanyId))
                    .col(text_null(AuditEvents::Target))
                    .col(string_len_null(AuditEvents::Ip, 64))
                    .col(text_null(AuditEvents::Detail))
                    .foreign_key(&mut cascade(
                        (AuditEvents::Table, AuditEvents::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_events_by_time")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::OrganizationId)
                    .col(AuditEvents::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            AccountTokens::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Sessions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [Users::LastSignInAt, Users::Active, Users::PasswordHash] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
