//! The audit log (admins only): filter it, page through it, export it as CSV.

use actix_web::{HttpResponse, get, http::header, web};
use api_types::{AuditEventPage, AuditFormat, AuditQuery, Problem};
use store::AuditFilter;
use uuid::Uuid;

use crate::{auth::Admin, error::ApiError, state::AppState, views};

/// The most entries one CSV export holds (narrow the filter for more).
const CSV_LIMIT: usize = 100_000;

fn uuid_param(name: &'static str, value: Option<&str>) -> Result<Option<Uuid>, ApiError> {
    value
        .map(|v| {
            v.parse().map_err(|_| ApiError::BadRequest {
                title: "Invalid query string",
                detail: format!("`{name}` must be a UUID."),
            })
        })
        .transpose()
}

/// The organization's audit log, newest first (admins only).
///
/// Every change (companies, refreshes, information requests, users, API keys, sign-ins)
/// and every report download, with who did it (a user, an API key, the customer through
/// their link, or the system), when, and from which address. `format=csv` answers every
/// matching entry as a CSV file instead of a page; each server makes a bounded number of
/// such exports and report downloads at once (`SPENDLENS_DOWNLOAD_CONCURRENCY`), past
/// which the answer is 429 with `Retry-After`.
#[utoipa::path(
    operation_id = "list_audit_events",
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of entries (or, with `format=csv`, all of them as CSV)", body = AuditEventPage,
            content(
                (AuditEventPage = "application/json"),
                (String = "text/csv"),
            )),
        (status = 400, description = "A query parameter is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this user or API key, or (`format=csv`) this server is making as many downloads at once as it is set to (`SPENDLENS_DOWNLOAD_CONCURRENCY`)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[get("/audit-events")]
pub async fn list(
    state: web::Data<AppState>,
    admin: Admin,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest {
            title: "Invalid query string",
            detail: "`limit` must be between 1 and 500.".to_owned(),
        });
    }
    let mut filter = AuditFilter {
        company: query.company_id,
        actor: uuid_param("actor_id", query.actor_id.as_deref())?,
        action: query.action,
        since: query.since,
        until: query.until,
        cursor: uuid_param("cursor", query.cursor.as_deref())?,
        limit,
    };
    let organization = admin.0.organization;
    if query.format != Some(AuditFormat::Csv) {
        let (events, next) = admin.store().audit_events(organization, &filter).await?;
        return Ok(HttpResponse::Ok().json(AuditEventPage {
            items: events.into_iter().map(views::audit_event).collect(),
            next_cursor: next.map(|id| id.to_string()),
        }));
    }
    let permit = state.downloads.start()?;
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "id",
        "at",
        "actor_kind",
        "actor_id",
        "actor",
        "action",
        "company_id",
        "target",
        "ip",
        "detail",
    ])
    .map_err(anyhow::Error::from)?;
    filter.limit = 500;
    let mut written = 0;
    loop {
        let (events, next) = admin.store().audit_events(organization, &filter).await?;
        for event in events {
            let event = views::audit_event(event);
            let record = [
                event.id.to_string(),
                event.at.to_rfc3339(),
                event.actor_kind,
                event.actor_id.unwrap_or_default(),
                event.actor,
                event.action,
                event.company_id.map(|c| c.to_string()).unwrap_or_default(),
                event.target.unwrap_or_default(),
                event.ip.unwrap_or_default(),
                event.detail.map(|d| d.to_string()).unwrap_or_default(),
            ];
            // Names and targets come from users and customers' books: no formulas.
            out.write_record(
                record
                    .iter()
                    .map(|v| reports::spreadsheet_text(v).into_owned()),
            )
            .map_err(anyhow::Error::from)?;
            written += 1;
        }
        match next {
            Some(cursor) if written < CSV_LIMIT => filter.cursor = Some(cursor),
            _ => break,
        }
    }
    let body = out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"audit-events-{}.csv\"",
                admin.store().now().format("%Y-%m-%d")
            ),
        ))
        .body(permit.body(body)))
}
