//! `/healthz` and `/readyz`, for operators and load balancers.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// `/healthz` and `/readyz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Health {
    pub status: String,
}

/// `/readyz`: whether this replica can serve, and how the refresh queue it shares with
/// every other process is doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Readiness {
    /// `ok`, or `degraded` when the queue is not being drained (the replica still
    /// serves: a slow worker is no reason to take the API out of a load balancer).
    pub status: String,
    /// How long the database took to answer, in milliseconds.
    pub database_ms: f64,
    pub queue: QueueHealth,
}

/// The refresh queue as every process sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct QueueHealth {
    /// `ok` or `stalled`.
    pub status: String,
    /// Seconds the oldest due refresh has waited to start (0 when none waits).
    pub oldest_due_seconds: f64,
    /// Running refreshes whose worker stopped renewing its lease: they are taken over
    /// by another worker as soon as one claims work.
    pub expired_leases: u64,
    /// Why the queue is `stalled`, for an operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}
