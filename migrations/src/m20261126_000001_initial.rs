//! Organizations, users, companies with their assignees, reports and refresh jobs.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Slug,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    OrganizationId,
    Email,
    Name,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Companies {
    Table,
    Id,
    OrganizationId,
    Name,
    Description,
    ContactName,
    ContactEmail,
    RequestsFinancials,
    RequestsSpendDetail,
    Status,
    StatusUpdatedAt,
    ErrorCode,
    ErrorMessage,
    Platform,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CompanyAssignees {
    Table,
    CompanyId,
    UserId,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    CompanyId,
    Kind,
    DataType,
    Payload,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RefreshJobs {
    Table,
    Id,
    OrganizationId,
    CompanyId,
    State,
    Trigger,
    RequestedBy,
    RequestedAt,
    RunAt,
    StartedAt,
    FinishedAt,
    Attempts,
    LeaseOwner,
    LeaseExpiresAt,
    ErrorCode,
    ErrorMessage,
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
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(uuid(Organizations::Id).primary_key())
                    .col(string_len_uniq(Organizations::Slug, 64))
                    .col(string_len(Organizations::Name, 200))
                    .col(timestamp_with_time_zone(Organizations::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(uuid(Users::Id).primary_key())
                    .col(uuid(Users::OrganizationId))
                    .col(string_len(Users::Email, 254))
                    .col(string_len(Users::Name, 200))
                    .col(string_len(Users::Role, 32))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .foreign_key(&mut cascade(
                        (Users::Table, Users::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("users_organization_email_key")
                    .table(Users::Table)
                    .col(Users::OrganizationId)
                    .col(Users::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Companies::Table)
                    .col(uuid(Companies::Id).primary_key())
                    .col(uuid(Companies::OrganizationId))
                    .col(string_len(Companies::Name, 200))
                    .col(text(Companies::Description))
                    .col(string_len(Companies::ContactName, 200))
                    .col(string_len(Companies::ContactEmail, 254))
                    .col(boolean(Companies::RequestsFinancials))
                    .col(boolean(Companies::RequestsSpendDetail))
                    .col(string_len_null(Companies::Status, 16))
                    .col(timestamp_with_time_zone_null(Companies::StatusUpdatedAt))
                    .col(string_len_null(Companies::ErrorCode, 64))
                    .col(text_null(Companies::ErrorMessage))
                    .col(string_len_null(Companies::Platform, 64))
                    .col(timestamp_with_time_zone(Companies::CreatedAt))
                    .col(timestamp_with_time_zone(Companies::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (Companies::Table, Companies::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // The list's default sort, and keyset pagination over it.
        manager
            .create_index(
                Index::create()
                    .name("companies_organization_name_idx")
                    .table(Companies::Table)
                    .col(Companies::OrganizationId)
                    .col(Companies::Name)
                    .col(Companies::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("companies_organization_status_idx")
                    .table(Companies::Table)
                    .col(Companies::OrganizationId)
                    .col(Companies::Status)
                    .col(Companies::StatusUpdatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CompanyAssignees::Table)
                    .col(uuid(CompanyAssignees::CompanyId))
                    .col(uuid(CompanyAssignees::UserId))
                    .primary_key(
                        Index::create()
                            .col(CompanyAssignees::CompanyId)
                            .col(CompanyAssignees::UserId),
                    )
                    .foreign_key(&mut cascade(
                        (CompanyAssignees::Table, CompanyAssignees::CompanyId),
                        (Companies::Table, Companies::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (CompanyAssignees::Table, CompanyAssignees::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("company_assignees_user_idx")
                    .table(CompanyAssignees::Table)
                    .col(CompanyAssignees::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Reports::Table)
                    .col(uuid(Reports::Id).primary_key())
                    .col(uuid(Reports::CompanyId))
                    .col(string_len(Reports::Kind, 32))
                    .col(string_len(Reports::DataType, 32))
                    .col(text(Reports::Payload))
                    .col(timestamp_with_time_zone(Reports::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (Reports::Table, Reports::CompanyId),
                        (Companies::Table, Companies::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("reports_company_kind_key")
                    .table(Reports::Table)
                    .col(Reports::CompanyId)
                    .col(Reports::Kind)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshJobs::Table)
                    .col(uuid(RefreshJobs::Id).primary_key())
                    .col(uuid(RefreshJobs::OrganizationId))
                    .col(uuid(RefreshJobs::CompanyId))
                    .col(string_len(RefreshJobs::State, 16))
                    .col(string_len(RefreshJobs::Trigger, 16))
                    .col(uuid_null(RefreshJobs::RequestedBy))
                    .col(timestamp_with_time_zone(RefreshJobs::RequestedAt))
                    .col(timestamp_with_time_zone(RefreshJobs::RunAt))
                    .col(timestamp_with_time_zone_null(RefreshJobs::StartedAt))
                    .col(timestamp_with_time_zone_null(RefreshJobs::FinishedAt))
                    .col(integer(RefreshJobs::Attempts).default(0))
                    .col(string_len_null(RefreshJobs::LeaseOwner, 128))
                    .col(timestamp_with_time_zone_null(RefreshJobs::LeaseExpiresAt))
                    .col(string_len_null(RefreshJobs::ErrorCode, 64))
                    .col(text_null(RefreshJobs::ErrorMessage))
                    .foreign_key(&mut cascade(
                        (RefreshJobs::Table, RefreshJobs::CompanyId),
                        (Companies::Table, Companies::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (RefreshJobs::Table, RefreshJobs::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // The claim query: the oldest runnable job first.
        manager
            .create_index(
                Index::create()
                    .name("refresh_jobs_state_run_at_idx")
                    .table(RefreshJobs::Table)
                    .col(RefreshJobs::State)
                    .col(RefreshJobs::RunAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("refresh_jobs_company_requested_at_idx")
                    .table(RefreshJobs::Table)
                    .col(RefreshJobs::CompanyId)
                    .col(RefreshJobs::RequestedAt)
                    .to_owned(),
            )
            .await?;
        // At most one active refresh per company, enforced by the database so that
        // concurrent requests from any number of API replicas cannot create two.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX refresh_jobs_one_active_per_company \
                 ON refresh_jobs (company_id) WHERE state IN ('queued', 'running')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RefreshJobs::Table.into_iden(),
            Reports::Table.into_iden(),
            CompanyAssignees::Table.into_iden(),
            Companies::Table.into_iden(),
            Users::Table.into_iden(),
            Organizations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
