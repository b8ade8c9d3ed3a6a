//! The upload fallback: the template customers fill in when their accounting software
//! cannot connect, and the answer to an upload.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

use crate::UploadSummary;

/// How the customer writes dates in the template's text cells. ISO dates
/// (`2026-01-31`) and spreadsheet date cells are read whichever it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// `DD/MM/YYYY`: 31/01/2026 (UK, most of Europe).
    #[default]
    DayFirst,
    /// `MM/DD/YYYY`: 01/31/2026 (US).
    MonthFirst,
}

impl DateOrder {
    pub const ALL: [DateOrder; 2] = [DateOrder::DayFirst, DateOrder::MonthFirst];

    pub const fn as_str(self) -> &'static str {
        match self {
            DateOrder::DayFirst => "day_first",
            DateOrder::MonthFirst => "month_first",
        }
    }

    /// How a person reads it.
    pub const fn label(self) -> &'static str {
        match self {
            DateOrder::DayFirst => "Day first (31/01/2026)",
            DateOrder::MonthFirst => "Month first (01/31/2026)",
        }
    }
}

/// The query of a template download and of an upload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct DateOrderQuery {
    /// How dates written as text are read (`day_first` by default).
    #[serde(default)]
    pub dates: Option<DateOrder>,
}

/// The files of the template: the workbook, or the same as three CSV files.
pub const TEMPLATE_FILES: [&str; 4] = [
    "spendlens-template.xlsx",
    "suppliers.csv",
    "bills.csv",
    "bill_payments.csv",
];

/// The answer to the customer's upload through their link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UploadOutcome {
    pub organization_name: String,
    pub upload: UploadSummary,
}
