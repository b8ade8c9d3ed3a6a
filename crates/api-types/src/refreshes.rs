//! Refreshes of a company's data: one job, and bulk refreshes (batches).

use chrono::{DateTime, Utc};
use domain::{
    CompanyId, RefreshBatchId, RefreshJobId, RefreshState, RefreshTrigger, StatusError, UserId,
};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::StatusFilter;

/// One refresh of a company's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RefreshJob {
    pub id: RefreshJobId,
    pub company_id: CompanyId,
    pub state: RefreshState,
    pub trigger: RefreshTrigger,
    #[serde(with = "crate::timestamp")]
    pub requested_at: DateTime<Utc>,
    #[serde(default, with = "crate::timestamp::option")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, with = "crate::timestamp::option")]
    pub finished_at: Option<DateTime<Utc>>,
    /// How many times a worker has started it.
    pub attempts: u32,
    /// Why it failed, when `state` is `failed`; while `queued` after a failed attempt,
    /// why that attempt failed.
    pub error: Option<StatusError>,
    /// While `queued`: when it starts. After a failed attempt it waits — backing off,
    /// or as long as the platform asked (its daily limit reached) — and the company
    /// shows when it will run.
    #[serde(default, with = "crate::timestamp::option")]
    pub run_at: Option<DateTime<Utc>>,
}

/// Refresh many companies at once: list them, or give the list's filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(untagged)]
pub enum NewRefreshBatch {
    Companies(RefreshCompanies),
    Filter(RefreshFilter),
}

/// These companies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshCompanies {
    /// 1 to 1,000 companies.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 1000))]
    pub company_ids: Vec<CompanyId>,
}

/// Every company the list would show with these filters (at most 10,000).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshFilter {
    #[serde(deserialize_with = "object_only")]
    pub filter: BatchFilter,
}

/// serde reads a struct from an array of its fields too; bodies here are objects only.
fn object_only<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error;
    let value = serde_json::Value::deserialize(deserializer)?;
    if !value.is_object() {
        return Err(D::Error::custom("expected an object"));
    }
    T::deserialize(value).map_err(D::Error::custom)
}

/// The company list's filters, for a bulk refresh.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BatchFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 200, pattern = "NO_NUL_PATTERN")
    )]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<UserId>,
}

/// A bulk refresh and how far it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RefreshBatch {
    pub id: RefreshBatchId,
    #[serde(with = "crate::timestamp")]
    pub created_at: DateTime<Utc>,
    /// Refresh jobs followed (companies already refreshing joined with their job).
    pub total: u64,
    pub queued: u64,
    pub running: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub cancelled: u64,
    /// True when no job of the batch is queued or running.
    pub done: bool,
    /// Companies that got no refresh, and why (only in the answer that created the
    /// batch; at most the first 100, `skipped_count` says how many in all).
    pub skipped: Vec<SkippedCompany>,
    /// How many companies got no refresh.
    #[serde(default)]
    pub skipped_count: u64,
}

/// A company a bulk refresh could not refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SkippedCompany {
    pub company_id: CompanyId,
    pub reason: SkipReason,
}

/// Why a bulk refresh got no job for a company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The customer has not granted access: send an information request instead.
    NoAccess,
    /// No such company (deleted in the meantime).
    NotFound,
    /// The data was uploaded from the template and cannot be refreshed: request a new
    /// upload instead.
    Uploaded,
}
