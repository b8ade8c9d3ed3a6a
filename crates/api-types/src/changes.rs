//! What changed in a company's spend detail between its two newest refreshes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

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
