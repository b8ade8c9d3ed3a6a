//! Webhook endpoints (admins only): where the organization's events are sent, their
//! signing secrets (shown once, rotated with an overlap), the delivery log, and replays.

use actix_web::{HttpResponse, delete, get, http::header, patch, post, web};
use api_types::{
    CreatedWebhookEndpoint, EventType, NewWebhookEndpoint, Problem, ProblemKind,
    RotatedWebhookSecret, WebhookDeliveryPage, WebhookDeliveryQuery, WebhookEndpoint,
    WebhookEndpointList, WebhookEndpointUpdate,
};
use domain::AuditAction;
use store::{AuditRecord, ReplayRefused, WebhookEndpointChanges};
use uuid::Uuid;
use webhooks::{
    Secret,
    ssrf::{check_endpoint_url, parse_endpoint_url},
};

use crate::{auth::Admin, error::ApiError, extract::Json, state::AppState, views};

/// How long messages keep a signature with the previous secret after a rotation.
pub const ROTATION_OVERLAP: chrono::Duration = chrono::Duration::hours(24);

const DESCRIPTION_LENGTH: usize = 500;

/// The URL as it will be stored, once it passed the SSRF guard (its host resolved and
/// every address public, unless private networks are allowed).
async fn checked_url(text: &str, allow_private: bool) -> Result<String, ApiError> {
    let url = parse_endpoint_url(text, allow_private)
        .map_err(|e| ApiError::field("url", e.to_string()))?;
    check_endpoint_url(&url, allow_private)
        .await
        .map_err(|e| ApiError::field("url", e.to_string()))?;
    Ok(url.to_string())
}

