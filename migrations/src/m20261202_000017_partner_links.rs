//! Companies at the data partner (the `http` provider's upstream).
//!
//! - `partner_links`: one per company that was ever sent to the data partner: the
//!   partner's own id for the company (kept, so that a reconnection reuses it rather
//!   than creating a second company there), and the connection the customer is linking
//!   or linked — its id at the partner, the software it reaches, and whether it is still
//!   waiting for the customer (`pending`), `linked`, or `failed`. While `pending`, it
//!   names the information request whose link is used up once the connection is linked.

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
enum PartnerLinks {
    Table,
    Id,
    OrganizationId,
    CompanyId,
    UpstreamCompanyId,
    UpstreamConnectionId,
    IntegrationKey,
    PlatformName,
    InformationRequestId,
    State,
    CheckedAt,
    CreatedAt,
    UpdatedAt,
}

// The trait is declared with an elided lifetime; matching it exactly is required.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PartnerLinks::Table)
                    .col(uuid(PartnerLinks::Id).primary_key())
                    .col(uuid(PartnerLinks::OrganizationId))
                    .col(uuid_uniq(PartnerLinks::CompanyId))
                    .col(string_len(PartnerLinks::UpstreamCompanyId, 128))
                    .col(string_len_null(PartnerLinks::UpstreamConnectionId, 128))
                    .col(string_len_null(PartnerLinks::IntegrationKey, 64))
                    .col(string_len_null(PartnerLinks::PlatformName, 200))
                    .col(uuid_null(PartnerLinks::InformationRequestId))
                    .col(string_len(PartnerLinks::State, 16))
                    .col(timestamp_with_time_zone_null(PartnerLinks::CheckedAt))
                    .col(timestamp_with_time_zone(PartnerLinks::CreatedAt))
                    .col(timestamp_with_time_zone(PartnerLinks::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PartnerLinks::Table, PartnerLinks::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PartnerLinks::Table, PartnerLinks::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PartnerLinks::Table, PartnerLinks::InformationRequestId)
                            .to(InformationRequests::Table, InformationRequests::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The follow-up sweep: pending links, least recently checked first.
        manager
            .create_index(
                Index::create()
                    .name("partner_links_state_checked_at_idx")
                    .table(PartnerLinks::Table)
                    .col(PartnerLinks::State)
                    .col(PartnerLinks::CheckedAt)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            // Row-level security as for every tenant table (migration 11).
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE partner_links ENABLE ROW LEVEL SECURITY; \
                     ALTER TABLE partner_links FORCE ROW LEVEL SECURITY; \
                     CREATE POLICY tenant_isolation ON partner_links \
                     USING (current_setting('spendlens.organization_id', true) \
                            IN ('*', organization_id::text))",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PartnerLinks::Table).to_owned())
            .await
    }
}
