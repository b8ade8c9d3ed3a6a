//! Store records to wire types: the one place that decides what the API shows.

use api_types::{
    ApiKey, AuditEvent, Company, CompanyStatus, Contact, GroupRef, GroupSummary, Notification,
    RefreshJob, UploadSummary, UserSummary, WebhookAttempt, WebhookDelivery, WebhookDeliveryState,
    WebhookEndpoint,
};
use chrono::{DateTime, Utc};
use domain::{
    ApiKeyId, AuditEventId, CompanyId, NotificationId, RefreshJobId, UserId, WebhookDeliveryId,
    WebhookEndpointId,
};
use store::{
    CompanyRecord, DeliveryState,
    entities::{
        api_keys, audit_events, notifications, refresh_jobs, uploads, users, webhook_endpoints,
    },
};

/// The freshness rule: data older than `max_age` at `now` is flagged `stale`.
#[derive(Debug, Clone, Copy)]
pub struct Freshness {
    pub max_age: chrono::Duration,
    pub now: DateTime<Utc>,
}

pub fn company(record: CompanyRecord, freshness: Freshness) -> Company {
    let status = record.status();
    let error = record.error();
    let data_types = record.data_types();
    let CompanyRecord {
        company,
        assignees,
        active_refresh,
        upload,
        group,
        parent,
    } = record;
    Company {
        id: CompanyId::from_uuid(company.id),
        name: company.name,
        description: company.description,
        contact: Contact {
            name: company.contact_name,
            email: company.contact_email,
        },
        assignees: assignees.into_iter().map(user).collect(),
        data_types,
        status,
        status_updated_at: company.status_updated_at,
        error,
        refresh: active_refresh.map(refresh_job),
        platform: company.platform,
        upload: upload.map(upload_summary),
        data_updated_at: company.data_updated_at,
        stale: company
            .data_updated_at
            .is_some_and(|at| domain::is_stale(at, freshness.now, freshness.max_age)),
        refresh_schedule: company.refresh_schedule.parse().unwrap_or_default(),
        next_refresh_at: company.next_refresh_at,
        created_at: company.created_at,
        updated_at: company.updated_at,
        group: group.map(group_summary),
        parent: parent.map(|(id, name)| GroupRef { id, name }),
    }
}

pub fn group_summary(group: store::GroupRollup) -> GroupSummary {
    let count = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    GroupSummary {
        entities: count(group.entities()),
        status: group.status(),
        not_requested: count(group.counts.not_requested),
        requested: count(group.counts.requested),
        available: count(group.counts.available),
        error: count(group.counts.error),
        refreshing: count(group.refreshing),
        updated_at: group.updated_at,
    }
}

pub fn upload_summary(upload: uploads::Model) -> UploadSummary {
    UploadSummary {
        uploaded_at: upload.uploaded_at,
        uploaded_by: upload.uploader_name,
        file_name: upload.file_name,
        suppliers: u32::try_from(upload.suppliers).unwrap_or_default(),
        bills: u32::try_from(upload.bills).unwrap_or_default(),
        bill_payments: u32::try_from(upload.bill_payments).unwrap_or_default(),
    }
}

pub fn company_status(record: CompanyRecord) -> CompanyStatus {
    CompanyStatus {
        id: record.id(),
        status: record.status(),
        status_updated_at: record.company.status_updated_at,
        error: record.error(),
        refresh: record.active_refresh.map(refresh_job),
    }
}

pub fn refresh_job(job: refresh_jobs::Model) -> RefreshJob {
    let error = store::job_error(&job);
    RefreshJob {
        id: RefreshJobId::from_uuid(job.id),
        company_id: CompanyId::from_uuid(job.company_id),
        // Rows are only ever written from these enums; an unknown value is a bug.
        state: job.state.into(),
        trigger: job
            .trigger
            .parse()
            .unwrap_or(domain::RefreshTrigger::Manual),
        requested_at: job.requested_at,
        started_at: job.started_at,
        finished_at: job.finished_at,
        attempts: u32::try_from(job.attempts).unwrap_or(0),
        error,
        run_at: (job.state == store::JobState::Queued).then_some(job.run_at),
    }
}

