//! Xero's identity service: the consent page (`login.xero.com/identity/connect/authorize`),
//! the token and revocation endpoints (`identity.xero.com/connect/token`,
//! `…/connect/revocation`), the user's connections (`api.xero.com/connections`), and
//! the fake's own controls under `/_fake/`.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{
    AccessToken, AuthorizationCode, Connection, Grant, PendingAuthorization, RefreshToken, Shared,
};
use crate::faults::FaultRequest;
use crate::oauth::{
    Form, bearer, client_credentials, escape_html, pkce_s256_matches, random_token, random_uuid,
    with_query,
};
use crate::{Fault, FaultTarget};

pub(super) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/identity/connect/authorize", web::get().to(authorize))
        .route("/identity/connect/authorize", web::post().to(consent))
        .route("/connect/token", web::post().to(token))
        .route("/connect/revocation", web::post().to(revocation))
        .route("/connections", web::get().to(connections))
        .route("/connections/{id}", web::delete().to(delete_connection))
        .route("/_fake/faults", web::post().to(admin_fault))
        .route("/_fake/revoke-all", web::post().to(admin_revoke_all))
        .route("/_fake/expire-access-tokens", web::post().to(admin_expire))
        .route("/_fake/clock/advance", web::post().to(admin_advance))
        .route("/_fake/counters", web::get().to(admin_counters))
        .route("/_fake/books/{tenant}", web::get().to(admin_books));
}

/// Scopes Xero documents (developer.xero.com/documentation/guides/oauth2/scopes),
/// including the granular accounting scopes that replace `accounting.transactions`.
const KNOWN_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.transactions",
    "accounting.transactions.read",
    "accounting.invoices",
    "accounting.invoices.read",
    "accounting.payments",
    "accounting.payments.read",
    "accounting.banktransactions",
    "accounting.banktransactions.read",
    "accounting.manualjournals",
    "accounting.manualjournals.read",
    "accounting.reports.read",
    "accounting.reports.aged.read",
    "accounting.reports.balancesheet.read",
    "accounting.reports.profitandloss.read",
    "accounting.reports.trialbalance.read",
    "accounting.reports.executivesummary.read",
    "accounting.reports.banksummary.read",
    "accounting.reports.budgetsummary.read",
    "accounting.reports.tenninetynine.read",
    "accounting.journals.read",
    "accounting.settings",
    "accounting.settings.read",
    "accounting.contacts",
    "accounting.contacts.read",
    "accounting.attachments",
    "accounting.attachments.read",
    "accounting.budgets.read",
    "files",
    "files.read",
    "assets",
    "assets.read",
    "projects",
    "projects.read",
];

