//! The API's one error type, and the only place errors become HTTP responses.
//!
//! Every 4xx and 5xx answer is an RFC 9457 `application/problem+json` body. Handlers
//! return [`ApiError`]; framework-level refusals (unknown routes, wrong methods, bad
//! query strings) are rewritten into problems by [`problem_for_bare_errors`].

use actix_web::{
    HttpResponse, ResponseError,
    body::{BoxBody, MessageBody},
    dev::ServiceResponse,
    http::{StatusCode, header},
    middleware::ErrorHandlerResponse,
};
use api_types::{FieldError, Problem, ProblemKind};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Everything a handler can answer instead of success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request could not be read (malformed JSON, a bad query string or cursor).
    #[error("{detail}")]
    BadRequest { title: &'static str, detail: String },
    /// 400: a query parameter that cannot be read at all (a NUL character), listed in
    /// `errors` under its name.
    #[error("{}: {}", .0.field, .0.message)]
    BadParameter(FieldError),
    /// 422: the request was read, but some fields are not acceptable. Each refused
    /// field is listed so a form can show the message beside it.
    #[error("invalid fields")]
    Validation(Vec<FieldError>),
    /// 404: no such resource in the caller's organization. Another organization's ids
    /// get the same answer, so existence does not leak.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 404: the body refers to something that does not exist in the caller's
    /// organization (an assignee). Listed in `errors` under `field`.
    #[error("{detail}")]
    UnknownReference { field: &'static str, detail: String },
    /// 404 or 410 with its own problem type: a consent link that cannot be used
    /// (unknown, expired, used, replaced). The customer's page tells them apart by `kind`.
    #[error("{detail}")]
    Refused {
        status: StatusCode,
        kind: ProblemKind,
        title: &'static str,
        detail: String,
    },
    /// 409: the resource is not in a state that allows this; the detail says what to do.
    #[error("{detail}")]
    Conflict {
        kind: ProblemKind,
        title: &'static str,
        detail: String,
    },
    /// 401: no valid credentials (no session, an expired one, an unknown or revoked key,
    /// or a wrong email and password).
    #[error("{detail}")]
    Unauthorized { kind: ProblemKind, detail: String },
    /// 403: signed in, but not allowed (the role, or a missing CSRF token).
    #[error("{detail}")]
    Forbidden { kind: ProblemKind, detail: String },
    /// 429: too many requests; try again after `retry_after` seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after: u64, detail: String },
    /// 413: the body is larger than the server accepts.
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    /// 415: the body is not JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 422: an uploaded file that does not follow the template: every problem found
    /// (`problems`, the first 200 of `total`), in the problem's `upload_problems`.
    #[error("the upload does not follow the template")]
    InvalidUpload {
        problems: UploadProblems,
        total: usize,
    },
    /// 503: a dependency (the database) is not available.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug or an outage. Logged with its cause chain; the client gets no detail.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// An upload's problems. They quote the customer's cells and file names: the request log
/// (which prints a refused request's error) gets their number, never their content.
#[derive(Clone)]
pub struct UploadProblems(pub Vec<api_types::UploadProblem>);

impl std::fmt::Debug for UploadProblems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} problems listed", self.0.len())
    }
}

