//! API keys for integrators (admins only): created with the secret shown once, listed
//! with their prefix and last use, revoked.

use actix_web::{HttpResponse, delete, get, post, web};
use api_types::{ApiKeyList, CreatedApiKey, NewApiKey, Problem};
use domain::{AuditAction, ContactName};
use store::AuditRecord;
use uuid::Uuid;

use crate::{auth::Admin, error::ApiError, extract::Json, secrets, state::AppState, views};

/// The organization's API keys (admins only), newest first. A key whose creator is
/// deactivated is marked `owner_deactivated`: it is refused until they are reactivated.
#[utoipa::path(
    operation_id = "list_api_keys",
    tag = "api-keys",
    responses(
        (status = 200, description = "The keys, without their secrets", body = ApiKeyList),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api-keys")]
pub async fn list(admin: Admin) -> Result<web::Json<ApiKeyList>, ApiError> {
    let keys = admin.store().api_keys(admin.0.organization).await?;
    Ok(web::Json(ApiKeyList {
        items: keys
            .into_iter()
            .map(|listed| views::api_key(listed.key, listed.owner_active))
            .collect(),
    }))
}

/// Create an API key (admins only). The answer holds the key itself, this once: it is
/// stored only as a hash. Send it as `Authorization: Bearer <key>`; a key acts with a
/// relationship manager's rights, and stops working while the admin who created it is
/// deactivated.
#[utoipa::path(
    operation_id = "create_api_key",
    tag = "api-keys",
    request_body = NewApiKey,
    responses(
        (status = 201, description = "The key, with its secret shown once", body = CreatedApiKey),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The name is not valid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api-keys")]
pub async fn create(admin: Admin, body: Json<NewApiKey>) -> Result<HttpResponse, ApiError> {
    let Admin(caller) = admin;
    let name =
        ContactName::parse(&body.0.name).map_err(|e| ApiError::field("name", e.to_string()))?;
    let (key, prefix) = secrets::new_api_key();
    let stored = caller
        .store
        .create_api_key(
            caller.organization,
            name.as_ref(),
            &prefix,
            &secrets::token_hash(&key),
            caller.user_id(),
        )
        .await?;
    caller
        .store
        .record_audit(AuditRecord {
            target: Some(stored.name.clone()),
            detail: Some(serde_json::json!({ "api_key_id": stored.id, "prefix": stored.prefix })),
            ..caller.audit(AuditAction::ApiKeyCreated)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/api-keys/{}", stored.id),
        ))
        .json(CreatedApiKey {
            api_key: views::api_key(stored, true),
            key,
        }))
}

/// Revoke an API key (admins only): it is refused from now on.
#[utoipa::path(
    operation_id = "revoke_api_key",
    tag = "api-keys",
    params(("id" = String, Path, description = "The key's id", format = Uuid)),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key in this organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api-keys/{id}")]
pub async fn revoke(
    state: web::Data<AppState>,
    admin: Admin,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let Admin(caller) = admin;
    let key = caller
        .store
        .revoke_api_key(caller.organization, id.into_inner())
        .await?
        .ok_or(ApiError::NotFound("API key"))?;
    state.keys.forget(&key.key_hash);
    caller
        .store
        .record_audit(AuditRecord {
            target: Some(key.name.clone()),
            detail: Some(serde_json::json!({ "api_key_id": key.id, "prefix": key.prefix })),
            ..caller.audit(AuditAction::ApiKeyRevoked)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