const USER_EMAIL: &str = "demo@xero.example";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>\
         body{{font-family:system-ui,sans-serif;background:#f4f6f8;color:#1e272e;margin:0}}\
         main{{max-width:32rem;margin:2rem auto;background:#fff;padding:1.5rem;border-radius:.5rem}}\
         fieldset{{border:1px solid #ccd;border-radius:.25rem;margin:1rem 0}}\
         label{{display:block;padding:.5rem 0;min-height:2rem}}\
         button{{font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem;min-height:2.75rem}}\
         .allow{{background:#13b5ea;color:#fff;border:0;border-radius:.25rem}}\
         .error{{color:#b00020}}</style></head>\
         <body><main>{body}</main></body></html>"
    )
}

fn error_page(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .body(page(
            "Xero | Error",
            &format!(
                "<h1>Sorry, something went wrong</h1><p class=\"error\">{}</p>",
                escape_html(message)
            ),
        ))
}

fn consent_page(
    shared: &Shared,
    request_id: &str,
    scope: &str,
    error: Option<&str>,
) -> HttpResponse {
    let organisations: String = shared
        .config
        .organisations
        .iter()
        .map(|organisation| {
            format!(
                "<label><input type=\"checkbox\" name=\"tenant\" value=\"{}\"> {}</label>",
                organisation.tenant_id,
                escape_html(&organisation.name)
            )
        })
        .collect();
    let scopes: String = scope
        .split_whitespace()
        .map(|scope| format!("<li>{}</li>", escape_html(scope)))
        .collect();
    let error = error
        .map(|error| {
            format!(
                "<p class=\"error\" role=\"alert\">{}</p>",
                escape_html(error)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>{app} wants to access your Xero data</h1>\
         <p>Signed in as {USER_EMAIL} (fake Xero on loopback).</p>\
         <p>{app} will be able to:</p><ul>{scopes}</ul>{error}\
         <form method=\"post\" action=\"/identity/connect/authorize\">\
         <input type=\"hidden\" name=\"request\" value=\"{request_id}\">\
         <fieldset><legend>Select the organisations to connect</legend>{organisations}</fieldset>\
         <button type=\"submit\" class=\"allow\" name=\"decision\" value=\"allow\">Allow access</button>\
         <button type=\"submit\" name=\"decision\" value=\"cancel\">Cancel</button>\
         </form>",
        app = escape_html(&shared.config.app_name),
    );
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page("Xero | Authorise app", &body))
}

fn redirect(location: String) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// `GET /identity/connect/authorize`: validates the client and redirect URI (an error
/// page, never a redirect, when either is wrong, RFC 6749 §4.1.2.1), then the rest
/// (errors go back to the app), then shows the consent page.
async fn authorize(request: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let query = Form::parse(request.query_string().as_bytes());
    let config = &shared.config;
    if query.get("client_id") != Some(config.client_id.as_str()) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "unauthorized_client: Unknown client or client not enabled",
        );
    }
    let Some(redirect_uri) = query.get("redirect_uri").filter(|uri| {
        config
            .redirect_uris
            .iter()
            .any(|registered| registered == uri)
    }) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request: Invalid redirect_uri",
        );
    };
    let state = query.get("state");
    let back = |error: &str| {
        let mut params = vec![("error", error)];
        if let Some(state) = state {
            params.push(("state", state));
        }
        redirect(with_query(redirect_uri, &params))
    };
    if query.get("response_type") != Some("code") {
        return back("unsupported_response_type");
    }
    let Some(scope) = query.get("scope") else {
        return back("invalid_scope");
    };
    if scope
        .split_whitespace()
        .any(|scope| !KNOWN_SCOPES.contains(&scope))
    {
        return back("invalid_scope");
    }
    let code_challenge = query.get("code_challenge");
    if code_challenge.is_some() && query.get("code_challenge_method") != Some("S256") {
        // Xero supports S256 only.
        return back("invalid_request");
    }
    let request_id = random_token("", 16);
    shared.lock().pending.insert(
        request_id.clone(),
        PendingAuthorization {
            client_id: config.client_id.clone(),
            redirect_uri: redirect_uri.to_owned(),
            scope: scope.to_owned(),
            state: state.map(str::to_owned),
            code_challenge: code_challenge.map(str::to_owned),
            created: shared.clock.now(),
        },
    );
    consent_page(&shared, &request_id, scope, None)
}

/// The consent page's form: "Allow access" with the organisations ticked, or "Cancel".
async fn consent(body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let form = Form::parse(&body);
    let Some(request_id) = form.get("request") else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "The authorisation request is missing.",
        );
    };
    let now = shared.clock.now();
    // The sign-in session behind the page lasts a while; an answer after it is refused.
    let Some(pending) = shared
        .lock()
        .pending
        .get(request_id)
        .filter(|pending| pending.created + chrono::Duration::minutes(30) > now)
        .cloned()
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "This authorisation request has expired or was already answered.",
        );
    };
    let mut params: Vec<(&str, String)> = Vec::new();
    if form.get("decision") == Some("allow") {
        let tenants: Vec<Uuid> = form
            .all("tenant")
            .iter()
            .filter_map(|tenant| tenant.parse().ok())
            .filter(|tenant| shared.organisation(*tenant).is_some())
            .collect();
        if tenants.is_empty() {
            return consent_page(
                &shared,
                request_id,
                &pending.scope,
                Some("Select at least one organisation to connect."),
            );
        }
        let auth_event_id = random_uuid();
        let code = random_token("", 32);
        let mut state = shared.lock();
        state.pending.remove(request_id);
        // Connecting an organisation already connected updates that connection.
        for tenant_id in tenants {
            match state
                .connections
                .iter_mut()
                .find(|c| c.tenant_id == tenant_id && c.client_id == pending.client_id)
            {
                Some(connection) => {
                    connection.updated = now;
                    connection.auth_event_id = auth_event_id;
                }
                None => state.connections.push(Connection {
                    id: random_uuid(),
                    client_id: pending.client_id.clone(),
                    tenant_id,
                    auth_event_id,
                    created: now,
                    updated: now,
                }),
            }
        }
        state.codes.insert(
            code.clone(),
            AuthorizationCode {
                request: pending.clone(),
                auth_event_id,
                issued: now,
            },
        );
        state.counters.authorization_codes += 1;
        params.push(("code", code));
        params.push(("scope", pending.scope.clone()));
    } else {
        shared.lock().pending.remove(request_id);
        params.push(("error", "access_denied".to_owned()));
    }
    if let Some(state) = &pending.state {
        params.push(("state", state.clone()));
    }
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    redirect(with_query(&pending.redirect_uri, &params))
}

fn oauth_error(status: StatusCode, error: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "error": error }))
}

