//! Data uploaded from the template (issue #21): for customers whose accounting software
//! no platform reaches.
//!
//! - `uploads`: one per accepted upload — who uploaded it (the customer through their
//!   link, or a user on the customer's behalf, by id and by name, kept if the user is
//!   removed), the file, how many suppliers, bills and bill payments it held, and when.
//!   The data itself becomes the company's stored reports, as a fetch's does.

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
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Uploads {
    Table,
    Id,
    OrganizationId,
    CompanyId,
    InformationRequestId,
    UploadedBy,
    UploaderName,
    FileName,
    Format,
    Suppliers,
    Bills,
    BillPayments,
    UploadedAt,
}

// The trait is declared with an elided lifetime; matching it exactly is required.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Uploads::Table)
                    .col(uuid(Uploads::Id).primary_key())
                    .col(uuid(Uploads::OrganizationId))
                    .col(uuid(Uploads::CompanyId))
                    .col(uuid_null(Uploads::InformationRequestId))
                    .col(uuid_null(Uploads::UploadedBy))
                    .col(string_len_null(Uploads::UploaderName, 200))
                    .col(string_len(Uploads::FileName, 255))
                    .col(string_len(Uploads::Format, 8))
                    .col(integer(Uploads::Suppliers))
                    .col(integer(Uploads::Bills))
                    .col(integer(Uploads::BillPayments))
                    .col(timestamp_with_time_zone(Uploads::UploadedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Uploads::Table, Uploads::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Uploads::Table, Uploads::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Uploads::Table, Uploads::InformationRequestId)
                            .to(InformationRequests::Table, InformationRequests::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Uploads::Table, Uploads::UploadedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // A company's latest upload.
        manager
            .create_index(
                Index::create()
                    .name("uploads_company_id_uploaded_at_idx")
                    .table(Uploads::Table)
                    .col(Uploads::CompanyId)
                    .col(Uploads::UploadedAt)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            // Row-level security as for every tenant table (migration 11).
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE uploads ENABLE ROW LEVEL SECURITY; \
                     ALTER TABLE uploads FORCE ROW LEVEL SECURITY; \
                     CREATE POLICY tenant_isolation ON uploads \
                     USING (current_setting('spendlens.organization_id', true) \
                            IN ('*', organization_id::text))",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Uploads::Table).to_owned())
            .await
    }
}
