//! Webhook endpoints, their secrets and their delivery logs.

use chrono::{DateTime, Utc};
pub use domain::EventType;
use domain::{WebhookDeliveryId, WebhookEndpointId};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

/// Where an organization's events are sent, without its signing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub url: String,
    pub description: String,
    /// The event types sent to it; empty: every type.
    pub event_types: Vec<EventType>,
    /// A disabled endpoint is sent nothing; `disabled_reason` says why.
    pub enabled: bool,
    /// Why it was disabled: by an admin, on `410 Gone`, or after repeated failure.
    pub disabled_reason: Option<String>,
    #[serde(default, with = "crate::timestamp::option")]
    pub disabled_at: Option<DateTime<Utc>>,
    /// Since when every attempt has failed; `null` while deliveries succeed.
    #[serde(default, with = "crate::timestamp::option")]
    pub failing_since: Option<DateTime<Utc>>,
    /// During a secret rotation: until when messages are also signed with the previous
    /// secret (a second signature in `webhook-signature`).
    #[serde(default, with = "crate::timestamp::option")]
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    #[serde(with = "crate::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::timestamp")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WebhookEndpointList {
    pub items: Vec<WebhookEndpoint>,
}

/// An endpoint to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWebhookEndpoint {
    /// An `https` URL on the public internet (private, loopback and link-local addresses
    /// are refused unless the server allows them).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 2000, pattern = "NO_NUL_PATTERN")
    )]
    pub url: String,
    /// What the endpoint is for.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 500, pattern = "NO_NUL_PATTERN")
    )]
    pub description: String,
    /// The event types to send; empty or left out: every type.
    #[serde(default)]
    pub event_types: Vec<EventType>,
}

/// Changes to an endpoint: fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 2000, pattern = "NO_NUL_PATTERN")
    )]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 500, pattern = "NO_NUL_PATTERN")
    )]
    pub description: Option<String>,
    /// Empty: every type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Vec<EventType>>,
    /// `true` re-enables a disabled endpoint (and forgets its failures); `false`
    /// disables it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// A new endpoint with its signing secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreatedWebhookEndpoint {
    pub webhook_endpoint: WebhookEndpoint,
    /// `whsec_` and the base64 of the key: verify `webhook-signature` with it.
    pub secret: String,
}

/// A new signing secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RotatedWebhookSecret {
    pub secret: String,
    /// Until then messages carry a signature with the previous secret too.
    #[serde(with = "crate::timestamp")]
    pub previous_secret_expires_at: DateTime<Utc>,
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WebhookDeliveryState {
    /// Waiting for its next attempt (`next_attempt_at`).
    Queued,
    /// Being sent now.
    Sending,
    /// The endpoint answered 2xx.
    Succeeded,
    /// Every attempt failed, the endpoint answered 410 Gone, or it was disabled.
    Failed,
}

/// One event sent (or to be sent) to one endpoint, with every attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WebhookDelivery {
    pub id: WebhookDeliveryId,
    /// The message's `webhook-id`: the same on every attempt and replay.
    pub message_id: String,
    pub event_type: EventType,
    pub state: WebhookDeliveryState,
    /// When the next attempt is due, while `queued`.
    #[serde(default, with = "crate::timestamp::option")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last answer's status; `null` before one (or when none came).
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    /// The delivery this one replays.
    pub replay_of: Option<WebhookDeliveryId>,
    #[serde(with = "crate::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(default, with = "crate::timestamp::option")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Oldest first.
    pub attempts: Vec<WebhookAttempt>,
}

/// One attempt to send a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WebhookAttempt {
    /// 1 for the first.
    pub attempt: u32,
    #[serde(with = "crate::timestamp")]
    pub at: DateTime<Utc>,
    pub url: String,
    /// `null` when no answer came (refused address, timeout, connection error).
    pub response_status: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
    /// The start of the answer's body (at most 1 KiB).
    pub response_body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WebhookDeliveryPage {
    pub items: Vec<WebhookDelivery>,
    /// Pass as `cursor` for the next (older) page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Which deliveries to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct WebhookDeliveryQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(format = Uuid))]
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub limit: Option<u64>,
}
