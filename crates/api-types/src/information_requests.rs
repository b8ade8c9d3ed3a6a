//! Information requests: asking a company's contact for access to its data.

use chrono::{DateTime, Utc};
use domain::{CompanyId, DataType, InformationRequestId};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

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
    pub id: InformationRequestId,
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
