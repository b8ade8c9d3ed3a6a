//! `/metrics`, for Prometheus (what is measured: [`crate::metrics`]).

use actix_web::{HttpRequest, HttpResponse, get, http::header, web};

use crate::{error::ApiError, secrets, state::AppState};

/// Prometheus metrics (text exposition format).
///
/// When the server has a metrics token (`SPENDLENS_METRICS_TOKEN`), only with `Authorization: Bearer <token>`.
#[utoipa::path(
    operation_id = "metrics",
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "The metrics", body = String, content_type = "text/plain"),
        (status = 401, description = "A metrics token is set and the request does not carry it", body = api_types::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database does not answer", body = api_types::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
pub async fn scrape(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if let Some(token) = &state.metrics_token {
        let sent = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !secrets::constant_time_eq(sent, token) {
            return Err(ApiError::Unauthorized {
                kind: api_types::ProblemKind::Unauthorized,
                detail: "The metrics need the metrics token: `Authorization: Bearer <token>`."
                    .to_owned(),
            });
        }
    }
    let body = state.metrics.render(&state.store).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .body(body))
}
