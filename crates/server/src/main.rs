//! `spendlens`: one binary for the API server, the refresh workers and administration.

use std::{path::PathBuf, sync::Arc, time::Duration};

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use mail::{MailConfig, MailWorker, Transport};
use outbox::{OutboxConfig, OutboxWorker};
use providers::{HttpConfig, SandboxConfig};
use refresh::{Worker, WorkerConfig};
use server::{
    auth::AuthSettings,
    config,
    startup::{self, Application, Settings, Upstream},
};
use store::RateLimit;
use tracing_subscriber::EnvFilter;
use webhooks::SenderConfig;

/// mimalloc instead of the system allocator: a request allocates and frees many small
/// buffers (rows, JSON), and glibc's malloc took about 15 % of the server's CPU under
/// load (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "spendlens",
    version,
    about = "The Spendlens Relationship Manager Portal"
)]
struct Cli {
    /// A TOML file of settings (keys: the flags' names with underscores); flags and
    /// environment variables override it.
    #[arg(long, global = true, env = "SPENDLENS_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
    /// API keys: `api-key create --org SLUG --name NAME` (prints the key once).
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Configuration: `config check` validates the settings `serve` would start with.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Check every setting `spendlens serve` would use (flags, environment, the
    /// `--config` file, defaults), print them with where each came from (secrets
    /// masked), and check that the database answers. Exits non-zero on any problem.
    Check,
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organization and its first admin; prints the admin's one-time password.
    Create {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The organization's name, e.g. "Northern Bank".
        #[arg(long)]
        name: String,
        /// Its slug (default: from the name, e.g. `northern-bank`).
        #[arg(long)]
        slug: Option<String>,
        /// The first admin's email address.
        #[arg(long)]
        admin_email: String,
        /// The first admin's name (default: the part of the email before the `@`).
        #[arg(long)]
        admin_name: Option<String>,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create an API key for an organization; prints the key once.
    Create {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// What the key is for.
        #[arg(long)]
        name: String,
    },
}

#[derive(Args, Clone)]
struct DatabaseArgs {
    /// Database URL: `sqlite://PATH?mode=rwc` or `postgres://USER@HOST:PORT/DB`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/spendlens.db?mode=rwc",
        value_parser = config::parse_database_url
    )]
    database_url: String,
    /// The most database connections this process opens (default: 16 on PostgreSQL, 8
    /// on SQLite). Every `serve` and `worker` process counts against PostgreSQL's
    /// `max_connections`.
    #[arg(
        long,
        env = "SPENDLENS_DATABASE_MAX_CONNECTIONS",
        value_parser = clap::value_parser!(u32).range(1..=1000)
    )]
    database_max_connections: Option<u32>,
}

impl DatabaseArgs {
    async fn connect(&self) -> Result<store::Store, sea_orm::DbErr> {
        store::Store::connect_sized(&self.database_url, self.database_max_connections).await
    }
}

#[derive(Args, Clone)]
struct SandboxArgs {
    /// How long the sandbox platform takes per data type, in milliseconds.
    #[arg(long, env = "SPENDLENS_SANDBOX_LATENCY_MS", default_value_t = 1500)]
    sandbox_latency_ms: u64,
    /// Probability (0 to 1) that a sandbox fetch fails with a transient error.
    #[arg(long, env = "SPENDLENS_SANDBOX_FAILURE_RATE", default_value_t = 0.0, value_parser = parse_rate)]
    sandbox_failure_rate: f64,
}

#[derive(Args, Clone)]
struct WorkerArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    sandbox: SandboxArgs,
    /// Seconds a worker holds a job without a heartbeat before another may take it.
    #[arg(long, env = "SPENDLENS_LEASE_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(5..=3600))]
    lease_seconds: u64,
    /// How often an idle worker looks for work (on PostgreSQL, NOTIFY wakes it sooner).
    #[arg(long, env = "SPENDLENS_WORKER_POLL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(50..=600_000))]
    worker_poll_ms: u64,
    /// Jobs each worker process runs at once.
    #[arg(long, env = "SPENDLENS_WORKER_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1024))]
    worker_concurrency: u64,
    /// Versions (snapshots) kept of each report of a company; older ones are deleted.
    #[arg(long, env = "SPENDLENS_REPORT_SNAPSHOTS", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=1000))]
    report_snapshots: u32,
    /// The watchdog's limit on one refresh attempt, in seconds: past it the job is
    /// retried or failed even if its worker still holds the lease.
    #[arg(long, env = "SPENDLENS_REFRESH_DEADLINE_SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(10..=86_400))]
    refresh_deadline_seconds: u64,
    #[command(flatten)]
    mail: MailArgs,
    #[command(flatten)]
    http: HttpArgs,
    #[command(flatten)]
    webhooks: WebhookArgs,
}

