//! The span each request is logged in: the matched route pattern
//! (`/api/v1/consent/{token}`), never the raw path or query string, which carry the
//! secrets of consent, invitation and password-reset links.

use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

/// `tracing_actix_web`'s default span without `http.target` (the path and query).
pub struct RouteSpan;

impl RootSpanBuilder for RouteSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        // Unmatched paths have no pattern, and the web app's files are mounted at "":
        // one value for each, never the path.
        let route = match request.match_pattern() {
            Some(pattern) if pattern.is_empty() => "web app".to_owned(),
            Some(pattern) => pattern,
            None => "unmatched".to_owned(),
        };
        let request_id = request.extensions().get::<RequestId>().copied();
        let user_agent = request
            .headers()
            .get("User-Agent")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            // The connection's peer, as the limits and the audit log use: `Forwarded`
            // and `X-Forwarded-For` are whatever the client wrote.
            http.client_ip = %request.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default(),
            http.user_agent = %user_agent,
            http.status_code = tracing::field::Empty,
            otel.name = %format!("{} {route}", request.method()),
            otel.status_code = tracing::field::Empty,
            request_id = request_id.map(tracing::field::display),
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
