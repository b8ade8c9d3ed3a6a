//! The organization's people: invitations, roles, deactivation, and password resets.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use api_types::{
    AccountLinkInfo, InvitationAcceptance, NewPassword, NewUser, OrganizationSummary,
    PasswordResetRequest, Problem, ProblemKind, Session, UserSummary, UserUpdate,
};
use domain::{AuditAction, ContactName, EmailAddress, UserId};
use mail::AccountLinkEmail;
use store::{
    AccountLink, AuditRecord, NewEmail, NewSession, Store, TokenRefused, UserChangeRefused,
    entities::users, token_kind,
};

use crate::{
    auth::{self, Admin},
    error::ApiError,
    extract::Json,
    secrets,
    state::AppState,
    views,
};

/// How long an invitation link works.
const INVITATION_DAYS: i64 = 7;
/// How long a password reset link works.
const RESET_MINUTES: i64 = 60;

fn password_field(password: &str) -> Result<(), ApiError> {
    match domain::password_problem(password) {
        Some(problem) => Err(ApiError::field("password", problem)),
        None => Ok(()),
    }
}

fn link_refused(err: TokenRefused) -> ApiError {
    let (status, kind, title, detail) = match err {
        TokenRefused::NotFound => (
            actix_web::http::StatusCode::NOT_FOUND,
            ProblemKind::AccountLinkNotFound,
            "Link not found",
            "This link is not valid. Ask your organization's admin for a new invitation, or ask for a new password reset.",
        ),
        TokenRefused::Expired => (
            actix_web::http::StatusCode::GONE,
            ProblemKind::AccountLinkExpired,
            "Link expired",
            "This link has expired. Ask your organization's admin for a new invitation, or ask for a new password reset.",
        ),
        TokenRefused::Used => (
            actix_web::http::StatusCode::GONE,
            ProblemKind::AccountLinkUsed,
            "Link already used",
            "This link was already used. Sign in, or ask for a new password reset.",
        ),
        TokenRefused::Database(err) => return err.into(),
    };
    ApiError::Refused {
        status,
        kind,
        title,
        detail: detail.to_owned(),
    }
}

fn link_info(link: AccountLink) -> AccountLinkInfo {
    AccountLinkInfo {
        email: link.user.email,
        name: link.user.name,
        organization: OrganizationSummary {
            slug: link.organization.slug,
            name: link.organization.name,
        },
        expires_at: link.token.expires_at,
    }
}

/// Makes a link for `user` and queues its email.
async fn send_account_link(
    state: &AppState,
    store: &Store,
    user: &users::Model,
    inviter: Option<&str>,
) -> Result<(), ApiError> {
    let organization = store
        .organization(domain::OrganizationId::from_uuid(user.organization_id))
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("organization missing")))?;
    let token = secrets::new_token();
    let (kind, path, expires_at) = match inviter {
        Some(_) => (
            token_kind::INVITE,
            "invitations",
            store.now() + chrono::Duration::days(INVITATION_DAYS),
        ),
        None => (
            token_kind::RESET,
            "reset-password",
            store.now() + chrono::Duration::minutes(RESET_MINUTES),
        ),
    };
    let link = format!("{}/{path}/{token}", state.public_url);
    let rendered = AccountLinkEmail {
        organization: &organization.name,
        name: &user.name,
        inviter,
        link: &link,
        expires_at,
    }
    .render()
    .map_err(|e| ApiError::Internal(e.into()))?;
    store
        .create_account_link(
            user,
            kind,
            &secrets::token_hash(&token),
            expires_at,
            NewEmail {
                from: state.mail_from.clone(),
                to: format!(
                    "\"{}\" <{}>",
                    user.name.replace(['"', '\\'], ""),
                    user.email
                ),
                subject: rendered.subject,
                html: rendered.html,
                text: rendered.text,
            },
        )
        .await?;
    state.wake_mail();
    if state.log_outbox_links {
        tracing::info!(email = %user.email, %link, "account link written to the outbox (logged: the embedded default on loopback)");
    }
    Ok(())
}

