//! Client companies: the list, its filters and counts, and adding and changing one.

use chrono::{DateTime, Utc};
use domain::{CompanyId, DataStatus, DataType, RefreshSchedule, StatusError, UserId};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

use crate::{GroupRef, GroupSummary, RefreshJob, UserSummary};

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
    /// `upload` when the data was uploaded from the template (see `upload`): it cannot
    /// be refreshed.
    pub platform: Option<String>,
    /// The latest upload, when the data was uploaded from the template; `null` otherwise.
    #[serde(default)]
    pub upload: Option<UploadSummary>,
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
    /// A group's entities together (its own books, this company's status, included);
    /// `null` for a company without entities.
    #[serde(default)]
    pub group: Option<GroupSummary>,
    /// The group this company is an entity of; `null` for a company on its own or a
    /// group.
    #[serde(default)]
    pub parent: Option<GroupRef>,
}

/// Data uploaded from the template (for customers whose accounting software cannot
/// connect): who uploaded which file, and when. Such data is not refreshable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UploadSummary {
    #[serde(with = "crate::timestamp")]
    pub uploaded_at: DateTime<Utc>,
    /// The user who uploaded on the customer's behalf; `null` when the customer did,
    /// through their link.
    pub uploaded_by: Option<String>,
    pub file_name: String,
    pub suppliers: u32,
    pub bills: u32,
    pub bill_payments: u32,
}

/// The person at the client company who receives information requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Contact {
    pub name: String,
    pub email: String,
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
        schema(min_length = 1, max_length = 200, pattern = "LINE_PATTERN")
    )]
    pub name: String,
    /// Up to 2,000 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 2000, pattern = "TEXT_PATTERN")
    )]
    pub description: String,
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = "LINE_PATTERN")
    )]
    pub contact_name: String,
    /// Where information requests are sent.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 254, pattern = "EMAIL_PATTERN")
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
        schema(min_length = 1, max_length = 200, pattern = "LINE_PATTERN")
    )]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 2000, pattern = "TEXT_PATTERN")
    )]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = "LINE_PATTERN")
    )]
    pub contact_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 254, pattern = "EMAIL_PATTERN")
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
    #[cfg_attr(feature = "openapi", param(max_length = 200, pattern = r"^[^\x00]*$"))]
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

/// Which companies to count.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct CompanyCountsQuery {
    /// As for the company list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(max_length = 200, pattern = r"^[^\x00]*$"))]
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
