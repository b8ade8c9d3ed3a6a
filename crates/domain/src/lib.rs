//! Spendlens's vocabulary, shared by every other crate and by the WASM frontend.
//!
//! Architecture invariant: this crate does no IO (no database, network, clock or
//! randomness) and compiles to `wasm32-unknown-unknown`. Values that come from outside
//! are parsed into these types once, at the edge; past the edge they are valid by
//! construction.

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
    CompanyName, ContactName, Description, EMAIL_PATTERN, EmailAddress, LINE_PATTERN, ParseError,
    TEXT_PATTERN,
};
pub use refresh::{RefreshSchedule, RefreshState, RefreshTrigger, is_stale};
pub use retry::{MAX_RETRY_DELAY, retry_delay};
pub use status::{
    DataStatus, ErrorCode, InvalidTransition, Remedy, StatusError, StatusEvent, transition,
};
