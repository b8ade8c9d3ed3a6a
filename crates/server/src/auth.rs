//! Who is calling, and what they may do — decided here and nowhere else.
//!
//! People sign in with email and password and carry a session cookie (`HttpOnly`,
//! `SameSite=Lax`, `Secure` behind TLS); unsafe requests made with that cookie must echo
//! the session's CSRF token in `X-CSRF-Token`. Integrators send an API key as
//! `Authorization: Bearer slk_…`. Either way a request resolves to one [`Caller`] of one
//! organization; [`Tenant`] hands handlers that organization, so every store query is
//! scoped to it, and [`Admin`] refuses other roles with 403.
//!
//! Each caller is rate-limited (governor, per process): 429 with `Retry-After`, and the
//! `RateLimit-*` headers on every authenticated answer.

use std::{future::Future, num::NonZeroU32, pin::Pin, sync::Arc, time::Duration};

use actix_web::{
    FromRequest, HttpMessage, HttpRequest,
    cookie::{Cookie, SameSite, time::Duration as CookieDuration},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{Method, header},
    middleware::Next,
    web,
};
use domain::{OrganizationId, Role, UserId};
use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock},
    middleware::StateInformationMiddleware,
    state::keyed::DefaultKeyedStateStore,
};
use store::{
    AuditActor, AuditRecord, Store,
    entities::{api_keys, users},
};
use uuid::Uuid;

use crate::{error::ApiError, secrets, startup::AppState};

pub const SESSION_COOKIE: &str = "spendlens_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How sessions and limits behave (from configuration).
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// A session unused this long ends.
    pub idle: chrono::Duration,
    /// A session ends this long after sign-in, whatever the activity.
    pub absolute: chrono::Duration,
    /// Mark the cookie `Secure` (the portal is served over HTTPS).
    pub secure_cookies: bool,
    /// Requests per minute per user or API key, per process.
    pub requests_per_minute: u32,
    /// Sign-in attempts per email address per minute (all processes together).
    pub sign_ins_per_minute: u32,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            idle: chrono::Duration::minutes(30),
            absolute: chrono::Duration::hours(12),
            secure_cookies: false,
            requests_per_minute: 600,
            sign_ins_per_minute: 5,
        }
    }
}

type Limiter =
    RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// The per-caller request limiter.
pub struct CallerLimits {
    limiter: Limiter,
    per_minute: u32,
}

impl CallerLimits {
    pub fn new(per_minute: u32) -> Self {
        let per_minute = per_minute.max(1);
        let quota = Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
        Self {
            limiter: RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(),
            per_minute,
        }
    }

    fn check(&self, key: String) -> Result<RateLimitState, ApiError> {
        match self.limiter.check_key(&key) {
            Ok(snapshot) => Ok(RateLimitState {
                limit: self.per_minute,
                remaining: snapshot.remaining_burst_capacity(),
            }),
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(ApiError::TooManyRequests {
                    retry_after: wait.as_secs().max(1),
                    detail: format!(
                        "More than {} requests a minute. Slow down and try again in {} s.",
                        self.per_minute,
                        wait.as_secs().max(1)
                    ),
                })
            }
        }
    }

    /// Forgets callers idle long enough to be back at a full bucket.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
    }
}

/// API keys recently found valid, by hash, for a few seconds: an integrator's every
/// request would otherwise read `api_keys`. Revoking a key drops it here at once; other
/// replicas stop accepting it within [`KeyCache::TTL`].
#[derive(Default)]
pub struct KeyCache {
    keys:
        std::sync::Mutex<std::collections::HashMap<String, (api_keys::Model, std::time::Instant)>>,
}

impl KeyCache {
    pub const TTL: Duration = Duration::from_secs(5);
    /// Entries kept at most (a flood of distinct keys cannot grow it without bound).
    const CAPACITY: usize = 10_000;

    fn get(&self, hash: &str) -> Option<api_keys::Model> {
        let keys = self.keys.lock().ok()?;
        let (key, at) = keys.get(hash)?;
        (at.elapsed() < Self::TTL).then(|| key.clone())
    }

    fn put(&self, hash: String, key: api_keys::Model) {
        if let Ok(mut keys) = self.keys.lock() {
            if keys.len() >= Self::CAPACITY {
                keys.retain(|_, (_, at)| at.elapsed() < Self::TTL);
            }
            if keys.len() < Self::CAPACITY {
                keys.insert(hash, (key, std::time::Instant::now()));
            }
        }
    }

    /// Forgets a key at once (it was revoked).
    pub fn forget(&self, hash: &str) {
        if let Ok(mut keys) = self.keys.lock() {
            keys.remove(hash);
        }
    }
}

