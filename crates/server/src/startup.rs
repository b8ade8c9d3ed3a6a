//! Building and running the server: database, organization, in-process workers, HTTP.

use std::{net::TcpListener, path::PathBuf, sync::Arc};

use actix_web::{
    App, HttpResponse, HttpServer,
    dev::Server,
    middleware::{ErrorHandlers, from_fn},
    web,
};
use connections::{Connector, OAuthPlatform, Partner, PartnerSettings, PlatformSettings};
use domain::OrganizationId;
use mail::{MailConfig, Transport};
use outbox::OutboxConfig;
use providers::{HttpConfig, HttpProvider, SandboxConfig, SandboxProvider};
use refresh::{DatabasePacer, DatabaseTenantPacer, Providers, WorkerConfig};
use store::{RateLimit, Store};
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    compress,
    config::AuthSettings,
    demo,
    downloads::{DownloadGate, Downloads},
    error, extract, fallback,
    fallback::KnownRoutes,
    key_cache::KeyCache,
    metrics, openapi,
    rate_limit::{self, CallerLimits},
    request_scope,
    request_span::RouteSpan,
    routes,
    security_headers::{self, SecurityHeaders},
    spa,
    state::AppState,
    status_cache,
    workers::{WorkerSettings, Workers, spawn_workers},
};

/// Everything `serve` needs, from flags and environment (see `cli.rs`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    /// The pool's size; `None`: the store's default (16 on PostgreSQL, 8 on SQLite).
    pub database_max_connections: Option<u32>,
    pub bind: String,
    pub static_dir: PathBuf,
    /// Run the refresh worker inside this process.
    pub run_worker: bool,
    /// The organization made on first start if missing (slug), with, in `demo` mode
    /// and with `sample_data`, demo users and sample companies: the embedded default's
    /// `demo`. `None`: organizations come from `spendlens org create` only.
    pub organization: Option<String>,
    /// Give a newly created organization demo users and companies (`demo` mode only).
    pub sample_data: bool,
    /// The demo mode: the embedded default on loopback, or `--demo`. Off, no demo data
    /// is made and startup fails while a demo user has the published password.
    pub demo: bool,
    /// Write the links of emails left in the outbox to the log: the embedded default on
    /// loopback only, where the log is how its one person finds them.
    pub log_outbox_links: bool,
    pub sandbox: SandboxConfig,
    /// The upstream accounting-data API, when configured.
    pub http: Option<Upstream>,
    /// Xero and QuickBooks Online, when configured, and the key their tokens are
    /// sealed with.
    pub connections: ConnectionSettings,
    pub worker: WorkerConfig,
    /// Base of the links in emails (no trailing slash).
    pub public_url: String,
    /// lettre's SMTP URL; `None` writes `.eml` files to `outbox_dir`.
    pub smtp_url: Option<String>,
    pub outbox_dir: PathBuf,
    /// The `From` of emails, e.g. `Demo Bank <no-reply@bank.example>`.
    pub mail_from: String,
    /// How long an information request link works.
    pub link_ttl: chrono::Duration,
    pub mail: MailConfig,
    /// Data older than this is flagged `stale` (the freshness rule).
    pub stale_after: chrono::Duration,
    /// The most refreshes one organization may have queued (bulk refresh refuses past it).
    pub max_queued_refreshes: u64,
    /// Sessions, cookies and rate limits.
    pub auth: AuthSettings,
    /// The password of the demo organization's users (when sample data is created).
    pub demo_password: String,
    /// Versions kept of each report of a company.
    pub report_snapshots: u32,
    /// Webhooks and notifications: retries, the SSRF guard, retention. Its `mail_from`
    /// and `public_url` are taken from the settings above.
    pub outbox: OutboxConfig,
    /// When set, `/metrics` requires it as a bearer token.
    pub metrics_token: Option<String>,
    /// Report downloads and audit exports made at once; more are answered 429.
    pub download_concurrency: u32,
    /// Tests only: holds each download before it writes its file.
    pub download_gate: Option<Arc<DownloadGate>>,
}

/// The `http` upstream's settings, and the rate limit every process shares for it.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub config: HttpConfig,
    /// Requests per second across all processes; `None`: unlimited.
    pub rate_limit: Option<RateLimit>,
}

