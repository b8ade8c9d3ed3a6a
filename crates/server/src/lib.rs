//! The `spendlens` server: HTTP API, OpenAPI document, SPA hosting and the
//! background workers, wired together.
//!
//! Architecture invariant: only this crate knows HTTP. Handlers parse requests into
//! domain types, call the store, and map results to `api-types`; every failure goes
//! through [`error::ApiError`].

pub mod auth;
pub mod compress;
pub mod config;
pub mod demo;
pub mod downloads;
pub mod error;
pub mod extract;
pub mod fallback;
pub mod idempotency;
pub mod key_cache;
pub mod metrics;
#[cfg(test)]
mod module_graph;
pub mod openapi;
pub mod provisioning;
pub mod rate_limit;
pub mod request_scope;
pub mod request_span;
pub mod routes;
pub mod secrets;
pub mod security_headers;
pub mod spa;
pub mod startup;
pub mod state;
pub mod status_cache;
#[cfg(test)]
mod status_trigger_columns;
pub mod views;
pub mod workers;
