//! One module per `spendlens` command: each turns its parsed arguments into calls on the
//! library (startup, workers, store) and prints the outcome.

pub mod api_key_create;
pub mod config_check;
pub mod keys_rotate;
pub mod migrate;
pub mod openapi;
pub mod org_create;
pub mod serve;
pub mod user_reset_password;
pub mod worker;
