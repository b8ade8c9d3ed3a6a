//! The command line: every command's flags (with their environment variables, defaults
//! and checks) and how they map to the settings of `serve` and `worker`. `config.rs`
//! layers the configuration file under them.

use std::{path::PathBuf, time::Duration};

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use connections::{OAuthPlatform, PlatformSettings};
use mail::MailConfig;
use outbox::OutboxConfig;
use providers::{HttpConfig, SandboxConfig};
use refresh::WorkerConfig;
use server::{
    config::{self, AuthSettings},
    startup::{ConnectionSettings, Settings, Upstream},
    workers::WorkerSettings,
};
use store::RateLimit;
use webhooks::SenderConfig;

#[derive(Parser)]
#[command(
    name = "spendlens",
    version,
    about = "The Spendlens Relationship Manager Portal"
)]
pub struct Cli {
    /// A TOML file of settings (keys: the flags' names with underscores); flags and
    /// environment variables override it.
    #[arg(long, global = true, env = "SPENDLENS_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the API and the web app, with an in-process refresh worker.
    Serve(ServeArgs),
    /// Run workers only: refreshes, emails, webhooks and notifications (scale out next to
    /// `serve --no-worker` replicas).
    Worker(WorkerArgs),
    /// Apply database migrations and exit.
    Migrate(DatabaseArgs),
    /// Print the OpenAPI document.
    Openapi,
    /// Organizations: `org create --name NAME --admin-email E`.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Users: `user reset-password --email E` (prints a one-time password).
    #[command(subcommand)]
    User(UserCommand),
    /// API keys: `api-key create --org SLUG --name NAME` (prints the key once).
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Encryption keys: `keys rotate` seals every stored token again under the first
    /// key of `SPENDLENS_ENCRYPTION_KEY`.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Configuration: `config check` validates the settings `serve` would start with.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Re-encrypt every stored token with the active (first) key; afterwards the older
    /// keys can be removed from `SPENDLENS_ENCRYPTION_KEY`.
    Rotate(KeysRotateArgs),
}

#[derive(Args)]
pub struct KeysRotateArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub oauth: OAuthArgs,
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Check every setting `spendlens serve` would use (flags, environment, the
    /// `--config` file, defaults), print them with where each came from (secrets
    /// masked), and check that the database answers. Exits non-zero on any problem.
    Check,
}

#[derive(Subcommand)]
pub enum OrgCommand {
    /// Create an organization and its first admin; prints the admin's one-time password.
    Create(OrgCreateArgs),
}

#[derive(Args)]
pub struct OrgCreateArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The organization's name, e.g. "Northern Bank".
    #[arg(long)]
    pub name: String,
    /// Its slug (default: from the name, e.g. `northern-bank`).
    #[arg(long)]
    pub slug: Option<String>,
    /// The first admin's email address.
    #[arg(long)]
    pub admin_email: String,
    /// The first admin's name (default: the part of the email before the `@`).
    #[arg(long)]
    pub admin_name: Option<String>,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Give the active users with this email address (in every organization, or in
    /// `--org`) a new random password, printed once; their sessions go on until they end.
    ResetPassword(UserResetPasswordArgs),
}

#[derive(Args)]
pub struct UserResetPasswordArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The user's email address.
    #[arg(long)]
    pub email: String,
    /// Only the user of this organization (slug).
    #[arg(long)]
    pub org: Option<String>,
}

#[derive(Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key for an organization; prints the key once.
    Create(ApiKeyCreateArgs),
}

#[derive(Args)]
pub struct ApiKeyCreateArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The organization's slug.
    #[arg(long)]
    pub org: String,
    /// What the key is for.
    #[arg(long)]
    pub name: String,
}

#[derive(Args, Clone)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://PATH?mode=rwc` or `postgres://USER@HOST:PORT/DB`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/spendlens.db?mode=rwc",
        value_parser = config::parse_database_url
    )]
    pub database_url: String,
    /// The most database connections this process opens (default: 16 on PostgreSQL, 8
    /// on SQLite). Every `serve` and `worker` process counts against PostgreSQL's
    /// `max_connections`.
    #[arg(
        long,
        env = "SPENDLENS_DATABASE_MAX_CONNECTIONS",
        value_parser = clap::value_parser!(u32).range(1..=1000)
    )]
    pub database_max_connections: Option<u32>,
}

