//! The JSON wire types of API v1, shared by the server and the WASM frontend, one
//! module per resource.
//!
//! Architecture invariant: serde (and, behind the `openapi` feature, utoipa's
//! derives) only. Nothing here may pull sea-orm, actix or tokio: the frontend compiles
//! this crate to wasm32, and `scripts/test.sh` checks the dependency tree.
//!
//! Request bodies refuse unknown fields, so a misspelt field is an error instead of a
//! silently ignored value.

pub use domain::{
    ApiKeyId, AuditAction, AuditEventId, CompanyId, DataStatus, DataType, ErrorCode,
    InformationRequestId, NotificationId, RefreshBatchId, RefreshJobId, RefreshSchedule,
    RefreshState, RefreshTrigger, ReportId, ReportKind, Role, StatusError, UserId,
    WebhookDeliveryId, WebhookEndpointId,
};

mod accounts;
mod api_keys;
mod audit;
mod changes;
mod companies;
mod consent;
mod groups;
mod health;
mod information_requests;
mod notifications;
pub mod patterns;
mod problems;
mod refreshes;
mod reports;
mod statuses;
pub mod timestamp;
mod uploads;
mod webhooks;

// Every type is reachable as `api_types::Name`; the modules only sort them by resource.
pub use accounts::*;
pub use api_keys::*;
pub use audit::*;
pub use changes::*;
pub use companies::*;
pub use consent::*;
pub use groups::*;
pub use health::*;
pub use information_requests::*;
pub use notifications::*;
pub use problems::*;
pub use refreshes::*;
pub use reports::*;
pub use statuses::*;
pub use uploads::*;
pub use webhooks::*;
