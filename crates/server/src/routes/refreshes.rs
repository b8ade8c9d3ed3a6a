//! Refresh data: queue a refresh, follow it, see a company's history.

use actix_web::{HttpResponse, get, http::StatusCode, post, web};
use api_types::{Problem, ProblemKind, RefreshJob};
use domain::{AuditAction, CompanyId, RefreshJobId, RefreshTrigger};
use store::RefreshRefused;

use crate::{
    error::ApiError,
    extract::Tenant,
    idempotency::{self, Answer, IdempotencyKey},
    state::AppState,
    views,
};

/// Refresh a company's data.
///
/// Queues a background refresh of the data types previously requested from the
/// customer (and only those) and answers at once with the job. While a refresh of the
/// company is queued or running, this answers that same job instead of a second one.
/// When it finishes the company's status is `available` with the new time, or `error`
/// with the reason; a failed refresh keeps the last good reports.
#[utoipa::path(
    operation_id = "refresh_company",
    tag = "refreshes",
    params(
        ("id" = CompanyId, Path, description = "The company's id"),
        ("Idempotency-Key" = Option<String>, Header, pattern = r"^[\x21-\x7E]{1,255}$", description = "Makes retries safe: the first response to a key is replayed for 24 hours (with `Idempotent-Replayed: true`). 1 to 255 visible ASCII characters, such as a UUID."),
    ),
    responses(
        (status = 202, description = "The refresh is queued or already in progress", body = RefreshJob,
            headers(("Location" = String, description = "Where to follow the refresh"))),
        (status = 404, description = "No such company in this organization", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "The Idempotency-Key is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The customer has not granted access (send an information request instead), or the first request with this Idempotency-Key is still in progress", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used for another request", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/companies/{id}/refresh")]
pub async fn request(
    state: web::Data<AppState>,
    tenant: Tenant,
    key: IdempotencyKey,
    id: web::Path<CompanyId>,
) -> Result<HttpResponse, ApiError> {
    let company = id.into_inner();
    let endpoint = format!("POST /api/v1/companies/{company}/refresh");
    idempotency::run(&tenant, key, &endpoint, b"", || async {
        let (job, created) = tenant
            .store()
            .request_refresh(
                tenant.0,
                company,
                RefreshTrigger::Manual,
                tenant.1.user_id(),
            )
            .await
            .map_err(|err| match err {
                RefreshRefused::NotFound => ApiError::NotFound("company"),
                RefreshRefused::NoAccess => ApiError::Conflict {
                    kind: ProblemKind::NoAccess,
                    title: "The customer has not granted access",
                    detail: "There is no data to refresh because the customer has not granted \
                             access to their accounting data. Send an information request instead."
                        .to_owned(),
                },
                RefreshRefused::Uploaded => ApiError::Conflict {
                    kind: ProblemKind::NotRefreshable,
                    title: "The data was uploaded and cannot be refreshed",
                    detail: "The customer uploaded this company's data from the template: there is \
                             no accounting platform to refresh it from. Request a new upload instead."
                        .to_owned(),
                },
                RefreshRefused::Database(err) => err.into(),
            })?;
        if created {
            state.wake_workers();
        }
        state
            .audit(
                tenant.store(),
                store::AuditRecord {
                    detail: Some(
                        serde_json::json!({ "refresh_id": job.id, "joined_active": !created }),
                    ),
                    ..tenant
                        .1
                        .audit_company(AuditAction::RefreshRequested, company)
                },
            )
            .await;
        let job = views::refresh_job(job);
        Ok(Answer {
            status: StatusCode::ACCEPTED,
            location: Some(format!("/api/v1/refreshes/{}", job.id)),
            body: serde_json::to_value(job).map_err(anyhow::Error::from)?,
        })
    })
    .await
}

/// Get one refresh job.
#[utoipa::path(
    operation_id = "get_refresh",
    tag = "refreshes",
    params(("id" = RefreshJobId, Path, description = "The refresh job's id")),
    responses(
        (status = 200, description = "The refresh job", body = RefreshJob),
        (status = 404, description = "No such refresh in this organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/refreshes/{id}")]
pub async fn get(
    tenant: Tenant,
    id: web::Path<RefreshJobId>,
) -> Result<web::Json<RefreshJob>, ApiError> {
    let job = tenant
        .store()
        .refresh_job(tenant.0, id.into_inner())
        .await?
        .ok_or(ApiError::NotFound("refresh"))?;
    Ok(web::Json(views::refresh_job(job)))
}

/// A company's refreshes, newest first (the last 50).
#[utoipa::path(
    operation_id = "list_company_refreshes",
    tag = "refreshes",
    params(("id" = CompanyId, Path, description = "The company's id")),
    responses(
        (status = 200, description = "The company's refreshes, newest first", body = Vec<RefreshJob>),
        (status = 404, description = "No such company in this organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/companies/{id}/refreshes")]
pub async fn history(
    tenant: Tenant,
    id: web::Path<CompanyId>,
) -> Result<web::Json<Vec<RefreshJob>>, ApiError> {
    let company = id.into_inner();
    if tenant.store().company(tenant.0, company).await?.is_none() {
        return Err(ApiError::NotFound("company"));
    }
    let jobs = tenant
        .store()
        .refresh_history(tenant.0, company, 50)
        .await?;
    Ok(web::Json(
        jobs.into_iter().map(views::refresh_job).collect(),
    ))
}