#[derive(Args, Clone)]
struct WebhookArgs {
    /// Allow webhook endpoints on private, loopback and link-local addresses, and plain
    /// http (tests, closed networks). Off: only https URLs resolving to public addresses.
    #[arg(long, env = "SPENDLENS_WEBHOOKS_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    webhooks_allow_private: bool,
    /// Seconds before each attempt of a webhook delivery, comma-separated (the first
    /// is the first attempt): Standard Webhooks' schedule by default.
    #[arg(long, env = "SPENDLENS_WEBHOOK_RETRY_SCHEDULE", default_value = "0,5,300,1800,7200,18000,36000,36000", value_parser = parse_schedule)]
    webhook_retry_schedule: webhooks::RetrySchedule,
    /// Seconds a webhook receiver has to answer.
    #[arg(long, env = "SPENDLENS_WEBHOOK_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=60))]
    webhook_timeout_seconds: u64,
    /// Disable an endpoint after this many messages in a row failed every attempt.
    #[arg(long, env = "SPENDLENS_WEBHOOK_DISABLE_AFTER_FAILURES", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    webhook_disable_after_failures: u32,
    /// Disable an endpoint whose every attempt has failed for this many days.
    #[arg(long, env = "SPENDLENS_WEBHOOK_DISABLE_AFTER_DAYS", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=365))]
    webhook_disable_after_days: u32,
}

fn parse_schedule(text: &str) -> Result<webhooks::RetrySchedule, String> {
    text.parse()
}

#[derive(Args, Clone)]
struct HttpArgs {
    /// Base URL of an upstream accounting-data API (the `http` provider); unset, only the
    /// sandbox is offered.
    #[arg(long, env = "SPENDLENS_HTTP_BASE_URL", requires = "http_api_key", value_parser = config::parse_http_url)]
    http_base_url: Option<String>,
    /// The upstream API key (sent as `Authorization: Basic <key>`).
    #[arg(long, env = "SPENDLENS_HTTP_API_KEY", hide_env_values = true)]
    http_api_key: Option<String>,
    /// Requests in flight to the upstream at once, per process.
    #[arg(long, env = "SPENDLENS_HTTP_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=256))]
    http_concurrency: u64,
    /// Requests per second to the upstream across ALL processes (shared through the
    /// database); 0 = no limit.
    #[arg(long, env = "SPENDLENS_HTTP_RATE_PER_SECOND", default_value_t = 10.0, value_parser = parse_per_second)]
    http_rate_per_second: f64,
    /// Requests that may go at once after a quiet spell (the bucket's size); default:
    /// one second's worth.
    #[arg(long, env = "SPENDLENS_HTTP_BURST", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    http_burst: Option<u32>,
}

#[derive(Args, Clone)]
struct MailArgs {
    /// SMTP server in lettre's URL form (`smtp://user:pass@host:587?tls=required`,
    /// `smtps://host`); unset writes emails to the outbox directory instead.
    #[arg(long, env = "SPENDLENS_SMTP_URL")]
    smtp_url: Option<String>,
    /// Where emails are written when no SMTP server is configured.
    #[arg(long, env = "SPENDLENS_OUTBOX_DIR", default_value = "data/outbox")]
    outbox_dir: PathBuf,
    /// Base URL people reach this server at (printed at start; the base of links in
    /// emails). Default for `serve`: `http://` and the bind address.
    #[arg(long, env = "SPENDLENS_PUBLIC_URL", value_parser = config::parse_http_url)]
    public_url: Option<String>,
    /// The sender of emails.
    #[arg(
        long,
        env = "SPENDLENS_MAIL_FROM",
        default_value = "Spendlens <no-reply@spendlens.localhost>"
    )]
    mail_from: String,
}

