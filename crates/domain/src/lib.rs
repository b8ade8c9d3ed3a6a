//! Spendlens's vocabulary, shared by every other crate and by the WASM frontend.
//!
//! Architecture invariant: this crate does no IO (no database, network, clock or
//! randomness) and compiles to `wasm32-unknown-unknown`. Values that come from outside
//! are parsed into these types once, at the edge; past the edge they are valid by
//! construction.

/// `Display` and `FromStr` for an enum by the names its `as_str` gives (`ALL` lists
/// every value): what is written is what reads back.
macro_rules! named {
    ($name:ty) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|value| value.as_str() == s)
                    .ok_or_else(|| $crate::UnknownName(s.to_owned()))
            }
        }
    };
}

mod accounts;
mod audit;
mod data;
mod events;
mod ids;
mod names;
mod refresh;
mod retry;
mod status;

pub use accounts::{PASSWORD_LENGTH, Role, password_problem};
pub use audit::AuditAction;
pub use data::UnknownName;
pub use data::{DataType, ReportKind};
pub use events::EventType;
pub use ids::{
    ApiKeyId, AuditEventId, CompanyId, InformationRequestId, NotificationId, OrganizationId,
    RefreshBatchId, RefreshJobId, ReportId, UserId, WebhookDeliveryId, WebhookEndpointId,
};
pub use names::{
    CompanyName, ContactName, Description, EMAIL_PATTERN, EmailAddress, LINE_PATTERN,
    NO_NUL_PATTERN, ParseError, TEXT_PATTERN,
};
pub use refresh::{RefreshSchedule, RefreshState, RefreshTrigger, is_stale};
pub use retry::{MAX_RETRY_DELAY, retry_delay};
pub use status::{
    DataStatus, ErrorCode, InvalidTransition, Remedy, StatusError, StatusEvent, transition,
};
