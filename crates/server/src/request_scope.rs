//! The end of an authenticated request's organization transaction: commit (or roll
//! back), then tell this process's status cache and workers what changed. `auth` opens
//! the transaction when it resolves the [`Caller`].

use actix_web::{
    HttpMessage,
    dev::{ServiceRequest, ServiceResponse},
    http::Method,
    middleware::Next,
    web,
};

use crate::{auth::Caller, error::ApiError, state::AppState};

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
                state.statuses.changed(Some(organization));
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