impl DatabaseArgs {
    pub async fn connect(&self) -> Result<store::Store, sea_orm::DbErr> {
        store::Store::connect_sized(&self.database_url, self.database_max_connections).await
    }
}

#[derive(Args, Clone)]
pub struct SandboxArgs {
    /// How long the sandbox platform takes per data type, in milliseconds.
    #[arg(long, env = "SPENDLENS_SANDBOX_LATENCY_MS", default_value_t = 1500)]
    pub sandbox_latency_ms: u64,
    /// Probability (0 to 1) that a sandbox fetch fails with a transient error.
    #[arg(long, env = "SPENDLENS_SANDBOX_FAILURE_RATE", default_value_t = 0.0, value_parser = parse_rate)]
    pub sandbox_failure_rate: f64,
}

#[derive(Args, Clone)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    /// Seconds a worker holds a job without a heartbeat before another may take it.
    #[arg(long, env = "SPENDLENS_LEASE_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(5..=3600))]
    pub lease_seconds: u64,
    /// How often an idle worker looks for work (on PostgreSQL, NOTIFY wakes it sooner).
    #[arg(long, env = "SPENDLENS_WORKER_POLL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(50..=600_000))]
    pub worker_poll_ms: u64,
    /// Jobs each worker process runs at once.
    #[arg(long, env = "SPENDLENS_WORKER_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub worker_concurrency: u64,
    /// Versions (snapshots) kept of each report of a company; older ones are deleted.
    #[arg(long, env = "SPENDLENS_REPORT_SNAPSHOTS", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub report_snapshots: u32,
    /// The watchdog's limit on one refresh attempt, in seconds: past it the job is
    /// retried or failed even if its worker still holds the lease.
    #[arg(long, env = "SPENDLENS_REFRESH_DEADLINE_SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(10..=86_400))]
    pub refresh_deadline_seconds: u64,
    #[command(flatten)]
    pub mail: MailArgs,
    #[command(flatten)]
    pub http: HttpArgs,
    #[command(flatten)]
    pub oauth: OAuthArgs,
    #[command(flatten)]
    pub webhooks: WebhookArgs,
}

/// The OAuth platforms (docs/connectors.md). A platform is offered once its client id
/// and secret are set; its URLs default to the real service and are how tests point at
/// fakes.
#[derive(Args, Clone)]
pub struct OAuthArgs {
    /// The Xero app's client id (developer.xero.com → My Apps).
    #[arg(
        long,
        env = "SPENDLENS_XERO_CLIENT_ID",
        requires = "xero_client_secret"
    )]
    pub xero_client_id: Option<String>,
    /// The Xero app's client secret.
    #[arg(long, env = "SPENDLENS_XERO_CLIENT_SECRET", hide_env_values = true)]
    pub xero_client_secret: Option<String>,
    #[arg(long, env = "SPENDLENS_XERO_AUTHORIZE_URL", default_value = "https://login.xero.com/identity/connect/authorize", value_parser = config::parse_http_url)]
    pub xero_authorize_url: String,
    #[arg(long, env = "SPENDLENS_XERO_TOKEN_URL", default_value = "https://identity.xero.com/connect/token", value_parser = config::parse_http_url)]
    pub xero_token_url: String,
    /// Xero's API: `/connections` and `/api.xro/2.0/…` under it.
    #[arg(long, env = "SPENDLENS_XERO_API_URL", default_value = "https://api.xero.com", value_parser = config::parse_http_url)]
    pub xero_api_url: String,
    /// The QuickBooks Online app's client id (developer.intuit.com → Keys & credentials).
    #[arg(
        long,
        env = "SPENDLENS_QUICKBOOKS_CLIENT_ID",
        requires = "quickbooks_client_secret"
    )]
    pub quickbooks_client_id: Option<String>,
    /// The QuickBooks Online app's client secret.
    #[arg(
        long,
        env = "SPENDLENS_QUICKBOOKS_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub quickbooks_client_secret: Option<String>,
    #[arg(long, env = "SPENDLENS_QUICKBOOKS_AUTHORIZE_URL", default_value = "https://appcenter.intuit.com/connect/oauth2", value_parser = config::parse_http_url)]
    pub quickbooks_authorize_url: String,
    #[arg(long, env = "SPENDLENS_QUICKBOOKS_TOKEN_URL", default_value = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer", value_parser = config::parse_http_url)]
    pub quickbooks_token_url: String,
    /// QuickBooks's API: `/v3/company/{realmId}/…` under it.
    #[arg(long, env = "SPENDLENS_QUICKBOOKS_API_URL", default_value = "https://quickbooks.api.intuit.com", value_parser = config::parse_http_url)]
    pub quickbooks_api_url: String,
    /// The key the platforms' tokens are encrypted with: 32 bytes in base64 (older keys
    /// may follow, comma-separated, until `spendlens keys rotate` has run). Unset: the
    /// embedded default keeps one in `data/encryption.key`; elsewhere an OAuth platform
    /// refuses to start without it.
    #[arg(long, env = "SPENDLENS_ENCRYPTION_KEY", hide_env_values = true)]
    pub encryption_key: Option<String>,
}

