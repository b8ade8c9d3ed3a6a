//! Who is calling, and what they may do — decided here and nowhere else.
//!
//! People sign in with email and password and carry a session cookie (`HttpOnly`,
//! `SameSite=Lax`, `Secure` behind TLS); unsafe requests made with that cookie must echo
//! the session's CSRF token in `X-CSRF-Token`. Integrators send an API key as
//! `Authorization: Bearer slk_…`. Either way a request resolves to one [`Caller`] of one
//! organization; [`Tenant`] hands handlers that organization, so every store query is
//! scoped to it, and [`Admin`] refuses other roles with 403.
//!
//! Each caller is rate-limited ([`crate::rate_limit`]); the organization's transaction
//! opened here is ended by [`crate::request_scope`].

use std::{future::Future, pin::Pin};

use actix_web::{
    FromRequest, HttpMessage, HttpRequest,
    cookie::{Cookie, SameSite, time::Duration as CookieDuration},
    dev::Payload,
    http::{Method, header},
    web,
};
use domain::{CompanyId, OrganizationId, Role, UserId};
use store::{
    ApiKeyLookup, AuditActor, AuditRecord, CompanyRecord, Store,
    entities::{api_keys, users},
};
use uuid::Uuid;

pub use crate::config::AuthSettings;
use crate::{error::ApiError, secrets, state::AppState};

pub const SESSION_COOKIE: &str = "spendlens_session";

/// A cookie the web app can read, beside the `HttpOnly` session cookie, that says only
/// "a session was started here" (its value is `1`, never a secret): with it absent, the
/// app knows nobody is signed in without asking `GET /session` — whose `401` a browser
/// logs as an error on every signed-out visit.
pub const SIGNED_IN_HINT_COOKIE: &str = "spendlens_signed_in";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A person, by their session.
    User {
        user: users::Model,
        session: Uuid,
        csrf_token: String,
        expires_at: chrono::DateTime<chrono::Utc>,
    },
    /// An integrator, by an API key.
    ApiKey(api_keys::Model),
}

/// An authenticated request: who, for which organization, from where.
#[derive(Debug, Clone)]
pub struct Caller {
    pub organization: OrganizationId,
    pub principal: Principal,
    pub ip: Option<String>,
    /// The store acting for `organization` alone: on PostgreSQL one transaction with
    /// row-level security set to it, committed by
    /// [`end_scope`](crate::request_scope::end_scope) after the handler.
    pub store: Store,
}

impl Caller {
    /// API keys act with a relationship manager's rights.
    pub fn role(&self) -> Role {
        match &self.principal {
            Principal::User { user, .. } => user.role.parse().unwrap_or(Role::RelationshipManager),
            Principal::ApiKey(_) => Role::RelationshipManager,
        }
    }

    pub fn user_id(&self) -> Option<UserId> {
        match &self.principal {
            Principal::User { user, .. } => Some(UserId::from_uuid(user.id)),
            Principal::ApiKey(_) => None,
        }
    }

    pub fn user(&self) -> Option<&users::Model> {
        match &self.principal {
            Principal::User { user, .. } => Some(user),
            Principal::ApiKey(_) => None,
        }
    }

    pub fn actor(&self) -> AuditActor {
        match &self.principal {
            Principal::User { user, .. } => AuditActor::User {
                id: user.id,
                email: user.email.clone(),
            },
            Principal::ApiKey(key) => AuditActor::ApiKey {
                id: key.id,
                name: key.name.clone(),
            },
        }
    }

    /// An audit entry of this caller's.
    pub fn audit(&self, action: domain::AuditAction) -> AuditRecord {
        AuditRecord {
            organization: self.organization,
            actor: self.actor(),
            action,
            company: None,
            target: None,
            ip: self.ip.clone(),
            detail: None,
        }
    }

    /// An audit entry of this caller's about one company.
    pub fn audit_company(
        &self,
        action: domain::AuditAction,
        company: domain::CompanyId,
    ) -> AuditRecord {
        AuditRecord {
            company: Some(company),
            ..self.audit(action)
        }
    }
}

impl Principal {
    fn limit_key(&self) -> String {
        match self {
            Principal::User { user, .. } => format!("user:{}", user.id),
            Principal::ApiKey(key) => format!("key:{}", key.id),
        }
    }
}

/// The caller's network address (the peer; proxies are not trusted).
pub fn client_ip(req: &HttpRequest) -> Option<String> {
    req.peer_addr().map(|addr| addr.ip().to_string())
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))
}

fn unauthorized(detail: &str) -> ApiError {
    ApiError::Unauthorized {
        kind: api_types::ProblemKind::Unauthorized,
        detail: detail.to_owned(),
    }
}

/// Resolves the request's credentials to a caller, or refuses.
async fn authenticate(req: HttpRequest) -> Result<Caller, ApiError> {
    let state = state(&req)?;
    let Identified {
        organization,
        principal,
    } = identify(&req, &state).await?;
    let store = state.store.scoped(organization).await?;
    Ok(Caller {
        organization,
        principal,
        ip: client_ip(&req),
        store,
    })
}

