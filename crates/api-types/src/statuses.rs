//! The part of a company the portal polls while something is pending.

use chrono::{DateTime, Utc};
use domain::{CompanyId, DataStatus, StatusError};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

use crate::RefreshJob;

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