impl OAuthArgs {
    /// The configured platforms; `public_url` is where they send customers back to.
    pub fn platforms(&self, public_url: &str) -> Vec<PlatformSettings> {
        let base = public_url.trim_end_matches('/');
        let mut platforms = Vec::new();
        let mut add = |platform: OAuthPlatform,
                       id: &Option<String>,
                       secret: &Option<String>,
                       authorize: &str,
                       token: &str,
                       api: &str| {
            if let (Some(id), Some(secret)) = (id, secret) {
                platforms.push(PlatformSettings {
                    platform,
                    client_id: id.clone(),
                    client_secret: secret.clone(),
                    authorize_url: authorize.to_owned(),
                    token_url: token.to_owned(),
                    api_url: api.to_owned(),
                    redirect_url: format!("{base}/api/v1/oauth/{}/callback", platform.id()),
                });
            }
        };
        add(
            OAuthPlatform::Xero,
            &self.xero_client_id,
            &self.xero_client_secret,
            &self.xero_authorize_url,
            &self.xero_token_url,
            &self.xero_api_url,
        );
        add(
            OAuthPlatform::QuickBooks,
            &self.quickbooks_client_id,
            &self.quickbooks_client_secret,
            &self.quickbooks_authorize_url,
            &self.quickbooks_token_url,
            &self.quickbooks_api_url,
        );
        platforms
    }

    pub fn connections(&self, public_url: &str, database_url: &str) -> ConnectionSettings {
        ConnectionSettings {
            platforms: self.platforms(public_url),
            encryption_key: self.encryption_key.clone(),
            // Only an embedded SQLite database keeps its key beside it.
            key_file: database_url
                .starts_with("sqlite:")
                .then(|| PathBuf::from("data/encryption.key")),
        }
    }
}

#[derive(Args, Clone)]
pub struct WebhookArgs {
    /// Allow webhook endpoints on private, loopback and link-local addresses, and plain
    /// http (tests, closed networks). Off: only https URLs resolving to public addresses.
    #[arg(long, env = "SPENDLENS_WEBHOOKS_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhooks_allow_private: bool,
    /// Seconds before each attempt of a webhook delivery, comma-separated (the first
    /// is the first attempt): Standard Webhooks' schedule by default.
    #[arg(long, env = "SPENDLENS_WEBHOOK_RETRY_SCHEDULE", default_value = "0,5,300,1800,7200,18000,36000,36000", value_parser = parse_schedule)]
    pub webhook_retry_schedule: webhooks::RetrySchedule,
    /// Seconds a webhook receiver has to answer.
    #[arg(long, env = "SPENDLENS_WEBHOOK_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub webhook_timeout_seconds: u64,
    /// Disable an endpoint after this many messages in a row failed every attempt.
    #[arg(long, env = "SPENDLENS_WEBHOOK_DISABLE_AFTER_FAILURES", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub webhook_disable_after_failures: u32,
    /// Disable an endpoint whose every attempt has failed for this many days.
    #[arg(long, env = "SPENDLENS_WEBHOOK_DISABLE_AFTER_DAYS", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=365))]
    pub webhook_disable_after_days: u32,
}

fn parse_schedule(text: &str) -> Result<webhooks::RetrySchedule, String> {
    text.parse()
}

