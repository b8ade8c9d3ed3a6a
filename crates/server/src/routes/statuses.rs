//! The batch status endpoint the portal polls while refreshes run.

use actix_web::{HttpRequest, HttpResponse, get, http::header, web};
use api_types::{CompanyStatusList, CompanyStatusQuery, Problem};
use domain::{CompanyId, OrganizationId};
use sha2::{Digest, Sha256};

use crate::{auth::Identified, error::ApiError, state::AppState, status_cache::Answer, views};

const MAX_IDS: usize = 200;

/// The statuses of many companies at once, for polling.
///
/// Answers an `ETag`; send it back in `If-None-Match` and, while nothing changed, the
/// answer is `304 Not Modified` with no body. Ids of unknown companies are left out.
/// On PostgreSQL an unchanged answer comes from the process's memory
/// (`status_cache`), so polling costs the database nothing while nothing changes.
#[utoipa::path(
    operation_id = "get_company_statuses",
    tag = "companies",
    params(CompanyStatusQuery),
    responses(
        (status = 200, description = "The companies' statuses, in the order asked", body = CompanyStatusList,
            headers(("ETag" = String, description = "Changes whenever any of these statuses changes"))),
        (status = 304, description = "Nothing changed since the `If-None-Match` ETag"),
        (status = 400, description = "`ids` is missing, too long, or not a list of ids", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/company-statuses")]
pub async fn company_statuses(
    request: HttpRequest,
    caller: Identified,
    state: web::Data<AppState>,
    query: web::Query<CompanyStatusQuery>,
) -> Result<HttpResponse, ApiError> {
    let ids = parse_ids(&query.ids)?;
    let organization = caller.organization;
    let (answer, source) = match state.statuses.get(organization, &ids) {
        Some(answer) => (answer, "memory"),
        None => (read(&state, organization, ids).await?, "database"),
    };
    state
        .metrics
        .status_polls
        .with_label_values(&[source])
        .inc();
    let matches = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == answer.etag || t == "*")
        });
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, answer.etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    Ok(if matches {
        response.finish()
    } else {
        response.content_type("application/json").body(answer.body)
    })
}

/// Reads the statuses in the organization's transaction, and keeps the answer in the
/// process's cache when changes are being followed.
async fn read(
    state: &AppState,
    organization: OrganizationId,
    ids: Vec<CompanyId>,
) -> Result<Answer, ApiError> {
    // Before the read: a change reported from now on voids this answer.
    let stamp = state.statuses.stamp();
    let store = state.store.scoped(organization).await?;
    let records = store.company_statuses(organization, &ids).await;
    // A read: nothing to keep, whatever happened.
    store
        .end_scope(false)
        .await
        .map_err(|err| ApiError::Internal(err.into()))?;
    let body = serde_json::to_vec(&CompanyStatusList {
        items: records?.into_iter().map(views::company_status).collect(),
    })
    .map_err(anyhow::Error::from)?;
    let answer = Answer {
        etag: format!("\"{}\"", &hex(&Sha256::digest(&body))[..32]),
        body: body.into(),
    };
    if let Some(stamp) = stamp {
        state.statuses.put(organization, ids, stamp, answer.clone());
    }
    Ok(answer)
}

fn parse_ids(text: &str) -> Result<Vec<CompanyId>, ApiError> {
    let invalid = |detail: String| ApiError::BadRequest {
        title: "Invalid query string",
        detail,
    };
    let parts: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() > MAX_IDS {
        return Err(invalid(format!(
            "ids may list at most {MAX_IDS} companies."
        )));
    }
    let mut ids = Vec::new();
    for part in parts {
        let id = part
            .parse::<CompanyId>()
            .map_err(|_| invalid(format!("\"{part}\" is not a company id.")))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err(invalid("ids must list at least one company id.".to_owned()));
    }
    if ids.len() > MAX_IDS {
        return Err(invalid(format!(
            "ids may list at most {MAX_IDS} companies."
        )));
    }
    Ok(ids)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
