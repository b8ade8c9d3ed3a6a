//! Client groups: a company with several legal entities, each with its own connection,
//! status, refresh history and reports. The group's own books are its first entity.

use chrono::{DateTime, Utc};
use domain::{CompanyId, DataStatus};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// A group's entities together (its own books included): the worst of their statuses,
/// how many are in each, and the most recent update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct GroupSummary {
    /// How many entities, the group's own books included.
    pub entities: u32,
    /// The worst of the entities' statuses: `error`, then `requested`, then not
    /// requested (`null`), then `available`.
    pub status: Option<DataStatus>,
    pub not_requested: u32,
    pub requested: u32,
    pub available: u32,
    pub error: u32,
    /// Entities with a refresh queued or running.
    pub refreshing: u32,
    /// The most recent status change of any entity.
    #[serde(default, with = "crate::timestamp::option")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// The group a company is an entity of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct GroupRef {
    pub id: CompanyId,
    pub name: String,
}

/// An entity to add to a group (by a user, or by the customer through their link).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewEntity {
    /// The legal entity's name: 1 to 200 characters, one line.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = "LINE_PATTERN")
    )]
    pub name: String,
}

/// The link of an entity the customer added through their link: the consent page goes
/// on with it (connect the entity's software, or upload its template).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EntityLink {
    /// The new link's token: the consent page is `/connect/{token}`. It has the group
    /// link's data and expiry.
    pub token: String,
    pub company_name: String,
}

/// One entity of the group on the consent page, with whether it is connected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ConsentEntity {
    pub name: String,
    /// The platform's name once the entity is connected ("Sandbox", "Uploaded
    /// template"); `null` while it is not.
    pub connected_with: Option<String>,
    /// The entity this link is for.
    pub current: bool,
}
