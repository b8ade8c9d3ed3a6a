//! The JSON wire types of API v1, shared by the server and the WASM frontend.
//!
//! Architecture invariant: serde (and, behind the `openapi` feature, utoipa's
//! derives) only. Nothing here may pull sea-orm, actix or tokio: the frontend compiles
//! this crate to wasm32, and `scripts/test.sh` checks the dependency tree.
//!
//! Request bodies refuse unknown fields, so a misspelt field is an error instead of a
//! silently ignored value.

use chrono::{DateTime, Utc};
pub use domain::{
    CompanyId, DataStatus, DataType, ErrorCode, RefreshJobId, RefreshSchedule, RefreshState,
    RefreshTrigger, ReportKind, Role, StatusError, UserId,
};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

mod notifications;
pub mod timestamp;
mod webhooks;

pub use notifications::{
    MarkNotificationsRead, Notification, NotificationPage, NotificationPreferences,
    NotificationQuery, NotificationsMarked, UnreadCount,
};
pub use webhooks::{
    CreatedWebhookEndpoint, EventType, NewWebhookEndpoint, RotatedWebhookSecret, WebhookAttempt,
    WebhookDelivery, WebhookDeliveryPage, WebhookDeliveryQuery, WebhookDeliveryState,
    WebhookEndpoint, WebhookEndpointList, WebhookEndpointUpdate,
};

/// A client company, as the company list and the company page show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Company {
    pub id: CompanyId,
    pub name: String,
    pub description: String,
    pub contact: Contact,
    /// The relationship managers responsible for this company.
    pub assignees: Vec<UserSummary>,
    /// The data requested from the customer; a refresh fetches exactly these.
    pub data_types: Vec<DataType>,
    /// `null` until the first information request ("Not requested").
    pub status: Option<DataStatus>,
    /// When the status last changed: for `available`, the time of the last successful update.
    #[serde(default, with = "crate::timestamp::option")]
    pub status_updated_at: Option<DateTime<Utc>>,
    /// Why the company is in `error`, with what to do about it; `null` otherwise.
    pub error: Option<StatusError>,
    /// The refresh queued or running right now, if any.
    pub refresh: Option<RefreshJob>,
    /// The accounting platform the customer connected; `null` until access is granted.
    pub platform: Option<String>,
    /// When the data was last fetched successfully (the reports' time); `null` before.
    #[serde(default, with = "crate::timestamp::option")]
    pub data_updated_at: Option<DateTime<Utc>>,
    /// True when the data is older than the organization's freshness limit
    /// (`SPENDLENS_STALE_AFTER_DAYS`, 30 days by default): time to refresh it.
    pub stale: bool,
    /// How often the data is refreshed without anyone asking.
    pub refresh_schedule: RefreshSchedule,
    /// When the next scheduled refresh is due; `null` when the schedule is `off`.
    #[serde(default, with = "crate::timestamp::option")]
    pub next_refresh_at: Option<DateTime<Utc>>,
    #[serde(with = "crate::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::timestamp")]
    pub updated_at: DateTime<Utc>,
}

/// The person at the client company who receives information requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Contact {
    pub name: String,
    pub email: String,
}

/// A user, as other resources refer to one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UserSummary {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Deactivated users cannot sign in.
    pub active: bool,
    /// Invited but has not set a password yet.
    pub invitation_pending: bool,
    #[serde(default, with = "crate::timestamp::option")]
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

/// One page of companies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CompanyPage {
    pub items: Vec<Company>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<CompanyId>,
}

/// A company to add.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCompany {
    /// 1 to 200 characters, one line.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
        )
    )]
    pub name: String,
    /// Up to 2,000 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 2000,
            pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
        )
    )]
    pub description: String,
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
        )
    )]
    pub contact_name: String,
    /// Where information requests are sent.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 254,
            pattern = r"^ *[A-Za-z0-9_%+'-]+(\.[A-Za-z0-9_%+'-]+)*@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+ *$"
        )
    )]
    pub contact_email: String,
    /// Users of the organization responsible for the company.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 100))]
    pub assignee_ids: Vec<UserId>,
    /// At least one of `financials` and `spend_detail`.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub data_types: Vec<DataType>,
    /// Refresh the data every week or month without anyone asking (default `off`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_schedule: Option<RefreshSchedule>,
}