/// Invite a user (admins only): they get an email with a link to choose a password.
#[utoipa::path(
    operation_id = "invite_user",
    tag = "users",
    request_body = NewUser,
    responses(
        (status = 201, description = "Invited; the invitation email is queued", body = UserSummary),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A user with this email address already exists", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Some fields are not valid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users")]
pub async fn invite(
    state: web::Data<AppState>,
    admin: Admin,
    body: Json<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let Admin(caller) = admin;
    let new = body.0;
    let email = EmailAddress::parse(&new.email);
    let name = ContactName::parse(&new.name);
    let mut errors = Vec::new();
    if let Err(err) = &email {
        errors.push(api_types::FieldError {
            field: "email".to_owned(),
            message: err.to_string(),
        });
    }
    if let Err(err) = &name {
        errors.push(api_types::FieldError {
            field: "name".to_owned(),
            message: err.to_string(),
        });
    }
    let (Ok(email), Ok(name)) = (email, name) else {
        return Err(ApiError::Validation(errors));
    };
    if caller
        .store
        .user_by_email(caller.organization, email.as_str())
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict {
            kind: ProblemKind::UserExists,
            title: "Already a user",
            detail: format!("{} is already a user of this organization.", email.as_str()),
        });
    }
    let user = caller
        .store
        .create_user(
            caller.organization,
            &email,
            name.as_ref(),
            new.role.as_str(),
        )
        .await?;
    let inviter = caller
        .user()
        .map_or("Your organization's admin", |u| u.name.as_str());
    send_account_link(&state, &caller.store, &user, Some(inviter)).await?;
    caller
        .store
        .record_audit(AuditRecord {
            target: Some(user.email.clone()),
            detail: Some(serde_json::json!({ "role": new.role })),
            ..caller.audit(AuditAction::UserInvited)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/users/{}", user.id),
        ))
        .json(views::user(user)))
}

/// Change a user's role, or deactivate (or reactivate) them (admins only).
/// Deactivation ends the user's sessions at once, and the API keys they created are
/// refused until they are reactivated. The last active admin cannot be demoted or
/// deactivated.
#[utoipa::path(
    operation_id = "update_user",
    tag = "users",
    params(("id" = UserId, Path, description = "The user's id")),
    request_body = UserUpdate,
    responses(
        (status = 200, description = "The updated user", body = UserSummary),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user in this organization", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It would leave the organization without an admin", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Some fields are not valid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/users/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    admin: Admin,
    id: web::Path<UserId>,
    body: Json<UserUpdate>,
) -> Result<web::Json<UserSummary>, ApiError> {
    let Admin(caller) = admin;
    let change = body.0;
    let user = caller
        .store
        .change_user(caller.organization, id.into_inner(), change.role, change.active)
        .await
        .map_err(|err| match err {
            UserChangeRefused::NotFound => ApiError::NotFound("user"),
            UserChangeRefused::LastAdmin => ApiError::Conflict {
                kind: ProblemKind::LastAdmin,
                title: "The last admin",
                detail: "The organization needs at least one active admin: make someone else an admin first.".to_owned(),
            },
            UserChangeRefused::Database(err) => err.into(),
        })?;
    if !user.active {
        // Their keys are refused from now on: this process forgets them at once, the
        // others within the key cache's TTL.
        state.keys.forget_created_by(user.id);
    }
    caller
        .store
        .record_audit(AuditRecord {
            target: Some(user.email.clone()),
            detail: Some(serde_json::to_value(&change).unwrap_or_default()),
            ..caller.audit(AuditAction::UserUpdated)
        })
        .await?;
    Ok(web::Json(views::user(user)))
}

/// What an invitation link is for (no sign-in: the link is the credential).
#[utoipa::path(
    operation_id = "get_invitation",
    tag = "users",
    security(()),
    params(("token" = String, Path, description = "The token from the invitation email")),
    responses(
        (status = 200, description = "Who is invited, to which organization", body = AccountLinkInfo),
        (status = 404, description = "No such invitation", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The invitation expired or was used", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/invitations/{token}")]
