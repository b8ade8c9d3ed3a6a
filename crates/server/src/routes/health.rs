//! Liveness and readiness, for load balancers and orchestrators.

use actix_web::{get, web};
use api_types::{Health, Problem, QueueHealth, Readiness};

use crate::{error::ApiError, state::AppState};

/// Liveness: the process is up and serving HTTP.
#[utoipa::path(
    operation_id = "healthz",
    security(()),
    tag = "operations",
    responses((status = 200, description = "The process is up", body = Health))
)]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".to_owned(),
    })
}

/// After this long with due refreshes waiting and no worker holding any job, the queue
/// counts as stalled.
const STALLED_AFTER_SECONDS: f64 = 60.0;

/// Readiness: `200` when the database answers (within 3 s), `503` when it does not — a
/// replica that is not ready should get no traffic. The body also says how the refresh
/// queue that every process shares is doing: `degraded` / `stalled` when refreshes have
/// been due for over a minute and no worker holds any job (is a worker running?). That
/// is for operators and monitoring; it does not fail readiness, since this replica can
/// still serve.
#[utoipa::path(
    operation_id = "readyz",
    security(()),
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve, with the queue's health", body = Readiness),
        (status = 503, description = "The database does not answer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Readiness>, ApiError> {
    let started = std::time::Instant::now();
    let at = state.store.now();
    let health = match tokio::time::timeout(
        std::time::Duration::from_secs(3),
        state.store.queue_health(at),
    )
    .await
    {
        Ok(Ok(health)) => health,
        Ok(Err(err)) => {
            // The driver's text goes to the log only: it can name hosts, users and tables.
            tracing::warn!(error = %err, "readyz: the database does not answer");
            return Err(ApiError::Unavailable("database unavailable".to_owned()));
        }
        Err(_) => {
            return Err(ApiError::Unavailable(
                "database unavailable: no answer within 3 seconds".to_owned(),
            ));
        }
    };
    let database_ms = started.elapsed().as_secs_f64() * 1000.0;
    let waited = health
        .oldest_due
        .map(|due| (at - due).num_milliseconds().max(0) as f64 / 1000.0)
        .unwrap_or(0.0);
    let stalled = waited > STALLED_AFTER_SECONDS && health.running == 0;
    let queue = QueueHealth {
        status: if stalled { "stalled" } else { "ok" }.to_owned(),
        oldest_due_seconds: waited,
        expired_leases: health.expired_leases,
        detail: stalled.then(|| {
            format!(
                "Refreshes have been due for {waited:.0} s and no worker holds any: check that a `spendlens worker` (or `spendlens serve` without --no-worker) is running and can reach the database."
            )
        }),
    };
    Ok(web::Json(Readiness {
        status: if stalled { "degraded" } else { "ok" }.to_owned(),
        database_ms,
        queue,
    }))
}
