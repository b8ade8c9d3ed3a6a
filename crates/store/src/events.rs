//! The event outbox, write side: what happened, recorded in the transaction of the
//! change itself. `dispatch.rs` fans the recorded events out.
//!
//! Each place that changes state calls one of the `pub(crate)` functions below with
//! its own transaction, so an event exists exactly when its change was committed: a
//! crash can lose neither, and a rolled-back change sends nothing.

use chrono::{DateTime, Utc};
use domain::{DataStatus, EventType, StatusError};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::entities::{
    companies,
    events::{self, EventState},
    information_requests, refresh_jobs,
};

/// The `webhook-id` of an event: the same for every endpoint, every retry and every
/// replay, so a receiver can drop duplicates.
pub fn message_id(event: Uuid) -> String {
    format!("msg_{}", event.simple())
}

/// One event to record.
struct NewEvent {
    organization: Uuid,
    kind: EventType,
    company: Option<Uuid>,
    recipient: Option<Uuid>,
    data: Value,
    at: DateTime<Utc>,
}

/// Appends an event on `db` (the transaction of the change it records). An event about
/// an entity of a group names the group too (`data.company.group`: its id and name).
async fn emit(db: &impl ConnectionTrait, mut event: NewEvent) -> Result<(), sea_orm::DbErr> {
    if let Some(company) = event.company
        && let Some(about) = event.data.get_mut("company").and_then(Value::as_object_mut)
        && let Some((id, name)) = group_of(db, company).await?
    {
        about.insert("group".to_owned(), company_ref(id, &name));
    }
    let payload = json!({
        "type": event.kind.as_str(),
        "timestamp": event.at,
        "data": event.data,
    });
    events::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(event.organization),
        event_type: Set(event.kind.as_str().to_owned()),
        company_id: Set(event.company),
        recipient_id: Set(event.recipient),
        payload: Set(payload.to_string()),
        occurred_at: Set(event.at),
        state: Set(EventState::Queued),
        attempts: Set(0),
        run_at: Set(event.at),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The group `company` is an entity of, if any: its id and name.
async fn group_of(
    db: &impl ConnectionTrait,
    company: Uuid,
) -> Result<Option<(Uuid, String)>, sea_orm::DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let group: Option<Option<Uuid>> = companies::Entity::find_by_id(company)
        .select_only()
        .column(companies::Column::GroupId)
        .into_tuple()
        .one(db)
        .await?;
    let Some(Some(group)) = group else {
        return Ok(None);
    };
    let name: Option<String> = companies::Entity::find()
        .select_only()
        .column(companies::Column::Name)
        .filter(companies::Column::Id.eq(group))
        .into_tuple()
        .one(db)
        .await?;
    Ok(name.map(|name| (group, name)))
}

fn company_ref(id: Uuid, name: &str) -> Value {
    json!({ "id": id, "name": name })
}

/// `company.status_changed`, when `apply_event` moved the company to another status or
/// another error. `before` is the row as it was.
pub(crate) async fn status_changed(
    db: &impl ConnectionTrait,
    before: &companies::Model,
    status: DataStatus,
    error: Option<&StatusError>,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let unchanged = before.status.as_deref() == Some(status.as_str())
        && before.error_code.as_deref() == error.map(|e| e.code.as_str());
    if unchanged {
        return Ok(());
    }
    emit(
        db,
        NewEvent {
            organization: before.organization_id,
            kind: EventType::CompanyStatusChanged,
            company: Some(before.id),
            recipient: None,
            data: json!({
                "company": company_ref(before.id, &before.name),
                "status": status,
                "previous_status": before.status,
                "error": error,
                "status_updated_at": at,
            }),
            at,
        },
    )
    .await
}

/// `refresh.succeeded` or `refresh.failed` (with `error`), for the job as it was claimed.
/// The user who asked for the refresh is notified.
pub(crate) async fn refresh_finished(
    db: &impl ConnectionTrait,
    job: &refresh_jobs::Model,
    company_name: Option<&str>,
    error: Option<&StatusError>,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let name = match company_name {
        Some(name) => name.to_owned(),
        None => companies::Entity::find_by_id(job.company_id)
            .one(db)
            .await?
            .map(|c| c.name)
            .unwrap_or_default(),
    };
    let mut data = json!({
        "company": company_ref(job.company_id, &name),
        "refresh": {
            "id": job.id,
            "trigger": job.trigger,
            "requested_at": job.requested_at,
            "finished_at": at,
            "attempts": job.attempts,
        },
    });
    let kind = match error {
        Some(error) => {
            data["error"] = json!(error);
            EventType::RefreshFailed
        }
        None => {
            data["data_updated_at"] = json!(at);
            EventType::RefreshSucceeded
        }
    };
    emit(
        db,
        NewEvent {
            organization: job.organization_id,
            kind,
            company: Some(job.company_id),
            recipient: job.requested_by,
            data,
            at,
        },
    )
    .await
}

/// `information_request.sent`: emailed to the contact, or its link handed over.
pub(crate) async fn information_request_sent(
    db: &impl ConnectionTrait,
    request: &information_requests::Model,
    company: &companies::Model,
) -> Result<(), sea_orm::DbErr> {
    emit(
        db,
        NewEvent {
            organization: request.organization_id,
            kind: EventType::InformationRequestSent,
            company: Some(company.id),
            recipient: None,
            data: json!({
                "company": company_ref(company.id, &company.name),
                "information_request": {
                    "id": request.id,
                    "delivery": request.delivery,
                    "expires_at": request.expires_at,
                },
                "contact": { "name": company.contact_name, "email": company.contact_email },
            }),
            at: request.created_at,
        },
    )
    .await
}

/// `consent.granted` (with the platform connected) or `consent.declined`. The user who
/// sent the request is notified.
pub(crate) async fn consent_answered(
    db: &impl ConnectionTrait,
    request: &information_requests::Model,
    company: &companies::Model,
    platform: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let mut data = json!({
        "company": company_ref(company.id, &company.name),
        "information_request": { "id": request.id },
        "contact": { "name": company.contact_name, "email": company.contact_email },
    });
    let kind = match platform {
        Some(platform) => {
            data["platform"] = json!(platform);
            EventType::ConsentGranted
        }
        None => EventType::ConsentDeclined,
    };
    emit(
        db,
        NewEvent {
            organization: request.organization_id,
            kind,
            company: Some(company.id),
            recipient: request.requested_by,
            data,
            at,
        },
    )
    .await
}

/// A company's connection to an OAuth platform changed: `connection.connected`,
/// `.reconnected` or `.disconnected`. The data names the platform and the organisation,
/// never a token.
pub(crate) async fn connection_changed(
    db: &impl ConnectionTrait,
    kind: EventType,
    organization: Uuid,
    company: (Uuid, &str),
    connection: &crate::entities::connections::Model,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let data = json!({
        "company": company_ref(company.0, company.1),
        "connection": {
            "id": connection.id,
            "platform": connection.platform,
            "organisation": { "id": connection.tenant_id, "name": connection.tenant_name },
            "state": connection.state.as_str(),
        },
    });
    emit(
        db,
        NewEvent {
            organization,
            kind,
            company: Some(company.0),
            recipient: None,
            data,
            at,
        },
    )
    .await
}