/// Checks the request's credentials and the caller's rate limit, without opening the
/// organization's transaction.
async fn identify(req: &HttpRequest, state: &AppState) -> Result<Identified, ApiError> {
    let now = state.store.now();
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let (organization, principal) = if let Some(authorization) = bearer {
        let key = authorization
            .strip_prefix("Bearer ")
            .or_else(|| authorization.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|k| k.starts_with(secrets::API_KEY_PREFIX))
            .ok_or_else(|| unauthorized("Send an API key as `Authorization: Bearer slk_…`."))?;
        let hash = secrets::token_hash(key);
        let key = match state.keys.get(&hash) {
            Some(key) => key,
            None => match state.store.use_api_key(&hash, now).await? {
                ApiKeyLookup::Valid(key) => {
                    state.keys.put(hash, key.clone());
                    key
                }
                ApiKeyLookup::OwnerDeactivated => {
                    return Err(unauthorized(
                        "The API key's owner was deactivated: the user who created it must be reactivated for it to work again, or an admin can create a new key.",
                    ));
                }
                ApiKeyLookup::Unknown => {
                    return Err(unauthorized("The API key is not valid, or it was revoked."));
                }
            },
        };
        (
            OrganizationId::from_uuid(key.organization_id),
            Principal::ApiKey(key),
        )
    } else if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        let (session, user) = state
            .store
            .live_session(&secrets::token_hash(cookie.value()), now, state.auth.idle)
            .await?
            .ok_or_else(|| unauthorized("Your session has ended. Sign in again."))?;
        let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        if unsafe_method {
            let sent = req
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !secrets::constant_time_eq(sent, &session.csrf_token) {
                return Err(ApiError::Forbidden {
                    kind: api_types::ProblemKind::Csrf,
                    detail: "Missing or wrong X-CSRF-Token header: send the csrf_token of GET /api/v1/session with every change.".to_owned(),
                });
            }
        }
        (
            OrganizationId::from_uuid(session.organization_id),
            Principal::User {
                user,
                session: session.id,
                csrf_token: session.csrf_token,
                expires_at: session.expires_at,
            },
        )
    } else {
        return Err(unauthorized(
            "Sign in, or send an API key as `Authorization: Bearer slk_…`.",
        ));
    };
    let limits = state.limits.check(principal.limit_key())?;
    req.extensions_mut().insert(limits);
    Ok(Identified {
        organization,
        principal,
    })
}

/// An authenticated caller whose handler opens the organization's transaction only if
/// it needs the database (see `routes::statuses`). Handlers that read or write an
/// organization's data take [`Tenant`].
#[derive(Debug, Clone)]
pub struct Identified {
    pub organization: OrganizationId,
    pub principal: Principal,
}

impl FromRequest for Identified {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(caller) = req.extensions().get::<Caller>() {
                return Ok(Identified {
                    organization: caller.organization,
                    principal: caller.principal.clone(),
                });
            }
            let state = state(&req)?;
            identify(&req, &state).await
        })
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(caller) = req.extensions().get::<Caller>() {
            let caller = caller.clone();
            return Box::pin(async move { Ok(caller) });
        }
        let req = req.clone();
        Box::pin(async move {
            let caller = authenticate(req.clone()).await?;
            req.extensions_mut().insert(caller.clone());
            Ok(caller)
        })
    }
}

/// The organization a request acts for — the signed-in user's or the API key's — and
/// who is acting. Every handler that touches an organization's data takes this, so an
/// unauthenticated request never reaches one, and every query is scoped by `.0`.
#[derive(Debug, Clone)]
pub struct Tenant(pub OrganizationId, pub Caller);

impl Tenant {
    /// The store acting for this organization alone (see [`Caller::store`]).
    pub fn store(&self) -> &Store {
        &self.1.store
    }

    /// One of this organization's companies; 404 when it has none of that id.
    pub async fn company(&self, id: CompanyId) -> Result<CompanyRecord, ApiError> {
        self.store()
            .company(self.0, id)
            .await?
            .ok_or(ApiError::NotFound("company"))
    }
}

impl FromRequest for Tenant {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        from_caller(req, payload, |caller| {
            Ok(Tenant(caller.organization, caller))
        })
    }
}

/// A caller with the admin role; anyone else gets 403.
#[derive(Debug, Clone)]
pub struct Admin(pub Caller);

impl Admin {
    /// The store acting for the admin's organization alone.
    pub fn store(&self) -> &Store {
        &self.0.store
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        from_caller(req, payload, |caller| {
            if caller.role() == Role::Admin {
                Ok(Admin(caller))
            } else {
                Err(ApiError::Forbidden {
                    kind: api_types::ProblemKind::Forbidden,
                    detail: "Only an organization admin may do this.".to_owned(),
                })
            }
        })
    }
}

/// The extractors over [`Caller`]: authenticates, then `check` makes the extractor.
fn from_caller<T: 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    check: fn(Caller) -> Result<T, ApiError>,
) -> Pin<Box<dyn Future<Output = Result<T, ApiError>>>> {
    let caller = Caller::from_request(req, payload);
    Box::pin(async move { check(caller.await?) })
}

/// The session cookie for a new session.
pub fn session_cookie(token: &str, settings: &AuthSettings) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(settings.secure_cookies)
        .max_age(CookieDuration::seconds(settings.absolute.num_seconds()))
        .finish()
}

/// The [`SIGNED_IN_HINT_COOKIE`] that goes with a new session: the same lifetime, readable
/// by scripts.
pub fn signed_in_hint_cookie(settings: &AuthSettings) -> Cookie<'static> {
    let mut cookie = session_cookie("1", settings);
    cookie.set_name(SIGNED_IN_HINT_COOKIE);
    cookie.set_http_only(false);
    cookie
}

/// The cookies that remove the session cookie and its hint.
pub fn cleared_cookies(settings: &AuthSettings) -> [Cookie<'static>; 2] {
    [
        session_cookie("", settings),
        signed_in_hint_cookie(settings),
    ]
    .map(|mut cookie| {
        cookie.make_removal();
        cookie
    })
}
