//! Building and running the server: database, organization, worker, HTTP.

use std::{net::TcpListener, path::PathBuf, sync::Arc, time::Duration};

use actix_web::{App, HttpResponse, HttpServer, dev::Server, middleware::ErrorHandlers, web};
use domain::OrganizationId;
use providers::{SandboxConfig, SandboxProvider};
use refresh::{Providers, Worker, WorkerConfig};
use store::Store;
use tokio::sync::{Notify, watch};
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::{demo, error, extract, fallback, fallback::KnownRoutes, openapi, routes, spa};

/// Everything `serve` needs, from flags and environment (see `main.rs`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: String,
    pub static_dir: PathBuf,
    /// Run the refresh worker inside this process.
    pub run_worker: bool,
    /// The organization this server acts for.
    pub organization: String,
    /// Give a newly created organization demo users and companies.
    pub sample_data: bool,
    pub sandbox: SandboxConfig,
    pub worker: WorkerConfig,
}

/// What handlers share.
pub struct AppState {
    pub store: Store,
    pub organization: OrganizationId,
    /// Wakes the in-process worker after an enqueue; `None` with `--no-worker`.
    pub waker: Option<Arc<Notify>>,
}

impl AppState {
    pub fn wake_workers(&self) {
        if let Some(waker) = &self.waker {
            waker.notify_one();
        }
    }
}

pub fn providers(sandbox: SandboxConfig) -> Providers {
    Providers::default().with(SandboxProvider::new(sandbox))
}

/// Connects, migrates, and makes sure the organization exists.
pub async fn prepare(settings: &Settings) -> anyhow::Result<(Store, OrganizationId)> {
    let store = Store::connect(&settings.database_url).await?;
    store.migrate().await?;
    let organization =
        demo::ensure_organization(&store, &settings.organization, settings.sample_data).await?;
    Ok((store, organization))
}

/// A built server, bound to its port, not yet running.
pub struct Application {
    port: u16,
    server: Server,
    worker: Option<(watch::Sender<bool>, tokio::task::JoinHandle<()>)>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let (store, organization) = prepare(&settings).await?;
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        Self::build_with(settings, store, organization, listener)
    }

    pub fn build_with(
        settings: Settings,
        store: Store,
        organization: OrganizationId,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let worker = settings.run_worker.then(|| {
            Arc::new(Worker::new(
                store.clone(),
                providers(settings.sandbox),
                settings.worker.clone(),
            ))
        });
        let state = web::Data::new(AppState {
            store,
            organization,
            waker: worker.as_ref().map(|w| w.waker()),
        });
        let static_dir = settings.static_dir.clone();
        if !static_dir.join("index.html").exists() {
            tracing::warn!(dir = %static_dir.display(), "the web app is not built; serving the API only");
        }
        let document = openapi::document();
        let known_routes = web::Data::new(KnownRoutes::from_openapi(&document));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(known_routes.clone())
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
                .wrap(ErrorHandlers::new().default_handler(error::problem_for_bare_errors))
                .wrap(TracingLogger::default())
        })
        .listen(listener)?
        .shutdown_timeout(30)
        .run();
        let worker = worker.map(|worker| {
            let (stop, stopped) = watch::channel(false);
            let handle = tokio::spawn(worker.run(stopped, Duration::from_secs(20)));
            (stop, handle)
        });
        Ok(Self {
            port,
            server,
            worker,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then stops the worker gracefully.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let result = self.server.await;
        if let Some((stop, handle)) = self.worker {
            let _ = stop.send(true);
            let _ = handle.await;
        }
        result.map_err(Into::into)
    }
}
