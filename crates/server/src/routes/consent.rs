//! The customer's side of an information request: token-scoped, no sign-in.

use actix_web::{HttpRequest, get, http::StatusCode, post, web};
use api_types::{
    ConsentEntity, ConsentGrant, ConsentOutcome, ConsentRequest, ConsentReturn,
    InformationRequestStatus, Platform, Problem, ProblemKind, RequestedData,
};
use connections::{PartnerError, PartnerProgress};
use domain::AuditAction;
use store::{ConsentRefused, ConsentView};

use crate::{error::ApiError, extract::Json, secrets::token_hash, state::AppState};

/// The token as it appears in the link: 43 URL-safe base64 characters.
pub(crate) fn parse_token(token: &str) -> Result<&str, ApiError> {
    let valid = token.len() == 43
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid { Ok(token) } else { Err(not_found()) }
}

fn not_found() -> ApiError {
    ApiError::Refused {
        status: StatusCode::NOT_FOUND,
        kind: ProblemKind::LinkNotFound,
        title: "This link is not valid",
        detail: "This link is not valid. Check that it was copied completely, or ask your \
                 relationship manager for a new one."
            .to_owned(),
    }
}

pub(crate) fn refused(err: ConsentRefused) -> ApiError {
    match err {
        ConsentRefused::NotFound => not_found(),
        ConsentRefused::Expired {
            organization,
            expired_at,
        } => ApiError::Refused {
            status: StatusCode::GONE,
            kind: ProblemKind::LinkExpired,
            title: "This link has expired",
            detail: format!(
                "This link expired on {}. Ask {organization} for a new one.",
                expired_at.format("%-d %B %Y")
            ),
        },
        ConsentRefused::Used { organization } => ApiError::Refused {
            status: StatusCode::GONE,
            kind: ProblemKind::LinkUsed,
            title: "This link has already been used",
            detail: format!(
                "This link has already been used. If you want to change what you shared, ask {organization} for a new link."
            ),
        },
        ConsentRefused::Superseded { organization } => ApiError::Refused {
            status: StatusCode::GONE,
            kind: ProblemKind::LinkSuperseded,
            title: "This link has been replaced",
            detail: format!(
                "{organization} sent a newer link that replaces this one. Use the link in the most recent email."
            ),
        },
        ConsentRefused::Database(err) => err.into(),
    }
}

async fn consent_request(state: &AppState, view: &ConsentView) -> ConsentRequest {
    let mut platforms: Vec<Platform> = state
        .platforms
        .iter()
        .filter(|id| **id != store::PARTNER_PLATFORM)
        .map(|id| Platform {
            id: (*id).to_owned(),
            name: platform_name(id),
        })
        .collect();
    platforms.extend(partner_platforms(state, &platforms).await);
    let (group_name, entities) = consent_entities(state, view).await;
    ConsentRequest {
        organization_name: view.organization.name.clone(),
        company_name: view.company.name.clone(),
        contact_name: view.company.contact_name.clone(),
        requested_data: view
            .data_types()
            .into_iter()
            .map(|t| RequestedData {
                data_type: t,
                label: t.label().to_owned(),
                contents: t.contents().iter().map(|c| (*c).to_owned()).collect(),
            })
            .collect(),
        platforms,
        expires_at: view.request.expires_at,
        group_name,
        entities,
    }
}

/// The group's entities as the consent page lists them: the group first, this link's
/// entity marked. A database failure leaves the list out rather than the page.
async fn consent_entities(
    state: &AppState,
    view: &ConsentView,
) -> (Option<String>, Vec<ConsentEntity>) {
    let members = match state.store.group_members(&view.company).await {
        Ok(members) => members,
        Err(err) => {
            tracing::warn!(error = %err, "the group's entities could not be listed");
            return (None, Vec::new());
        }
    };
    let group_name = view.company.group_id.and_then(|group| {
        members
            .iter()
            .find(|m| m.id == group)
            .map(|m| m.name.clone())
    });
    let entities = members
        .into_iter()
        .map(|m| ConsentEntity {
            current: m.id == view.company.id,
            connected_with: m.platform.as_deref().map(|p| match p {
                store::UPLOAD_PLATFORM => "Uploaded template".to_owned(),
                p if p.starts_with(PARTNER_PREFIX) || p == store::PARTNER_PLATFORM => {
                    "Our data partner".to_owned()
                }
                p => platform_name(p),
            }),
            name: m.name,
        })
        .collect();
    (group_name, entities)
}

/// The software the data partner connects, as platforms `http:{key}`: those Spendlens
/// connects itself (`direct`) are offered once, directly. A partner that cannot be
/// reached leaves the other platforms on offer.
async fn partner_platforms(state: &AppState, direct: &[Platform]) -> Vec<Platform> {
    let Some(partner) = &state.partner else {
        return Vec::new();
    };
    match partner.integrations().await {
        Ok(integrations) => integrations
            .iter()
            .filter(|i| !direct.iter().any(|d| d.name == i.name))
            .map(|i| Platform {
                id: format!("{PARTNER_PREFIX}{}", i.key),
                name: format!("{} (through our data partner)", i.name),
            })
            .collect(),
        Err(err) => {
            tracing::warn!(error = %err, "the data partner's integrations could not be listed");
            Vec::new()
        }
    }
}

