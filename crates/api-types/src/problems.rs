//! RFC 9457 problems: the body of every error answer, and the kinds of problem.

use std::fmt;

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// An RFC 9457 problem: every 4xx and 5xx answer of the API has this body,
/// with the content type `application/problem+json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Problem {
    /// A URI naming the kind of problem.
    // Text, not `ProblemKind`: a proxy in front may answer problems of its own.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The fields that were refused, for forms to show beside each field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For an upload that does not follow the template (`invalid-upload`): every
    /// problem found (the first 200; `detail` says how many in all), each placed where
    /// the person sees it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upload_problems: Vec<UploadProblem>,
}

/// One problem of an uploaded file: the sheet (or CSV file), the row as a spreadsheet
/// numbers it (the header is row 1), the column's header, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UploadProblem {
    /// The sheet's name, or the CSV file's; `null` for the whole file.
    pub sheet: Option<String>,
    pub row: Option<u32>,
    /// The column's header, as the template names it.
    pub column: Option<String>,
    /// The cell, `C5`.
    pub cell: Option<String>,
    /// What the cell holds, shortened.
    pub value: Option<String>,
    /// What was expected instead: "a date like 31/01/2026 or 2026-01-31".
    pub expected: String,
    /// The whole problem in one sentence.
    pub message: String,
}

/// One refused field of a request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FieldError {
    /// The field's name, as in the request body.
    pub field: String,
    pub message: String,
}

impl Problem {
    /// The kind of problem, when it is one of Spendlens's own.
    pub fn kind(&self) -> Option<ProblemKind> {
        ProblemKind::from_type_uri(&self.problem_type)
    }
}

/// The prefix of every problem `type` Spendlens answers; the rest is the slug.
pub const PROBLEM_TYPE_BASE: &str = "https://spendlens.dev/problems/";

/// Declares `ProblemKind` from `Variant = "slug"` pairs, so each slug is written once.
macro_rules! problem_kinds {
    ($($(#[$doc:meta])* $variant:ident = $slug:tt,)*) => {
        /// A kind of problem the API answers, named by the slug at the end of its `type`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ProblemKind {
            $($(#[$doc])* #[serde(rename = $slug)] $variant,)*
        }

        impl ProblemKind {
            pub const ALL: &[ProblemKind] = &[$(ProblemKind::$variant,)*];

            pub const fn slug(self) -> &'static str {
                match self {
                    $(ProblemKind::$variant => $slug,)*
                }
            }
        }
    };
}

problem_kinds! {
    /// 400: the request could not be read.
    BadRequest = "bad-request",
    /// 422: some fields are not acceptable (listed in `errors`).
    Validation = "validation",
    /// 404: no such resource (or route).
    NotFound = "not-found",
    /// 404: the body refers to something that does not exist (listed in `errors`).
    UnknownReference = "unknown-reference",
    /// 405: the route exists, the method does not.
    MethodNotAllowed = "method-not-allowed",
    /// 401: no valid credentials.
    Unauthorized = "unauthorized",
    /// 401: a wrong email or password.
    InvalidCredentials = "invalid-credentials",
    /// 403: a change made with the session cookie but no `X-CSRF-Token`.
    Csrf = "csrf",
    /// 403: signed in, but not allowed.
    Forbidden = "forbidden",
    /// 409: refreshing needs the customer's access; send an information request.
    NoAccess = "no-access",
    /// 409: the company's data was uploaded from the template; request a new upload.
    NotRefreshable = "not-refreshable",
    /// 409: the company is an entity of a group; entities have no entities.
    EntityOfGroup = "entity-of-group",
    /// 409: the group has as many entities as it can.
    TooManyEntities = "too-many-entities",
    /// 409: the data requested does not include spend detail, all the template holds.
    UploadNotRequested = "upload-not-requested",
    /// 422: the uploaded file does not follow the template (the problems in `problems`).
    InvalidUpload = "invalid-upload",
    /// 409: the delivery's webhook endpoint is disabled.
    WebhookEndpointDisabled = "webhook-endpoint-disabled",
    /// 409: a request with the same `Idempotency-Key` is still being answered.
    IdempotencyInFlight = "idempotency-in-flight",
    /// 409: a user with this email exists.
    UserExists = "user-exists",
    /// 409: the change would leave the organization without an active admin.
    LastAdmin = "last-admin",
    /// 404: the consent link is not valid.
    LinkNotFound = "link-not-found",
    /// 410: the consent link has expired.
    LinkExpired = "link-expired",
    /// 410: the consent link was already answered.
    LinkUsed = "link-used",
    /// 410: a newer information request replaced this link.
    LinkSuperseded = "link-superseded",
    /// 502: Xero or QuickBooks Online did not complete a connection (its token
    /// endpoint failed, it authorized no organisation); the detail says what to do.
    PlatformFailed = "platform-failed",
    /// 404: the invitation or password reset link is not valid.
    AccountLinkNotFound = "account-link-not-found",
    /// 410: the invitation or password reset link has expired.
    AccountLinkExpired = "account-link-expired",
    /// 410: the invitation or password reset link was already used.
    AccountLinkUsed = "account-link-used",
    /// 413: the body is too large.
    PayloadTooLarge = "payload-too-large",
    /// 415: the body is not JSON.
    UnsupportedMediaType = "unsupported-media-type",
    /// 429: too many requests; see `Retry-After`.
    TooManyRequests = "too-many-requests",
    /// 500: a bug or an outage, logged on the server.
    Internal = "internal",
    /// 503: a dependency (the database) is not available.
    Unavailable = "unavailable",
    /// Any other HTTP error the framework answered.
    Http = "http",
}

impl ProblemKind {
    /// The problem's `type`.
    pub fn type_uri(self) -> String {
        format!("{PROBLEM_TYPE_BASE}{}", self.slug())
    }

    /// The kind a problem `type` names, if it is one of Spendlens's.
    pub fn from_type_uri(uri: &str) -> Option<Self> {
        let slug = uri.strip_prefix(PROBLEM_TYPE_BASE)?;
        ProblemKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.slug() == slug)
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_type() {
        for &kind in ProblemKind::ALL {
            assert_eq!(ProblemKind::from_type_uri(&kind.type_uri()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.slug())
            );
        }
        assert_eq!(
            ProblemKind::LinkExpired.type_uri(),
            "https://spendlens.dev/problems/link-expired"
        );
        assert_eq!(ProblemKind::from_type_uri("about:blank"), None);
    }
}
