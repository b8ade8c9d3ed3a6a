//! `Idempotency-Key` on unsafe requests (`POST /companies`, `POST …/refresh`), with
//! Stripe's semantics, stored in the database (crate `store`) so it holds across
//! replicas: the first response is replayed for 24 hours with `Idempotent-Replayed:
//! true`; the same key with a different request is 422; while the first request with
//! the key is still running, 409.

use std::future::{Future, Ready, ready};

use actix_web::{
    FromRequest, HttpRequest, HttpResponse,
    dev::Payload,
    http::{StatusCode, header},
};
use sha2::{Digest, Sha256};
use store::{IdempotencyBegin, StoredResponse};

use crate::{auth::Tenant, error::ApiError};

pub const HEADER: &str = "Idempotency-Key";

/// The request's `Idempotency-Key`, if it sent one: 1 to 255 visible ASCII characters.
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(HEADER) else {
            return ready(Ok(IdempotencyKey(None)));
        };
        let valid = value
            .to_str()
            .ok()
            .filter(|v| (1..=255).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()));
        ready(match valid {
            Some(key) => Ok(IdempotencyKey(Some(key.to_owned()))),
            None => Err(ApiError::BadRequest {
                title: "Invalid Idempotency-Key",
                detail:
                    "Idempotency-Key must be 1 to 255 visible ASCII characters, such as a UUID."
                        .to_owned(),
            }),
        })
    }
}

/// A successful answer, before it becomes an HTTP response (so it can be stored).
pub struct Answer {
    pub status: StatusCode,
    pub body: serde_json::Value,
    pub location: Option<String>,
}

fn respond(status: u16, body: String, location: Option<String>, replayed: bool) -> HttpResponse {
    let mut response = HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
    response.content_type("application/json");
    if let Some(location) = location {
        response.insert_header((header::LOCATION, location));
    }
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.body(body)
}

/// Runs `handler` at most once per key: replays, refuses or runs as the key says.
///
/// The key is taken, and the response stored, through the tenant's scoped store: the
/// request uses its one connection (a second one from the pool, taken while the scope
/// holds the first, starved a small pool), and the key is kept only if the handler's
/// own changes are committed. A second request with the key while this one runs is
/// told so at once (see `store::IdempotencyBegin::InFlight`).
pub async fn run<F, Fut>(
    tenant: &Tenant,
    key: IdempotencyKey,
    endpoint: &str,
    request: &[u8],
    handler: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Answer, ApiError>>,
{
    let organization = tenant.0;
    let Some(key) = key.0 else {
        let answer = handler().await?;
        return Ok(respond(
            answer.status.as_u16(),
            answer.body.to_string(),
            answer.location,
            false,
        ));
    };
    let hash: String = Sha256::digest(request)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    match tenant.store().begin_idempotent(organization, &key, endpoint, &hash).await? {
        IdempotencyBegin::Replay(stored) => Ok(respond(stored.status, stored.body, stored.location, true)),
        IdempotencyBegin::InFlight => Err(ApiError::Conflict {
            kind: api_types::ProblemKind::IdempotencyInFlight,
            title: "A request with this Idempotency-Key is in progress",
            detail: "The first request sent with this Idempotency-Key has not finished yet. Retry in a moment to get its response.".to_owned(),
        }),
        IdempotencyBegin::Mismatch => Err(ApiError::field(
            HEADER,
            "was already used for a different request; use a new key for a new request",
        )),
        IdempotencyBegin::Proceed => match handler().await {
            Ok(answer) => {
                let stored = StoredResponse {
                    status: answer.status.as_u16(),
                    body: answer.body.to_string(),
                    location: answer.location,
                };
                tenant
                    .store()
                    .finish_idempotent(organization, &key, &stored)
                    .await?;
                Ok(respond(stored.status, stored.body, stored.location, false))
            }
            Err(err) => {
                // Nothing was done: the same key may be sent again.
                tenant.store().abandon_idempotent(organization, &key).await?;
                Err(err)
            }
        },
    }
}