/// Changes to a company: fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CompanyUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
        )
    )]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 2000,
            pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
        )
    )]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
        )
    )]
    pub contact_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 254,
            pattern = r"^ *[A-Za-z0-9_%+'-]+(\.[A-Za-z0-9_%+'-]+)*@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+ *$"
        )
    )]
    pub contact_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_items = 100))]
    pub assignee_ids: Option<Vec<UserId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub data_types: Option<Vec<DataType>>,
    /// A new schedule; the next run is counted from now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_schedule: Option<RefreshSchedule>,
}

/// Which companies the list returns, in which order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct CompanyListQuery {
    /// Case-insensitive search in the company's name and contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(max_length = 200))]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusFilter>,
    /// Only companies assigned to this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<CompanySort>,
    /// `next_cursor` from the previous page: the page continues after this company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<CompanyId>,
    /// Page size, 1 to 200; default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub limit: Option<u32>,
}

/// A status filter; `not_requested` matches companies never asked for information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    NotRequested,
    Requested,
    Available,
    Error,
}

/// Sort order of the company list: a column, ascending, or descending with a `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum CompanySort {
    #[default]
    #[serde(rename = "name")]
    NameAsc,
    #[serde(rename = "-name")]
    NameDesc,
    #[serde(rename = "status")]
    StatusAsc,
    #[serde(rename = "-status")]
    StatusDesc,
    #[serde(rename = "status_updated_at")]
    StatusUpdatedAtAsc,
    #[serde(rename = "-status_updated_at")]
    StatusUpdatedAtDesc,
}

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
    /// Why it failed, when `state` is `failed`.
    pub error: Option<StatusError>,
}

/// The part of a company the portal polls while something is pending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CompanyStatus {
    pub id: CompanyId,
    pub status: Option<DataStatus>,
    #[serde(default, with = "crate::timestamp::option")]
    pub status_updated_at: Option<DateTime<Utc>>,
    pub error: Option<StatusError>,
    pub refresh: Option<RefreshJob>,
}

/// The statuses of the companies asked for, in the order asked; unknown ids are left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CompanyStatusList {
    pub items: Vec<CompanyStatus>,
}

/// Which companies' statuses to return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct CompanyStatusQuery {
    /// Company ids, comma-separated (`ids=ID1,ID2`), at most 200.
    #[cfg_attr(
        feature = "openapi",
        param(value_type = Vec<CompanyId>, style = Form, explode = false, min_items = 1, max_items = 200)
    )]
    pub ids: String,
}

/// A report of a company, listed with its own update time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Report {
    pub kind: ReportKind,
    pub title: String,
    pub data_type: DataType,
    /// When this report's data was last fetched.
    #[serde(with = "crate::timestamp")]
    pub updated_at: DateTime<Utc>,
    /// Where to download it.
    pub href: String,
    /// How many versions (snapshots, one per successful refresh) are kept.
    #[serde(default)]
    pub snapshots: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReportList {
    pub items: Vec<Report>,
}

/// A report with its data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReportDocument {
    /// The version: pass it as `snapshot` to download this one again later.
    #[serde(default)]
    pub snapshot_id: String,
    pub company_id: CompanyId,
    pub kind: ReportKind,
    pub title: String,
    pub data_type: DataType,
    #[serde(with = "crate::timestamp")]
    pub updated_at: DateTime<Utc>,
    /// For a fetched report, its data as the accounting platform provided it. For a
    /// report Spendlens derives from the spend detail (`spend_analysis`,
    /// `aged_payables`), its tables: `{"sheets": [{"id", "title", "columns": [{"title",
    /// "type"}], "rows": [[cell, …]], "totals": [cell, …] | null}]}`, where a cell is a
    /// string, a number, a date (`YYYY-MM-DD`), a month (`YYYY-MM`) or null, and `type`
    /// is one of `text`, `money`, `count`, `percent` (a fraction), `date`, `month`,
    /// `mixed`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}