impl From<crate::secrets::HashingBusy> for ApiError {
    fn from(_: crate::secrets::HashingBusy) -> Self {
        ApiError::TooManyRequests {
            retry_after: 5,
            detail: "The server is checking many passwords right now. Try again in a few seconds."
                .to_owned(),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        ApiError::Internal(err.into())
    }
}

impl ApiError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    fn problem(&self) -> Problem {
        let status = self.status_code().as_u16();
        let (kind, title, detail, errors) = match self {
            ApiError::BadRequest { title, detail } => (
                ProblemKind::BadRequest,
                *title,
                Some(detail.clone()),
                vec![],
            ),
            ApiError::BadParameter(error) => (
                ProblemKind::BadRequest,
                "Invalid query string",
                Some(format!("`{}` {}.", error.field, error.message)),
                vec![error.clone()],
            ),
            ApiError::Validation(errors) => (
                ProblemKind::Validation,
                "Some fields are not valid",
                Some(
                    errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                errors.clone(),
            ),
            ApiError::NotFound(what) => (
                ProblemKind::NotFound,
                "Not found",
                Some(format!("No {what} with this id exists.")),
                vec![],
            ),
            ApiError::UnknownReference { field, detail } => (
                ProblemKind::UnknownReference,
                "Not found",
                Some(detail.clone()),
                vec![FieldError {
                    field: (*field).to_owned(),
                    message: detail.clone(),
                }],
            ),
            ApiError::Conflict {
                kind,
                title,
                detail,
            }
            | ApiError::Refused {
                kind,
                title,
                detail,
                ..
            } => (*kind, *title, Some(detail.clone()), vec![]),
            ApiError::Unauthorized { kind, detail } => {
                (*kind, "Sign-in required", Some(detail.clone()), vec![])
            }
            ApiError::Forbidden { kind, detail } => {
                (*kind, "Not allowed", Some(detail.clone()), vec![])
            }
            ApiError::TooManyRequests { detail, .. } => (
                ProblemKind::TooManyRequests,
                "Too many requests",
                Some(detail.clone()),
                vec![],
            ),
            ApiError::PayloadTooLarge { limit } => (
                ProblemKind::PayloadTooLarge,
                "Request body too large",
                Some(format!("The request body must be at most {limit} bytes.")),
                vec![],
            ),
            ApiError::UnsupportedMediaType => (
                ProblemKind::UnsupportedMediaType,
                "Unsupported media type",
                Some(
                    "Send the request body as JSON with Content-Type: application/json.".to_owned(),
                ),
                vec![],
            ),
            ApiError::InvalidUpload { problems, total } => (
                ProblemKind::InvalidUpload,
                "The file does not follow the template",
                Some(match total - problems.0.len() {
                    0 => format!(
                        "Nothing was stored. Correct {} and upload the file again.",
                        if *total == 1 {
                            "this problem".to_owned()
                        } else {
                            format!("these {total} problems")
                        }
                    ),
                    more => format!(
                        "Nothing was stored. Correct these problems, and {more} more like them, and upload the file again."
                    ),
                }),
                vec![],
            ),
            ApiError::Unavailable(detail) => (
                ProblemKind::Unavailable,
                "Service unavailable",
                Some(detail.clone()),
                vec![],
            ),
            ApiError::Internal(_) => (
                ProblemKind::Internal,
                "Internal server error",
                Some(
                    "Something went wrong on our side. It has been logged; try again later."
                        .to_owned(),
                ),
                vec![],
            ),
        };
        Problem {
            problem_type: kind.type_uri(),
            title: title.to_owned(),
            status,
            detail,
            errors,
            upload_problems: match self {
                ApiError::InvalidUpload { problems, .. } => problems.0.clone(),
                _ => vec![],
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } | ApiError::BadParameter(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) | ApiError::InvalidUpload { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::NotFound(_) | ApiError::UnknownReference { .. } => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Refused { status, .. } => *status,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        if let ApiError::Internal(err) = self {
            tracing::error!(error = format!("{err:#}"), cause = ?err, "internal error");
        }
        let mut response = problem_response(&self.problem());
        match self {
            ApiError::TooManyRequests { retry_after, .. } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(*retry_after));
            }
            ApiError::Unauthorized { .. } => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer realm=\"spendlens\""),
                );
            }
            _ => {}
        }
        response
    }
}

pub fn problem_response(problem: &Problem) -> HttpResponse<BoxBody> {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .body(serde_json::to_string(problem).unwrap_or_default())
}

/// Middleware hook: turns any 4xx/5xx answer that is not already a problem (actix's
/// own 404 for unknown routes, 405 for wrong methods, …) into one.
pub fn problem_for_bare_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (kind, detail) = match status {
        StatusCode::NOT_FOUND => (
            ProblemKind::NotFound,
            format!("There is nothing at {}.", res.request().path()),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            ProblemKind::MethodNotAllowed,
            format!(
                "{} is not allowed on {}.",
                res.request().method(),
                res.request().path()
            ),
        ),
        _ => (
            ProblemKind::Http,
            status.canonical_reason().unwrap_or("Error").to_owned(),
        ),
    };
    let problem = Problem {
        problem_type: kind.type_uri(),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: Some(detail),
        errors: vec![],
        upload_problems: vec![],
    };
    let (req, old) = res.into_parts();
    let mut response = problem_response(&problem);
    if status == StatusCode::METHOD_NOT_ALLOWED && !old.headers().contains_key(header::ALLOW) {
        let allow = req
            .app_data::<actix_web::web::Data<crate::fallback::KnownRoutes>>()
            .map_or_else(
                || "GET, HEAD".to_owned(),
                |routes| routes.allow_header(req.path()),
            );
        if let Ok(value) = header::HeaderValue::from_str(&allow) {
            response.headers_mut().insert(header::ALLOW, value);
        }
    }
    // Keep headers such as `Allow` on a 405.
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uploads_problems_reach_the_answer_but_not_the_log() {
        let problem = api_types::UploadProblem {
            sheet: Some("bills.csv".to_owned()),
            row: Some(2),
            column: Some("Supplier name".to_owned()),
            cell: Some("B2".to_owned()),
            value: Some("Acme Secret Payroll".to_owned()),
            expected: "a supplier ID from the Suppliers sheet".to_owned(),
            message: "bills.csv, row 2: Acme Secret Payroll is not a supplier".to_owned(),
        };
        let error = ApiError::InvalidUpload {
            problems: UploadProblems(vec![problem.clone()]),
            total: 1,
        };
        // What the request log prints of a refused request.
        let logged = format!("{error:?} {error}");
        assert!(!logged.contains("Acme"), "{logged}");
        assert_eq!(error.problem().upload_problems, vec![problem]);
        assert_eq!(error.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
