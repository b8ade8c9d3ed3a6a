//! Bulk refresh: refresh many companies at once and follow the progress.

use actix_web::{HttpResponse, get, http::header, post, web};
use api_types::{
    NewRefreshBatch, Problem, RefreshBatch, RefreshCompanies, RefreshFilter, SkipReason,
    SkippedCompany, StatusFilter,
};
use domain::{AuditAction, DataStatus};
use store::{BatchProgress, CompanyFilter, Skipped, TooMany};
use uuid::Uuid;

use crate::{
    error::ApiError,
    extract::{Json, Tenant},
    state::AppState,
};

/// The most companies one batch refreshes by filter.
const MAX_BATCH: u64 = 100_000;
/// The most companies listed by id (their ids fit the request body limit).
const MAX_IDS: usize = 1_000;

fn batch_json(
    batch: &store::entities::refresh_batches::Model,
    progress: BatchProgress,
    skipped: Vec<SkippedCompany>,
    skipped_count: u64,
) -> RefreshBatch {
    RefreshBatch {
        id: domain::RefreshBatchId::from_uuid(batch.id),
        created_at: batch.created_at,
        total: progress.total,
        queued: progress.queued,
        running: progress.running,
        succeeded: progress.succeeded,
        failed: progress.failed,
        cancelled: progress.cancelled,
        done: progress.queued + progress.running == 0,
        skipped,
        skipped_count,
    }
}

/// Refresh many companies.
///
/// Give `company_ids`, or `filter` (the company list's filters) to refresh every company
/// the list would show. Each company gets a background refresh of its requested data;
/// one already refreshing joins the batch with that refresh instead of getting a
/// second. Companies whose customer has not granted access are listed in `skipped`.
///
/// An organization may have at most `SPENDLENS_MAX_QUEUED_REFRESHES` refreshes waiting
/// (100,000 by default): a batch that could pass it is refused with 429 until enough
/// have run. Workers take every organization's refreshes in turn, so a large batch does
/// not hold up another organization's refreshes.
#[utoipa::path(
    operation_id = "create_refresh_batch",
    tag = "refreshes",
    request_body = NewRefreshBatch,
    responses(
        (status = 202, description = "The refreshes are queued", body = RefreshBatch,
            headers(("Location" = String, description = "Where to follow the batch"))),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither or both of `company_ids` and `filter`, or a filter matching too many companies", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this user or API key, or the organization has too many refreshes queued for this batch", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/refresh-batches")]
pub async fn create(
    state: web::Data<AppState>,
    tenant: Tenant,
    body: Json<NewRefreshBatch>,
) -> Result<HttpResponse, ApiError> {
    let queued = tenant.store().queued_refreshes(tenant.0).await?;
    let room = state.max_queued_refreshes.saturating_sub(queued);
    let queue_full = |requested: u64| ApiError::TooManyRequests {
        retry_after: 60,
        detail: format!(
            "Your organization has {queued} refreshes waiting, and this batch could add \
             {requested}: more than the {} allowed at once. Try again when more of them \
             have run.",
            state.max_queued_refreshes
        ),
    };
    let (batch, skips) = match body.0 {
        NewRefreshBatch::Companies(RefreshCompanies { company_ids }) => {
            if company_ids.is_empty() || company_ids.len() > MAX_IDS {
                return Err(ApiError::field(
                    "company_ids",
                    format!("list 1 to {MAX_IDS} companies, or use filter"),
                ));
            }
            let requested = company_ids.len() as u64;
            if requested > room {
                return Err(queue_full(requested));
            }
            tenant
                .store()
                .create_refresh_batch(tenant.0, &company_ids)
                .await?
        }
        NewRefreshBatch::Filter(RefreshFilter { filter }) => tenant
            .store()
            .create_refresh_batch_matching(tenant.0, &list_filter(filter)?, MAX_BATCH.min(room))
            .await?
            .map_err(|TooMany(count)| {
                if count <= MAX_BATCH {
                    queue_full(count)
                } else {
                    ApiError::field(
                        "filter",
                        format!("matches {count} companies, more than {MAX_BATCH}; narrow it"),
                    )
                }
            })?,
    };
    state.wake_workers();
    state
        .audit(
            tenant.store(),
            store::AuditRecord {
                detail: Some(serde_json::json!({ "batch_id": batch.id, "skipped": skips.count })),
                ..tenant.1.audit(AuditAction::RefreshBatchCreated)
            },
        )
        .await;
    let skipped = skips
        .listed
        .into_iter()
        .map(|(company_id, reason)| SkippedCompany {
            company_id,
            reason: match reason {
                Skipped::NoAccess => SkipReason::NoAccess,
                Skipped::NotFound => SkipReason::NotFound,
                Skipped::Uploaded => SkipReason::Uploaded,
            },
        })
        .collect();
    let (batch, progress) = tenant
        .store()
        .refresh_batch(tenant.0, batch.id)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("batch vanished")))?;
    Ok(HttpResponse::Accepted()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/refresh-batches/{}", batch.id),
        ))
        .json(batch_json(&batch, progress, skipped, skips.count)))
}

/// The company list's filter a batch selects companies with.
fn list_filter(filter: api_types::BatchFilter) -> Result<CompanyFilter, ApiError> {
    if filter.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::field(
            "filter.q",
            "must be at most 200 characters",
        ));
    }
    Ok(CompanyFilter {
        search: filter.q,
        status: filter.status.map(|s| match s {
            StatusFilter::NotRequested => None,
            StatusFilter::Requested => Some(DataStatus::Requested),
            StatusFilter::Available => Some(DataStatus::Available),
            StatusFilter::Error => Some(DataStatus::Error),
        }),
        assignee: filter.assignee,
        ..CompanyFilter::default()
    })
}

/// A bulk refresh's progress.
#[utoipa::path(
    operation_id = "get_refresh_batch",
    tag = "refreshes",
    params(("id" = String, Path, description = "The batch's id", format = Uuid)),
    responses(
        (status = 200, description = "The batch and how far its refreshes are", body = RefreshBatch),
        (status = 404, description = "No such batch in this organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/refresh-batches/{id}")]
pub async fn get(tenant: Tenant, id: web::Path<Uuid>) -> Result<web::Json<RefreshBatch>, ApiError> {
    let (batch, progress) = tenant
        .store()
        .refresh_batch(tenant.0, id.into_inner())
        .await?
        .ok_or(ApiError::NotFound("refresh batch"))?;
    Ok(web::Json(batch_json(&batch, progress, Vec::new(), 0)))
}