pub async fn get_invitation(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<web::Json<AccountLinkInfo>, ApiError> {
    describe_link(&state, &token, token_kind::INVITE).await
}

/// Accept an invitation: choose a password; answers a signed-in session.
#[utoipa::path(
    operation_id = "accept_invitation",
    tag = "users",
    security(()),
    params(("token" = String, Path, description = "The token from the invitation email")),
    request_body = InvitationAcceptance,
    responses(
        (status = 200, description = "The password is set and the user signed in", body = Session),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such invitation", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The invitation expired or was used", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The password is too short or too long", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/invitations/{token}")]
pub async fn accept_invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: Json<InvitationAcceptance>,
) -> Result<HttpResponse, ApiError> {
    let acceptance = body.0;
    let name = acceptance
        .name
        .as_deref()
        .map(ContactName::parse)
        .transpose()
        .map_err(|e| ApiError::field("name", e.to_string()))?;
    let name = name.as_ref().map(AsRef::as_ref);
    redeem(
        &req,
        &state,
        &token,
        token_kind::INVITE,
        acceptance.password,
        name,
        AuditAction::UserJoined,
    )
    .await
}

/// Ask for a password reset link by email (no sign-in). Always `202`, after the same
/// work whether the address belongs to a user or not: that is not told, not even by
/// the time the answer takes (the link is made and queued after the answer).
///
/// Limited per email address and client address together (3 an hour), per client
/// address (20 an hour) and per email address (10 an hour, so nobody can fill a user's
/// inbox; the links that limit counts went to the user, so it locks nobody out).
#[utoipa::path(
    operation_id = "request_password_reset",
    tag = "session",
    security(()),
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "If the address belongs to a user, a reset link is on its way"),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or of the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests for this email address or from this client address; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/password-resets")]
pub async fn request_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<PasswordResetRequest>,
) -> Result<HttpResponse, ApiError> {
    if body.0.email.chars().count() > 254 {
        return Err(ApiError::field("email", "must be at most 254 characters"));
    }
    let email = body.0.email.trim().to_lowercase();
    let address = auth::client_ip(&req).unwrap_or_default();
    for (key, per_hour) in [
        (format!("password-reset:{address}:{email}"), 3.0),
        (format!("password-reset-from:{address}"), 20.0),
        (format!("password-reset-to:{email}"), 10.0),
    ] {
        let limit = store::RateLimit {
            rate: per_hour / 3600.0,
            burst: per_hour,
        };
        if let Some(wait) = state.store.take_token(&key, limit).await? {
            return Err(ApiError::TooManyRequests {
                retry_after: wait.as_secs().max(1),
                detail: "Too many reset requests for this address. Check your inbox, or try again later."
                    .to_owned(),
            });
        }
    }
    let state = state.into_inner();
    tokio::spawn(async move {
        if let Err(err) = send_reset_links(&state, &email).await {
            tracing::error!(error = %err, "cannot send a password reset link");
        }
    });
    Ok(HttpResponse::Accepted().finish())
}

/// A reset link to each active user signing in with `email` (none when there is none).
async fn send_reset_links(state: &AppState, email: &str) -> Result<(), ApiError> {
    for (user, _) in state.store.users_signing_in(email).await? {
        send_account_link(state, &state.store, &user, None).await?;
    }
    Ok(())
}

/// What a password reset link is for (no sign-in: the link is the credential).
#[utoipa::path(
    operation_id = "get_password_reset",
    tag = "session",
    security(()),
    params(("token" = String, Path, description = "The token from the reset email")),
    responses(
        (status = 200, description = "Whose password the link resets", body = AccountLinkInfo),
        (status = 404, description = "No such link", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The link expired or was used", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/password-resets/{token}")]