/// A platform id naming software connected through the data partner: `http:{key}`.
const PARTNER_PREFIX: &str = "http:";

fn platform_name(id: &str) -> String {
    match id {
        "sandbox" => "Sandbox (demo accounting platform)".to_owned(),
        "xero" => "Xero".to_owned(),
        "quickbooks" => "QuickBooks Online".to_owned(),
        other => other.to_owned(),
    }
}

/// What an information request link asks for: who asks, what would be shared, and
/// the accounting platforms on offer.
#[utoipa::path(
    operation_id = "get_consent",
    security(()),
    tag = "consent",
    params(("token" = String, Path, description = "The token from the link", pattern = "^[A-Za-z0-9_-]{43}$")),
    responses(
        (status = 200, description = "The consent screen's content", body = ConsentRequest),
        (status = 404, description = "No such link (`link-not-found`)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The link expired (`link-expired`), was used (`link-used`) or was replaced (`link-superseded`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/consent/{token}")]
pub async fn get(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<web::Json<ConsentRequest>, ApiError> {
    let hash = token_hash(parse_token(&token)?);
    let view = state.store.usable_consent(&hash).await.map_err(refused)?;
    Ok(web::Json(consent_request(&state, &view).await))
}

/// Grant access through an accounting platform. The first fetch of the requested data
/// starts at once; the company becomes `available` when it finishes.
#[utoipa::path(
    operation_id = "grant_consent",
    security(()),
    tag = "consent",
    params(("token" = String, Path, description = "The token from the link", pattern = "^[A-Za-z0-9_-]{43}$")),
    request_body = ConsentGrant,
    responses(
        (status = 200, description = "Access granted and the first fetch queued; or, for Xero and QuickBooks Online, `pending` with the `redirect_url` of the platform's authorize page", body = ConsentOutcome),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link (`link-not-found`)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The link expired, was used or was replaced", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`platform` is not one on offer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/consent/{token}/grant")]
pub async fn grant(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: Json<ConsentGrant>,
) -> Result<web::Json<ConsentOutcome>, ApiError> {
    let token = parse_token(&token)?;
    let hash = token_hash(token);
    let platform = body.0.platform;
    if let (Some(key), Some(partner)) = (platform.strip_prefix(PARTNER_PREFIX), &state.partner) {
        // Through the data partner: the link is used up once the partner says the
        // connection is linked (`return_from_partner`, or a worker's sweep).
        let view = state.store.usable_consent(&hash).await.map_err(refused)?;
        let redirect_url = partner
            .start(&view, key, token)
            .await
            .map_err(partner_error)?;
        return Ok(web::Json(ConsentOutcome {
            status: InformationRequestStatus::Pending,
            organization_name: view.organization.name,
            redirect_url: Some(redirect_url),
            connected_organisation: None,
        }));
    }
    let Some(platform) = state
        .platforms
        .iter()
        .filter(|p| **p != store::PARTNER_PLATFORM)
        .find(|p| **p == platform)
    else {
        // Checked after the link, so an unusable link says so first.
        let view = state.store.usable_consent(&hash).await.map_err(refused)?;
        let offered = consent_request(&state, &view).await;
        let ids: Vec<&str> = offered.platforms.iter().map(|p| p.id.as_str()).collect();
        return Err(ApiError::field(
            "platform",
            format!("must be one of: {}", ids.join(", ")),
        ));
    };
    if let Some(oauth) = connections::OAuthPlatform::from_id(platform) {
        // Xero, QuickBooks: the customer authorizes at the platform first; the link is
        // used up when they come back (`routes::oauth`).
        let connector = state.connector.as_ref().ok_or_else(|| {
            ApiError::field("platform", format!("{} is not configured", oauth.name()))
        })?;
        let view = state.store.usable_consent(&hash).await.map_err(refused)?;
        let redirect_url = connector
            .authorize(&view, oauth)
            .await
            .map_err(crate::routes::oauth::connect_error)?;
        return Ok(web::Json(ConsentOutcome {
            status: InformationRequestStatus::Pending,
            organization_name: view.organization.name,
            redirect_url: Some(redirect_url),
            connected_organisation: None,
        }));
    }
    let (view, job) = state
        .store
        .grant_consent(&hash, platform)
        .await
        .map_err(refused)?;
    if job.is_some() {
        state.wake_workers();
    }
    state
        .audit(
            &state.store,
            customer_audit(&req, &view, AuditAction::ConsentGranted, Some(platform)),
        )
        .await;
    Ok(web::Json(ConsentOutcome {
        status: InformationRequestStatus::Granted,
        organization_name: view.organization.name,
        redirect_url: None,
        connected_organisation: None,
    }))
}

