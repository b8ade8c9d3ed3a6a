//! Request extractors whose failures are problems, not actix's plain-text errors.

use std::{future::Future, pin::Pin};

use actix_web::{
    FromRequest, HttpRequest, ResponseError,
    body::{EitherBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    error::{PathError, PayloadError, QueryPayloadError},
    http::header,
    middleware::Next,
    web,
};
use api_types::FieldError;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A JSON request body. Unlike `actix_web::web::Json`, a body that does not match the
/// type is answered with the path of the offending field (`data_types[1]`), and every
/// failure is a problem.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|v| v == "application/json" || v.ends_with("+json"));
        let length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if length.is_some_and(|n| n > BODY_LIMIT) {
                return Err(ApiError::PayloadTooLarge { limit: BODY_LIMIT });
            }
            if !is_json {
                return Err(ApiError::UnsupportedMediaType);
            }
            let bytes = body
                .await
                .map_err(|err| match err.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => ApiError::PayloadTooLarge { limit: BODY_LIMIT },
                    _ => ApiError::BadRequest {
                        title: "Unreadable request body",
                        detail: err.to_string(),
                    },
                })?;
            if bytes.len() > BODY_LIMIT {
                return Err(ApiError::PayloadTooLarge { limit: BODY_LIMIT });
            }
            parse_json(&bytes).map(Json)
        })
    }
}

/// Deserializes a body, telling a syntax error (400) from a body of the wrong shape (422).
/// A page's `limit` (default `default`, at most `max`) and UUID `cursor` (the
/// `next_cursor` of a previous page) from a list's query string, or a 400 naming which.
pub fn page_params(
    limit: Option<u64>,
    cursor: Option<&str>,
    default: u64,
    max: u64,
) -> Result<(u64, Option<uuid::Uuid>), ApiError> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(ApiError::BadRequest {
            title: "Invalid query string",
            detail: format!("`limit` must be between 1 and {max}."),
        });
    }
    let cursor = cursor
        .map(str::parse::<uuid::Uuid>)
        .transpose()
        .map_err(|_| ApiError::BadRequest {
            title: "Invalid query string",
            detail: "`cursor` must be the `next_cursor` of a previous page.".to_owned(),
        })?;
    Ok((limit, cursor))
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|err| ApiError::BadRequest {
            title: "Malformed JSON",
            detail: format!("The request body is not valid JSON: {err}."),
        })?;
    // serde would also read a struct from an array of its fields; our bodies are objects.
    if !value.is_object() {
        return Err(ApiError::field("body", "must be a JSON object"));
    }
    if let Some(field) = nul_in(&value, String::new()) {
        return Err(ApiError::field(&field, NUL_MESSAGE));
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        ApiError::Validation(vec![FieldError {
            field,
            message: strip_position(&err.into_inner().to_string()),
        }])
    })
}

/// PostgreSQL stores no NUL character in text; refused at the boundary, it is a 4xx
/// naming the field rather than the database's 500.
const NUL_MESSAGE: &str = "must not contain the NUL character (U+0000)";

/// The path (as serde_path_to_error writes it: `a.b[1]`) of the first string or key
/// holding a NUL, if any.
fn nul_in(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(s) if s.contains('\0') => Some(if path.is_empty() {
            "body".to_owned()
        } else {
            path
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_in(item, format!("{path}[{i}]"))),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                Some(join(&key.replace('\0', "\\0")))
            } else {
                nul_in(item, join(key))
            }
        }),
        _ => None,
    }
}

/// Refuses a NUL character in the query string or the path before any handler reads
/// them (the JSON body is checked by [`Json`]; header values cannot hold one): a 400
/// naming the query parameter, as for any unreadable query string; in the path a 404,
/// as for any segment that cannot be an id or a token (every such route documents it).
pub async fn refuse_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // `%00` is the only way a NUL reaches the URI: the HTTP parser refuses a raw one.
    let refusal = if req.path().contains("%00") {
        Some(ApiError::NotFound("resource"))
    } else if req.query_string().contains("%00") {
        form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(key, value)| key.contains('\0') || value.contains('\0'))
            .map(|(key, _)| {
                ApiError::BadParameter(FieldError {
                    field: key.replace('\0', "\\0"),
                    message: NUL_MESSAGE.to_owned(),
                })
            })
    } else {
        None
    };
    match refusal {
        Some(refusal) => Ok(req
            .into_response(refusal.error_response())
            .map_into_right_body()),
        None => Ok(next.call(req).await?.map_into_left_body()),
    }
}

/// serde_json appends " at line 1 column 9"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let detail = match &err {
        QueryPayloadError::Deserialize(inner) => inner.to_string(),
        other => other.to_string(),
    };
    ApiError::BadRequest {
        title: "Invalid query string",
        detail,
    }
    .into()
}

/// A path segment that cannot be an id names nothing: 404, as for an unknown id.
pub fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::NotFound("resource").into()
}

pub use crate::auth::Tenant;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        tags: Vec<u8>,
    }

    #[test]
    fn syntax_errors_are_400_and_shape_errors_name_the_field() {
        assert!(matches!(
            parse_json::<Body>(b"{\"name\": "),
            Err(ApiError::BadRequest { .. })
        ));
        match parse_json::<Body>(br#"{"name": "a", "tags": [1, "x"]}"#) {
            Err(ApiError::Validation(errors)) => assert_eq!(errors[0].field, "tags[1]"),
            other => panic!("{other:?}"),
        }
        match parse_json::<Body>(br#"{"name": "a", "tags": [], "extra": 1}"#) {
            Err(ApiError::Validation(errors)) => {
                assert!(errors[0].message.contains("unknown field"), "{errors:?}")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_json::<Body>(br#"{"name": "a", "tags": []} trailing"#),
            Err(ApiError::BadRequest { .. })
        ));
        match parse_json::<Body>(br#"["a", []]"#) {
            Err(ApiError::Validation(errors)) => assert_eq!(errors[0].field, "body"),
            other => panic!("{other:?}"),
        }
    }
}