#[derive(Args, Clone)]
pub struct HttpArgs {
    /// Base URL of an upstream accounting-data API (the `http` provider); unset, only the
    /// sandbox is offered.
    #[arg(long, env = "SPENDLENS_HTTP_BASE_URL", requires = "http_api_key", value_parser = config::parse_http_url)]
    pub http_base_url: Option<String>,
    /// The upstream API key (sent as `Authorization: Basic <key>`).
    #[arg(long, env = "SPENDLENS_HTTP_API_KEY", hide_env_values = true)]
    pub http_api_key: Option<String>,
    /// Requests in flight to the upstream at once, per process.
    #[arg(long, env = "SPENDLENS_HTTP_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub http_concurrency: u64,
    /// Requests per second to the upstream across ALL processes (shared through the
    /// database); 0 = no limit.
    #[arg(long, env = "SPENDLENS_HTTP_RATE_PER_SECOND", default_value_t = 10.0, value_parser = parse_per_second)]
    pub http_rate_per_second: f64,
    /// Requests that may go at once after a quiet spell (the bucket's size); default:
    /// one second's worth.
    #[arg(long, env = "SPENDLENS_HTTP_BURST", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub http_burst: Option<u32>,
}

#[derive(Args, Clone)]
pub struct MailArgs {
    /// SMTP server in lettre's URL form (`smtp://user:pass@host:587?tls=required`,
    /// `smtps://host`); unset writes emails to the outbox directory instead.
    #[arg(long, env = "SPENDLENS_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Where emails are written when no SMTP server is configured.
    #[arg(long, env = "SPENDLENS_OUTBOX_DIR", default_value = "data/outbox")]
    pub outbox_dir: PathBuf,
    /// Base URL people reach this server at (printed at start; the base of links in
    /// emails). Default for `serve`: `http://` and the bind address.
    #[arg(long, env = "SPENDLENS_PUBLIC_URL", value_parser = config::parse_http_url)]
    pub public_url: Option<String>,
    /// The sender of emails.
    #[arg(
        long,
        env = "SPENDLENS_MAIL_FROM",
        default_value = "Spendlens <no-reply@spendlens.localhost>"
    )]
    pub mail_from: String,
}

#[derive(Args, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub worker: WorkerArgs,
    /// Address to listen on.
    #[arg(long, env = "SPENDLENS_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Directory of the built web app (`cargo run -p web-build` writes it).
    #[arg(long, env = "SPENDLENS_STATIC_DIR", default_value = "frontend/dist")]
    pub static_dir: PathBuf,
    /// Days an information request link works.
    #[arg(long, env = "SPENDLENS_LINK_TTL_DAYS", default_value_t = 14, value_parser = clap::value_parser!(u64).range(1..=365))]
    pub link_ttl_days: u64,
    /// An organization (by slug) created at start if missing (default in demo mode:
    /// `demo`; otherwise none: use `spendlens org create`).
    #[arg(long, env = "SPENDLENS_ORGANIZATION")]
    pub organization: Option<String>,
    /// In demo mode, give a newly created organization demo users and sample companies.
    #[arg(long, env = "SPENDLENS_SAMPLE_DATA", default_value_t = true, action = clap::ArgAction::Set)]
    pub sample_data: bool,
    /// Demo mode: the demo organization, its sample data and demo password. Default: on
    /// for the embedded default (SQLite, a loopback bind address, an `http` public URL),
    /// off otherwise. Allowed on a loopback bind address only.
    #[arg(long, env = "SPENDLENS_DEMO", num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub demo: Option<bool>,
    /// Serve the API only; run `spendlens worker` processes for refreshes.
    #[arg(long)]
    pub no_worker: bool,
    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "SPENDLENS_SESSION_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=1440))]
    pub session_idle_minutes: u64,
    /// Hours after sign-in after which a session ends, whatever the activity.
    #[arg(long, env = "SPENDLENS_SESSION_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=720))]
    pub session_hours: u64,
    /// Mark the session cookie `Secure` (default: when SPENDLENS_PUBLIC_URL is https).
    #[arg(long, env = "SPENDLENS_COOKIE_SECURE", action = clap::ArgAction::Set)]
    pub cookie_secure: Option<bool>,
    /// Requests a minute per user or API key, per server process.
    #[arg(long, env = "SPENDLENS_RATE_LIMIT_PER_MINUTE", default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate_limit_per_minute: u32,
    /// Sign-in attempts a minute per email address from one client address (all servers
    /// together).
    #[arg(long, env = "SPENDLENS_SIGN_IN_ATTEMPTS_PER_MINUTE", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub sign_in_attempts_per_minute: u32,
    /// Sign-in attempts a minute from one client address, whatever the email addresses
    /// (all servers together).
    #[arg(long, env = "SPENDLENS_SIGN_IN_ATTEMPTS_PER_ADDRESS_PER_MINUTE", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub sign_in_attempts_per_address_per_minute: u32,
    /// Report downloads and audit log exports made at once, per server process; past
    /// it, 429 with `Retry-After`. Default: twice the processor count, at least 4.
    #[arg(long, env = "SPENDLENS_DOWNLOAD_CONCURRENCY", default_value_t = server::downloads::default_concurrency(), value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub download_concurrency: u32,
    /// The password of the demo organization's users, set when the sample data is made.
    #[arg(
        long,
        env = "SPENDLENS_DEMO_PASSWORD",
        default_value = "spendlens-demo",
        hide_env_values = true
    )]
    pub demo_password: String,
    /// The most refreshes an organization may have waiting (queued) at once; a bulk
    /// refresh that would pass it is refused with 429, so one organization cannot fill
    /// the queue.
    #[arg(long, env = "SPENDLENS_MAX_QUEUED_REFRESHES", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub max_queued_refreshes: u64,
    /// The freshness rule: data older than this many days is flagged `stale` in the API.
    #[arg(long, env = "SPENDLENS_STALE_AFTER_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub stale_after_days: u64,
    /// When set, `/metrics` answers only requests with `Authorization: Bearer <token>`.
    #[arg(long, env = "SPENDLENS_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