pub(crate) fn partner_error(err: PartnerError) -> ApiError {
    match err {
        PartnerError::Link(refused_link) => refused(refused_link),
        PartnerError::Database(err) => err.into(),
        PartnerError::UnknownIntegration => ApiError::field("platform", err.to_string()),
        PartnerError::NotStarted => ApiError::Refused {
            status: StatusCode::CONFLICT,
            kind: ProblemKind::PlatformFailed,
            title: "This connection attempt is not known",
            detail: err.to_string(),
        },
        PartnerError::Upstream(_) => ApiError::Refused {
            status: StatusCode::BAD_GATEWAY,
            kind: ProblemKind::PlatformFailed,
            title: "The data partner did not complete the connection",
            detail: err.to_string(),
        },
    }
}

/// Back from the data partner's link page (`/connect/{token}/done`): asks the partner
/// about the connection. Linked: the link is used up and the first fetch queued
/// (`granted`); still waiting for the customer there: `pending` (ask again in a few
/// seconds); cancelled at the partner (`status_code` not 2xx): `declined`, and
/// the company shows `customer_declined`.
#[utoipa::path(
    operation_id = "return_from_partner",
    security(()),
    tag = "consent",
    params(("token" = String, Path, description = "The token from the link", pattern = "^[A-Za-z0-9_-]{43}$")),
    request_body = ConsentReturn,
    responses(
        (status = 200, description = "`granted` (the first fetch is queued), `pending` or `declined`; `connected_organisation` names the software", body = ConsentOutcome),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link (`link-not-found`), or no data partner here", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This link was not sent to the data partner (`platform-failed`)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The link expired, was used or was replaced", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`status_code` is out of range", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The data partner failed, or says the connection failed (`platform-failed`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/consent/{token}/return")]
pub async fn return_from_partner(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: Json<ConsentReturn>,
) -> Result<web::Json<ConsentOutcome>, ApiError> {
    let hash = token_hash(parse_token(&token)?);
    if !(100..=599).contains(&body.0.status_code) {
        return Err(ApiError::field(
            "status_code",
            "must be an HTTP status code",
        ));
    }
    let partner = state
        .partner
        .as_ref()
        .ok_or(ApiError::NotFound("data partner"))?;
    if !(200..300).contains(&body.0.status_code) {
        let view = partner.cancelled(&hash).await.map_err(partner_error)?;
        state
            .audit(
                &state.store,
                customer_audit(&req, &view, AuditAction::ConsentDeclined, None),
            )
            .await;
        return Ok(web::Json(ConsentOutcome {
            status: InformationRequestStatus::Declined,
            organization_name: view.organization.name,
            redirect_url: None,
            connected_organisation: None,
        }));
    }
    match partner.follow(&hash).await.map_err(partner_error)? {
        PartnerProgress::Linked {
            view,
            platform_name,
            first_job,
        } => {
            if first_job {
                state.wake_workers();
                state
                    .audit(
                        &state.store,
                        customer_audit(
                            &req,
                            &view,
                            AuditAction::ConsentGranted,
                            Some(store::PARTNER_PLATFORM),
                        ),
                    )
                    .await;
            }
            Ok(web::Json(ConsentOutcome {
                status: InformationRequestStatus::Granted,
                organization_name: view.organization.name,
                redirect_url: None,
                connected_organisation: Some(platform_name),
            }))
        }
        PartnerProgress::Pending {
            view,
            platform_name,
        } => Ok(web::Json(ConsentOutcome {
            status: InformationRequestStatus::Pending,
            organization_name: view.organization.name,
            redirect_url: None,
            connected_organisation: Some(platform_name),
        })),
    }
}

/// Leave without granting access. Nothing is shared; the company shows
/// `customer_declined` so the relationship manager can follow up.
#[utoipa::path(
    operation_id = "decline_consent",
    security(()),
    tag = "consent",
    params(("token" = String, Path, description = "The token from the link", pattern = "^[A-Za-z0-9_-]{43}$")),
    responses(
        (status = 200, description = "Declined; nothing was shared", body = ConsentOutcome),
        (status = 404, description = "No such link (`link-not-found`)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The link expired, was used or was replaced", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/consent/{token}/decline")]
pub async fn decline(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<web::Json<ConsentOutcome>, ApiError> {
    let hash = token_hash(parse_token(&token)?);
    let view = state.store.decline_consent(&hash).await.map_err(refused)?;
    state
        .audit(
            &state.store,
            customer_audit(&req, &view, AuditAction::ConsentDeclined, None),
        )
        .await;
    Ok(web::Json(ConsentOutcome {
        status: InformationRequestStatus::Declined,
        organization_name: view.organization.name,
        redirect_url: None,
        connected_organisation: None,
    }))
}

/// The customer's answer, for the audit log: the contact acted through their link.
pub(crate) fn customer_audit(
    req: &HttpRequest,
    view: &store::ConsentView,
    action: AuditAction,
    platform: Option<&str>,
) -> store::AuditRecord {
    store::AuditRecord {
        organization: domain::OrganizationId::from_uuid(view.organization.id),
        actor: store::AuditActor::Customer {
            email: view.company.contact_email.clone(),
        },
        action,
        company: Some(domain::CompanyId::from_uuid(view.company.id)),
        target: None,
        ip: crate::auth::client_ip(req),
        detail: platform.map(|p| serde_json::json!({ "platform": p })),
    }
}
