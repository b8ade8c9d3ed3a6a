//! Webhook endpoints, and their deliveries: a leased job queue (the same claim as
//! refresh jobs and emails) with every attempt kept for the delivery log.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use domain::{AuditAction, EventType, OrganizationId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
    sea_query::{Expr, ExprTrait, Func},
};
use uuid::Uuid;

use crate::{
    AuditActor, AuditRecord, Store,
    entities::{
        events, webhook_attempts,
        webhook_deliveries::{self, DeliveryState},
        webhook_endpoints,
    },
    events::message_id,
    queue::Queue,
};

/// Webhook deliveries as a queue: senders claim deliveries to attempt.
const DELIVERIES: Queue = Queue {
    table: "webhook_deliveries",
    queued_state: DeliveryState::Queued.as_str(),
    active_state: DeliveryState::Sending.as_str(),
    stamps_start: false,
    max_attempts: None,
    fair_by: None,
};

/// The event types an endpoint subscribes to; empty means every type.
pub fn endpoint_event_types(endpoint: &webhook_endpoints::Model) -> Vec<EventType> {
    serde_json::from_str::<Vec<String>>(&endpoint.event_types)
        .unwrap_or_default()
        .iter()
        .filter_map(|t| t.parse().ok())
        .collect()
}

pub(crate) fn subscribes(endpoint: &webhook_endpoints::Model, kind: EventType) -> bool {
    let types = endpoint_event_types(endpoint);
    types.is_empty() || types.contains(&kind)
}

fn stored_types(types: &[EventType]) -> String {
    let mut names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    serde_json::to_string(&names).unwrap_or_else(|_| "[]".to_owned())
}

/// An endpoint to create; the URL was checked by the caller.
#[derive(Debug, Clone)]
pub struct NewWebhookEndpoint {
    pub url: String,
    pub description: String,
    /// Empty: every event type.
    pub event_types: Vec<EventType>,
    /// `whsec_…`
    pub secret: String,
}

/// Changes to an endpoint; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct WebhookEndpointChanges {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<EventType>>,
    /// `true` also forgets why it was disabled and its failures so far.
    pub enabled: Option<bool>,
}

/// A delivery a worker holds the lease of, with what it sends.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub delivery: webhook_deliveries::Model,
    pub endpoint: webhook_endpoints::Model,
    /// `webhook-id`.
    pub message_id: String,
    /// The body, exactly as signed.
    pub payload: String,
}

/// One attempt, as the delivery log shows it.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub at: DateTime<Utc>,
    pub url: String,
    pub response_status: Option<u16>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// The start of the response body (the sender reads no more than a small cap).
    pub response_body: Option<String>,
}

/// What an attempt means for its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// A 2xx answer.
    Delivered,
    /// 410 Gone: the receiver asks to be sent nothing more; the endpoint is disabled.
    Gone,
    /// Failed; the next attempt is due then.
    RetryAt(DateTime<Utc>),
    /// Failed, and that was the last attempt.
    GaveUp,
}

/// When an endpoint that keeps failing is disabled.
#[derive(Debug, Clone, Copy)]
pub struct DisablePolicy {
    /// This many deliveries in a row failed every attempt.
    pub failed_deliveries: u32,
    /// Or its attempts have failed, without one success, for this long.
    pub failing_for: Duration,
}

/// What recording an attempt did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordedAttempt {
    /// False when the worker had lost the delivery's lease: nothing was written.
    pub held: bool,
    /// The endpoint was disabled now, for this reason.
    pub disabled: Option<String>,
}

/// A delivery with its attempts, oldest attempt first.
#[derive(Debug, Clone)]
pub struct DeliveryRecord {
    pub delivery: webhook_deliveries::Model,
    pub attempts: Vec<webhook_attempts::Model>,
}

