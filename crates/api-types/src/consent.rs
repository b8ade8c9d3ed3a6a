//! The customer's side of an information request: the consent screen and their answer.

use chrono::{DateTime, Utc};
use domain::DataType;
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::InformationRequestStatus;

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
    #[cfg_attr(feature = "openapi", schema(pattern = "NO_NUL_PATTERN"))]
    pub platform: String,
}

/// The outcome of the customer's choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ConsentOutcome {
    pub status: InformationRequestStatus,
    pub organization_name: String,
}