fn checked_description(text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if text.chars().count() > DESCRIPTION_LENGTH {
        return Err(ApiError::field(
            "description",
            format!("must be at most {DESCRIPTION_LENGTH} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ApiError::field(
            "description",
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

fn unique(mut types: Vec<EventType>) -> Vec<EventType> {
    types.sort_unstable();
    types.dedup();
    types
}

/// The organization's webhook endpoints (admins only).
#[utoipa::path(
    operation_id = "list_webhook_endpoints",
    tag = "webhooks",
    responses(
        (status = 200, description = "The endpoints, without their secrets", body = WebhookEndpointList),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhook-endpoints")]
pub async fn list(admin: Admin) -> Result<web::Json<WebhookEndpointList>, ApiError> {
    let endpoints = admin
        .store()
        .webhook_endpoints(admin.0.organization)
        .await?;
    Ok(web::Json(WebhookEndpointList {
        items: endpoints
            .into_iter()
            .map(|endpoint| views::webhook_endpoint(endpoint, admin.store().now()))
            .collect(),
    }))
}

/// Add a webhook endpoint (admins only). The answer holds its signing secret, this
/// once; later answers never show it.
///
/// The URL must be `https` and resolve only to public internet addresses: loopback,
/// private, link-local, unique-local, multicast and documentation addresses are refused
/// (here, and again before every delivery), unless the server runs with
/// `SPENDLENS_WEBHOOKS_ALLOW_PRIVATE=true`.
#[utoipa::path(
    operation_id = "create_webhook_endpoint",
    tag = "webhooks",
    request_body = NewWebhookEndpoint,
    responses(
        (status = 201, description = "The endpoint, with its secret shown once", body = CreatedWebhookEndpoint),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid (the URL refused, with the reason); `errors` lists them", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhook-endpoints")]
pub async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    body: Json<NewWebhookEndpoint>,
) -> Result<HttpResponse, ApiError> {
    let Admin(caller) = admin;
    let body = body.0;
    let description = checked_description(&body.description)?;
    let url = checked_url(&body.url, state.webhooks_allow_private).await?;
    let secret = Secret::generate();
    let endpoint = caller
        .store
        .create_webhook_endpoint(
            caller.organization,
            store::NewWebhookEndpoint {
                url,
                description,
                event_types: unique(body.event_types),
                secret: secret.clone(),
            },
        )
        .await?;
    let types = store::endpoint_event_types(&endpoint);
    caller
        .store
        .record_audit(AuditRecord {
            target: Some(endpoint.url.clone()),
            detail: Some(serde_json::json!({
                "webhook_endpoint_id": endpoint.id,
                "event_types": types,
            })),
            ..caller.audit(AuditAction::WebhookEndpointCreated)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/webhook-endpoints/{}", endpoint.id),
        ))
        .json(CreatedWebhookEndpoint {
            webhook_endpoint: views::webhook_endpoint(endpoint, caller.store.now()),
            secret,
        }))
}

/// One webhook endpoint (admins only), without its secret.
#[utoipa::path(
    operation_id = "get_webhook_endpoint",
    tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id", format = Uuid)),
    responses(
        (status = 200, description = "The endpoint", body = WebhookEndpoint),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint in this organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhook-endpoints/{id}")]
pub async fn get(
    admin: Admin,
    id: web::Path<Uuid>,
) -> Result<web::Json<WebhookEndpoint>, ApiError> {
    let endpoint = admin
        .store()
        .webhook_endpoint(admin.0.organization, id.into_inner())
        .await?
        .ok_or(ApiError::NotFound("webhook endpoint"))?;
    Ok(web::Json(views::webhook_endpoint(
        endpoint,
        admin.store().now(),
    )))
}

/// Change a webhook endpoint (admins only): its URL (checked as on creation), its
/// description, its event types, or whether it is enabled. Re-enabling forgets the
/// failures that disabled it.
#[utoipa::path(
    operation_id = "update_webhook_endpoint",
    tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id", format = Uuid)),
    request_body = WebhookEndpointUpdate,
    responses(
        (status = 200, description = "The endpoint as changed", body = WebhookEndpoint),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint in this organization", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid; `errors` lists them", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/webhook-endpoints/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    admin: Admin,
    id: web::Path<Uuid>,
    body: Json<WebhookEndpointUpdate>,
) -> Result<web::Json<WebhookEndpoint>, ApiError> {
    let Admin(caller) = admin;
    let id = id.into_inner();
    let body = body.0;
    // Unknown ids answer 404 before the body is judged, as everywhere else.
    let before = caller
        .store
        .webhook_endpoint(caller.organization, id)
        .await?
        .ok_or(ApiError::NotFound("webhook endpoint"))?;
    let description = body
        .description
        .as_deref()
        .map(checked_description)
        .transpose()?;
    let url = match &body.url {
        Some(url) => Some(checked_url(url, state.webhooks_allow_private).await?),
        None => None,
    };
    let endpoint = caller
        .store
        .update_webhook_endpoint(
            caller.organization,
            id,
            WebhookEndpointChanges {
                url,
                description,
                event_types: body.event_types.map(unique),
                enabled: body.enabled,
            },
        )
        .await?
        .ok_or(ApiError::NotFound("webhook endpoint"))?;
    caller
        .store
        .record_audit(AuditRecord {
            target: Some(endpoint.url.clone()),
            detail: Some(serde_json::json!({
                "webhook_endpoint_id": endpoint.id,
                "url": (before.url != endpoint.url).then_some(&before.url),
                "event_types": store::endpoint_event_types(&endpoint),
                "enabled": endpoint.enabled,
            })),
            ..caller.audit(AuditAction::WebhookEndpointUpdated)
        })
        .await?;
    Ok(web::Json(views::webhook_endpoint(
        endpoint,
        caller.store.now(),
    )))
}

/// Delete a webhook endpoint (admins only), with its delivery log; nothing more is
/// sent to it.
#[utoipa::path(
    operation_id = "delete_webhook_endpoint",
    tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id", format = Uuid)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint in this organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/webhook-endpoints/{id}")]
pub async fn delete(admin: Admin, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let Admin(caller) = admin;
    let endpoint = caller
        .store
        .delete_webhook_endpoint(caller.organization, id.into_inner())
        .await?
        .ok_or(ApiError::NotFound("webhook endpoint"))?;
    caller
        .store
        .record_audit(AuditRecord {
            target: Some(endpoint.url.clone()),
            detail: Some(serde_json::json!({ "webhook_endpoint_id": endpoint.id })),
            ..caller.audit(AuditAction::WebhookEndpointDeleted)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replace the endpoint's signing secret (admins only); the new one is answered once.
///
/// For 24 hours messages carry two signatures in `webhook-signature` (the new secret's
/// first, then the previous one's), so the receiver can switch to the new secret at any
/// moment in that time without rejecting a message.
#[utoipa::path(
    operation_id = "rotate_webhook_secret",
    tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id", format = Uuid)),
    responses(
        (status = 200, description = "The new secret, shown once", body = RotatedWebhookSecret),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint in this organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhook-endpoints/{id}/rotate-secret")]
pub async fn rotate_secret(
    admin: Admin,
    id: web::Path<Uuid>,
) -> Result<web::Json<RotatedWebhookSecret>, ApiError> {
    let Admin(caller) = admin;
    let secret = Secret::generate();
    let until = caller.store.now() + ROTATION_OVERLAP;
    let endpoint = caller
        .store
        .rotate_webhook_secret(caller.organization, id.into_inner(), secret.clone(), until)
        .await?
        .ok_or(ApiError::NotFound("webhook endpoint"))?;
    caller
        .store
        .record_audit(AuditRecord {
            target: Some(endpoint.url.clone()),
            detail: Some(serde_json::json!({
                "webhook_endpoint_id": endpoint.id,
                "previous_secret_expires_at": until,
            })),
            ..caller.audit(AuditAction::WebhookEndpointSecretRotated)
        })
        .await?;
    Ok(web::Json(RotatedWebhookSecret {
        secret,
        previous_secret_expires_at: until,
    }))
}

/// The endpoint's delivery log (admins only), newest first: each event sent to it, its
/// state, and every attempt with the answer's status, how long it took and the error.
#[utoipa::path(
    operation_id = "list_webhook_deliveries",
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "The endpoint's id", format = Uuid),
        WebhookDeliveryQuery,
    ),
    responses(
        (status = 200, description = "A page of deliveries", body = WebhookDeliveryPage),
        (status = 400, description = "A query parameter is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint in this organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhook-endpoints/{id}/deliveries")]
pub async fn deliveries(
    admin: Admin,
    id: web::Path<Uuid>,
    query: web::Query<WebhookDeliveryQuery>,
) -> Result<web::Json<WebhookDeliveryPage>, ApiError> {
    let organization = admin.0.organization;
    let query = query.into_inner();
    let (limit, cursor) =
        crate::extract::page_params(query.limit, query.cursor.as_deref(), 50, 200)?;
    let endpoint = admin
        .store()
        .webhook_endpoint(organization, id.into_inner())
        .await?
        .ok_or(ApiError::NotFound("webhook endpoint"))?;
    let (records, next) = admin
        .store()
        .webhook_deliveries(organization, endpoint.id, cursor, limit)
        .await?;
    Ok(web::Json(WebhookDeliveryPage {
        items: records.into_iter().map(views::webhook_delivery).collect(),
        next_cursor: next.map(|id| id.to_string()),
    }))
}

/// Send a delivery's event to the endpoint again (admins only), as a new delivery with
/// the same `webhook-id` and a fresh retry schedule.
#[utoipa::path(
    operation_id = "replay_webhook_delivery",
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "The endpoint's id", format = Uuid),
        ("delivery_id" = String, Path, description = "The delivery's id", format = Uuid),
    ),
    responses(
        (status = 202, description = "The new delivery, queued", body = api_types::WebhookDelivery),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint or delivery in this organization", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The endpoint is disabled: enable it first", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhook-endpoints/{id}/deliveries/{delivery_id}/replay")]
pub async fn replay(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let Admin(caller) = admin;
    let (endpoint, delivery) = path.into_inner();
    let replayed = caller
        .store
        .replay_webhook_delivery(caller.organization, endpoint, delivery)
        .await
        .map_err(|refused| match refused {
            ReplayRefused::NotFound => ApiError::NotFound("webhook delivery"),
            ReplayRefused::EndpointDisabled => ApiError::Conflict {
                kind: ProblemKind::WebhookEndpointDisabled,
                title: "The endpoint is disabled",
                detail: "Enable the endpoint (PATCH it with `enabled: true`), then replay."
                    .to_owned(),
            },
            ReplayRefused::Database(err) => err.into(),
        })?;
    state.wake_outbox();
    caller
        .store
        .record_audit(AuditRecord {
            detail: Some(serde_json::json!({
                "webhook_endpoint_id": endpoint,
                "delivery_id": delivery,
                "replay_id": replayed.id,
            })),
            ..caller.audit(AuditAction::WebhookDeliveryReplayed)
        })
        .await?;
    Ok(
        HttpResponse::Accepted().json(views::webhook_delivery(store::DeliveryRecord {
            delivery: replayed,
            attempts: Vec::new(),
        })),
    )
}
