//! Spendlens's email: what it says, how it leaves, and the worker that sends it.
//!
//! - [`templates`]: the information request email and account links (invitations,
//!   password resets) and notifications, rendered by minijinja from the files
//!   in `templates/` (multipart: HTML and plain text).
//! - [`Transport`]: lettre's SMTP transport configured by a URL, or `.eml` files in a
//!   local outbox for the embedded default.
//! - [`MailWorker`]: sends the emails queued in the database, retrying with backoff; an
//!   email that finally cannot be delivered marks its company `email_undeliverable`.
//!
//! Architecture invariant: an email is only ever sent from a queued row, which was
//! written in the same transaction as the change that asked for it; so a crash or a
//! restart never loses one, and a retry resends the same message (same `Message-ID`).

pub mod templates;
mod transport;
mod worker;

pub use templates::{AccountLinkEmail, InformationRequestEmail, NotificationEmail, RenderedEmail};
pub use transport::{DeliveryError, Transport};
pub use worker::{EmailOutcome, MailConfig, MailWorker};