/// Answers the faults queued for the token endpoint; `None` to go on.
pub(super) async fn token_fault(shared: &Shared) -> Option<HttpResponse> {
    match shared.faults.take(FaultTarget::Token)? {
        Fault::Status { status } => Some(
            HttpResponse::build(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            )
            .json(json!({ "error": "server_error" })),
        ),
        Fault::MalformedJson => Some(
            HttpResponse::Ok()
                .content_type(ContentType::json())
                .body("{\"access_token\": \"eyJ"),
        ),
        Fault::Slow { millis } => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            None
        }
    }
}

fn issue_tokens(
    shared: &Shared,
    state: &mut super::State,
    grant_id: Uuid,
    refresh_token: Option<String>,
) -> serde_json::Value {
    let now = shared.clock.now();
    let config = &shared.config;
    let grant = state.grants[&grant_id].clone();
    let lifetime = chrono::Duration::from_std(config.access_token_lifetime).expect("lifetime");
    let access_token = access_jwt(&grant, now, now + lifetime);
    state.access_tokens.insert(
        access_token.clone(),
        AccessToken {
            grant: grant_id,
            expires: now + lifetime,
        },
    );
    let mut answer = json!({
        "access_token": access_token,
        "expires_in": config.access_token_lifetime.as_secs(),
        "token_type": "Bearer",
        "scope": grant.scope,
    });
    let scopes: Vec<&str> = grant.scope.split_whitespace().collect();
    // A refresh token only for `offline_access` (Xero's scopes guide).
    if scopes.contains(&"offline_access") {
        let refresh_token = refresh_token.unwrap_or_else(|| {
            let token = random_token("xero_rt_", 32);
            state.refresh_tokens.insert(
                token.clone(),
                RefreshToken {
                    grant: grant_id,
                    expires: now
                        + chrono::Duration::from_std(config.refresh_token_lifetime)
                            .expect("lifetime"),
                    rotated: None,
                },
            );
            token
        });
        answer["refresh_token"] = json!(refresh_token);
    }
    if scopes.contains(&"openid") {
        // Xero's is a signed JWT; this one has the same three parts and claims, and no
        // usable signature (clients should not need to verify it to call the API).
        let id_token = format!(
            "{}.{}.{}",
            encode(json!({"alg": "RS256", "kid": "fake", "typ": "JWT"})),
            encode(json!({
                "iss": "https://identity.xero.com",
                "aud": grant.client_id,
                "iat": now.timestamp(),
                "exp": now.timestamp() + 300,
                "sub": "fake-user",
                "xero_userid": "00000000-0000-4000-8000-000000000001",
                "email": USER_EMAIL,
                "given_name": "Demo",
                "family_name": "User",
                "global_session_id": grant.auth_event_id,
            })),
            random_token("", 32)
        );
        answer["id_token"] = json!(id_token);
    }
    answer
}

