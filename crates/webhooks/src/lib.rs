//! Standard Webhooks 1.0 for Spendlens, without the database: how a message is signed
//! ([`Secret`], [`signature_header`]), when a failed one is retried
//! ([`RetrySchedule`]), which endpoint URLs are allowed ([`ssrf`]), and how a message
//! is sent ([`Sender`]).
//!
//! Architecture invariants: no database and no queue here (the `outbox` crate drives
//! this one). Every request leaves through [`Sender`], whose client follows no
//! redirect, uses no proxy and resolves names through the SSRF guard.

mod schedule;
mod sender;
mod signature;
pub mod ssrf;

pub use schedule::RetrySchedule;
pub use sender::{Message, Sender, SenderConfig, Sent};
pub use signature::{InvalidSecret, SECRET_PREFIX, Secret, signature_header};