#[derive(Args, Clone)]
struct ServeArgs {
    #[command(flatten)]
    worker: WorkerArgs,
    /// Address to listen on.
    #[arg(long, env = "SPENDLENS_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// Directory of the built web app (trunk's output).
    #[arg(long, env = "SPENDLENS_STATIC_DIR", default_value = "frontend/dist")]
    static_dir: PathBuf,
    /// Days an information request link works.
    #[arg(long, env = "SPENDLENS_LINK_TTL_DAYS", default_value_t = 14, value_parser = clap::value_parser!(u64).range(1..=365))]
    link_ttl_days: u64,
    /// The organization (by slug) this server acts for; created if missing.
    #[arg(long, env = "SPENDLENS_ORGANIZATION", default_value = "demo")]
    organization: String,
    /// Give a newly created organization demo users and sample companies.
    #[arg(long, env = "SPENDLENS_SAMPLE_DATA", default_value_t = true, action = clap::ArgAction::Set)]
    sample_data: bool,
    /// Serve the API only; run `spendlens worker` processes for refreshes.
    #[arg(long)]
    no_worker: bool,
    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "SPENDLENS_SESSION_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=1440))]
    session_idle_minutes: u64,
    /// Hours after sign-in after which a session ends, whatever the activity.
    #[arg(long, env = "SPENDLENS_SESSION_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=720))]
    session_hours: u64,
    /// Mark the session cookie `Secure` (default: when SPENDLENS_PUBLIC_URL is https).
    #[arg(long, env = "SPENDLENS_COOKIE_SECURE", action = clap::ArgAction::Set)]
    cookie_secure: Option<bool>,
    /// Requests a minute per user or API key, per server process.
    #[arg(long, env = "SPENDLENS_RATE_LIMIT_PER_MINUTE", default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    rate_limit_per_minute: u32,
    /// Sign-in attempts a minute per email address (all servers together).
    #[arg(long, env = "SPENDLENS_SIGN_IN_ATTEMPTS_PER_MINUTE", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    sign_in_attempts_per_minute: u32,
    /// The password of the demo organization's users, set when the sample data is made.
    #[arg(
        long,
        env = "SPENDLENS_DEMO_PASSWORD",
        default_value = "spendlens-demo",
        hide_env_values = true
    )]
    demo_password: String,
    /// The freshness rule: data older than this many days is flagged `stale` in the API.
    #[arg(long, env = "SPENDLENS_STALE_AFTER_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3650))]
    stale_after_days: u64,
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
    fn sandbox(&self) -> SandboxConfig {
        SandboxConfig {
            latency: Duration::from_millis(self.sandbox.sandbox_latency_ms),
            failure_rate: self.sandbox.sandbox_failure_rate,
        }
    }

    fn http(&self) -> Option<Upstream> {
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

    fn outbox(&self) -> OutboxConfig {
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
            mail_from: self.mail.mail_from.clone(),
            public_url: self.mail.public_url.clone(),
            ..OutboxConfig::default()
        }
    }

    fn worker(&self) -> WorkerConfig {
        WorkerConfig {
            lease: Duration::from_secs(self.lease_seconds),
            concurrency: usize::try_from(self.worker_concurrency).unwrap_or(8),
            poll_interval: Duration::from_millis(self.worker_poll_ms),
            deadline: Duration::from_secs(self.refresh_deadline_seconds),
            ..WorkerConfig::default()
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,actix_server=warn"));
    // One JSON object per line for log collectors; readable text by default.
    match std::env::var("SPENDLENS_LOG_FORMAT").as_deref() {
        Ok("json") => tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
        Ok("text") | Err(_) => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
        Ok(other) => {
            eprintln!("SPENDLENS_LOG_FORMAT must be `text` or `json`, not {other:?}");
            std::process::exit(2);
        }
    }
    let args: Vec<String> = std::env::args().collect();
    let file = match config::file_path(&args) {
        Some(path) => config::read_file(&path).unwrap_or_else(|e| config_error(&e)),
        None => config::FileValues::default(),
    };
    let command = config::apply(Cli::command(), &file).unwrap_or_else(|e| config_error(&e));
    let matches = command.clone().get_matches_from(&args);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match cli.command {
        Command::Config(ConfigCommand::Check) => config_check(command, &file).await,
        Command::Serve(args) => serve(args).await,
        Command::Worker(args) => worker(args).await,
        Command::Migrate(args) => {
            let store = args.connect().await?;
            store.migrate().await?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::Openapi => {
            print!("{}", server::openapi::pretty_json());
            Ok(())
        }
        Command::Org(OrgCommand::Create {
            database,
            name,
            slug,
            admin_email,
            admin_name,
        }) => org_create(database, name, slug, admin_email, admin_name).await,
        Command::ApiKey(ApiKeyCommand::Create {
            database,
            org,
            name,
        }) => api_key_create(database, org, name).await,
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let url = args
        .worker
        .mail
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.bind.replace("0.0.0.0", "127.0.0.1")));
    let mail = &args.worker.mail;
    let settings = Settings {
        public_url: url.clone(),
        smtp_url: mail.smtp_url.clone(),
        outbox_dir: mail.outbox_dir.clone(),
        mail_from: mail.mail_from.clone(),
        link_ttl: chrono::Duration::days(i64::try_from(args.link_ttl_days).unwrap_or(14)),
        mail: MailConfig::default(),
        database_url: args.worker.database.database_url.clone(),
        database_max_connections: args.worker.database.database_max_connections,
        bind: args.bind.clone(),
        static_dir: args.static_dir.clone(),
        run_worker: !args.no_worker,
        organization: args.organization.clone(),
        sample_data: args.sample_data,
        sandbox: args.worker.sandbox(),
        http: args.worker.http(),
        worker: args.worker.worker(),
        stale_after: chrono::Duration::days(i64::try_from(args.stale_after_days).unwrap_or(30)),
        auth: AuthSettings {
            idle: chrono::Duration::minutes(i64::try_from(args.session_idle_minutes).unwrap_or(30)),
            absolute: chrono::Duration::hours(i64::try_from(args.session_hours).unwrap_or(12)),
            secure_cookies: args.cookie_secure.unwrap_or(url.starts_with("https://")),
            requests_per_minute: args.rate_limit_per_minute,
            sign_ins_per_minute: args.sign_in_attempts_per_minute,
        },
        demo_password: args.demo_password.clone(),
        report_snapshots: args.worker.report_snapshots,
        outbox: args.worker.outbox(),
    };
    if let Some(problem) = domain::password_problem(&args.demo_password) {
        anyhow::bail!("SPENDLENS_DEMO_PASSWORD {problem}");
    }
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "listening");
    eprintln!("\n  Spendlens is running at {url}\n  API docs: {url}/api/docs/");
    if args.sample_data && args.organization == "demo" {
        eprintln!(
            "  Sign in as admin@demobank.example (admin) or alex.morgan@demobank.example \
             (relationship manager)\n  with the demo password: {}\n",
            args.demo_password
        );
    } else {
        eprintln!();
    }
    app.run_until_stopped().await
}

