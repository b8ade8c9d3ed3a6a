//! The per-caller request limit (governor, per process): 429 with `Retry-After` past it,
//! and the `RateLimit-*` headers on every authenticated answer. `auth` checks it once it
//! knows who is calling.

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use actix_web::{
    HttpMessage,
    dev::{ServiceRequest, ServiceResponse},
    http::header,
    middleware::Next,
};
use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock},
    middleware::StateInformationMiddleware,
    state::keyed::DefaultKeyedStateStore,
};

use crate::error::ApiError;

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

    /// Counts one request of the caller `key`; refuses it past the limit.
    pub(crate) fn check(&self, key: String) -> Result<RateLimitState, ApiError> {
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

/// What the `RateLimit-*` headers of an answer say; kept in the request's extensions by
/// whoever checked the limit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateLimitState {
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

/// Forgets idle callers' rate-limit state now and then, so memory stays bounded; and
/// deletes the shared buckets (sign-in, reset) idle for a day, so the table does too.
pub fn spawn_limit_sweeper(limits: Arc<CallerLimits>, store: store::Store) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            limits.forget_idle();
            if let Err(err) = store.prune_rate_limits(BUCKET_IDLE).await {
                tracing::warn!(error = %err, "cannot prune the rate_limits table");
            }
        }
    });
}

/// A shared bucket untouched this long is full, and deleted.
pub const BUCKET_IDLE: Duration = Duration::from_secs(24 * 3600);
