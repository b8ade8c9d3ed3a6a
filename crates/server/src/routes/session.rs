//! Signing in and out with email and password.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use api_types::{OrganizationSummary, Problem, ProblemKind, Session, SignIn};
use domain::AuditAction;
use store::{RateLimit, entities::users};

use crate::{
    auth::{self, Caller, Principal},
    error::ApiError,
    extract::Json,
    routes::accounts,
    secrets,
    state::AppState,
    views,
};

/// The argon2id hash of a random password, checked when no user matches, so that a
/// wrong email address takes as long as a wrong password.
static DECOY_HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

async fn decoy_hash() -> Result<String, ApiError> {
    DECOY_HASH
        .get_or_try_init(|| secrets::hash_password(secrets::new_token()))
        .await
        .cloned()
        .map_err(ApiError::Internal)
}

/// Sign in with email and password.
///
/// Sets the `spendlens_session` cookie (`HttpOnly`, `SameSite=Lax`), and
/// `spendlens_signed_in=1` beside it (no secret: it only lets the web app know, without
/// asking, that a session may exist), and answers the session, whose `csrf_token` must be sent as `X-CSRF-Token` with every change.
/// Attempts are limited per email address and client address together, and per client
/// address; at most one password check per two cores runs at once (the rest wait, up to
/// 10 s, then 429).
#[utoipa::path(
    operation_id = "sign_in",
    tag = "session",
    request_body = SignIn,
    security(()),
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = Session),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The email or password is not right", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing, too long or of the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts for this email address, or from this client address, or too many sign-ins at once; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/session")]
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<SignIn>,
) -> Result<HttpResponse, ApiError> {
    let SignIn { email, password } = body.0;
    if email.chars().count() > 254 {
        return Err(ApiError::field("email", "must be at most 254 characters"));
    }
    if password.chars().count() > *domain::PASSWORD_LENGTH.end() {
        return Err(ApiError::field(
            "password",
            "must be at most 256 characters",
        ));
    }
    let email = email.trim().to_lowercase();
    // Per client address and account together, so that nobody elsewhere can lock a user
    // out by failing on purpose; and per client address across accounts, so that one
    // address cannot try a password on every account (spraying).
    let address = auth::client_ip(&req).unwrap_or_default();
    limit(
        &state,
        &format!("sign-in:{address}:{email}"),
        state.auth.sign_ins_per_minute,
        "Too many sign-in attempts for this email address. Wait a minute and try again, or reset your password.",
    )
    .await?;
    limit(
        &state,
        &format!("sign-in-from:{address}"),
        state.auth.sign_ins_per_address_per_minute,
        "Too many sign-in attempts from your network address. Wait a minute and try again.",
    )
    .await?;
    let candidates = state.store.users_signing_in(&email).await?;
    let mut signed_in: Option<users::Model> = None;
    if candidates.is_empty() {
        secrets::verify_password(password.clone(), decoy_hash().await?).await?;
    }
    for (user, _) in candidates {
        let hash = user.password_hash.clone().unwrap_or_default();
        if secrets::verify_password(password.clone(), hash).await? {
            signed_in = Some(user);
            break;
        }
    }
    let Some(user) = signed_in else {
        return Err(ApiError::Unauthorized {
            kind: ProblemKind::InvalidCredentials,
            detail: "The email address or the password is not right.".to_owned(),
        });
    };
    accounts::audit_user(&state, &user, &req, AuditAction::UserSignedIn).await?;
    accounts::start_session(&req, &state, user).await
}

/// Takes one attempt from the bucket `key`, `per_minute` a minute across all servers;
/// 429 with `detail` when it is empty.
async fn limit(state: &AppState, key: &str, per_minute: u32, detail: &str) -> Result<(), ApiError> {
    let per_minute = f64::from(per_minute.max(1));
    let limit = RateLimit {
        rate: per_minute / 60.0,
        burst: per_minute,
    };
    match state.store.take_token(key, limit).await? {
        None => Ok(()),
        Some(wait) => Err(ApiError::TooManyRequests {
            retry_after: wait.as_secs().max(1),
            detail: detail.to_owned(),
        }),
    }
}

/// The signed-in user's session (and its CSRF token).
#[utoipa::path(
    operation_id = "get_session",
    tag = "session",
    responses(
        (status = 200, description = "The session", body = Session),
        (status = 401, description = "Not signed in, or the session ended", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API key has no session", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/session")]
pub async fn get(caller: Caller) -> Result<web::Json<Session>, ApiError> {
    let Principal::User {
        user,
        csrf_token,
        expires_at,
        ..
    } = caller.principal
    else {
        return Err(ApiError::Forbidden {
            kind: ProblemKind::Forbidden,
            detail: "API keys have no session; sign in with email and password.".to_owned(),
        });
    };
    let organization = caller
        .store
        .organization(caller.organization)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("organization missing")))?;
    Ok(web::Json(Session {
        user: views::user(user),
        organization: OrganizationSummary {
            slug: organization.slug,
            name: organization.name,
        },
        csrf_token,
        expires_at,
    }))
}

/// Sign out: ends the session and removes its cookies.
#[utoipa::path(
    operation_id = "sign_out",
    tag = "session",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing CSRF token, or an API key", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/session")]
pub async fn sign_out(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let Principal::User { session, .. } = &caller.principal else {
        return Err(ApiError::Forbidden {
            kind: ProblemKind::Forbidden,
            detail: "API keys have no session to end; revoke the key instead.".to_owned(),
        });
    };
    caller.store.end_session(*session).await?;
    caller
        .store
        .record_audit(caller.audit(AuditAction::UserSignedOut))
        .await?;
    let mut answer = HttpResponse::NoContent();
    for cookie in auth::cleared_cookies(&state.auth) {
        answer.cookie(cookie);
    }
    Ok(answer.finish())
}