pub fn user(user: users::Model) -> UserSummary {
    UserSummary {
        id: UserId::from_uuid(user.id),
        role: user
            .role
            .parse()
            .unwrap_or(domain::Role::RelationshipManager),
        active: user.active,
        invitation_pending: user.password_hash.is_none(),
        last_sign_in_at: user.last_sign_in_at,
        name: user.name,
        email: user.email,
    }
}

/// An API key as listed: `owner_active` is whether the user who created it is active.
pub fn api_key(key: api_keys::Model, owner_active: bool) -> ApiKey {
    ApiKey {
        id: ApiKeyId::from_uuid(key.id),
        name: key.name,
        prefix: key.prefix,
        created_at: key.created_at,
        last_used_at: key.last_used_at,
        revoked_at: key.revoked_at,
        owner_deactivated: !owner_active,
    }
}

pub fn audit_event(event: audit_events::Model) -> AuditEvent {
    AuditEvent {
        id: AuditEventId::from_uuid(event.id),
        at: event.at,
        actor_kind: event.actor_kind,
        actor_id: event.actor_id.map(|id| id.to_string()),
        actor: event.actor_label,
        action: event.action,
        company_id: event.company_id.map(CompanyId::from_uuid),
        target: event.target,
        ip: event.ip,
        detail: event.detail.and_then(|d| serde_json::from_str(&d).ok()),
    }
}

/// `now`: rotations over by then are not shown.
pub fn webhook_endpoint(endpoint: webhook_endpoints::Model, now: DateTime<Utc>) -> WebhookEndpoint {
    let event_types = store::endpoint_event_types(&endpoint);
    WebhookEndpoint {
        id: WebhookEndpointId::from_uuid(endpoint.id),
        url: endpoint.url,
        description: endpoint.description,
        event_types,
        enabled: endpoint.enabled,
        disabled_reason: endpoint.disabled_reason,
        disabled_at: endpoint.disabled_at,
        failing_since: endpoint.failing_since,
        // A rotation that is over is not shown.
        previous_secret_expires_at: endpoint
            .previous_secret_expires_at
            .filter(|until| *until > now),
        created_at: endpoint.created_at,
        updated_at: endpoint.updated_at,
    }
}

pub fn webhook_delivery(record: store::DeliveryRecord) -> WebhookDelivery {
    let store::DeliveryRecord { delivery, attempts } = record;
    let state = match delivery.state {
        DeliveryState::Queued => WebhookDeliveryState::Queued,
        DeliveryState::Sending => WebhookDeliveryState::Sending,
        DeliveryState::Succeeded => WebhookDeliveryState::Succeeded,
        DeliveryState::Failed => WebhookDeliveryState::Failed,
    };
    WebhookDelivery {
        id: WebhookDeliveryId::from_uuid(delivery.id),
        message_id: store::message_id(delivery.event_id),
        // Rows are only ever written from the enum; an unknown value is a bug.
        event_type: delivery
            .event_type
            .parse()
            .unwrap_or(domain::EventType::CompanyStatusChanged),
        state,
        next_attempt_at: (state == WebhookDeliveryState::Queued).then_some(delivery.run_at),
        last_status: delivery.last_status.and_then(|s| u16::try_from(s).ok()),
        last_error: delivery.last_error,
        replay_of: delivery.replay_of.map(WebhookDeliveryId::from_uuid),
        created_at: delivery.created_at,
        finished_at: delivery.finished_at,
        attempts: attempts
            .into_iter()
            .map(|a| WebhookAttempt {
                attempt: u32::try_from(a.attempt).unwrap_or(0),
                at: a.at,
                url: a.url,
                response_status: a.response_status.and_then(|s| u16::try_from(s).ok()),
                duration_ms: u64::try_from(a.duration_ms).unwrap_or(0),
                error: a.error,
                response_body: a.response_body,
            })
            .collect(),
    }
}

pub fn notification(notification: notifications::Model) -> Notification {
    Notification {
        id: NotificationId::from_uuid(notification.id),
        event_type: notification
            .event_type
            .parse()
            .unwrap_or(domain::EventType::RefreshSucceeded),
        company_id: notification.company_id.map(CompanyId::from_uuid),
        company_name: notification.company_name,
        title: notification.title,
        message: notification.message,
        created_at: notification.created_at,
        read_at: notification.read_at,
    }
}