fn parse_per_second(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if rate.is_finite() && (0.0..=100_000.0).contains(&rate) {
        Ok(rate)
    } else {
        Err("must be between 0 and 100000".to_owned())
    }
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err("must be between 0 and 1".to_owned())
    }
}

impl WorkerArgs {
    pub fn sandbox(&self) -> SandboxConfig {
        SandboxConfig {
            latency: Duration::from_millis(self.sandbox.sandbox_latency_ms),
            failure_rate: self.sandbox.sandbox_failure_rate,
        }
    }

    pub fn http(&self) -> Option<Upstream> {
        let base = self.http.http_base_url.clone()?;
        let key = self.http.http_api_key.clone()?;
        let rate = self.http.http_rate_per_second;
        Some(Upstream {
            config: HttpConfig {
                concurrency: usize::try_from(self.http.http_concurrency).unwrap_or(4),
                ..HttpConfig::new(base, key)
            },
            rate_limit: (rate > 0.0).then(|| RateLimit {
                rate,
                burst: self.http.http_burst.map_or(rate.max(1.0), f64::from),
            }),
        })
    }

    /// Webhooks and notifications, but for `mail_from` and `public_url`, which each
    /// command sets (`serve` defaults the URL to its bind address).
    pub fn outbox(&self) -> OutboxConfig {
        let webhooks = &self.webhooks;
        OutboxConfig {
            schedule: webhooks.webhook_retry_schedule.clone(),
            sender: SenderConfig {
                timeout: Duration::from_secs(webhooks.webhook_timeout_seconds),
                allow_private: webhooks.webhooks_allow_private,
                ..SenderConfig::default()
            },
            disable: store::DisablePolicy {
                failed_deliveries: webhooks.webhook_disable_after_failures,
                failing_for: chrono::Duration::days(i64::from(webhooks.webhook_disable_after_days)),
            },
            poll_interval: Duration::from_millis(self.worker_poll_ms),
            lease: Duration::from_secs(self.lease_seconds),
            ..OutboxConfig::default()
        }
    }

    pub fn worker(&self) -> WorkerConfig {
        WorkerConfig {
            lease: Duration::from_secs(self.lease_seconds),
            concurrency: usize::try_from(self.worker_concurrency).unwrap_or(8),
            poll_interval: Duration::from_millis(self.worker_poll_ms),
            deadline: Duration::from_secs(self.refresh_deadline_seconds),
            ..WorkerConfig::default()
        }
    }

    /// The workers of `spendlens worker`: notification emails link to the portal only if
    /// `--public-url` is given (the worker cannot know the server's address).
    pub fn workers(&self) -> WorkerSettings {
        WorkerSettings {
            refresh: self.worker(),
            mail: MailConfig::default(),
            outbox: OutboxConfig {
                mail_from: self.mail.mail_from.clone(),
                public_url: self.mail.public_url.clone(),
                ..self.outbox()
            },
        }
    }
}