fn config_error(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2);
}

/// `spendlens config check`: what `serve` would start with, or every problem with it.
async fn config_check(command: clap::Command, file: &config::FileValues) -> anyhow::Result<()> {
    let matches = match command.clone().try_get_matches_from(["spendlens", "serve"]) {
        Ok(matches) => matches,
        Err(err) => err.exit(),
    };
    let serve_matches = matches
        .subcommand_matches("serve")
        .expect("serve was asked for");
    let serve_command = command
        .find_subcommand("serve")
        .expect("serve is a subcommand");
    let args = ServeArgs::from_arg_matches(serve_matches).unwrap_or_else(|e| e.exit());
    match &file.path {
        Some(path) => println!("Configuration file: {}", path.display()),
        None => println!(
            "Configuration file: none (--config PATH or {})",
            config::CONFIG_ENV
        ),
    }
    for line in config::describe(serve_command, serve_matches, file) {
        println!("  {line}");
    }
    if let Some(problem) = domain::password_problem(&args.demo_password) {
        anyhow::bail!("demo_password (SPENDLENS_DEMO_PASSWORD) {problem}");
    }
    let url = &args.worker.database.database_url;
    let connected = tokio::time::timeout(Duration::from_secs(5), async {
        let store = store::Store::connect(url).await?;
        store.ping().await?;
        Ok::<_, anyhow::Error>(store.backend())
    })
    .await;
    match connected {
        Ok(Ok(backend)) => println!("Database: answers ({backend:?})."),
        Ok(Err(err)) => anyhow::bail!(
            "the database does not answer at {}: {err:#}",
            config::describe_url(url)
        ),
        Err(_) => anyhow::bail!(
            "the database does not answer (nothing within 5 seconds at {})",
            config::describe_url(url)
        ),
    }
    println!("The configuration is valid.");
    Ok(())
}

