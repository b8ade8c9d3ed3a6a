//! The event outbox, read side: a worker fans each recorded event out to webhook
//! deliveries (one per subscribed endpoint) and to the notification of the person who
//! caused it, and prunes what was delivered.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use domain::EventType;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set,
    Statement, TransactionTrait, sea_query::Expr,
};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    NewEmail, Store,
    emails::queued_email,
    entities::{
        events::{self, EventState},
        notification_preferences, notifications, organizations, users,
        webhook_deliveries::{self, DeliveryState},
        webhook_endpoints,
    },
    queue::Queue,
    webhooks::{new_delivery, subscribes},
};

/// The event outbox as a queue: dispatchers claim recorded events.
const EVENTS: Queue = Queue {
    table: "events",
    queued_state: EventState::Queued.as_str(),
    active_state: EventState::Dispatching.as_str(),
    stamps_start: false,
    max_attempts: None,
    fair_by: None,
};

/// A notification about to be written: what the worker needs to word it.
#[derive(Debug, Clone)]
pub struct PendingNotification<'a> {
    pub event_type: EventType,
    /// The event's `data`.
    pub data: &'a Value,
    pub occurred_at: DateTime<Utc>,
    pub user: &'a users::Model,
    pub organization_name: &'a str,
    /// The user asked for notifications by email too.
    pub email: bool,
}

/// How a notification reads, in the portal and (when wanted) by email.
#[derive(Debug, Clone)]
pub struct NotificationContent {
    pub company_name: String,
    pub title: String,
    pub message: String,
    pub email: Option<NewEmail>,
}

/// What one dispatch round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dispatched {
    pub events: usize,
    pub deliveries: usize,
    pub notifications: usize,
}

