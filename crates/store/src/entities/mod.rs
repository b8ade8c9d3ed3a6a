//! sea-orm entities, one per table, kept apart from the queries in the parent module.

pub mod account_tokens;
pub mod api_keys;
pub mod audit_events;
pub mod companies;
pub mod company_assignees;
pub mod events;
pub mod idempotency_keys;
pub mod information_requests;
pub mod notification_preferences;
pub mod notifications;
pub mod organizations;
pub mod outgoing_emails;
pub mod refresh_batch_jobs;
pub mod refresh_batches;
pub mod refresh_jobs;
pub mod reports;
pub mod sessions;
pub mod users;
pub mod webhook_attempts;
pub mod webhook_deliveries;
pub mod webhook_endpoints;