/// An RFC 9457 problem: every 4xx and 5xx answer of the API has this body,
/// with the content type `application/problem+json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The fields that were refused, for forms to show beside each field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One refused field of a request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FieldError {
    /// The field's name, as in the request body.
    pub field: String,
    pub message: String,
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_names_match_the_api_contract() {
        let json = serde_json::to_string(&CompanySort::StatusUpdatedAtDesc).unwrap();
        assert_eq!(json, "\"-status_updated_at\"");
    }

    #[test]
    fn request_bodies_refuse_unknown_fields() {
        let err = serde_json::from_str::<CompanyUpdate>(r#"{"nmae":"Acme"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field"));
    }
}

/// How an information request reaches the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Email the link to the company's contact.
    #[default]
    Email,
    /// Only create the link, for the relationship manager to pass on ("Copy link").
    Link,
}

/// Ask the company's contact for access to its data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewInformationRequest {
    /// Render the email and answer it, without sending anything or changing anything.
    #[serde(default)]
    pub preview: bool,
    #[serde(default)]
    pub delivery: Delivery,
}

/// The state of one information request (one link).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InformationRequestStatus {
    /// Waiting on the customer.
    Pending,
    /// The customer granted access.
    Granted,
    /// The customer left without granting access.
    Declined,
    /// The link expired unused.
    Expired,
    /// A newer request replaced it; its link no longer works.
    Superseded,
}

/// An information request sent (or a link created) for a company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct InformationRequest {
    pub id: String,
    pub company_id: CompanyId,
    pub delivery: Delivery,
    pub status: InformationRequestStatus,
    pub data_types: Vec<DataType>,
    #[serde(with = "crate::timestamp")]
    pub created_at: DateTime<Utc>,
    /// After this the link no longer works.
    #[serde(with = "crate::timestamp")]
    pub expires_at: DateTime<Utc>,
    /// The customer's link. Only answered for `delivery: link`; an emailed link is in
    /// the email alone.
    pub link: Option<String>,
}

/// An email as it will be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EmailPreview {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// One kind of data the customer is asked to share, with what it contains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RequestedData {
    pub data_type: DataType,
    pub label: String,
    /// What is shared, in words: "Profit and loss", "Balance sheet", …
    pub contents: Vec<String>,
}

/// What the customer sees on the consent screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ConsentRequest {
    /// The organization (bank or lender) asking.
    pub organization_name: String,
    pub company_name: String,
    pub contact_name: String,
    /// Exactly what will be shared.
    pub requested_data: Vec<RequestedData>,
    /// The accounting platforms the customer can connect.
    pub platforms: Vec<Platform>,
    #[serde(with = "crate::timestamp")]
    pub expires_at: DateTime<Utc>,
}

/// An accounting platform the customer can connect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Platform {
    /// The value to send as `platform` when granting.
    pub id: String,
    pub name: String,
}

/// The customer's grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsentGrant {
    /// One of the `platforms` of the consent request.
    pub platform: String,
}

/// The outcome of the customer's choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ConsentOutcome {
    pub status: InformationRequestStatus,
    pub organization_name: String,
}

/// The organization's users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UserList {
    pub items: Vec<UserSummary>,
}

/// Which companies to count.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct CompanyCountsQuery {
    /// As for the company list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(max_length = 200))]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<UserId>,
}

/// How many companies are in each status (for the status filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CompanyCounts {
    pub total: u64,
    pub not_requested: u64,
    pub requested: u64,
    pub available: u64,
    pub error: u64,
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
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
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
    pub id: String,
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
    /// `no_access` (send an information request instead) or `not_found`.
    pub reason: String,
}

/// Email and password, to sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 256))]
    pub password: String,
}

/// The organization a user belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrganizationSummary {
    pub slug: String,
    pub name: String,
}

/// The signed-in user's session. Unsafe requests made with the session cookie must
/// send `csrf_token` in the `X-CSRF-Token` header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Session {
    pub user: UserSummary,
    pub organization: OrganizationSummary,
    pub csrf_token: String,
    /// The session ends at this time at the latest (and sooner after inactivity).
    #[serde(with = "crate::timestamp")]
    pub expires_at: DateTime<Utc>,
}

/// A user to invite; they get an email with a link to set their password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 254,
            pattern = r"^ *[A-Za-z0-9_%+'-]+(\.[A-Za-z0-9_%+'-]+)*@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+ *$"
        )
    )]
    pub email: String,
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
        )
    )]
    pub name: String,
    pub role: Role,
}