/// A JWT's header or payload part.
fn encode(value: serde_json::Value) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Xero's access token is a JWT whose claims include `authentication_event_id`, the
/// authorization that issued it (clients filter `/connections` by it). This one has
/// Xero's claims and, for a signature, a random part that keeps it unique and secret
/// (`xero_at_…`, recognisable in a log).
fn access_jwt(grant: &Grant, now: DateTime<Utc>, expires: DateTime<Utc>) -> String {
    format!(
        "{}.{}.{}",
        encode(json!({"alg": "RS256", "kid": "fake", "typ": "JWT", "x5t": "fake"})),
        encode(json!({
            "nbf": now.timestamp(),
            "exp": expires.timestamp(),
            "iss": "https://identity.xero.com",
            "aud": "https://identity.xero.com/resources",
            "client_id": grant.client_id,
            "sub": "fake-user",
            "auth_time": now.timestamp(),
            "xero_userid": "00000000-0000-4000-8000-000000000001",
            "global_session_id": grant.auth_event_id,
            "jti": random_uuid(),
            "authentication_event_id": grant.auth_event_id,
            "scope": grant.scope.split_whitespace().collect::<Vec<_>>(),
        })),
        random_token("xero_at_", 32)
    )
}

/// `POST /connect/token`: `authorization_code` (with PKCE) and `refresh_token` (with
/// rotation).
async fn token(request: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    shared.lock().count_call("token");
    if let Some(answer) = token_fault(&shared).await {
        shared.lock().counters.token_errors += 1;
        return answer;
    }
    let answer = token_answer(&request, &body, &shared);
    if answer.status() != StatusCode::OK {
        shared.lock().counters.token_errors += 1;
    }
    answer
}

fn token_answer(request: &HttpRequest, body: &[u8], shared: &Shared) -> HttpResponse {
    let form = Form::parse(body);
    let config = &shared.config;
    match client_credentials(request, &form) {
        Some((id, secret)) if id == config.client_id && secret == config.client_secret => {}
        _ => return oauth_error(StatusCode::BAD_REQUEST, "invalid_client"),
    }
    let now = shared.clock.now();
    let invalid_grant = || oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    match form.get("grant_type") {
        Some("authorization_code") => {
            let Some(code) = form.get("code") else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
            };
            let mut state = shared.lock();
            // Single use: removed whatever happens next.
            let Some(issued) = state.codes.remove(code) else {
                return invalid_grant();
            };
            let lifetime = chrono::Duration::from_std(config.code_lifetime).expect("lifetime");
            if issued.issued + lifetime < now
                || form.get("redirect_uri") != Some(issued.request.redirect_uri.as_str())
            {
                return invalid_grant();
            }
            if let Some(challenge) = &issued.request.code_challenge {
                match form.get("code_verifier") {
                    Some(verifier) if pkce_s256_matches(verifier, challenge) => {}
                    _ => return invalid_grant(),
                }
            }
            let grant_id = random_uuid();
            state.grants.insert(
                grant_id,
                Grant {
                    client_id: issued.request.client_id.clone(),
                    scope: issued.request.scope.clone(),
                    auth_event_id: issued.auth_event_id,
                    revoked: false,
                },
            );
            let answer = issue_tokens(shared, &mut state, grant_id, None);
            state.counters.code_exchanges += 1;
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(answer)
        }
        Some("refresh_token") => {
            let Some(presented) = form.get("refresh_token") else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
            };
            let mut state = shared.lock();
            let Some(token) = state.refresh_tokens.get(presented).cloned() else {
                return invalid_grant();
            };
            let grant = state.grants[&token.grant].clone();
            if grant.revoked || grant.client_id != config.client_id || token.expires <= now {
                return invalid_grant();
            }
            let grace = chrono::Duration::from_std(config.refresh_token_grace).expect("grace");
            let successor = match &token.rotated {
                // Used before: within the grace period the same successor is answered
                // again (the first answer may have been lost); after it, refused.
                Some((successor, at)) if *at + grace > now => Some(successor.clone()),
                Some(_) => return invalid_grant(),
                None => None,
            };
            let answer = issue_tokens(shared, &mut state, token.grant, successor);
            if token.rotated.is_none()
                && let Some(new) = answer["refresh_token"].as_str()
            {
                let entry = state.refresh_tokens.get_mut(presented).expect("present");
                entry.rotated = Some((new.to_owned(), now));
            }
            state.counters.token_refreshes += 1;
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(answer)
        }
        Some(_) => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
        None => oauth_error(StatusCode::BAD_REQUEST, "invalid_request"),
    }
}

