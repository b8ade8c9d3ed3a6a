//! A company's reports, their kept versions (snapshots) and downloads.

use chrono::{DateTime, Utc};
use domain::{CompanyId, DataType, ReportId, ReportKind};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

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
    pub id: ReportId,
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
    #[cfg_attr(feature = "openapi", param(pattern = r"^[^\x00]*$"))]
    pub sheet: Option<String>,
}

/// How to download a group's consolidated report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ConsolidatedQuery {
    /// `json` (default), `csv` or `xlsx`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ReportFormat>,
    /// One sheet, by id: `spend_analysis`, `aged_payables` or `by_supplier`. Required
    /// with `format=csv`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(pattern = r"^[^\x00]*$"))]
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
