//! Users, sessions (signing in) and account links (invitations, password resets).

use chrono::{DateTime, Utc};
use domain::{Role, UserId};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// A user, as other resources refer to one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UserSummary {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Deactivated users cannot sign in.
    pub active: bool,
    /// Invited but has not set a password yet.
    pub invitation_pending: bool,
    #[serde(default, with = "crate::timestamp::option")]
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

/// The organization's users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UserList {
    pub items: Vec<UserSummary>,
}

/// Email and password, to sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 254, pattern = "NO_NUL_PATTERN")
    )]
    pub email: String,
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 256, pattern = "NO_NUL_PATTERN")
    )]
    pub password: String,
}

/// The organization a user belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrganizationSummary {
    pub slug: String,
    pub name: String,
}

/// The signed-in user's session. Unsafe requests made with the session cookie must
/// send `csrf_token` in the `X-CSRF-Token` header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Session {
    pub user: UserSummary,
    pub organization: OrganizationSummary,
    pub csrf_token: String,
    /// The session ends at this time at the latest (and sooner after inactivity).
    #[serde(with = "crate::timestamp")]
    pub expires_at: DateTime<Utc>,
}

/// A user to invite; they get an email with a link to set their password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 254, pattern = "EMAIL_PATTERN")
    )]
    pub email: String,
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = "LINE_PATTERN")
    )]
    pub name: String,
    pub role: Role,
}

/// Changes to a user: a new role, or deactivation (which ends their sessions).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// Ask for a password reset link by email. Always answered `202`, whether or not the
/// address belongs to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 254, pattern = "NO_NUL_PATTERN")
    )]
    pub email: String,
}

/// A new password, through a reset link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// 12 to 256 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 12, max_length = 256, pattern = "NO_NUL_PATTERN")
    )]
    pub password: String,
}

/// Accepting an invitation: the password to sign in with, and optionally one's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InvitationAcceptance {
    /// 12 to 256 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 12, max_length = 256, pattern = "NO_NUL_PATTERN")
    )]
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = "LINE_PATTERN")
    )]
    pub name: Option<String>,
}

/// What an invitation or reset link is for, shown before the password is chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AccountLinkInfo {
    pub email: String,
    pub name: String,
    pub organization: OrganizationSummary,
    #[serde(with = "crate::timestamp")]
    pub expires_at: DateTime<Utc>,
}