/// Changes to a user: a new role, or deactivation (which ends their sessions).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// Ask for a password reset link by email. Always answered `202`, whether or not the
/// address belongs to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub email: String,
}

/// A new password, through a reset link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// 12 to 256 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 12, max_length = 256))]
    pub password: String,
}

/// Accepting an invitation: the password to sign in with, and optionally one's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InvitationAcceptance {
    /// 12 to 256 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 12, max_length = 256))]
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
        )
    )]
    pub name: Option<String>,
}

/// What an invitation or reset link is for, shown before the password is chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AccountLinkInfo {
    pub email: String,
    pub name: String,
    pub organization: OrganizationSummary,
    #[serde(with = "crate::timestamp")]
    pub expires_at: DateTime<Utc>,
}

/// An API key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    #[serde(with = "crate::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(default, with = "crate::timestamp::option")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// Set once revoked; a revoked key is refused.
    #[serde(default, with = "crate::timestamp::option")]
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiKeyList {
    pub items: Vec<ApiKey>,
}

/// A key to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// What it is for (e.g. "Loan origination system").
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
        )
    )]
    pub name: String,
}

/// A new key with its secret, shown this once: send it as `Authorization: Bearer <key>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreatedApiKey {
    pub api_key: ApiKey,
    pub key: String,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuditEvent {
    pub id: String,
    #[serde(with = "crate::timestamp")]
    pub at: DateTime<Utc>,
    /// `user`, `api_key`, `customer` or `system`.
    pub actor_kind: String,
    pub actor_id: Option<String>,
    /// The user's email, the key's name, the customer's email, or "Spendlens".
    pub actor: String,
    /// E.g. `company.created`, `refresh.requested`, `report.downloaded`.
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
    #[cfg_attr(feature = "openapi", param(max_length = 64))]
    pub action: Option<String>,
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

/// The kept versions of one report, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReportSnapshotList {
    pub items: Vec<ReportSnapshot>,
}

/// One kept version of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReportSnapshot {
    pub id: String,
    /// When this version's data was fetched.
    #[serde(with = "crate::timestamp")]
    pub updated_at: DateTime<Utc>,
    /// Where to download this version.
    pub href: String,
}

/// Which version of a report to download.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ReportQuery {
    /// A snapshot id from `…/snapshots` (default: the newest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(format = Uuid))]
    pub snapshot: Option<String>,
    /// `json` (default), `csv`, or `xlsx` (a workbook with number and date cells, a
    /// frozen header row and a totals row per sheet). A CSV file holds the data rows of
    /// one sheet, without the totals row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ReportFormat>,
    /// One sheet of the report, by id. Required with `format=csv` for the spend analysis
    /// workbook, whose sheets are `customer`, `entity_spend_breakdown`,
    /// `spend_by_payment_method`, `supplier_analysis`, `bills`, `bill_payments` and
    /// `expenses`; with `xlsx` or `json` it narrows the workbook to that sheet. Each
    /// other report has one sheet, named after the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    #[default]
    Json,
    Csv,
    Xlsx,
}

/// What changed in a company's spend detail between its two newest refreshes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CompanyChanges {
    /// The older version compared; `null` until two refreshes of the spend detail are kept.
    #[serde(default, with = "crate::timestamp::option")]
    pub since: Option<DateTime<Utc>>,
    /// The newest version.
    #[serde(default, with = "crate::timestamp::option")]
    pub until: Option<DateTime<Utc>>,
    pub currency: Option<String>,
    pub new_suppliers: Vec<SupplierChange>,
    pub gone_suppliers: Vec<SupplierChange>,
    /// Open bills' amounts due, before and after.
    pub accounts_payable: Option<AmountChange>,
    /// The overdue part of accounts payable, before and after.
    pub overdue: Option<AmountChange>,
    /// The suppliers whose outstanding balance moved most (up to 5).
    pub biggest_movers: Vec<SupplierMovement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SupplierChange {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AmountChange {
    pub before: f64,
    pub after: f64,
    pub change: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SupplierMovement {
    pub id: String,
    pub name: String,
    /// The supplier's outstanding balance before and after.
    pub outstanding: AmountChange,
}
