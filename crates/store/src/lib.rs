//! Spendlens's persistence: connecting, migrating, and every query the API and the
//! workers run.
//!
//! Architecture invariants:
//! - Only this crate (and `migrations/`) knows table and column names.
//! - Every company query takes the `OrganizationId` it is scoped to: a caller cannot
//!   read or change another organization's rows by guessing an id.
//! - Each state change is one statement or one transaction; there is no
//!   read-modify-write across calls.
//! - The same code runs on SQLite and PostgreSQL; the few statements that differ
//!   (the job claim) say so next to them.

mod accounts;
mod audit;
mod batches;
mod companies;
mod company_status;
mod connections;
mod dispatch;
mod emails;
pub mod entities;
mod events;
mod groups;
mod idempotency;
mod jobs;
#[cfg(test)]
mod module_graph;
mod notifications;
mod notify;
mod organizations;
mod partner;
mod queue;
mod rate_limits;
mod reports;
mod requests;
mod schedules;
mod scope;
mod sql;
mod stats;
mod time;
mod uploads;
mod webhooks;

use std::time::Duration;

use migrations::MigratorTrait;
use scope::Db;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

pub use accounts::{
    AccountLink, ApiKeyLookup, ListedApiKey, NewSession, TokenRefused, UserChangeRefused,
    token_kind,
};
pub use audit::{Actor as AuditActor, AuditFilter, AuditRecord};
pub use batches::{BatchProgress, BatchSkips, SKIPPED_LISTED, Skipped, TooMany};
pub use companies::MAX_ENTITIES;
pub use companies::{
    CompanyFilter, CompanyPage, CompanyRecord, CompanySortKey, CompanyWrite, GroupRollup,
    InvalidCursor, StatusCounts, WriteError,
};
pub use connections::{NewConnection, RefreshedTokens};
pub use dispatch::{Dispatched, NotificationContent, PendingNotification};
pub use emails::{ClaimedEmail, NewEmail};
pub use entities::uploads::UPLOAD_PLATFORM;
pub use entities::{
    connections::ConnectionState, events::EventState, information_requests::RequestStatus,
    outgoing_emails::EmailState, partner_links::PartnerLinkState, refresh_jobs::JobState,
    uploads::UploadFormat, webhook_deliveries::DeliveryState,
};
pub use events::message_id;
pub use groups::{EntityLinkRefused, EntityRefused};
pub use idempotency::{IdempotencyBegin, StoredResponse, idempotency_window};
pub use jobs::{ClaimedJob, FinishError, OverdueJob, RefreshRefused, job_error};
pub use notify::StatusSignal;
pub use partner::{PARTNER_PLATFORM, PendingPartnerLink};
pub use rate_limits::RateLimit;
pub use reports::{DEFAULT_RETENTION, ReportText, ReportVersion, StoredReport};
pub use requests::{ConsentRefused, ConsentView};
pub use scope::{ALL_ORGANIZATIONS, ORGANIZATION_SETTING, ScopeError};
pub use stats::{QueueHealth, QueueStats};
pub use time::Clock;
pub use uploads::{NewUpload, UploadingUser};
pub use webhooks::{
    AttemptOutcome, AttemptRecord, ClaimedDelivery, DeliveryRecord, DisablePolicy,
    NewWebhookEndpoint, RecordedAttempt, ReplayRefused, WebhookEndpointChanges,
    endpoint_event_types,
};

/// A handle on the database. Cheap to clone: it wraps a connection pool, or one
/// organization's transaction ([`Store::scoped`]).
#[derive(Clone, Debug)]
pub struct Store {
    /// Where the store's statements go.
    db: Db,
    /// The pool, for what never runs in a scope (pings, `LISTEN`, closing).
    pool: DatabaseConnection,
    /// Versions kept of each report of a company.
    report_retention: u32,
    /// Where "now" comes from.
    clock: Clock,
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`). For SQLite the
    /// file's directory is created and write-ahead logging is switched on, so readers
    /// never wait for the worker's writes.
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        Self::connect_sized(url, None).await
    }

    /// [`Store::connect`] with a pool of at most `max_connections`, or the default (16 on
    /// PostgreSQL, 8 on SQLite).
    pub async fn connect_sized(url: &str, max_connections: Option<u32>) -> Result<Self, DbErr> {
        let default = if url.starts_with("sqlite") { 8 } else { 16 };
        Self::connect_with_max(url, max_connections.unwrap_or(default)).await
    }

    /// [`Store::connect`] with a pool of at most `max_connections` (each process's pool
    /// counts against PostgreSQL's `max_connections`).
    pub async fn connect_with_max(url: &str, max_connections: u32) -> Result<Self, DbErr> {
        if let Some(path) = sqlite_path(url)
            && let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                DbErr::Custom(format!(
                    "cannot create the directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(max_connections.max(1))
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false)
            // Ping a pooled connection before handing it out only when it has been idle
            // for a while (a restarted server or a dropped link shows there); a busy
            // pool's connections were just used. Pinging on every acquire added a round
            // trip to each request (docs/benchmarks.md, the company list). The same rule
            // as HikariCP's `aliveBypassWindowMs` (500 ms).
            .test_before_acquire_if_idle_for(Duration::from_millis(500))
            // Row-level security: the pool's own connections act for every organization
            // (see `scope`).
            .map_sqlx_postgres_opts(|options| {
                options.options([(scope::ORGANIZATION_SETTING, scope::ALL_ORGANIZATIONS)])
            });
        let db = Database::connect(options).await?;
        if db.get_database_backend() == DbBackend::Sqlite {
            db.execute_unprepared("PRAGMA journal_mode = WAL").await?;
        }
        Ok(Self {
            db: Db::Pool(db.clone()),
            pool: db,
            report_retention: reports::DEFAULT_RETENTION,
            clock: Clock::system(),
        })
    }

    /// Keep this many versions (snapshots) of each report of a company (at least 1).
    pub fn with_report_retention(mut self, versions: u32) -> Self {
        self.report_retention = versions.max(1);
        self
    }

    /// Read the time from `clock` (tests: an adjustable one) instead of the system's.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The current time, as this store and the workers using it read it (at the
    /// precision both backends store: microseconds).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// The clock [`Store::now`] reads.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Applies every migration not applied yet.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        migrations::Migrator::up(&self.pool, None).await
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.pool.ping().await
    }

    pub fn backend(&self) -> DbBackend {
        self.pool.get_database_backend()
    }

    /// Where this store's statements go (the pool, or its organization's transaction),
    /// for statements of its own.
    pub fn connection(&self) -> &impl ConnectionTrait {
        &self.db
    }

    pub async fn close(self) -> Result<(), DbErr> {
        self.pool.close().await
    }
}

/// The file path in a `sqlite:` URL, if it names a file.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

#[cfg(test)]
mod tests {
    use super::sqlite_path;

    #[test]
    fn sqlite_paths_are_found_in_urls() {
        assert_eq!(
            sqlite_path("sqlite://data/spendlens.db?mode=rwc"),
            Some("data/spendlens.db")
        );
        assert_eq!(sqlite_path("sqlite:/tmp/x.db"), Some("/tmp/x.db"));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://localhost/x"), None);
    }
}
