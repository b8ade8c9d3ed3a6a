//! API keys for integrators.

use chrono::{DateTime, Utc};
use domain::ApiKeyId;
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// An API key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiKey {
    pub id: ApiKeyId,
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
    /// True while the user who created the key is deactivated: the key is refused
    /// (401) until that user is reactivated, then works again unless it was revoked.
    /// False for a key made on the command line, which belongs to no user.
    pub owner_deactivated: bool,
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
        schema(min_length = 1, max_length = 200, pattern = "LINE_PATTERN")
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
