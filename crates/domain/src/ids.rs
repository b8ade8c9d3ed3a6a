//! Typed ids: a `CompanyId` can't be passed where a `UserId` is expected.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// An organization (a bank or lender): the tenant everything else belongs to.
    OrganizationId
);
id_type!(
    /// A person who signs in: a relationship manager or an admin.
    UserId
);
id_type!(
    /// A client company of the organization.
    CompanyId
);
id_type!(
    /// One refresh of one company's data: a row in the job queue.
    RefreshJobId
);
id_type!(
    /// One stored report of one company: a report's snapshot (one per successful refresh).
    ReportId
);
id_type!(
    /// A bulk refresh: the refresh jobs it started, followed together.
    RefreshBatchId
);
id_type!(
    /// One information request (one link) sent to a company's contact.
    InformationRequestId
);
id_type!(
    /// An API key of an organization.
    ApiKeyId
);
id_type!(
    /// One entry of the audit log (UUIDv7: ordered as written).
    AuditEventId
);
id_type!(
    /// One notification of one person.
    NotificationId
);
id_type!(
    /// Where an organization's webhook events are sent.
    WebhookEndpointId
);
id_type!(
    /// One event sent (or to be sent) to one webhook endpoint.
    WebhookDeliveryId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_strings_and_json() {
        let id = CompanyId::from_uuid(Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001));
        let text = id.to_string();
        assert_eq!(text.parse::<CompanyId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<CompanyId>(&json).unwrap(), id);
        assert!("not-an-id".parse::<CompanyId>().is_err());
    }
}
