//! The server's integration tests: one binary (fast links on 2 cores), each test with
//! its own server on a free port and its own database.
//!
//! `SPENDLENS_TEST_DATABASE=postgres` runs them on PostgreSQL (a fresh database per
//! test on `SPENDLENS_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`);
//! the default is a fresh SQLite file per test.

mod accounts;
mod authz;
mod batches;
mod client;
mod companies;
mod config;
mod consent;
mod downloads;
mod groups;
mod helpers;
mod idempotency;
mod notifications;
mod nul;
mod operations;
mod partner;
mod platforms;
mod processes;
mod refresh;
mod reports;
mod safe_defaults;
mod schedules;
mod secrets_in_logs;
mod security_headers;
mod sign_in_limits;
mod tenancy;
mod uploads;
mod upstream;
mod webhooks;
mod wire;