/// What the `RateLimit-*` headers of an answer say.
#[derive(Debug, Clone, Copy)]
struct RateLimitState {
    limit: u32,
    remaining: u32,
}

/// Adds `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` to answers of
/// authenticated requests.
pub async fn rate_limit_headers(
    req: ServiceRequest,
    next: Next<impl actix_web::body::MessageBody>,
) -> Result<ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let state = res.request().extensions().get::<RateLimitState>().copied();
    if let Some(state) = state {
        let headers = res.headers_mut();
        headers.insert(
            header::HeaderName::from_static("ratelimit-limit"),
            header::HeaderValue::from(state.limit),
        );
        headers.insert(
            header::HeaderName::from_static("ratelimit-remaining"),
            header::HeaderValue::from(state.remaining),
        );
        // The bucket refills fully within the minute.
        headers.insert(
            header::HeaderName::from_static("ratelimit-reset"),
            header::HeaderValue::from(60u32),
        );
    }
    Ok(res)
}

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
    /// row-level security set to it, committed by [`end_scope`] after the handler.
    pub store: Store,
}

/// The request's organization-scoped store, for [`end_scope`].
struct Scope(Store);

/// Ends the transaction of an authenticated request's scoped store: commits it unless
/// the answer is a 5xx (then rolls it back). A commit that fails turns the answer into
/// a 500 problem, since what the answer reports did not happen.
pub async fn end_scope(
    req: ServiceRequest,
    next: Next<impl actix_web::body::MessageBody>,
) -> Result<
    ServiceResponse<actix_web::body::EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    let res = next.call(req).await?;
    let (organization, scope) = {
        let mut extensions = res.request().extensions_mut();
        // The cached caller holds a copy of the scoped store: drop it first.
        let caller = extensions.remove::<Caller>();
        (caller.map(|c| c.organization), extensions.remove::<Scope>())
    };
    let Some(Scope(store)) = scope else {
        return Ok(res.map_into_left_body());
    };
    let commit = !res.status().is_server_error();
    match store.end_scope(commit).await {
        Ok(()) => {
            // What the handler queued is visible only now: wake the in-process workers
            // (the handler's own wake-ups may have come too early for them).
            let changed = !matches!(
                *res.request().method(),
                Method::GET | Method::HEAD | Method::OPTIONS
            );
            if commit
                && changed
                && let Some(state) = res.request().app_data::<web::Data<AppState>>()
            {
                // This process's own polls see the change at once; the others (and
                // this one again) hear of it from the database's notification.
                if let Some(organization) = organization {
                    state.statuses.changed(Some(organization));
                }
                state.wake_workers();
                state.wake_mail();
                state.wake_outbox();
            }
            Ok(res.map_into_left_body())
        }
        Err(err) => {
            tracing::error!(error = %err, commit, "cannot end the request's transaction");
            if !commit {
                return Ok(res.map_into_left_body());
            }
            let (req, _) = res.into_parts();
            let answer = actix_web::ResponseError::error_response(&ApiError::Internal(
                anyhow::anyhow!("cannot commit the request's transaction: {err}"),
            ));
            Ok(ServiceResponse::new(req, answer).map_into_right_body())
        }
    }
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
    pub fn audit(&self, action: &'static str) -> AuditRecord {
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
    pub fn audit_company(&self, action: &'static str, company: domain::CompanyId) -> AuditRecord {
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
        slug: "unauthorized",
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
    req.extensions_mut().insert(Scope(store.clone()));
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
    let now = store::now();
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
            None => {
                let key =
                    state.store.use_api_key(&hash, now).await?.ok_or_else(|| {
                        unauthorized("The API key is not valid, or it was revoked.")
                    })?;
                state.keys.put(hash, key.clone());
                key
            }
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
                    slug: "csrf",
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
}

impl FromRequest for Tenant {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = Caller::from_request(req, payload);
        Box::pin(async move {
            let caller = caller.await?;
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
        let caller = Caller::from_request(req, payload);
        Box::pin(async move {
            let caller = caller.await?;
            if caller.role() == Role::Admin {
                Ok(Admin(caller))
            } else {
                Err(ApiError::Forbidden {
                    slug: "forbidden",
                    detail: "Only an organization admin may do this.".to_owned(),
                })
            }
        })
    }
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

/// A cookie that removes the session cookie.
pub fn cleared_cookie(settings: &AuthSettings) -> Cookie<'static> {
    let mut cookie = session_cookie("", settings);
    cookie.make_removal();
    cookie
}

/// Forgets idle callers' rate-limit state now and then, so memory stays bounded.
pub fn spawn_limit_sweeper(limits: Arc<CallerLimits>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            limits.forget_idle();
        }
    });
}
