//! Where Xero and QuickBooks Online send the customer back, and the choice of
//! organisation when they authorized several (crate `connections` does the work).
//!
//! The callback is a browser navigation, so every outcome is a `303` to a page of the
//! web app: `/connect/connected`, `/connect/declined`, `/connect/choose/{choice}` or
//! `/connect/problem`. The query it came with (code, state) is never logged: the
//! request's span names the route pattern only.

use actix_web::{HttpRequest, HttpResponse, get, http::StatusCode, post, web};
use api_types::{
    ConsentOutcome, InformationRequestStatus, OrganisationChoice, OrganisationChosen,
    PlatformOrganisation, Problem, ProblemKind,
};
use connections::{CallbackOutcome, CallbackQuery, ConnectError, OAuthPlatform};
use domain::AuditAction;

use crate::{error::ApiError, extract::Json, routes::consent, state::AppState};

/// A connection step's failure as an API problem (for the JSON endpoints).
pub(crate) fn connect_error(err: ConnectError) -> ApiError {
    match err {
        ConnectError::Link(refused) => consent::refused(refused),
        ConnectError::Database(err) => err.into(),
        ConnectError::Vault(err) => {
            tracing::error!(error = %err, "a sealed secret could not be opened");
            ApiError::Internal(anyhow::anyhow!("a sealed secret could not be opened"))
        }
        ConnectError::UnknownState => ApiError::Refused {
            status: StatusCode::NOT_FOUND,
            kind: ProblemKind::LinkNotFound,
            title: "This connection attempt is not known",
            detail: err.to_string(),
        },
        ConnectError::UnknownTenant => ApiError::field("organisation_id", err.to_string()),
        ConnectError::NotConfigured(_)
        | ConnectError::Platform { .. }
        | ConnectError::NoOrganisation(_) => ApiError::Refused {
            status: StatusCode::BAD_GATEWAY,
            kind: ProblemKind::PlatformFailed,
            title: "The accounting platform did not complete the connection",
            detail: err.to_string(),
        },
    }
}

fn platform(
    state: &AppState,
    id: &str,
) -> Result<(connections::Connector, OAuthPlatform), ApiError> {
    let platform = OAuthPlatform::from_id(id).ok_or(ApiError::NotFound("OAuth platform"))?;
    let connector = state
        .connector
        .clone()
        .filter(|c| c.platforms().any(|p| p == platform))
        .ok_or(ApiError::NotFound("OAuth platform"))?;
    Ok((connector, platform))
}

fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Records the outcome (audit, workers) and says where the customer goes.
async fn landing(req: &HttpRequest, state: &AppState, outcome: CallbackOutcome) -> String {
    match outcome {
        CallbackOutcome::Connected {
            view,
            tenant,
            first_job,
        } => {
            if first_job {
                state.wake_workers();
            }
            state
                .audit(
                    &state.store,
                    consent::customer_audit(
                        req,
                        &view,
                        AuditAction::ConsentGranted,
                        view.request.platform.as_deref(),
                    ),
                )
                .await;
            format!(
                "/connect/connected?organisation={}&by={}",
                encode(&tenant.name),
                encode(&view.organization.name)
            )
        }
        CallbackOutcome::Declined { view } => {
            state
                .audit(
                    &state.store,
                    consent::customer_audit(req, &view, AuditAction::ConsentDeclined, None),
                )
                .await;
            format!("/connect/declined?by={}", encode(&view.organization.name))
        }
        CallbackOutcome::Choose { choice } => format!("/connect/choose/{choice}"),
    }
}

