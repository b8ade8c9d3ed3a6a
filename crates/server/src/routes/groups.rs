//! Client groups: a group's entities, adding one, and the customer adding one through
//! their link. Removing an entity is `DELETE /companies/{id}` (its data goes with it);
//! refreshing a group is a bulk refresh of it (`POST /refresh-batches`), which takes
//! every entity.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use api_types::{Company, EntityLink, NewEntity, Problem, ProblemKind};
use domain::{AuditAction, CompanyId, CompanyName};
use store::{EntityLinkRefused, EntityRefused, MAX_ENTITIES};

use crate::{
    error::ApiError,
    extract::{Json, Tenant},
    routes::consent::{self, parse_token},
    secrets::{new_token, token_hash},
    state::AppState,
    views,
};

/// The entities of a group, in name order: each a company with its own connection,
/// status, refresh history and reports. The group's own books are the group itself and
/// are not listed; empty for a company without entities.
#[utoipa::path(
    operation_id = "list_entities",
    tag = "companies",
    params(("id" = CompanyId, Path, description = "The group's id")),
    responses(
        (status = 200, description = "The group's entities", body = Vec<Company>),
        (status = 404, description = "No such company in this organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/companies/{id}/entities")]
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    id: web::Path<CompanyId>,
) -> Result<web::Json<Vec<Company>>, ApiError> {
    let entities = tenant
        .store()
        .entities(tenant.0, id.into_inner())
        .await?
        .ok_or(ApiError::NotFound("company"))?;
    let freshness = state.freshness();
    Ok(web::Json(
        entities
            .into_iter()
            .map(|record| views::company(record, freshness))
            .collect(),
    ))
}

/// Add a legal entity to a company, making it a group (or adding to one). The entity
/// has the group's contact, requested data and refresh schedule and no status: request
/// information for it as for any company, or let the customer add it through the
/// group's link.
#[utoipa::path(
    operation_id = "add_entity",
    tag = "companies",
    params(("id" = CompanyId, Path, description = "The group's id")),
    request_body = NewEntity,
    responses(
        (status = 201, description = "The entity was added", body = Company,
            headers(("Location" = String, description = "The entity's URL"))),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company in this organization", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The company is itself an entity of a group, or the group has as many entities as it can (50)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The name is not valid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/companies/{id}/entities")]
pub async fn add(
    state: web::Data<AppState>,
    tenant: Tenant,
    id: web::Path<CompanyId>,
    body: Json<NewEntity>,
) -> Result<HttpResponse, ApiError> {
    let group = id.into_inner();
    let name =
        CompanyName::parse(&body.0.name).map_err(|e| ApiError::field("name", e.to_string()))?;
    let record = tenant
        .store()
        .add_entity(tenant.0, group, name)
        .await
        .map_err(|err| match err {
            EntityRefused::NotFound => ApiError::NotFound("company"),
            EntityRefused::Nested => nested(),
            EntityRefused::TooMany => too_many(),
            EntityRefused::Database(err) => err.into(),
        })?;
    let group_name = record.parent.as_ref().map(|(_, name)| name.clone());
    let company = views::company(record, state.freshness());
    state
        .audit(
            tenant.store(),
            store::AuditRecord {
                target: Some(company.name.clone()),
                detail: Some(serde_json::json!({ "group_id": group, "group_name": group_name })),
                ..tenant
                    .1
                    .audit_company(AuditAction::CompanyCreated, company.id)
            },
        )
        .await;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/companies/{}", company.id)))
        .json(company))
}

/// The customer adds an entity of their group through their link — pending, or used
/// for its own entity but not yet expired — and goes on with the new entity's link:
/// connect its software, or upload its template. The new link has the same data and
/// expiry; the group can have up to 50 entities.
#[utoipa::path(
    operation_id = "add_consent_entity",
    security(()),
    tag = "consent",
    params(("token" = String, Path, description = "The token from the link", pattern = "^[A-Za-z0-9_-]{43}$")),
    request_body = NewEntity,
    responses(
        (status = 201, description = "The entity was added; its link follows", body = EntityLink),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link (`link-not-found`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The group has as many entities as it can (`too-many-entities`)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The link expired, was declined or was replaced", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The name is not valid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/consent/{token}/entities")]
pub async fn add_through_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: Json<NewEntity>,
) -> Result<HttpResponse, ApiError> {
    let hash = token_hash(parse_token(&token)?);
    let name =
        CompanyName::parse(&body.0.name).map_err(|e| ApiError::field("name", e.to_string()))?;
    let entity_token = new_token();
    let view = state
        .store
        .add_entity_through_link(&hash, name, &token_hash(&entity_token))
        .await
        .map_err(|err| match err {
            EntityLinkRefused::Link(refused) => consent::refused(refused),
            EntityLinkRefused::TooMany => too_many(),
        })?;
    state
        .audit(
            &state.store,
            store::AuditRecord {
                target: Some(view.company.name.clone()),
                detail: Some(serde_json::json!({ "group_id": view.company.group_id })),
                ..consent::customer_audit(&req, &view, AuditAction::CompanyCreated, None)
            },
        )
        .await;
    Ok(HttpResponse::Created().json(EntityLink {
        token: entity_token,
        company_name: view.company.name,
    }))
}

fn nested() -> ApiError {
    ApiError::Conflict {
        kind: ProblemKind::EntityOfGroup,
        title: "An entity cannot have entities",
        detail: "This company is an entity of a group. Add the entity to the group instead."
            .to_owned(),
    }
}

fn too_many() -> ApiError {
    ApiError::Conflict {
        kind: ProblemKind::TooManyEntities,
        title: "The group has as many entities as it can",
        detail: format!(
            "A group has at most {MAX_ENTITIES} entities. Remove one it no longer needs first."
        ),
    }
}