impl Upstream {
    /// The data partner's platform API (companies, connections), beside its data API.
    pub fn partner(&self, store: &Store) -> anyhow::Result<Partner> {
        Partner::new(
            store.clone(),
            PartnerSettings {
                base_url: self.config.base_url.clone(),
                api_key: self.config.api_key.clone(),
            },
        )
        .map_err(|e| anyhow::anyhow!("cannot set up the data partner: {e}"))
    }
}

/// The OAuth platforms' settings and where the encryption key comes from.
#[derive(Debug, Clone, Default)]
pub struct ConnectionSettings {
    pub platforms: Vec<PlatformSettings>,
    /// `SPENDLENS_ENCRYPTION_KEY`.
    pub encryption_key: Option<String>,
    /// Where the embedded default keeps a key it made, when none is given.
    pub key_file: Option<PathBuf>,
}

impl ConnectionSettings {
    /// The key ring: the configured key, else the embedded default's key file (made
    /// on first use, readable by its owner only). `None` when no platform needs one.
    pub fn key_ring(&self) -> anyhow::Result<Option<vault::KeyRing>> {
        if let Some(text) = &self.encryption_key {
            return Ok(Some(
                vault::KeyRing::parse(text)
                    .map_err(|e| anyhow::anyhow!("SPENDLENS_ENCRYPTION_KEY: {e}"))?,
            ));
        }
        if self.platforms.is_empty() {
            return Ok(None);
        }
        let Some(path) = &self.key_file else {
            anyhow::bail!(
                "SPENDLENS_ENCRYPTION_KEY is required to connect {}: the platforms' tokens are stored encrypted with it (e.g. `openssl rand -base64 32`)",
                self.platforms
                    .iter()
                    .map(|p| p.platform.name())
                    .collect::<Vec<_>>()
                    .join(" and ")
            );
        };
        if !path.exists() {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            write_private(path, vault::KeyRing::generate_key().as_bytes())
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            tracing::info!(file = %path.display(), "made an encryption key for the platforms' tokens; keep it with the database");
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        Ok(Some(
            vault::KeyRing::parse(text.trim())
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        ))
    }

    /// The connector of the configured OAuth platforms, if any.
    pub fn connector(&self, store: &Store) -> anyhow::Result<Option<Connector>> {
        if self.platforms.is_empty() {
            return Ok(None);
        }
        let Some(keys) = self.key_ring()? else {
            return Ok(None);
        };
        Ok(Some(
            Connector::new(store.clone(), Arc::new(keys), self.platforms.clone())
                .map_err(|e| anyhow::anyhow!("cannot set up the OAuth platforms: {e}"))?,
        ))
    }
}

/// Creates `path` with `contents`, readable and writable by its owner only.
fn write_private(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}

/// Xero's documented limits per organisation (60 calls a minute) and per app (10,000 a
/// minute across all organisations); QuickBooks's per company (500 a minute).
/// A token bucket that never lets more than `per_minute` calls into any rolling minute,
/// as the platforms count: a bucket of `burst` admits at most `burst + rate × 60 s` in
/// a minute, so the rate is what the burst leaves.
fn within_a_minute(per_minute: f64, burst: f64) -> RateLimit {
    RateLimit {
        rate: (per_minute - burst) / 60.0,
        burst,
    }
}

fn oauth_provider(
    store: &Store,
    connector: &Connector,
    settings: &PlatformSettings,
) -> anyhow::Result<Arc<dyn providers::Provider>> {
    let credentials: Arc<dyn providers::Credentials> = Arc::new(connector.clone());
    let name = settings.platform.name();
    Ok(match settings.platform {
        OAuthPlatform::Xero => Arc::new(
            providers::XeroProvider::new(
                providers::XeroApiConfig::new(settings.api_url.clone()),
                credentials,
            )
            .map_err(|e| anyhow::anyhow!("cannot set up {name}: {e}"))?
            .with_pacer(Arc::new(DatabaseTenantPacer::new(
                store.clone(),
                "xero",
                // Half an organisation's minute at once: a company's refresh (about a
                // dozen calls) goes without waiting for its own limit.
                within_a_minute(60.0, 30.0),
                // 2 % below the app's limit: a token taken is a call that reaches Xero
                // a moment later, in any order, and Xero counts arrivals.
                Some(within_a_minute(9_800.0, 100.0)),
            ))),
        ),
        OAuthPlatform::QuickBooks => Arc::new(
            providers::QuickBooksProvider::new(
                providers::QuickBooksApiConfig::new(settings.api_url.clone()),
                credentials,
            )
            .map_err(|e| anyhow::anyhow!("cannot set up {name}: {e}"))?
            .with_pacer(Arc::new(DatabaseTenantPacer::new(
                store.clone(),
                "quickbooks",
                within_a_minute(500.0, 10.0),
                None,
            ))),
        ),
    })
}

/// The sandbox, the `http` upstream and the OAuth platforms that are configured.
pub fn providers(
    store: &Store,
    sandbox: SandboxConfig,
    http: Option<(&Upstream, &Partner)>,
    connector: Option<&Connector>,
) -> anyhow::Result<Providers> {
    let mut providers = Providers::default().with(SandboxProvider::new(sandbox));
    if let Some(connector) = connector {
        for settings in &connector.settings_list() {
            providers = providers.with_arc(oauth_provider(store, connector, settings)?);
        }
    }
    if let Some((http, partner)) = http {
        let mut provider = HttpProvider::new(http.config.clone(), Arc::new(partner.clone()))
            .map_err(|e| anyhow::anyhow!("cannot set up the http provider: {e}"))?;
        if let Some(limit) = http.rate_limit {
            provider = provider.with_pacer(Arc::new(DatabasePacer::new(
                store.clone(),
                format!("upstream:{}", HttpProvider::PLATFORM),
                limit,
            )));
        }
        providers = providers.with(provider);
    }
    Ok(providers)
}

/// Connects, migrates, checks no demo password is left outside demo mode, and makes
/// sure the organization (if one is configured) exists.
pub async fn prepare(settings: &Settings) -> anyhow::Result<(Store, Option<OrganizationId>)> {
    let store = Store::connect_sized(&settings.database_url, settings.database_max_connections)
        .await?
        .with_report_retention(settings.report_snapshots);
    store.migrate().await?;
    if let Some(role) = store.role_bypassing_row_security().await? {
        tracing::warn!(
            %role,
            "the database role is a superuser or has BYPASSRLS: row-level security, the second line of tenant isolation, is skipped; connect as an ordinary role that owns the tables"
        );
    }
    if !settings.demo {
        demo::refuse_demo_passwords(&store, &settings.demo_password).await?;
    }
    let organization = match &settings.organization {
        Some(slug) => Some(
            demo::ensure_organization(
                &store,
                slug,
                settings.demo && settings.sample_data,
                &settings.demo_password,
            )
            .await?,
        ),
        None => None,
    };
    Ok((store, organization))
}

/// A built server, bound to its port, not yet running.
pub struct Application {
    port: u16,
    server: Server,
    workers: Option<Workers>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let (store, _) = prepare(&settings).await?;
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        Self::build_with(settings, store, listener)
    }