impl ServeArgs {
    /// `serve`'s settings; the public URL defaults to `http://` and the bind address.
    pub fn settings(&self) -> Settings {
        let url = self.public_url();
        let demo = self.demo();
        let worker = &self.worker;
        let mail = &worker.mail;
        Settings {
            public_url: url.clone(),
            smtp_url: mail.smtp_url.clone(),
            outbox_dir: mail.outbox_dir.clone(),
            mail_from: mail.mail_from.clone(),
            link_ttl: chrono::Duration::days(i64::try_from(self.link_ttl_days).unwrap_or(14)),
            mail: MailConfig::default(),
            database_url: worker.database.database_url.clone(),
            database_max_connections: worker.database.database_max_connections,
            bind: self.bind.clone(),
            static_dir: self.static_dir.clone(),
            run_worker: !self.no_worker,
            organization: self
                .organization
                .clone()
                .or_else(|| demo.then(|| "demo".to_owned())),
            sample_data: self.sample_data,
            demo,
            log_outbox_links: self.embedded_default(),
            sandbox: worker.sandbox(),
            http: worker.http(),
            connections: worker
                .oauth
                .connections(&url, &worker.database.database_url),
            worker: worker.worker(),
            stale_after: chrono::Duration::days(i64::try_from(self.stale_after_days).unwrap_or(30)),
            max_queued_refreshes: self.max_queued_refreshes,
            auth: AuthSettings {
                idle: chrono::Duration::minutes(
                    i64::try_from(self.session_idle_minutes).unwrap_or(30),
                ),
                absolute: chrono::Duration::hours(i64::try_from(self.session_hours).unwrap_or(12)),
                secure_cookies: self.cookie_secure.unwrap_or(url.starts_with("https://")),
                requests_per_minute: self.rate_limit_per_minute,
                sign_ins_per_minute: self.sign_in_attempts_per_minute,
                sign_ins_per_address_per_minute: self.sign_in_attempts_per_address_per_minute,
            },
            demo_password: self.demo_password.clone(),
            report_snapshots: worker.report_snapshots,
            outbox: worker.outbox(),
            metrics_token: self.metrics_token.clone(),
            download_concurrency: self.download_concurrency,
            download_gate: None,
        }
    }

    /// Whether the bind address is a loopback one: only this machine can connect.
    pub fn loopback(&self) -> bool {
        match self.bind.parse::<std::net::SocketAddr>() {
            Ok(address) => address.ip().is_loopback(),
            Err(_) => self.bind.rsplit_once(':').map(|(host, _)| host) == Some("localhost"),
        }
    }

    /// The embedded default: SQLite, a loopback bind address and a plain `http` URL.
    pub fn embedded_default(&self) -> bool {
        self.loopback()
            && self.worker.database.database_url.starts_with("sqlite:")
            && !self.public_url().starts_with("https://")
    }

    /// Demo mode: `--demo` (on loopback only: `serve` refuses it elsewhere), else the
    /// embedded default.
    pub fn demo(&self) -> bool {
        self.loopback() && self.demo.unwrap_or_else(|| self.embedded_default())
    }

    /// Where people reach the portal: `--public-url`, else `http://` and the bind address.
    pub fn public_url(&self) -> String {
        self.worker
            .mail
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind.replace("0.0.0.0", "127.0.0.1")))
    }
}

/// The command line as parsed, and what `config check` needs to describe it: the
/// command with the configuration file's values as defaults, and the file.
pub struct Invocation {
    pub cli: Cli,
    pub command: clap::Command,
    pub file: config::FileValues,
}

/// Parses the arguments over the configuration file's values; exits with clap's
/// message (or status 2 for a bad file) when they are wrong.
pub fn parse() -> Invocation {
    let args: Vec<String> = std::env::args().collect();
    let file = match config::file_path(&args) {
        Some(path) => config::read_file(&path).unwrap_or_else(|e| config_error(&e)),
        None => config::FileValues::default(),
    };
    let command = config::apply(Cli::command(), &file).unwrap_or_else(|e| config_error(&e));
    let matches = command.clone().get_matches_from(&args);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    Invocation { cli, command, file }
}

fn config_error(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2);
}
