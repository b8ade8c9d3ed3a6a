//! Information requests (the customer's consent links) and the outgoing email queue.

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
    OrganizationId,
    CompanyId,
    TokenHash,
    Delivery,
    Status,
    RequestsFinancials,
    RequestsSpendDetail,
    Platform,
    CreatedAt,
    ExpiresAt,
    ResolvedAt,
}

#[derive(DeriveIden)]
enum OutgoingEmails {
    Table,
    Id,
    OrganizationId,
    CompanyId,
    InformationRequestId,
    FromAddress,
    ToAddress,
    Subject,
    Html,
    Text,
    State,
    Attempts,
    RunAt,
    LeaseOwner,
    LeaseExpiresAt,
    LastError,
    CreatedAt,
    SentAt,
}

// The trait is declared with an elided lifetime; matching it exactly is required.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InformationRequests::Table)
                    .col(uuid(InformationRequests::Id).primary_key())
                    .col(uuid(InformationRequests::OrganizationId))
                    .col(uuid(InformationRequests::CompanyId))
                    // SHA-256 of the token, hex: the token itself is never stored.
                    .col(string_len_uniq(InformationRequests::TokenHash, 64))
                    .col(string_len(InformationRequests::Delivery, 16))
                    .col(string_len(InformationRequests::Status, 16))
                    .col(boolean(InformationRequests::RequestsFinancials))
                    .col(boolean(InformationRequests::RequestsSpendDetail))
                    .col(string_len_null(InformationRequests::Platform, 64))
                    .col(timestamp_with_time_zone(InformationRequests::CreatedAt))
                    .col(timestamp_with_time_zone(InformationRequests::ExpiresAt))
                    .col(timestamp_with_time_zone_null(
                        InformationRequests::ResolvedAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(InformationRequests::Table, InformationRequests::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                InformationRequests::Table,
                                InformationRequests::OrganizationId,
                            )
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The expiry sweep: pending requests by expiry.
        manager
            .create_index(
                Index::create()
                    .name("information_requests_status_expires_idx")
                    .table(InformationRequests::Table)
                    .col(InformationRequests::Status)
                    .col(InformationRequests::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("information_requests_company_idx")
                    .table(InformationRequests::Table)
                    .col(InformationRequests::CompanyId)
                    .col(InformationRequests::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutgoingEmails::Table)
                    .col(uuid(OutgoingEmails::Id).primary_key())
                    .col(uuid(OutgoingEmails::OrganizationId))
                    .col(uuid_null(OutgoingEmails::CompanyId))
                    .col(uuid_null(OutgoingEmails::InformationRequestId))
                    .col(string_len(OutgoingEmails::FromAddress, 320))
                    .col(string_len(OutgoingEmails::ToAddress, 320))
                    .col(text(OutgoingEmails::Subject))
                    .col(text(OutgoingEmails::Html))
                    .col(text(OutgoingEmails::Text))
                    .col(string_len(OutgoingEmails::State, 16))
                    .col(integer(OutgoingEmails::Attempts).default(0))
                    .col(timestamp_with_time_zone(OutgoingEmails::RunAt))
                    .col(string_len_null(OutgoingEmails::LeaseOwner, 128))
                    .col(timestamp_with_time_zone_null(
                        OutgoingEmails::LeaseExpiresAt,
                    ))
                    .col(text_null(OutgoingEmails::LastError))
                    .col(timestamp_with_time_zone(OutgoingEmails::CreatedAt))
                    .col(timestamp_with_time_zone_null(OutgoingEmails::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OutgoingEmails::Table, OutgoingEmails::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OutgoingEmails::Table, OutgoingEmails::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OutgoingEmails::Table, OutgoingEmails::InformationRequestId)
                            .to(InformationRequests::Table, InformationRequests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outgoing_emails_state_run_at_idx")
                    .table(OutgoingEmails::Table)
                    .col(OutgoingEmails::State)
                    .col(OutgoingEmails::RunAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OutgoingEmails::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(InformationRequests::Table).to_owned())
            .await
    }
}