/// Where Xero or QuickBooks Online sends the customer after they answered on its
/// authorize page. Answers a `303` to the web app's page for the outcome: connected
/// (the first fetch is queued), declined (`access_denied` at the platform: the company
/// shows `customer_declined`), a choice of organisation, or a problem.
#[utoipa::path(
    operation_id = "oauth_callback",
    security(()),
    tag = "consent",
    params(
        ("platform" = String, Path, description = "`xero` or `quickbooks`", pattern = r"^[^\x00]*$"),
        ("code" = Option<String>, Query, description = "The authorization code", pattern = r"^[^\x00]*$"),
        ("state" = Option<String>, Query, description = "The value Spendlens sent to the authorize page", pattern = r"^[^\x00]*$"),
        ("error" = Option<String>, Query, description = "The platform's error, e.g. `access_denied`", pattern = r"^[^\x00]*$"),
        ("realmId" = Option<String>, Query, description = "QuickBooks: the company authorized", pattern = r"^[^\x00]*$"),
    ),
    responses(
        (status = 303, description = "To the web app's page for the outcome"),
        (status = 400, description = "The query string cannot be read (e.g. a NUL character)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a configured OAuth platform", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/oauth/{platform}/callback")]
pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, ApiError> {
    let (connector, platform) = platform(&state, &path)?;
    let location = match connector.callback(platform, query.into_inner()).await {
        Ok(outcome) => landing(&req, &state, outcome).await,
        Err(ConnectError::Database(err)) => return Err(err.into()),
        Err(err) => {
            let problem = connect_error(err);
            format!("/connect/problem?message={}", encode(&problem.to_string()))
        }
    };
    Ok(see_other(location))
}

/// The organisations the customer authorized, for them to say which one this company is.
#[utoipa::path(
    operation_id = "get_organisation_choice",
    security(()),
    tag = "consent",
    params(("choice" = String, Path, description = "From the callback's redirect", pattern = "^[A-Za-z0-9_-]{22}$")),
    responses(
        (status = 200, description = "The organisations on offer", body = OrganisationChoice),
        (status = 404, description = "No such choice, or it expired", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The consent link expired, was used or was replaced", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/oauth/choices/{choice}")]
pub async fn choices(
    state: web::Data<AppState>,
    choice: web::Path<String>,
) -> Result<web::Json<OrganisationChoice>, ApiError> {
    let connector = state
        .connector
        .clone()
        .ok_or(ApiError::NotFound("OAuth platform"))?;
    let choice = parse_choice(&choice)?;
    let view = connector.choices(choice).await.map_err(connect_error)?;
    Ok(web::Json(OrganisationChoice {
        organization_name: view.view.organization.name,
        company_name: view.view.company.name,
        platform_name: view.platform.name().to_owned(),
        organisations: view
            .tenants
            .into_iter()
            .map(|t| PlatformOrganisation {
                id: t.id,
                name: t.name,
            })
            .collect(),
    }))
}

/// The customer chose the organisation: the connection is stored, the link used up
/// and the first fetch queued.
#[utoipa::path(
    operation_id = "choose_organisation",
    security(()),
    tag = "consent",
    params(("choice" = String, Path, description = "From the callback's redirect", pattern = "^[A-Za-z0-9_-]{22}$")),
    request_body = OrganisationChosen,
    responses(
        (status = 200, description = "Connected; the first fetch is queued (and each other entity's, with `other_entities`)", body = ConsentOutcome),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such choice, or it expired", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The consent link expired, was used or was replaced", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not one of the organisations on offer, or more than 50 other entities", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/oauth/choices/{choice}")]
pub async fn choose(
    req: HttpRequest,
    state: web::Data<AppState>,
    choice: web::Path<String>,
    body: Json<OrganisationChosen>,
) -> Result<web::Json<ConsentOutcome>, ApiError> {
    let connector = state
        .connector
        .clone()
        .ok_or(ApiError::NotFound("OAuth platform"))?;
    let choice = parse_choice(&choice)?;
    if body.0.other_entities.len() > store::MAX_ENTITIES as usize {
        return Err(ApiError::field(
            "other_entities",
            format!("at most {} other entities", store::MAX_ENTITIES),
        ));
    }
    let outcome = connector
        .choose(choice, &body.0.organisation_id, &body.0.other_entities)
        .await
        .map_err(connect_error)?;
    let (organization_name, organisation) = match &outcome {
        CallbackOutcome::Connected { view, tenant, .. } => {
            (view.organization.name.clone(), Some(tenant.name.clone()))
        }
        CallbackOutcome::Declined { view } => (view.organization.name.clone(), None),
        CallbackOutcome::Choose { .. } => {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "a choice led to another choice"
            )));
        }
    };
    landing(&req, &state, outcome).await;
    Ok(web::Json(ConsentOutcome {
        status: InformationRequestStatus::Granted,
        organization_name,
        redirect_url: None,
        connected_organisation: organisation,
    }))
}

fn parse_choice(choice: &str) -> Result<&str, ApiError> {
    let valid = choice.len() == 22
        && choice
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(choice)
    } else {
        Err(ApiError::NotFound("choice"))
    }
}
