//! `/metrics`, for Prometheus (what is measured: [`crate::metrics`]).

use actix_web::{HttpResponse, get, http::header, web};

use crate::{error::ApiError, state::AppState};

/// Prometheus metrics (text exposition format).
#[utoipa::path(
    operation_id = "metrics",
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "The metrics", body = String, content_type = "text/plain"),
        (status = 503, description = "The database does not answer", body = api_types::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
pub async fn scrape(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let body = state.metrics.render(&state.store).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .body(body))
}
