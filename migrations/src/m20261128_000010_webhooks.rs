//! Events and what they fan out to: the `events` outbox (written in the transaction of
//! the change it records), webhook endpoints, their deliveries (a leased job queue like
//! `refresh_jobs`) with each attempt, and the in-app notifications of relationship
//! managers with their email preference. Information requests remember who sent them,
//! so the sender hears when the customer answers.

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
}

#[derive(DeriveIden)]
enum InformationRequests {
    Table,
    RequestedBy,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    OrganizationId,
    EventType,
    CompanyId,
    RecipientId,
    Payload,
    OccurredAt,
    State,
    Attempts,
    RunAt,
    LeaseOwner,
    LeaseExpiresAt,
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    OrganizationId,
    Url,
    Description,
    EventTypes,
    Secret,
    PreviousSecret,
    PreviousSecretExpiresAt,
    Enabled,
    DisabledReason,
    DisabledAt,
    FailingSince,
    ConsecutiveFailures,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    OrganizationId,
    EndpointId,
    EventId,
    EventType,
    State,
    Attempts,
    RunAt,
    LeaseOwner,
    LeaseExpiresAt,
    LastStatus,
    LastError,
    ReplayOf,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    Attempt,
    At,
    Url,
    ResponseStatus,
    DurationMs,
    Error,
    ResponseBody,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    OrganizationId,
    UserId,
    EventId,
    EventType,
    CompanyId,
    CompanyName,
    Title,
    Message,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum NotificationPreferences {
    Table,
    UserId,
    Email,
    UpdatedAt,
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
        // No foreign key: SQLite cannot add one to an existing table, and a sender who
        // is gone is simply not notified.
        manager
            .alter_table(
                Table::alter()
                    .table(InformationRequests::Table)
                    .add_column(uuid_null(InformationRequests::RequestedBy))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(uuid(Events::Id).primary_key())
                    .col(uuid(Events::OrganizationId))
                    .col(string_len(Events::EventType, 64))
                    // No foreign keys to the company or the user: an event outlives both.
                    .col(uuid_null(Events::CompanyId))
                    .col(uuid_null(Events::RecipientId))
                    // The webhook body exactly as signed and sent.
                    .col(text(Events::Payload))
                    .col(timestamp_with_time_zone(Events::OccurredAt))
                    .col(string_len(Events::State, 16))
                    .col(integer(Events::Attempts).default(0))
                    .col(timestamp_with_time_zone(Events::RunAt))
                    .col(string_len_null(Events::LeaseOwner, 128))
                    .col(timestamp_with_time_zone_null(Events::LeaseExpiresAt))
                    .foreign_key(&mut cascade(
                        (Events::Table, Events::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(uuid(WebhookEndpoints::Id).primary_key())
                    .col(uuid(WebhookEndpoints::OrganizationId))
                    .col(text(WebhookEndpoints::Url))
                    .col(string_len(WebhookEndpoints::Description, 500))
                    // A JSON array of event types; empty: every type.
                    .col(text(WebhookEndpoints::EventTypes))
                    // Signing needs the secret itself, so it is stored as is (`whsec_…`).
                    .col(string_len(WebhookEndpoints::Secret, 128))
                    .col(string_len_null(WebhookEndpoints::PreviousSecret, 128))
                    .col(timestamp_with_time_zone_null(
                        WebhookEndpoints::PreviousSecretExpiresAt,
                    ))
                    .col(boolean(WebhookEndpoints::Enabled))
                    .col(text_null(WebhookEndpoints::DisabledReason))
                    .col(timestamp_with_time_zone_null(WebhookEndpoints::DisabledAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookEndpoints::FailingSince,
                    ))
                    .col(integer(WebhookEndpoints::ConsecutiveFailures).default(0))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (WebhookEndpoints::Table, WebhookEndpoints::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_endpoints_organization_idx")
                    .table(WebhookEndpoints::Table)
                    .col(WebhookEndpoints::OrganizationId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(uuid(WebhookDeliveries::Id).primary_key())
                    .col(uuid(WebhookDeliveries::OrganizationId))
                    .col(uuid(WebhookDeliveries::EndpointId))
                    .col(uuid(WebhookDeliveries::EventId))
                    .col(string_len(WebhookDeliveries::EventType, 64))
                    .col(string_len(WebhookDeliveries::State, 16))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(WebhookDeliveries::RunAt))
                    .col(string_len_null(WebhookDeliveries::LeaseOwner, 128))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::LeaseExpiresAt,
                    ))
                    .col(integer_null(WebhookDeliveries::LastStatus))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(uuid_null(WebhookDeliveries::ReplayOf))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::FinishedAt))
                    .foreign_key(&mut cascade(
                        (WebhookDeliveries::Table, WebhookDeliveries::EndpointId),
                        (WebhookEndpoints::Table, WebhookEndpoints::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (WebhookDeliveries::Table, WebhookDeliveries::EventId),
                        (Events::Table, Events::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_endpoint_idx")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EndpointId)
                    .col(WebhookDeliveries::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_event_idx")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EventId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempts::Table)
                    .col(uuid(WebhookAttempts::Id).primary_key())
                    .col(uuid(WebhookAttempts::DeliveryId))
                    .col(integer(WebhookAttempts::Attempt))
                    .col(timestamp_with_time_zone(WebhookAttempts::At))
                    .col(text(WebhookAttempts::Url))
                    .col(integer_null(WebhookAttempts::ResponseStatus))
                    .col(big_integer(WebhookAttempts::DurationMs))
                    .col(text_null(WebhookAttempts::Error))
                    .col(text_null(WebhookAttempts::ResponseBody))
                    .foreign_key(&mut cascade(
                        (WebhookAttempts::Table, WebhookAttempts::DeliveryId),
                        (WebhookDeliveries::Table, WebhookDeliveries::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_attempts_delivery_idx")
                    .table(WebhookAttempts::Table)
                    .col(WebhookAttempts::DeliveryId)
                    .col(WebhookAttempts::Attempt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(uuid(Notifications::Id).primary_key())
                    .col(uuid(Notifications::OrganizationId))
                    .col(uuid(Notifications::UserId))
                    .col(uuid(Notifications::EventId))
                    .col(string_len(Notifications::EventType, 64))
                    .col(uuid_null(Notifications::CompanyId))
                    .col(string_len(Notifications::CompanyName, 200))
                    .col(text(Notifications::Title))
                    .col(text(Notifications::Message))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .foreign_key(&mut cascade(
                        (Notifications::Table, Notifications::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (Notifications::Table, Notifications::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notifications_user_idx")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NotificationPreferences::Table)
                    .col(uuid(NotificationPreferences::UserId).primary_key())
                    .col(boolean(NotificationPreferences::Email))
                    .col(timestamp_with_time_zone(NotificationPreferences::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (
                            NotificationPreferences::Table,
                            NotificationPreferences::UserId,
                        ),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        // The claims' probes (see `store/src/queue.rs`): due rows, and rows whose
        // holder's lease expired, each over a partial index.
        let db = manager.get_connection();
        for statement in [
            "CREATE INDEX events_queued_idx ON events (run_at) WHERE state = 'queued'",
            "CREATE INDEX events_dispatching_lease_idx \
             ON events (lease_expires_at) WHERE state = 'dispatching'",
            "CREATE INDEX webhook_deliveries_queued_idx \
             ON webhook_deliveries (run_at) WHERE state = 'queued'",
            "CREATE INDEX webhook_deliveries_sending_lease_idx \
             ON webhook_deliveries (lease_expires_at) WHERE state = 'sending'",
            // The retention sweep deletes old events (and their deliveries) by time.
            "CREATE INDEX events_dispatched_idx ON events (occurred_at) WHERE state = 'dispatched'",
            // The bell's count.
            "CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL",
        ] {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            NotificationPreferences::Table.into_iden(),
            Notifications::Table.into_iden(),
            WebhookAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
            Events::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(InformationRequests::Table)
                    .drop_column(InformationRequests::RequestedBy)
                    .to_owned(),
            )
            .await
    }
}
