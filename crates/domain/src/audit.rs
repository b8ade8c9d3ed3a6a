//! What the audit log records: one closed list of actions, written by the server and
//! the store and offered by the admin page's filter.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::data::UnknownName;

/// Declares `AuditAction` from `Variant = "name"` pairs, so each name is written once.
macro_rules! audit_actions {
    ($($(#[$doc:meta])* $variant:ident = $name:tt,)*) => {
        /// Something done that the audit log records: a dotted verb, e.g.
        /// `company.created`.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum AuditAction {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
        }

        impl AuditAction {
            /// Every action, in the order the admin page's filter lists them.
            pub const ALL: &[AuditAction] = &[$(AuditAction::$variant,)*];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $name,)*
                }
            }
        }
    };
}

audit_actions! {
    ApiKeyCreated = "api_key.created",
    ApiKeyRevoked = "api_key.revoked",
    CompanyCreated = "company.created",
    CompanyDeleted = "company.deleted",
    CompanyUpdated = "company.updated",
    /// The customer, through their link.
    ConsentDeclined = "consent.declined",
    /// The customer, through their link.
    ConsentGranted = "consent.granted",
    /// The customer through their link, or a user on the customer's behalf: the data
    /// came from the upload template.
    DataUploaded = "data.uploaded",
    InformationRequestLinkCreated = "information_request.link_created",
    InformationRequestSent = "information_request.sent",
    NotificationPreferencesUpdated = "notification_preferences.updated",
    /// By `spendlens create-organization`.
    OrganizationCreated = "organization.created",
    /// By the system, when a refresh fails for good.
    RefreshFailed = "refresh.failed",
    RefreshRequested = "refresh.requested",
    /// By the system, when a refresh finishes.
    RefreshSucceeded = "refresh.succeeded",
    RefreshBatchCreated = "refresh_batch.created",
    ReportDownloaded = "report.downloaded",
    UserInvited = "user.invited",
    UserJoined = "user.joined",
    UserPasswordReset = "user.password_reset",
    UserSignedIn = "user.signed_in",
    UserSignedOut = "user.signed_out",
    UserUpdated = "user.updated",
    WebhookDeliveryReplayed = "webhook_delivery.replayed",
    WebhookEndpointCreated = "webhook_endpoint.created",
    WebhookEndpointDeleted = "webhook_endpoint.deleted",
    /// By the system, on `410 Gone` or after repeated failure.
    WebhookEndpointDisabled = "webhook_endpoint.disabled",
    WebhookEndpointSecretRotated = "webhook_endpoint.secret_rotated",
    WebhookEndpointUpdated = "webhook_endpoint.updated",
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditAction {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuditAction::ALL
            .iter()
            .copied()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_strings_and_json() {
        for &action in AuditAction::ALL {
            assert_eq!(action.as_str().parse::<AuditAction>().unwrap(), action);
            assert_eq!(
                serde_json::to_value(action).unwrap(),
                serde_json::json!(action.as_str())
            );
        }
        assert!("company.archived".parse::<AuditAction>().is_err());
    }

    #[test]
    fn the_filter_lists_actions_in_name_order() {
        assert!(
            AuditAction::ALL
                .windows(2)
                .all(|w| w[0].as_str() < w[1].as_str())
        );
    }
}
