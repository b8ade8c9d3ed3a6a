//! `/companies`: the portfolio list and each company's details.

use actix_web::{HttpResponse, delete, get, http::StatusCode, patch, post, web};
use api_types::{
    Company, CompanyCounts, CompanyCountsQuery, CompanyListQuery, CompanyPage, CompanySort,
    CompanyUpdate, FieldError, NewCompany, Problem, StatusFilter,
};
use domain::{
    AuditAction, CompanyId, CompanyName, ContactName, DataStatus, DataType, Description,
    EmailAddress, RefreshSchedule, UserId,
};
use store::{CompanyFilter, CompanySortKey, CompanyWrite, WriteError};

use crate::{
    error::ApiError,
    extract::{Json, Tenant},
    idempotency::{self, Answer, IdempotencyKey},
    state::AppState,
    views,
};

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

/// List the organization's companies.
///
/// Filtered by `q`, `status` and `assignee`, sorted by `sort`, one page at a time:
/// pass `next_cursor` back as `cursor` for the next page.
#[utoipa::path(
    operation_id = "list_companies",
    tag = "companies",
    params(CompanyListQuery),
    responses(
        (status = 200, description = "One page of companies", body = CompanyPage),
        (status = 400, description = "A query parameter is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The company at `cursor` no longer exists: start again without a cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/companies")]
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    query: web::Query<CompanyListQuery>,
) -> Result<web::Json<CompanyPage>, ApiError> {
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::BadRequest {
            title: "Invalid query string",
            detail: format!("limit must be between 1 and {MAX_PAGE}."),
        });
    }
    if query.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::BadRequest {
            title: "Invalid query string",
            detail: "q must be at most 200 characters.".to_owned(),
        });
    }
    let (sort, descending) = match query.sort.unwrap_or_default() {
        CompanySort::NameAsc => (CompanySortKey::Name, false),
        CompanySort::NameDesc => (CompanySortKey::Name, true),
        CompanySort::StatusAsc => (CompanySortKey::Status, false),
        CompanySort::StatusDesc => (CompanySortKey::Status, true),
        CompanySort::StatusUpdatedAtAsc => (CompanySortKey::StatusUpdatedAt, false),
        CompanySort::StatusUpdatedAtDesc => (CompanySortKey::StatusUpdatedAt, true),
    };
    let filter = CompanyFilter {
        search: query.q,
        status: query.status.map(|s| match s {
            StatusFilter::NotRequested => None,
            StatusFilter::Requested => Some(DataStatus::Requested),
            StatusFilter::Available => Some(DataStatus::Available),
            StatusFilter::Error => Some(DataStatus::Error),
        }),
        assignee: query.assignee,
        sort,
        descending,
        cursor: query.cursor,
        limit: u64::from(limit),
    };
    let page = tenant
        .store()
        .list_companies(tenant.0, &filter)
        .await?
        .map_err(|_| ApiError::NotFound("company at the cursor"))?;
    Ok(web::Json(CompanyPage {
        items: page
            .items
            .into_iter()
            .map(|record| views::company(record, state.freshness()))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Count the organization's companies per status.
///
/// Takes the list's `q` and `assignee` filters, so the status filter can show how many
/// companies each choice would list.
#[utoipa::path(
    operation_id = "count_companies",
    tag = "companies",
    params(CompanyCountsQuery),
    responses(
        (status = 200, description = "Companies per status", body = CompanyCounts),
        (status = 400, description = "A query parameter is not valid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/company-counts")]
pub async fn counts(
    tenant: Tenant,
    query: web::Query<CompanyCountsQuery>,
) -> Result<web::Json<CompanyCounts>, ApiError> {
    let query = query.into_inner();
    if query.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::BadRequest {
            title: "Invalid query string",
            detail: "q must be at most 200 characters.".to_owned(),
        });
    }
    let filter = CompanyFilter {
        search: query.q,
        assignee: query.assignee,
        ..CompanyFilter::default()
    };
    let counts = tenant.store().count_companies(tenant.0, &filter).await?;
    Ok(web::Json(CompanyCounts {
        total: counts.not_requested + counts.requested + counts.available + counts.error,
        not_requested: counts.not_requested,
        requested: counts.requested,
        available: counts.available,
        error: counts.error,
    }))
}

/// Add a company.
///
/// It starts with no status ("Not requested") until an information request is sent.
#[utoipa::path(
    operation_id = "create_company",
    tag = "companies",
    request_body = NewCompany,
    params(
        ("Idempotency-Key" = Option<String>, Header, pattern = r"^[\x21-\x7E]{1,255}$", description = "Makes retries safe: the first response to a key is replayed for 24 hours (with `Idempotent-Replayed: true`). 1 to 255 visible ASCII characters, such as a UUID."),
    ),
    responses(
        (status = 201, description = "The company was added", body = Company,
            headers(("Location" = String, description = "The new company's URL"))),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "An assignee is not a user of this organization", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The first request with this Idempotency-Key is still in progress", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Some fields are not valid, or the Idempotency-Key was used for another request; `errors` lists them", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/companies")]
pub async fn create(
    state: web::Data<AppState>,
    tenant: Tenant,
    key: IdempotencyKey,
    body: Json<NewCompany>,
) -> Result<HttpResponse, ApiError> {
    let new = body.0;
    let request = serde_json::to_vec(&new).map_err(anyhow::Error::from)?;
    idempotency::run(&tenant, key, "POST /api/v1/companies", &request, || async {
        let write = parse_write(
            &new.name,
            &new.description,
            &new.contact_name,
            &new.contact_email,
            new.assignee_ids.clone(),
            new.data_types.clone(),
            new.refresh_schedule,
        )?;
        let record = tenant
            .store()
            .create_company(tenant.0, write)
            .await
            .map_err(write_error)?;
        let company = views::company(record, state.freshness());
        state
            .audit(
                tenant.store(),
                store::AuditRecord {
                    target: Some(company.name.clone()),
                    ..tenant
                        .1
                        .audit_company(AuditAction::CompanyCreated, company.id)
                },
            )
            .await;
        Ok(Answer {
            status: StatusCode::CREATED,
            location: Some(format!("/api/v1/companies/{}", company.id)),
            body: serde_json::to_value(company).map_err(anyhow::Error::from)?,
        })
    })
    .await
}

/// Get one company.
#[utoipa::path(
    operation_id = "get_company",
    tag = "companies",
    params(("id" = CompanyId, Path, description = "The company's id")),
    responses(
        (status = 200, description = "The company", body = Company),
        (status = 404, description = "No such company in this organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/companies/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    tenant: Tenant,
    id: web::Path<CompanyId>,
) -> Result<web::Json<Company>, ApiError> {
    let record = tenant.company(id.into_inner()).await?;
    Ok(web::Json(views::company(record, state.freshness())))
}

/// The company's connection to its accounting platform — Xero, QuickBooks Online, or
/// software reached through the data partner: which books, and whether it works. 404
/// when it has none (not connected yet, or the sandbox).
#[utoipa::path(
    operation_id = "get_company_connection",
    tag = "companies",
    params(("id" = CompanyId, Path, description = "The company's id")),
    responses(
        (status = 200, description = "The connection", body = api_types::PlatformConnection),
        (status = 404, description = "No such company in this organization, or it has no such connection", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/companies/{id}/connection")]
pub async fn connection(
    tenant: Tenant,
    id: web::Path<CompanyId>,
) -> Result<web::Json<api_types::PlatformConnection>, ApiError> {
    let id = id.into_inner();
    let record = tenant.company(id).await?;
    if let Some(connection) = tenant.store().company_connection(tenant.0, id).await? {
        let platform = connections::OAuthPlatform::from_id(&connection.platform);
        return Ok(web::Json(api_types::PlatformConnection {
            platform_name: platform
                .map_or_else(|| connection.platform.clone(), |p| p.name().to_owned()),
            platform: connection.platform,
            organisation: api_types::PlatformOrganisation {
                id: connection.tenant_id,
                name: connection.tenant_name,
            },
            state: match connection.state {
                store::ConnectionState::Connected => api_types::ConnectionState::Connected,
                store::ConnectionState::NeedsReconnecting => {
                    api_types::ConnectionState::NeedsReconnecting
                }
                store::ConnectionState::Disconnected => api_types::ConnectionState::Disconnected,
            },
            connected_at: connection.created_at,
            renewed_at: connection.refreshed_at,
        }));
    }
    // Through the data partner: linked, or lost since (the partner refused access: the
    // company shows `access_revoked` or `access_denied`). A link never completed is no
    // connection.
    let lost = record.company.error_code.as_deref().is_some_and(|code| {
        [
            domain::ErrorCode::AccessRevoked,
            domain::ErrorCode::AccessDenied,
        ]
        .iter()
        .any(|lost| lost.as_str() == code)
    });
    let link = tenant
        .store()
        .partner_link(id)
        .await?
        .filter(|link| {
            link.state == store::PartnerLinkState::Linked
                || (link.state == store::PartnerLinkState::Failed && lost)
        })
        .ok_or(ApiError::NotFound("connection"))?;
    let software = link.platform_name.unwrap_or_default();
    Ok(web::Json(api_types::PlatformConnection {
        platform: store::PARTNER_PLATFORM.to_owned(),
        platform_name: format!("{software} (through our data partner)"),
        organisation: api_types::PlatformOrganisation {
            id: link.upstream_company_id,
            name: record.company.name,
        },
        state: match link.state {
            store::PartnerLinkState::Linked => api_types::ConnectionState::Connected,
            _ => api_types::ConnectionState::Disconnected,
        },
        connected_at: link.created_at,
        renewed_at: link.checked_at.unwrap_or(link.updated_at),
    }))
}

/// Edit a company's details.
///
/// Fields left out keep their value. Changing `data_types` changes what the next
/// refresh fetches.
#[utoipa::path(
    operation_id = "update_company",
    tag = "companies",
    params(("id" = CompanyId, Path, description = "The company's id")),
    request_body = CompanyUpdate,
    responses(
        (status = 200, description = "The updated company", body = Company),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company in this organization, or an assignee is not one of its users", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Some fields are not valid; `errors` lists them", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/companies/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    tenant: Tenant,
    id: web::Path<CompanyId>,
    body: Json<CompanyUpdate>,
) -> Result<web::Json<Company>, ApiError> {
    let id = id.into_inner();
    let current = tenant.company(id).await?;
    let change = body.0;
    let change_log = change.clone();
    let current_types = current.data_types();
    let company = &current.company;
    let write = parse_write(
        change.name.as_deref().unwrap_or(&company.name),
        change
            .description
            .as_deref()
            .unwrap_or(&company.description),
        change
            .contact_name
            .as_deref()
            .unwrap_or(&company.contact_name),
        change
            .contact_email
            .as_deref()
            .unwrap_or(&company.contact_email),
        change.assignee_ids.unwrap_or_else(|| {
            current
                .assignees
                .iter()
                .map(|u| UserId::from_uuid(u.id))
                .collect()
        }),
        change.data_types.unwrap_or(current_types),
        change.refresh_schedule,
    )?;
    let record = tenant
        .store()
        .update_company(tenant.0, id, write)
        .await
        .map_err(write_error)?;
    state
        .audit(
            tenant.store(),
            store::AuditRecord {
                target: Some(record.company.name.clone()),
                detail: serde_json::to_value(&change_log).ok(),
                ..tenant.1.audit_company(AuditAction::CompanyUpdated, id)
            },
        )
        .await;
    Ok(web::Json(views::company(record, state.freshness())))
}

/// Delete a company and all its data: reports, refresh history and assignments.
#[utoipa::path(
    operation_id = "delete_company",
    tag = "companies",
    params(("id" = CompanyId, Path, description = "The company's id")),
    responses(
        (status = 204, description = "The company and all its data were deleted"),
        (status = 404, description = "No such company in this organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/companies/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    tenant: Tenant,
    id: web::Path<CompanyId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let name = tenant
        .store()
        .company(tenant.0, id)
        .await?
        .map(|record| record.company.name);
    if tenant.store().delete_company(tenant.0, id).await? {
        state
            .audit(
                tenant.store(),
                store::AuditRecord {
                    target: name,
                    ..tenant.1.audit_company(AuditAction::CompanyDeleted, id)
                },
            )
            .await;
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound("company"))
    }
}

/// Parses every editable field, reporting all refused fields at once.
fn parse_write(
    name: &str,
    description: &str,
    contact_name: &str,
    contact_email: &str,
    assignees: Vec<UserId>,
    data_types: Vec<DataType>,
    schedule: Option<RefreshSchedule>,
) -> Result<CompanyWrite, ApiError> {
    let mut errors = Vec::new();
    let mut check = |field: &str, result: Result<(), domain::ParseError>| {
        if let Err(err) = result {
            errors.push(FieldError {
                field: field.to_owned(),
                message: err.to_string(),
            });
        }
    };
    let name = CompanyName::parse(name);
    check("name", name.as_ref().map(drop).map_err(Clone::clone));
    let description = Description::parse(description);
    check(
        "description",
        description.as_ref().map(drop).map_err(Clone::clone),
    );
    let contact_name = ContactName::parse(contact_name);
    check(
        "contact_name",
        contact_name.as_ref().map(drop).map_err(Clone::clone),
    );
    let contact_email = EmailAddress::parse(contact_email);
    check(
        "contact_email",
        contact_email.as_ref().map(drop).map_err(Clone::clone),
    );
    let mut data_types = data_types;
    data_types.sort();
    data_types.dedup();
    if data_types.is_empty() {
        errors.push(FieldError {
            field: "data_types".to_owned(),
            message: "choose at least one of financials and spend_detail".to_owned(),
        });
    }
    if assignees.len() > 100 {
        errors.push(FieldError {
            field: "assignee_ids".to_owned(),
            message: "at most 100 users can be assigned".to_owned(),
        });
    }
    match (name, description, contact_name, contact_email) {
        (Ok(name), Ok(description), Ok(contact_name), Ok(contact_email)) if errors.is_empty() => {
            Ok(CompanyWrite {
                name,
                description,
                contact_name,
                contact_email,
                assignees,
                data_types,
                schedule,
            })
        }
        _ => Err(ApiError::Validation(errors)),
    }
}

fn write_error(err: WriteError) -> ApiError {
    match err {
        WriteError::NotFound => ApiError::NotFound("company"),
        WriteError::UnknownAssignee(user) => ApiError::UnknownReference {
            field: "assignee_ids",
            detail: format!("No user {user} in this organization."),
        },
        WriteError::Database(err) => err.into(),
    }
}