/// `Northern Bank` → `northern-bank`.
fn slug_of(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

async fn org_create(
    database: DatabaseArgs,
    name: String,
    slug: Option<String>,
    admin_email: String,
    admin_name: Option<String>,
) -> anyhow::Result<()> {
    let slug = slug.unwrap_or_else(|| slug_of(&name));
    if slug.is_empty() || slug.len() > 64 {
        anyhow::bail!("give --slug: 1 to 64 letters, digits and dashes");
    }
    let email = domain::EmailAddress::parse(&admin_email)
        .map_err(|e| anyhow::anyhow!("--admin-email {e}"))?;
    let admin_name = admin_name.unwrap_or_else(|| {
        email
            .as_str()
            .split('@')
            .next()
            .unwrap_or("Admin")
            .to_owned()
    });
    let store = database.connect().await?;
    store.migrate().await?;
    if store.organization_by_slug(&slug).await?.is_some() {
        anyhow::bail!("an organization with the slug {slug:?} already exists");
    }
    let organization = store.create_organization(&slug, name.trim()).await?;
    let org_id = domain::OrganizationId::from_uuid(organization.id);
    let admin = store
        .create_user(org_id, &email, &admin_name, domain::Role::Admin.as_str())
        .await?;
    let password = server::secrets::new_token();
    store
        .set_password(
            domain::UserId::from_uuid(admin.id),
            &server::secrets::hash_password(password.clone()).await?,
        )
        .await?;
    store
        .record_audit(store::AuditRecord {
            organization: org_id,
            actor: store::AuditActor::System,
            action: "organization.created",
            company: None,
            target: Some(admin.email.clone()),
            ip: None,
            detail: Some(serde_json::json!({ "slug": slug, "via": "cli" })),
        })
        .await?;
    println!("Created the organization {name:?} (slug {slug}).");
    println!(
        "Its first admin signs in as {} with this one-time password:",
        admin.email
    );
    println!();
    println!("  {password}");
    println!();
    println!("Change it after signing in (Forgot password sends a reset link).");
    Ok(())
}

async fn api_key_create(database: DatabaseArgs, org: String, name: String) -> anyhow::Result<()> {
    let name = domain::ContactName::parse(&name).map_err(|e| anyhow::anyhow!("--name {e}"))?;
    let store = database.connect().await?;
    store.migrate().await?;
    let organization = store
        .organization_by_slug(&org)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no organization with the slug {org:?}"))?;
    let org_id = domain::OrganizationId::from_uuid(organization.id);
    let (key, prefix) = server::secrets::new_api_key();
    let stored = store
        .create_api_key(
            org_id,
            name.as_ref(),
            &prefix,
            &server::secrets::token_hash(&key),
            None,
        )
        .await?;
    store
        .record_audit(store::AuditRecord {
            organization: org_id,
            actor: store::AuditActor::System,
            action: "api_key.created",
            company: None,
            target: Some(stored.name.clone()),
            ip: None,
            detail: Some(serde_json::json!({ "api_key_id": stored.id, "prefix": stored.prefix, "via": "cli" })),
        })
        .await?;
    // The key alone on stdout, so scripts can capture it; the rest on stderr.
    eprintln!(
        "API key {:?} for {} (shown once; send it as `Authorization: Bearer <key>`):",
        stored.name, organization.slug
    );
    println!("{key}");
    Ok(())
}

async fn worker(args: WorkerArgs) -> anyhow::Result<()> {
    let store = args
        .database
        .connect()
        .await?
        .with_report_retention(args.report_snapshots);
    store.migrate().await?;
    let transport =
        Transport::from_config(args.mail.smtp_url.as_deref(), args.mail.outbox_dir.clone())?;
    let mail = Arc::new(MailWorker::new(
        store.clone(),
        transport,
        MailConfig::default(),
    ));
    let outbox =
        Arc::new(OutboxWorker::new(store.clone(), args.outbox())?.with_mail_waker(mail.waker()));
    let providers = startup::providers(&store, args.sandbox(), args.http().as_ref())?;
    let worker = Arc::new(Worker::new(store, providers, args.worker()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let refreshing = tokio::spawn(worker.run(stopped.clone(), Duration::from_secs(20)));
    let mailing = tokio::spawn(mail.run(stopped.clone()));
    let sending = tokio::spawn(outbox.run(stopped));
    shutdown_signal().await;
    tracing::info!("shutting down: finishing running jobs");
    let _ = stop.send(true);
    refreshing.await?;
    mailing.await?;
    sending.await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("can listen for SIGTERM");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