pub async fn get_reset(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<web::Json<AccountLinkInfo>, ApiError> {
    describe_link(&state, &token, token_kind::RESET).await
}

/// Choose a new password through a reset link. Ends every session the user had, and
/// answers a new signed-in session.
#[utoipa::path(
    operation_id = "reset_password",
    tag = "session",
    security(()),
    params(("token" = String, Path, description = "The token from the reset email")),
    request_body = NewPassword,
    responses(
        (status = 200, description = "The password is changed and the user signed in", body = Session),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The link expired or was used", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The password is too short or too long", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/password-resets/{token}")]
pub async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: Json<NewPassword>,
) -> Result<HttpResponse, ApiError> {
    redeem(
        &req,
        &state,
        &token,
        token_kind::RESET,
        body.0.password,
        None,
        AuditAction::UserPasswordReset,
    )
    .await
}

/// What a link of `kind` is for.
async fn describe_link(
    state: &AppState,
    token: &str,
    kind: &str,
) -> Result<web::Json<AccountLinkInfo>, ApiError> {
    let link = state
        .store
        .account_link(&secrets::token_hash(token), kind)
        .await
        .map_err(link_refused)?;
    Ok(web::Json(link_info(link)))
}

/// Uses a link of `kind` once: sets the password (and the name), audits `action`, and
/// signs the user in.
async fn redeem(
    req: &HttpRequest,
    state: &AppState,
    token: &str,
    kind: &str,
    password: String,
    name: Option<&str>,
    action: AuditAction,
) -> Result<HttpResponse, ApiError> {
    password_field(&password)?;
    // The link first: a made-up token costs no 19 MiB hash. Redeeming checks it again,
    // atomically (it may be used or expire meanwhile).
    let token_hash = secrets::token_hash(token);
    state
        .store
        .account_link(&token_hash, kind)
        .await
        .map_err(link_refused)?;
    let hash = secrets::hash_password(password).await?;
    let user = state
        .store
        .redeem_account_link(&token_hash, kind, &hash, name)
        .await
        .map_err(link_refused)?;
    audit_user(state, &user, req, action).await?;
    start_session(req, state, user).await
}

pub(crate) async fn audit_user(
    state: &AppState,
    user: &users::Model,
    req: &HttpRequest,
    action: AuditAction,
) -> Result<(), ApiError> {
    state
        .store
        .record_audit(AuditRecord {
            organization: domain::OrganizationId::from_uuid(user.organization_id),
            actor: store::AuditActor::User {
                id: user.id,
                email: user.email.clone(),
            },
            action,
            company: None,
            target: None,
            ip: auth::client_ip(req),
            detail: None,
        })
        .await?;
    Ok(())
}

/// Signs `user` in: a new session, its cookie, and the session as the answer.
pub async fn start_session(
    req: &HttpRequest,
    state: &AppState,
    user: users::Model,
) -> Result<HttpResponse, ApiError> {
    let organization = state
        .store
        .organization(domain::OrganizationId::from_uuid(user.organization_id))
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("organization missing")))?;
    let token = secrets::new_token();
    let session = state
        .store
        .create_session(
            &user,
            NewSession {
                token_hash: secrets::token_hash(&token),
                csrf_token: secrets::new_token(),
                expires_at: state.store.now() + state.auth.absolute,
                ip: auth::client_ip(req),
                user_agent: req
                    .headers()
                    .get(actix_web::http::header::USER_AGENT)
                    .and_then(|v| v.to_str().ok())
                    .map(|ua| ua.chars().take(512).collect()),
            },
        )
        .await?;
    let user = state.store.user_by_id(user.id).await?.unwrap_or(user);
    Ok(HttpResponse::Ok()
        .cookie(auth::session_cookie(&token, &state.auth))
        .cookie(auth::signed_in_hint_cookie(&state.auth))
        .json(Session {
            user: views::user(user),
            organization: OrganizationSummary {
                slug: organization.slug,
                name: organization.name,
            },
            csrf_token: session.csrf_token,
            expires_at: session.expires_at,
        }))
}