fn revoke_grant(state: &mut super::State, grant_id: Uuid) {
    let Some(grant) = state.grants.get_mut(&grant_id) else {
        return;
    };
    grant.revoked = true;
    let (client_id, auth_event_id) = (grant.client_id.clone(), grant.auth_event_id);
    // Revoking removes the connections that authorization made.
    state
        .connections
        .retain(|c| !(c.client_id == client_id && c.auth_event_id == auth_event_id));
}

pub(super) fn revoke_all(shared: &Shared) {
    let mut state = shared.lock();
    let grants: Vec<Uuid> = state.grants.keys().copied().collect();
    for grant in grants {
        revoke_grant(&mut state, grant);
    }
}

/// `POST /connect/revocation` (RFC 7009): revokes the refresh token's grant. An unknown
/// token is answered 200 too, as RFC 7009 §2.2 says.
async fn revocation(
    request: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    shared.lock().count_call("revocation");
    let form = Form::parse(&body);
    let config = &shared.config;
    match client_credentials(&request, &form) {
        Some((id, secret)) if id == config.client_id && secret == config.client_secret => {}
        _ => return oauth_error(StatusCode::BAD_REQUEST, "invalid_client"),
    }
    let Some(token) = form.get("token") else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let mut state = shared.lock();
    let grant = state
        .refresh_tokens
        .get(token)
        .map(|t| t.grant)
        .or_else(|| state.access_tokens.get(token).map(|t| t.grant));
    if let Some(grant) = grant {
        revoke_grant(&mut state, grant);
    }
    HttpResponse::Ok().finish()
}

/// Xero's answer to a missing, unknown, revoked or expired access token.
pub(super) fn unauthorized(detail: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\""))
        .json(json!({
            "Type": null,
            "Title": "Unauthorized",
            "Status": 401,
            "Detail": detail,
            "Instance": random_uuid(),
            "Extensions": {},
        }))
}

pub(super) fn forbidden(detail: &str) -> HttpResponse {
    HttpResponse::Forbidden().json(json!({
        "Type": null,
        "Title": "Forbidden",
        "Status": 403,
        "Detail": detail,
        "Instance": random_uuid(),
        "Extensions": {},
    }))
}

/// The grant behind the request's bearer token, or the `401` to answer.
pub(super) fn authenticate(request: &HttpRequest, shared: &Shared) -> Result<Grant, HttpResponse> {
    let Some(token) = bearer(request) else {
        return Err(unauthorized("AuthenticationUnsuccessful"));
    };
    let now = shared.clock.now();
    let state = shared.lock();
    let Some(access) = state.access_tokens.get(&token) else {
        return Err(unauthorized("AuthenticationUnsuccessful"));
    };
    if access.expires <= now {
        return Err(unauthorized(&format!(
            "TokenExpired: token expired at {}",
            access.expires.format("%m/%d/%Y %H:%M:%S")
        )));
    }
    let grant = &state.grants[&access.grant];
    if grant.revoked {
        return Err(unauthorized("AuthenticationUnsuccessful"));
    }
    Ok(grant.clone())
}

