//! The end of an authenticated request's organization transaction: commit (or roll
//! back), then tell this process's status cache and workers what changed. `auth` opens
//! the transaction when it resolves the [`Caller`].
//!
//! On PostgreSQL the transaction is one pooled connection, held from the moment the
//! caller is resolved: by default until the handler has answered ([`end_scope`]). A
//! handler with slow work left after its last query (writing a report file) ends it
//! itself first with [`release`], so the connection is back in the pool during that
//! work.

use actix_web::{
    HttpMessage, HttpRequest,
    dev::{ServiceRequest, ServiceResponse},
    http::Method,
    middleware::Next,
    web,
};
use domain::OrganizationId;

use crate::{auth::Caller, error::ApiError, state::AppState};

/// Commits the request's transaction now: for a handler that has read and written all
/// it will, before its slow work (writing a file). `caller` is the handler's copy (from
/// its `Tenant` or `Admin`), which this consumes with the request's own, so the scoped
/// store cannot be used afterwards. A commit that fails is a 500, as in [`end_scope`].
pub async fn release(req: &HttpRequest, caller: Caller) -> Result<(), ApiError> {
    let cached = req.extensions_mut().remove::<Caller>();
    drop(caller);
    let Some(Caller {
        organization,
        store,
        ..
    }) = cached
    else {
        return Ok(());
    };
    store.end_scope(true).await.map_err(|err| {
        ApiError::Internal(anyhow::anyhow!(
            "cannot commit the request's transaction: {err}"
        ))
    })?;
    committed(req, organization);
    Ok(())
}

/// After a request's transaction committed: what an unsafe request queued is visible
/// only now, so wake those who act on it.
fn committed(req: &HttpRequest, organization: OrganizationId) {
    let changed = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if changed && let Some(state) = req.app_data::<web::Data<AppState>>() {
        // This process's own polls see the change at once; the others (and this one
        // again) hear of it from the database's notification.
        state.statuses.changed(Some(organization));
        // The handler's own wake-ups may have come too early for the workers.
        state.wake_workers();
        state.wake_mail();
        state.wake_outbox();
    }
}

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
    // The cached caller holds the last copy of the scoped store, now that the handler
    // is done with its own.
    let caller = res.request().extensions_mut().remove::<Caller>();
    let Some(Caller {
        organization,
        store,
        ..
    }) = caller
    else {
        return Ok(res.map_into_left_body());
    };
    let commit = !res.status().is_server_error();
    match store.end_scope(commit).await {
        Ok(()) => {
            if commit {
                committed(res.request(), organization);
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
