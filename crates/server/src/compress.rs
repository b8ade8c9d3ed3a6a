//! Compresses the API's answers on the fly: brotli or gzip, as the request's
//! `Accept-Encoding` prefers (brotli when both are equally acceptable, never one given
//! `q=0`), with `compression`'s fast setting.
//!
//! Only answers worth it: a body held in memory of at least [`THRESHOLD`] bytes, of a
//! textual type (JSON, problem+json, CSV, text, JavaScript, SVG), not already encoded.
//! So a `304` (no body), a small answer, a spreadsheet (a zip already) and the web app's
//! files (streamed from disk, their `.br`/`.gz` chosen by `spa`) go as they are. An
//! answer that could be compressed says `Vary: Accept-Encoding` whether or not it was;
//! a compressed one's strong `ETag` becomes weak (`W/"…"`), as the bytes differ from the
//! identity answer's, and the status poll compares `If-None-Match` weakly.
//!
//! actix-web's own `Compress` middleware compresses every body, however small, which
//! costs more than it saves below a kilobyte; hence this.

use actix_web::{
    Error, HttpMessage,
    body::{BodySize, BoxBody, EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{
        StatusCode,
        header::{self, AcceptEncoding, ContentEncoding, Encoding, HeaderValue},
    },
    middleware::Next,
    mime, web,
};
use compression::Effort;

/// Bodies below this size are sent as they are.
pub const THRESHOLD: u64 = 1024;

pub async fn answers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let encoding = req
        .get_header::<AcceptEncoding>()
        .and_then(|accepted| accepted.negotiate(SUPPORTED.iter()));
    let mut response = next.call(req).await?;
    if !compressible(&response) {
        return Ok(response.map_into_left_body());
    }
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    let encoding = match encoding {
        Some(Encoding::Known(ContentEncoding::Brotli)) => ContentEncoding::Brotli,
        Some(Encoding::Known(ContentEncoding::Gzip)) => ContentEncoding::Gzip,
        _ => return Ok(response.map_into_left_body()),
    };
    let (req, response) = response.into_parts();
    let (mut response, body) = response.into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        // A stream: its size is known but not its bytes; send it as it is.
        Err(body) => {
            return Ok(ServiceResponse::new(req, response.set_body(body)).map_into_left_body());
        }
    };
    let encoded = web::block(move || match encoding {
        ContentEncoding::Brotli => compression::brotli(&bytes, Effort::OnTheFly),
        _ => compression::gzip(&bytes, Effort::OnTheFly),
    })
    .await?;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_ENCODING, encoding.to_header_value());
    if let Some(etag) = headers.get(header::ETAG)
        && let Ok(etag) = etag.to_str()
        && !etag.starts_with("W/")
        && let Ok(weak) = HeaderValue::try_from(format!("W/{etag}"))
    {
        headers.insert(header::ETAG, weak);
    }
    Ok(ServiceResponse::new(req, response.set_body(BoxBody::new(encoded))).map_into_right_body())
}

const SUPPORTED: &[Encoding] = &[Encoding::brotli(), Encoding::gzip(), Encoding::identity()];

/// Whether `response` is an answer worth compressing (see the module's comment).
fn compressible<B: MessageBody>(response: &ServiceResponse<B>) -> bool {
    let status = response.status();
    if matches!(
        status,
        StatusCode::NO_CONTENT | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED
    ) || status.is_informational()
        || response.headers().contains_key(header::CONTENT_ENCODING)
        || response.headers().contains_key(header::CONTENT_RANGE)
    {
        return false;
    }
    if !matches!(response.response().body().size(), BodySize::Sized(n) if n >= THRESHOLD) {
        return false;
    }
    let Some(mime) = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
    else {
        return false;
    };
    match (mime.type_(), mime.subtype()) {
        (mime::TEXT, _) => true,
        (mime::APPLICATION, sub) => {
            sub == mime::JSON
                || sub == mime::JAVASCRIPT
                || sub == "xml"
                || mime.suffix() == Some(mime::JSON)
        }
        (mime::IMAGE, sub) => sub == mime::SVG,
        _ => false,
    }
}
