//! Liveness and readiness, for load balancers and orchestrators.

use actix_web::{get, web};
use api_types::{Health, Problem};

use crate::{error::ApiError, startup::AppState};

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

/// Readiness: the database answers. A replica that is not ready should get no traffic.
#[utoipa::path(
    operation_id = "readyz",
    security(()),
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "The database does not answer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    match tokio::time::timeout(std::time::Duration::from_secs(3), state.store.ping()).await {
        Ok(Ok(())) => Ok(web::Json(Health {
            status: "ok".to_owned(),
        })),
        Ok(Err(err)) => Err(ApiError::Unavailable(format!(
            "The database does not answer: {err}"
        ))),
        Err(_) => Err(ApiError::Unavailable(
            "The database did not answer within 3 seconds.".to_owned(),
        )),
    }
}
