//! Who may do what: the roles of an organization's users.

use serde::{Deserialize, Serialize};

/// A user's role in their organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages users, API keys and the audit log, and does everything an RM does.
    Admin,
    /// Works the company list: adds companies, requests information, refreshes data.
    RelationshipManager,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Admin, Role::RelationshipManager];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::RelationshipManager => "relationship_manager",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::RelationshipManager => "Relationship manager",
        }
    }
}

named!(Role);

/// The shortest and longest passwords accepted.
pub const PASSWORD_LENGTH: std::ops::RangeInclusive<usize> = 12..=256;

/// Why a password is refused.
pub fn password_problem(password: &str) -> Option<String> {
    let length = password.chars().count();
    if length < *PASSWORD_LENGTH.start() {
        Some(format!(
            "must be at least {} characters",
            PASSWORD_LENGTH.start()
        ))
    } else if length > *PASSWORD_LENGTH.end() {
        Some(format!(
            "must be at most {} characters",
            PASSWORD_LENGTH.end()
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_passwords_have_bounds() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!(password_problem("short").is_some());
        assert!(password_problem("correct horse battery").is_none());
        assert!(password_problem(&"x".repeat(257)).is_some());
    }
}