fn iso(time: DateTime<Utc>) -> String {
    // The identity API writes UTC without an offset, to 7 decimal places.
    let ticks = time.timestamp_subsec_nanos() / 100;
    format!("{}.{ticks:07}", time.format("%Y-%m-%dT%H:%M:%S"))
}

/// `GET /connections[?authEventId=…]`: the user's connections to this app.
async fn connections(request: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    shared.lock().count_call("connections");
    let grant = match authenticate(&request, &shared) {
        Ok(grant) => grant,
        Err(answer) => return answer,
    };
    if let Some(answer) = super::api::api_fault(&shared, None).await {
        return answer;
    }
    let query = Form::parse(request.query_string().as_bytes());
    let event: Option<Uuid> = query.get("authEventId").and_then(|id| id.parse().ok());
    let state = shared.lock();
    let list: Vec<serde_json::Value> = state
        .connections
        .iter()
        .filter(|c| c.client_id == grant.client_id)
        .filter(|c| event.is_none_or(|event| c.auth_event_id == event))
        .map(|c| {
            let organisation = shared.organisation(c.tenant_id).expect("known tenant");
            json!({
                "id": c.id,
                "authEventId": c.auth_event_id,
                "tenantId": c.tenant_id,
                "tenantType": "ORGANISATION",
                "tenantName": organisation.name,
                "createdDateUtc": iso(c.created),
                "updatedDateUtc": iso(c.updated),
            })
        })
        .collect();
    HttpResponse::Ok().json(list)
}

/// `DELETE /connections/{id}`: disconnects one organisation (204, or 404).
async fn delete_connection(
    request: HttpRequest,
    id: web::Path<String>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    shared.lock().count_call("connections");
    let grant = match authenticate(&request, &shared) {
        Ok(grant) => grant,
        Err(answer) => return answer,
    };
    let Ok(id) = id.parse::<Uuid>() else {
        return HttpResponse::NotFound().finish();
    };
    let mut state = shared.lock();
    let before = state.connections.len();
    state
        .connections
        .retain(|c| !(c.id == id && c.client_id == grant.client_id));
    if state.connections.len() < before {
        HttpResponse::NoContent().finish()
    } else {
        HttpResponse::NotFound().finish()
    }
}

/// `POST /_fake/faults` `{"target":"api","fault":{"kind":"status","status":503},"times":2}`.
async fn admin_fault(shared: web::Data<Shared>, body: web::Json<FaultRequest>) -> HttpResponse {
    shared.faults.push_request(body.into_inner());
    HttpResponse::NoContent().finish()
}

async fn admin_revoke_all(shared: web::Data<Shared>) -> HttpResponse {
    revoke_all(&shared);
    HttpResponse::NoContent().finish()
}

async fn admin_expire(shared: web::Data<Shared>) -> HttpResponse {
    let now = shared.clock.now();
    for token in shared.lock().access_tokens.values_mut() {
        token.expires = token.expires.min(now);
    }
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
struct Advance {
    seconds: u64,
}

/// `POST /_fake/clock/advance` `{"seconds": 1800}`.
async fn admin_advance(shared: web::Data<Shared>, body: web::Json<Advance>) -> HttpResponse {
    shared.clock.advance(Duration::from_secs(body.seconds));
    HttpResponse::NoContent().finish()
}

async fn admin_counters(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(shared.lock().counters.clone())
}

/// `GET /_fake/books/{tenant}`: the totals an end-to-end test compares reports with.
async fn admin_books(tenant: web::Path<String>, shared: web::Data<Shared>) -> HttpResponse {
    let books = tenant
        .parse::<Uuid>()
        .ok()
        .and_then(|tenant| shared.books.get(&tenant));
    match books {
        Some(books) => HttpResponse::Ok().json(crate::books::summary(books)),
        None => HttpResponse::NotFound().finish(),
    }
}