impl Store {
    /// Fans out up to `limit` recorded events: a webhook delivery for each enabled
    /// endpoint of the event's organization that subscribes to its type, and a
    /// notification (worded by `compose`, with its email if the user wants one) for the
    /// person who caused it. Events are claimed with a lease like any queue; what they
    /// fan out to is written in one transaction with marking them dispatched.
    pub async fn dispatch_events(
        &self,
        owner: &str,
        lease: Duration,
        limit: u32,
        compose: impl Fn(&PendingNotification<'_>) -> NotificationContent,
    ) -> Result<Dispatched, sea_orm::DbErr> {
        let at = self.now();
        let mut claimed = self
            .claim::<events::Entity>(&EVENTS, owner, at, lease, limit)
            .await?;
        if claimed.is_empty() {
            return Ok(Dispatched::default());
        }
        claimed.sort_by_key(|e| e.id);
        let organizations: HashSet<Uuid> = claimed.iter().map(|e| e.organization_id).collect();
        let endpoints = webhook_endpoints::Entity::find()
            .filter(webhook_endpoints::Column::OrganizationId.is_in(organizations.iter().copied()))
            .filter(webhook_endpoints::Column::Enabled.eq(true))
            .all(&self.db)
            .await?;
        let recipient_ids: HashSet<Uuid> = claimed
            .iter()
            .filter(|e| {
                e.event_type
                    .parse::<EventType>()
                    .is_ok_and(EventType::notifies_requester)
            })
            .filter_map(|e| e.recipient_id)
            .collect();
        let recipients: HashMap<Uuid, users::Model> = if recipient_ids.is_empty() {
            HashMap::new()
        } else {
            users::Entity::find()
                .filter(users::Column::Id.is_in(recipient_ids.iter().copied()))
                .filter(users::Column::Active.eq(true))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|u| (u.id, u))
                .collect()
        };
        let wants_email: HashSet<Uuid> = if recipients.is_empty() {
            HashSet::new()
        } else {
            notification_preferences::Entity::find()
                .filter(notification_preferences::Column::UserId.is_in(recipients.keys().copied()))
                .filter(notification_preferences::Column::Email.eq(true))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|p| p.user_id)
                .collect()
        };
        let organization_names: HashMap<Uuid, String> = if recipients.is_empty() {
            HashMap::new()
        } else {
            organizations::Entity::find()
                .filter(organizations::Column::Id.is_in(organizations.iter().copied()))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|o| (o.id, o.name))
                .collect()
        };

        let mut deliveries = Vec::new();
        let mut notes = Vec::new();
        let mut emails = Vec::new();
        for event in &claimed {
            let Ok(kind) = event.event_type.parse::<EventType>() else {
                continue;
            };
            for endpoint in endpoints
                .iter()
                .filter(|e| e.organization_id == event.organization_id && subscribes(e, kind))
            {
                deliveries.push(new_delivery(endpoint, event, None, at));
            }
            let Some(user) = event
                .recipient_id
                .filter(|_| kind.notifies_requester())
                .and_then(|id| recipients.get(&id))
                .filter(|u| u.organization_id == event.organization_id)
            else {
                continue;
            };
            let payload: Value = serde_json::from_str(&event.payload).unwrap_or(Value::Null);
            let content = compose(&PendingNotification {
                event_type: kind,
                data: &payload["data"],
                occurred_at: event.occurred_at,
                user,
                organization_name: organization_names
                    .get(&event.organization_id)
                    .map_or("", String::as_str),
                email: wants_email.contains(&user.id),
            });
            notes.push(notifications::ActiveModel {
                id: Set(Uuid::now_v7()),
                organization_id: Set(event.organization_id),
                user_id: Set(user.id),
                event_id: Set(event.id),
                event_type: Set(kind.as_str().to_owned()),
                company_id: Set(event.company_id),
                company_name: Set(content.company_name.chars().take(200).collect()),
                title: Set(content.title),
                message: Set(content.message),
                created_at: Set(at),
                read_at: Set(None),
            });
            if let Some(email) = content.email {
                emails.push(queued_email(
                    domain::OrganizationId::from_uuid(event.organization_id),
                    None,
                    None,
                    email,
                    at,
                ));
            }
        }

        let dispatched = Dispatched {
            events: claimed.len(),
            deliveries: deliveries.len(),
            notifications: notes.len(),
        };
        let txn = self.db.begin().await?;
        let marked = events::Entity::update_many()
            .col_expr(events::Column::State, Expr::val(EventState::Dispatched))
            .col_expr(events::Column::LeaseOwner, Expr::val(None::<String>))
            .col_expr(
                events::Column::LeaseExpiresAt,
                Expr::val(None::<DateTime<Utc>>),
            )
            .filter(events::Column::Id.is_in(claimed.iter().map(|e| e.id)))
            .filter(events::Column::State.eq(EventState::Dispatching))
            .filter(events::Column::LeaseOwner.eq(owner))
            .exec(&txn)
            .await?;
        if marked.rows_affected != claimed.len() as u64 {
            // Some lease expired and another dispatcher has those events now: leave the
            // whole round to be done again rather than fan an event out twice.
            txn.rollback().await?;
            return Ok(Dispatched::default());
        }
        if !deliveries.is_empty() {
            webhook_deliveries::Entity::insert_many(deliveries)
                .exec(&txn)
                .await?;
        }
        if !notes.is_empty() {
            notifications::Entity::insert_many(notes).exec(&txn).await?;
        }
        for email in emails {
            email.insert(&txn).await?;
        }
        txn.commit().await?;
        Ok(dispatched)
    }
}

impl Store {
    /// Deletes dispatched events that occurred before `before`, with their deliveries
    /// and attempts, except those with a delivery still queued or being sent. Returns
    /// how many went.
    pub async fn prune_events(&self, before: DateTime<Utc>) -> Result<u64, sea_orm::DbErr> {
        let p = match self.backend() {
            DbBackend::Postgres => "$1",
            _ => "?1",
        };
        let result = self
            .db
            .execute_raw(Statement::from_sql_and_values(
                self.backend(),
                format!(
                    "DELETE FROM events WHERE state = '{dispatched}' AND occurred_at < {p} \
                     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d \
                       WHERE d.event_id = events.id AND d.state IN ('{queued}', '{sending}'))",
                    dispatched = EventState::Dispatched.as_str(),
                    queued = DeliveryState::Queued.as_str(),
                    sending = DeliveryState::Sending.as_str(),
                ),
                [before.into()],
            ))
            .await?;
        Ok(result.rows_affected())
    }
}
