//! The audit log: its entries, and how to filter and export them.

use chrono::{DateTime, Utc};
use domain::{AuditAction, AuditEventId, CompanyId};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuditEvent {
    pub id: AuditEventId,
    #[serde(with = "crate::timestamp")]
    pub at: DateTime<Utc>,
    /// `user`, `api_key`, `customer` or `system`.
    pub actor_kind: String,
    pub actor_id: Option<String>,
    /// The user's email, the key's name, the customer's email, or "Spendlens".
    pub actor: String,
    /// E.g. `company.created`, `refresh.requested`, `report.downloaded`.
    // Text, not `AuditAction`: the log keeps whatever was written, and must still read.
    pub action: String,
    pub company_id: Option<CompanyId>,
    pub target: Option<String>,
    /// The caller's address.
    pub ip: Option<String>,
    pub detail: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuditEventPage {
    pub items: Vec<AuditEvent>,
    /// Pass as `cursor` for the next (older) page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Which audit entries to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AuditQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<CompanyId>,
    /// A user's or API key's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(format = Uuid))]
    pub actor_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<AuditAction>,
    /// From this time (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "crate::timestamp::option")]
    pub since: Option<DateTime<Utc>>,
    /// Until this time (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "crate::timestamp::option")]
    pub until: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(format = Uuid))]
    pub cursor: Option<String>,
    /// 1 to 500 (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500))]
    pub limit: Option<u64>,
    /// `json` (default) or `csv` (every matching entry, as a file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<AuditFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditFormat {
    Json,
    Csv,
}
