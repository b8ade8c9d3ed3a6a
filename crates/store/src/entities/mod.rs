//! sea-orm entities, one per table, kept apart from the queries in the parent module.
//! A table with a state column defines the column's values beside it, as an active enum.

/// A state column's values: a sea-orm active enum stored as its text in the
/// `varchar(16)` the migrations made (so no migration), and `as_str`, the same text as a
/// `const`, for the SQL the store writes by hand (the queue's claim, pruning).
macro_rules! state_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
        pub enum $name {
            $($(#[$variant_meta])* #[sea_orm(string_value = $text)] $variant,)+
        }

        impl $name {
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }
    };
}

pub mod account_tokens;
pub mod api_keys;
pub mod audit_events;
pub mod companies;
pub mod company_assignees;
pub mod connections;
pub mod events;
pub mod idempotency_keys;
pub mod information_requests;
pub mod notification_preferences;
pub mod notifications;
pub mod oauth_authorizations;
pub mod organizations;
pub mod outgoing_emails;
pub mod partner_links;
pub mod refresh_batch_jobs;
pub mod refresh_batches;
pub mod refresh_jobs;
pub mod reports;
pub mod sessions;
pub mod uploads;
pub mod users;
pub mod webhook_attempts;
pub mod webhook_deliveries;
pub mod webhook_endpoints;