/// Why a delivery cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayRefused {
    #[error("no such delivery")]
    NotFound,
    #[error("the endpoint is disabled")]
    EndpointDisabled,
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl Store {
    pub async fn create_webhook_endpoint(
        &self,
        organization: OrganizationId,
        endpoint: NewWebhookEndpoint,
    ) -> Result<webhook_endpoints::Model, sea_orm::DbErr> {
        let at = self.now();
        webhook_endpoints::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(organization.as_uuid()),
            url: Set(endpoint.url),
            description: Set(endpoint.description),
            event_types: Set(stored_types(&endpoint.event_types)),
            secret: Set(endpoint.secret),
            previous_secret: Set(None),
            previous_secret_expires_at: Set(None),
            enabled: Set(true),
            disabled_reason: Set(None),
            disabled_at: Set(None),
            failing_since: Set(None),
            consecutive_failures: Set(0),
            created_at: Set(at),
            updated_at: Set(at),
        }
        .insert(&self.db)
        .await
    }

    /// The organization's endpoints, oldest first.
    pub async fn webhook_endpoints(
        &self,
        organization: OrganizationId,
    ) -> Result<Vec<webhook_endpoints::Model>, sea_orm::DbErr> {
        webhook_endpoints::Entity::find()
            .filter(webhook_endpoints::Column::OrganizationId.eq(organization.as_uuid()))
            .order_by_asc(webhook_endpoints::Column::Id)
            .all(&self.db)
            .await
    }

    pub async fn webhook_endpoint(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<webhook_endpoints::Model>, sea_orm::DbErr> {
        webhook_endpoints::Entity::find_by_id(id)
            .filter(webhook_endpoints::Column::OrganizationId.eq(organization.as_uuid()))
            .one(&self.db)
            .await
    }

    pub async fn update_webhook_endpoint(
        &self,
        organization: OrganizationId,
        id: Uuid,
        changes: WebhookEndpointChanges,
    ) -> Result<Option<webhook_endpoints::Model>, sea_orm::DbErr> {
        let Some(row) = self.webhook_endpoint(organization, id).await? else {
            return Ok(None);
        };
        let at = self.now();
        let mut active: webhook_endpoints::ActiveModel = row.clone().into();
        if let Some(url) = changes.url {
            active.url = Set(url);
        }
        if let Some(description) = changes.description {
            active.description = Set(description);
        }
        if let Some(types) = changes.event_types {
            active.event_types = Set(stored_types(&types));
        }
        match changes.enabled {
            Some(true) if !row.enabled => {
                active.enabled = Set(true);
                active.disabled_reason = Set(None);
                active.disabled_at = Set(None);
                active.failing_since = Set(None);
                active.consecutive_failures = Set(0);
            }
            Some(false) if row.enabled => {
                active.enabled = Set(false);
                active.disabled_reason = Set(Some("Disabled by an admin.".to_owned()));
                active.disabled_at = Set(Some(at));
            }
            _ => {}
        }
        active.updated_at = Set(at);
        Ok(Some(active.update(&self.db).await?))
    }

    /// Deletes an endpoint with its deliveries; answers it as it was.
    pub async fn delete_webhook_endpoint(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<webhook_endpoints::Model>, sea_orm::DbErr> {
        let Some(row) = self.webhook_endpoint(organization, id).await? else {
            return Ok(None);
        };
        let result = webhook_endpoints::Entity::delete_many()
            .filter(webhook_endpoints::Column::Id.eq(id))
            .filter(webhook_endpoints::Column::OrganizationId.eq(organization.as_uuid()))
            .exec(&self.db)
            .await?;
        Ok((result.rows_affected == 1).then_some(row))
    }

    /// Replaces the signing secret with `secret`. The current one stays valid (messages
    /// carry both signatures) until `keep_old_until`, so receivers can switch without
    /// missing a message; a rotation during a rotation drops the oldest.
    pub async fn rotate_webhook_secret(
        &self,
        organization: OrganizationId,
        id: Uuid,
        secret: String,
        keep_old_until: DateTime<Utc>,
    ) -> Result<Option<webhook_endpoints::Model>, sea_orm::DbErr> {
        let Some(row) = self.webhook_endpoint(organization, id).await? else {
            return Ok(None);
        };
        let mut active: webhook_endpoints::ActiveModel = row.clone().into();
        active.previous_secret = Set(Some(row.secret));
        active.previous_secret_expires_at = Set(Some(keep_old_until));
        active.secret = Set(secret);
        active.updated_at = Set(self.now());
        Ok(Some(active.update(&self.db).await?))
    }

    /// The endpoint's deliveries, newest first, with their attempts, and the cursor of
    /// the next page.
    pub async fn webhook_deliveries(
        &self,
        organization: OrganizationId,
        endpoint: Uuid,
        cursor: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<DeliveryRecord>, Option<Uuid>), sea_orm::DbErr> {
        let mut query = webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::OrganizationId.eq(organization.as_uuid()))
            .filter(webhook_deliveries::Column::EndpointId.eq(endpoint));
        if let Some(cursor) = cursor {
            // Ids are UUIDv7: their order is the order they were made in.
            query = query.filter(webhook_deliveries::Column::Id.lt(cursor));
        }
        let mut rows = query
            .order_by_desc(webhook_deliveries::Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let next = if rows.len() as u64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|d| d.id)
        } else {
            None
        };
        let mut attempts: HashMap<Uuid, Vec<webhook_attempts::Model>> = HashMap::new();
        if !rows.is_empty() {
            for attempt in webhook_attempts::Entity::find()
                .filter(webhook_attempts::Column::DeliveryId.is_in(rows.iter().map(|d| d.id)))
                .order_by_asc(webhook_attempts::Column::Attempt)
                .order_by_asc(webhook_attempts::Column::At)
                .all(&self.db)
                .await?
            {
                attempts
                    .entry(attempt.delivery_id)
                    .or_default()
                    .push(attempt);
            }
        }
        Ok((
            rows.into_iter()
                .map(|delivery| DeliveryRecord {
                    attempts: attempts.remove(&delivery.id).unwrap_or_default(),
                    delivery,
                })
                .collect(),
            next,
        ))
    }

    /// Queues the delivery's event again to the same endpoint, as a new delivery with
    /// the same `webhook-id` (a receiver that already has it can drop it).
    pub async fn replay_webhook_delivery(
        &self,
        organization: OrganizationId,
        endpoint: Uuid,
        delivery: Uuid,
    ) -> Result<webhook_deliveries::Model, ReplayRefused> {
        let endpoint = self
            .webhook_endpoint(organization, endpoint)
            .await?
            .ok_or(ReplayRefused::NotFound)?;
        let original = webhook_deliveries::Entity::find_by_id(delivery)
            .filter(webhook_deliveries::Column::EndpointId.eq(endpoint.id))
            .one(&self.db)
            .await?
            .ok_or(ReplayRefused::NotFound)?;
        if !endpoint.enabled {
            return Err(ReplayRefused::EndpointDisabled);
        }
        let event = events::Entity::find_by_id(original.event_id)
            .one(&self.db)
            .await?
            .ok_or(ReplayRefused::NotFound)?;
        Ok(
            new_delivery(&endpoint, &event, Some(original.id), self.now())
                .insert(&self.db)
                .await?,
        )
    }

    /// Claims up to `limit` deliveries that are due (or whose sender's lease expired).
    pub async fn claim_webhook_deliveries(
        &self,
        owner: &str,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>, sea_orm::DbErr> {
        let at = self.now();
        let deliveries = self
            .claim::<webhook_deliveries::Entity>(&DELIVERIES, owner, at, lease, limit)
            .await?;
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        let mut endpoints: HashMap<Uuid, webhook_endpoints::Model> =
            webhook_endpoints::Entity::find()
                .filter(
                    webhook_endpoints::Column::Id.is_in(deliveries.iter().map(|d| d.endpoint_id)),
                )
                .all(&self.db)
                .await?
                .into_iter()
                .map(|e| (e.id, e))
                .collect();
        let payloads: HashMap<Uuid, String> = events::Entity::find()
            .filter(events::Column::Id.is_in(deliveries.iter().map(|d| d.event_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|e| (e.id, e.payload))
            .collect();
        // An endpoint deleted since the claim takes its deliveries with it (cascade).
        let mut claimed: Vec<ClaimedDelivery> = deliveries
            .into_iter()
            .filter_map(|delivery| {
                let endpoint = endpoints.get(&delivery.endpoint_id)?.clone();
                let payload = payloads.get(&delivery.event_id)?.clone();
                Some(ClaimedDelivery {
                    message_id: message_id(delivery.event_id),
                    delivery,
                    endpoint,
                    payload,
                })
            })
            .collect();
        endpoints.clear();
        claimed.sort_by_key(|c| c.delivery.run_at);
        Ok(claimed)
    }

    /// Records one attempt of a delivery this worker holds, and what follows from it,
    /// in one transaction: the attempt in the log, the delivery's new state, and the
    /// endpoint's failure count — which disables the endpoint (with the reason, in the
    /// audit log too) on 410 Gone or when `policy` says it failed for too long.
    pub async fn record_webhook_attempt(
        &self,
        claimed: &ClaimedDelivery,
        owner: &str,
        attempt: AttemptRecord,
        outcome: AttemptOutcome,
        policy: DisablePolicy,
    ) -> Result<RecordedAttempt, sea_orm::DbErr> {
        use webhook_deliveries::Column as D;
        use webhook_endpoints::Column as E;
        let at = attempt.at;
        let txn = self.db.begin().await?;
        let last_error = attempt.error.clone().or_else(|| {
            attempt
                .response_status
                .filter(|s| !(200..300).contains(s))
                .map(|s| format!("The endpoint answered HTTP {s}."))
        });
        let mut update = webhook_deliveries::Entity::update_many()
            .col_expr(D::LeaseOwner, Expr::val(None::<String>))
            .col_expr(D::LeaseExpiresAt, Expr::val(None::<DateTime<Utc>>))
            .col_expr(
                D::LastStatus,
                Expr::val(attempt.response_status.map(i32::from)),
            )
            .col_expr(D::LastError, Expr::val(last_error.clone()));
        update = match outcome {
            AttemptOutcome::Delivered => update
                .col_expr(D::State, Expr::val(DeliveryState::Succeeded))
                .col_expr(D::FinishedAt, Expr::val(at)),
            AttemptOutcome::Gone | AttemptOutcome::GaveUp => update
                .col_expr(D::State, Expr::val(DeliveryState::Failed))
                .col_expr(D::FinishedAt, Expr::val(at)),
            AttemptOutcome::RetryAt(run_at) => update
                .col_expr(D::State, Expr::val(DeliveryState::Queued))
                .col_expr(D::RunAt, Expr::val(run_at)),
        };
        let result = update
            .filter(D::Id.eq(claimed.delivery.id))
            .filter(D::State.eq(DeliveryState::Sending))
            .filter(D::LeaseOwner.eq(owner))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            txn.rollback().await?;
            return Ok(RecordedAttempt::default());
        }
        webhook_attempts::ActiveModel {
            id: Set(Uuid::now_v7()),
            delivery_id: Set(claimed.delivery.id),
            attempt: Set(claimed.delivery.attempts),
            at: Set(at),
            url: Set(attempt.url),
            response_status: Set(attempt.response_status.map(i32::from)),
            duration_ms: Set(attempt.duration_ms),
            error: Set(attempt.error),
            response_body: Set(attempt.response_body),
        }
        .insert(&txn)
        .await?;

        let endpoint = claimed.endpoint.id;
        let counters = webhook_endpoints::Entity::update_many().filter(E::Id.eq(endpoint));
        match outcome {
            AttemptOutcome::Delivered => {
                counters
                    .col_expr(E::FailingSince, Expr::val(None::<DateTime<Utc>>))
                    .col_expr(E::ConsecutiveFailures, Expr::val(0))
                    .exec(&txn)
                    .await?;
            }
            AttemptOutcome::RetryAt(_) | AttemptOutcome::Gone => {
                counters
                    .col_expr(
                        E::FailingSince,
                        Expr::from(Func::coalesce([Expr::col(E::FailingSince), Expr::val(at)])),
                    )
                    .exec(&txn)
                    .await?;
            }
            AttemptOutcome::GaveUp => {
                counters
                    .col_expr(
                        E::FailingSince,
                        Expr::from(Func::coalesce([Expr::col(E::FailingSince), Expr::val(at)])),
                    )
                    .col_expr(
                        E::ConsecutiveFailures,
                        Expr::col(E::ConsecutiveFailures).add(1),
                    )
                    .exec(&txn)
                    .await?;
            }
        }
        let mut disabled = None;
        if outcome != AttemptOutcome::Delivered
            && let Some(row) = webhook_endpoints::Entity::find_by_id(endpoint)
                .filter(E::Enabled.eq(true))
                .one(&txn)
                .await?
        {
            let last = last_error.as_deref().unwrap_or("no answer");
            let reason = if outcome == AttemptOutcome::Gone {
                Some(
                    "The endpoint answered 410 Gone: it asked to be sent no more events."
                        .to_owned(),
                )
            } else if row.consecutive_failures
                >= i32::try_from(policy.failed_deliveries).unwrap_or(i32::MAX)
            {
                Some(format!(
                    "{} messages in a row could not be delivered after every retry (last error: {last})",
                    row.consecutive_failures
                ))
            } else if row
                .failing_since
                .is_some_and(|since| since <= at - policy.failing_for)
            {
                Some(format!(
                    "Every attempt has failed for {} hours (last error: {last})",
                    policy.failing_for.num_hours()
                ))
            } else {
                None
            };
            if let Some(reason) = reason {
                webhook_endpoints::Entity::update_many()
                    .col_expr(E::Enabled, Expr::val(false))
                    .col_expr(E::DisabledReason, Expr::val(reason.clone()))
                    .col_expr(E::DisabledAt, Expr::val(at))
                    .col_expr(E::UpdatedAt, Expr::val(at))
                    .filter(E::Id.eq(endpoint))
                    .filter(E::Enabled.eq(true))
                    .exec(&txn)
                    .await?;
                crate::audit::append(
                    &txn,
                    AuditRecord {
                        organization: OrganizationId::from_uuid(row.organization_id),
                        actor: AuditActor::System,
                        action: AuditAction::WebhookEndpointDisabled,
                        company: None,
                        target: Some(row.url.clone()),
                        ip: None,
                        detail: Some(serde_json::json!({
                            "webhook_endpoint_id": row.id,
                            "reason": reason,
                        })),
                    },
                    self.now(),
                )
                .await?;
                disabled = Some(reason);
            }
        }
        txn.commit().await?;
        Ok(RecordedAttempt {
            held: true,
            disabled,
        })
    }

    /// Gives up a claimed delivery without sending it (its endpoint is disabled).
    pub async fn abandon_webhook_delivery(
        &self,
        claimed: &ClaimedDelivery,
        owner: &str,
        reason: &str,
    ) -> Result<bool, sea_orm::DbErr> {
        use webhook_deliveries::Column as D;
        let result = webhook_deliveries::Entity::update_many()
            .col_expr(D::State, Expr::val(DeliveryState::Failed))
            .col_expr(D::FinishedAt, Expr::val(self.now()))
            .col_expr(D::LastError, Expr::val(reason))
            .col_expr(D::LeaseOwner, Expr::val(None::<String>))
            .col_expr(D::LeaseExpiresAt, Expr::val(None::<DateTime<Utc>>))
            .filter(D::Id.eq(claimed.delivery.id))
            .filter(D::State.eq(DeliveryState::Sending))
            .filter(D::LeaseOwner.eq(owner))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Deliveries per state, all organizations (for `/metrics`).
    pub async fn webhook_delivery_counts(
        &self,
    ) -> Result<Vec<(DeliveryState, i64)>, sea_orm::DbErr> {
        webhook_deliveries::Entity::find()
            .select_only()
            .column(webhook_deliveries::Column::State)
            .column_as(webhook_deliveries::Column::Id.count(), "n")
            .group_by(webhook_deliveries::Column::State)
            .into_tuple()
            .all(&self.db)
            .await
    }
}

/// A delivery of `event` to `endpoint`, due at `at`.
pub(crate) fn new_delivery(
    endpoint: &webhook_endpoints::Model,
    event: &events::Model,
    replay_of: Option<Uuid>,
    at: DateTime<Utc>,
) -> webhook_deliveries::ActiveModel {
    webhook_deliveries::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(endpoint.organization_id),
        endpoint_id: Set(endpoint.id),
        event_id: Set(event.id),
        event_type: Set(event.event_type.clone()),
        state: Set(DeliveryState::Queued),
        attempts: Set(0),
        run_at: Set(at),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        last_status: Set(None),
        last_error: Set(None),
        replay_of: Set(replay_of),
        created_at: Set(at),
        finished_at: Set(None),
    }
}