    pub fn build_with(
        settings: Settings,
        store: Store,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let connector = settings.connections.connector(&store)?;
        let partner = settings
            .http
            .as_ref()
            .map(|http| http.partner(&store))
            .transpose()?;
        let providers = providers(
            &store,
            settings.sandbox,
            settings.http.as_ref().zip(partner.as_ref()),
            connector.as_ref(),
        )?;
        let transport =
            Transport::from_config(settings.smtp_url.as_deref(), settings.outbox_dir.clone())?;
        let outbox = transport.is_outbox();
        if outbox && settings.log_outbox_links {
            tracing::info!(
                dir = %settings.outbox_dir.display(),
                "the embedded default on loopback: emails go to the outbox directory and the links in them are written to this log"
            );
        }
        let workers = if settings.run_worker {
            let workers = WorkerSettings {
                refresh: settings.worker.clone(),
                mail: settings.mail.clone(),
                outbox: OutboxConfig {
                    mail_from: settings.mail_from.clone(),
                    public_url: Some(settings.public_url.clone()),
                    ..settings.outbox.clone()
                },
            };
            if let Some(connector) = &connector {
                crate::workers::spawn_keep_alive(connector.clone());
            }
            if let Some(partner) = &partner {
                crate::workers::spawn_partner_follow(partner.clone());
            }
            Some(spawn_workers(
                &store,
                providers.clone(),
                transport,
                workers,
            )?)
        } else {
            None
        };
        let limits = Arc::new(CallerLimits::new(settings.auth.requests_per_minute));
        rate_limit::spawn_limit_sweeper(limits.clone(), store.clone());
        let (statuses, status_listener) = status_cache::spawn(&store);
        let metrics = Arc::new(metrics::Metrics::new());
        let state = web::Data::new(AppState {
            store,
            waker: workers.as_ref().map(|w| w.refresh_waker.clone()),
            mail_waker: workers.as_ref().map(|w| w.mail_waker.clone()),
            outbox_waker: workers.as_ref().map(|w| w.outbox_waker.clone()),
            webhooks_allow_private: settings.outbox.sender.allow_private,
            public_url: settings.public_url.trim_end_matches('/').to_owned(),
            mail_from: settings.mail_from.clone(),
            link_ttl: settings.link_ttl,
            log_outbox_links: outbox && settings.log_outbox_links,
            platforms: providers.platforms(),
            connector,
            partner,
            stale_after: settings.stale_after,
            max_queued_refreshes: settings.max_queued_refreshes,
            auth: settings.auth.clone(),
            metrics_token: settings.metrics_token.clone(),
            limits,
            downloads: Downloads::new(
                usize::try_from(settings.download_concurrency).unwrap_or(usize::MAX),
                settings.download_gate.clone(),
            ),
            metrics: metrics.clone(),
            keys: KeyCache::default(),
            statuses,
            _status_listener: status_listener,
        });
        let static_dir = settings.static_dir.clone();
        if !static_dir.join("index.html").exists() {
            tracing::warn!(dir = %static_dir.display(), "the web app is not built; serving the API only");
        }
        let document = openapi::document();
        let known_routes = web::Data::new(KnownRoutes::from_openapi(&document));
        let security_headers =
            web::Data::new(SecurityHeaders::new(&static_dir, &settings.public_url));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                // `metrics::track` reads it apart from the state, which it sits below.
                .app_data(web::Data::from(metrics.clone()))
                .app_data(known_routes.clone())
                .app_data(security_headers.clone())
                .app_data(web::QueryConfig::default().error_handler(extract::query_error))
                .app_data(web::PathConfig::default().error_handler(extract::path_error))
                .app_data(web::PayloadConfig::new(extract::BODY_LIMIT))
                // Before the API scope, which would otherwise claim /api/v1/openapi.json.
                .service(
                    SwaggerUi::new("/api/docs/{_:.*}")
                        .url("/api/v1/openapi.json", document.clone()),
                )
                .service(web::resource("/api/docs").route(web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header(("Location", "/api/docs/"))
                        .finish()
                })))
                .into_utoipa_app()
                .configure(routes::all)
                .into_app()
                // Unknown API paths are API errors, never the web app's index page.
                .service(web::scope("/api").default_service(web::to(fallback::api_fallback)))
                .service(spa::service(&static_dir))
                // Innermost: the request's organization transaction ends as soon as the
                // handler has answered.
                .wrap(from_fn(request_scope::end_scope))
                .wrap(from_fn(extract::refuse_nul))
                .wrap(from_fn(rate_limit::rate_limit_headers))
                .wrap(from_fn(metrics::track))
                .wrap(ErrorHandlers::new().default_handler(error::problem_for_bare_errors))
                // Outside the error handlers, so problems are compressed too (when large).
                .wrap(from_fn(compress::answers))
                .wrap(TracingLogger::<RouteSpan>::new())
                // Outermost, so every answer carries them, errors included.
                .wrap(from_fn(security_headers::add))
        })
        .listen(listener)?
        .shutdown_timeout(30)
        .run();
        Ok(Self {
            port,
            server,
            workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then stops the worker gracefully.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let result = self.server.await;
        if let Some(workers) = self.workers
            && let Err(err) = workers.stop().await
        {
            tracing::error!(error = %err, "a worker did not stop cleanly");
        }
        result.map_err(Into::into)
    }
}
