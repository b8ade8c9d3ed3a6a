//! The browser-hardening headers on every answer: Content-Security-Policy, nosniff,
//! Referrer-Policy, Permissions-Policy, Cross-Origin-Opener-Policy, and HSTS when the
//! portal is served over https.
//!
//! The web app's build (`crates/web-build`, or trunk in development) inlines a small
//! module script into `index.html` and `connect.html` (the wasm loader), beside the
//! shell's own script, so the policy allows exactly those scripts by their SHA-256, read
//! from the served pages at startup — never `'unsafe-inline'`.

use std::path::Path;

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderName, HeaderValue},
    middleware::Next,
    web,
};
use base64::Engine;
use sha2::{Digest, Sha256};

/// The policy's directives after `script-src`, shared by the app and the API docs.
const REST: &str = "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
                    base-uri 'none'; form-action 'self'; object-src 'none'";

/// Swagger UI (at `/api/docs/`) loads only its own files, but sets inline styles, and
/// needs no wasm.
const DOCS_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                           img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
                           base-uri 'none'; form-action 'self'; object-src 'none'";

const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// The headers, computed once at startup.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    policy: HeaderValue,
    docs_policy: HeaderValue,
    hsts: bool,
}

impl SecurityHeaders {
    /// The policy for the app in `static_dir`; HSTS when `public_url` is https.
    pub fn new(static_dir: &Path, public_url: &str) -> Self {
        let pages: Vec<String> = std::iter::once(&"index.html")
            .chain(&crate::spa::APP_PAGES)
            .filter_map(|page| std::fs::read_to_string(static_dir.join(page)).ok())
            .collect();
        // The pages share the shell's script: each hash once.
        let mut hashes = String::new();
        for script in pages.iter().flat_map(|page| inline_scripts(page)) {
            let hash = format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()))
            );
            if !hashes.contains(&hash) {
                hashes.push_str(&hash);
            }
        }
        let policy = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; {REST}"
        );
        Self {
            policy: HeaderValue::from_str(&policy).expect("the policy is ASCII"),
            docs_policy: HeaderValue::from_static(DOCS_POLICY),
            hsts: public_url
                .get(..8)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://")),
        }
    }

    /// The Content-Security-Policy every answer outside the API docs carries.
    pub fn policy(&self) -> &str {
        self.policy.to_str().unwrap_or_default()
    }
}

/// The contents of every `<script>` element without a `src` in `html`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attributes, rest) = rest.split_once('>')?;
        let (body, _) = rest.split_once("</script>")?;
        (!attributes.contains("src=")).then_some(body)
    })
}

/// Adds the headers to every answer. Handlers and extractors turn their errors into
/// responses (problems) before they reach the middleware, so errors pass here as
/// responses too.
pub async fn add(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let headers = req.app_data::<web::Data<SecurityHeaders>>().cloned();
    let docs = req.path().starts_with("/api/docs");
    let mut res = next.call(req).await?;
    let Some(headers) = headers else {
        return Ok(res);
    };
    let map = res.headers_mut();
    map.insert(
        header::CONTENT_SECURITY_POLICY,
        if docs {
            headers.docs_policy.clone()
        } else {
            headers.policy.clone()
        },
    );
    map.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    map.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    map.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    map.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if headers.hsts {
        map.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_scripts_without_src_are_inline() {
        let html = "<script type=\"module\">init();</script><script src=\"/a.js\"></script>";
        assert_eq!(inline_scripts(html).collect::<Vec<_>>(), ["init();"]);
    }
}
