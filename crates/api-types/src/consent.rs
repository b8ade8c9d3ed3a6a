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
    /// The group this link's company belongs to, when it is an entity of one.
    #[serde(default)]
    pub group_name: Option<String>,
    /// The group's entities (the group's own books first, this link's among them): the
    /// customer connects one after another through the same request.
    #[serde(default)]
    pub entities: Vec<crate::ConsentEntity>,
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

/// The customer is back from the data partner's link page, which passed on how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsentReturn {
    /// The partner's `statusCode`: `2xx` when the customer authorized (`201`: it was
    /// linked already), anything else when they cancelled there.
    #[cfg_attr(feature = "openapi", schema(minimum = 100, maximum = 599))]
    #[serde(deserialize_with = "whole_number")]
    pub status_code: u16,
}

/// A whole number as JSON Schema counts one: `200` and `200.0` alike.
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u16, D::Error> {
    let number = f64::deserialize(deserializer)?;
    if number.fract() == 0.0 && (0.0..=f64::from(u16::MAX)).contains(&number) {
        // Whole and in range: the conversion is exact.
        Ok(number as u16)
    } else {
        Err(serde::de::Error::custom(
            "must be a whole number from 100 to 599",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::ConsentReturn;

    #[test]
    fn a_status_code_is_a_whole_number_written_either_way() {
        for text in [r#"{"status_code": 200}"#, r#"{"status_code": 200.0}"#] {
            let answer: ConsentReturn = serde_json::from_str(text).unwrap();
            assert_eq!(answer.status_code, 200);
        }
        for text in [
            r#"{"status_code": 200.5}"#,
            r#"{"status_code": -1}"#,
            r#"{"status_code": 1e9}"#,
            r#"{"status_code": "200"}"#,
        ] {
            assert!(
                serde_json::from_str::<ConsentReturn>(text).is_err(),
                "{text}"
            );
        }
    }
}

/// The outcome of the customer's choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ConsentOutcome {
    /// `pending` while the customer is sent to the platform to authorize.
    pub status: InformationRequestStatus,
    pub organization_name: String,
    /// For Xero and QuickBooks Online: the platform's authorize page, for the browser
    /// to go to; the platform sends the customer back to
    /// `/api/v1/oauth/{platform}/callback`. For software connected through the data
    /// partner (`http:{key}`): the partner's link page, which sends them back to
    /// `/connect/{token}/done`. `null` otherwise.
    #[serde(default)]
    pub redirect_url: Option<String>,
    /// The organisation connected, by the name the platform knows it (OAuth platforms);
    /// through the data partner, the software's name.
    #[serde(default)]
    pub connected_organisation: Option<String>,
}

/// An organisation a platform authorized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PlatformOrganisation {
    /// The platform's id of it (Xero's tenant id).
    pub id: String,
    /// Its name as the platform knows it.
    pub name: String,
}

/// The customer authorized several organisations at once: which one is this company?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrganisationChoice {
    /// The organization (bank or lender) asking.
    pub organization_name: String,
    pub company_name: String,
    /// The platform's name, e.g. "Xero".
    pub platform_name: String,
    pub organisations: Vec<PlatformOrganisation>,
}

/// The customer's answer to an [`OrganisationChoice`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrganisationChosen {
    /// One of the `organisations`' ids: the one this link's company is.
    #[cfg_attr(feature = "openapi", schema(pattern = "NO_NUL_PATTERN"))]
    pub organisation_id: String,
    /// Other `organisations`' ids that are other entities of the same group: each
    /// becomes an entity named after its organisation, connected through the same
    /// authorization, its first fetch queued.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Vec<PlatformOrganisationId>, max_items = 50)
    )]
    pub other_entities: Vec<String>,
}

/// One of the `organisations`' ids, in a list (the document's name for the items of
/// `other_entities`, whose pattern a list's items cannot carry otherwise).
#[cfg(feature = "openapi")]
#[derive(ToSchema)]
#[schema(pattern = "NO_NUL_PATTERN")]
pub struct PlatformOrganisationId(pub String);

/// Whether a company's connection to its accounting platform works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// Its tokens work (or are renewed as they expire).
    Connected,
    /// Renewing its tokens kept failing; a new information request reconnects it.
    NeedsReconnecting,
    /// The platform refused it: the customer disconnected the app there, or it went
    /// unused too long. A new information request reconnects it.
    Disconnected,
}

/// A company's connection to Xero or QuickBooks Online.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PlatformConnection {
    /// `xero` or `quickbooks`.
    pub platform: String,
    /// E.g. "Xero".
    pub platform_name: String,
    /// The books this company is, as the platform knows them.
    pub organisation: PlatformOrganisation,
    pub state: ConnectionState,
    #[serde(with = "crate::timestamp")]
    pub connected_at: DateTime<Utc>,
    /// When its tokens were last renewed.
    #[serde(with = "crate::timestamp")]
    pub renewed_at: DateTime<Utc>,
}
