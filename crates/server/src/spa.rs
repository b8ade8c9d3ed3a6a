//! Serves the built single-page app, with `index.html` for every unknown path so deep
//! links (`/companies/…`) load the app, which then routes itself; a path under
//! `/connect/` gets `connect.html` instead when the build wrote one (the customer's own
//! app, a third of the portal's size: `crates/web-build`), and `/admin` and the paths
//! under it get `admin.html` (the admin pages' app), else `index.html` too (a `trunk
//! serve` build, whose one app has every page).
//!
//! On the wire: the build writes `<file>.br` and `<file>.gz` beside each compressible
//! file (`crates/compression`, run by `crates/web-build`), and a request gets the
//! variant its `Accept-Encoding` prefers (brotli over gzip when equally acceptable, never
//! one it gives `q=0`), else the file itself. Each variant is its own file, so it has its
//! own `ETag` and `Content-Length`, and a `Range` covers the variant's bytes. Every answer
//! here says `Vary: Accept-Encoding`. Files whose names carry a content hash are
//! cached for a year, `immutable`; everything else, `index.html` first, is `no-cache`
//! (revalidated by `ETag` on every use), so a deploy reaches the browser at once.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::{
    Error, HttpMessage, HttpRequest, HttpResponse,
    body::MessageBody,
    dev::{HttpServiceFactory, ServiceRequest, ServiceResponse, fn_service},
    http::header::{self, AcceptEncoding, ContentEncoding, Encoding, HeaderValue},
    middleware::{Next, from_fn},
    web,
};

/// A year: what content-hashed files may be cached for.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The customer's page, for the addresses under `/connect/`.
const CUSTOMER_PAGE: &str = "connect.html";
/// The admin pages' page, for `/admin` and the addresses under it.
const ADMIN_PAGE: &str = "admin.html";
/// The pages of the apps beside the portal's (`index.html`).
pub const APP_PAGES: [&str; 2] = [CUSTOMER_PAGE, ADMIN_PAGE];

/// The page of the app that shows `path`, when it is not the portal's.
fn app_page(path: &str) -> Option<&'static str> {
    if path.starts_with("/connect/") {
        Some(CUSTOMER_PAGE)
    } else if path == "/admin" || path.starts_with("/admin/") {
        Some(ADMIN_PAGE)
    } else {
        None
    }
}

pub fn service(dir: &Path) -> impl HttpServiceFactory + use<> {
    let index = dir.join("index.html");
    // The apps' pages the build wrote (a trunk build writes none).
    let apps: Vec<(&str, PathBuf)> = APP_PAGES
        .iter()
        .map(|name| (*name, dir.join(name)))
        .filter(|(_, page)| page.is_file())
        .collect();
    let files = Files::new("/", dir)
        .index_file("index.html")
        .try_compressed()
        .default_handler(fn_service(move |req: ServiceRequest| {
            let page = app_page(req.path())
                .and_then(|name| apps.iter().find(|(app, _)| *app == name))
                .map_or_else(|| index.clone(), |(_, page)| page.clone());
            async move {
                let (req, _) = req.into_parts();
                let response = match open_negotiated(&req, &page) {
                    Ok(file) => {
                        let mut response = file.into_response(&req);
                        // The shell must be re-read after a deploy; its assets are hashed.
                        response
                            .headers_mut()
                            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                        response
                    }
                    Err(_) => not_built(&page),
                };
                Ok(ServiceResponse::new(req, response))
            }
        }));
    web::scope("").wrap(from_fn(wire_headers)).service(files)
}

/// `path`'s brotli or gzip variant when the request accepts it and it exists, else `path`:
/// what `Files::try_compressed` does for the files it finds, for the SPA fallback.
fn open_negotiated(req: &HttpRequest, path: &Path) -> std::io::Result<NamedFile> {
    let original = NamedFile::open(path)?;
    let Some(accepted) = req.get_header::<AcceptEncoding>() else {
        return Ok(original);
    };
    let mut supported = vec![Encoding::brotli(), Encoding::gzip(), Encoding::identity()];
    while let Some(chosen) = accepted.negotiate(supported.iter()) {
        let (encoding, extension) = match chosen {
            Encoding::Known(ContentEncoding::Brotli) => (ContentEncoding::Brotli, "br"),
            Encoding::Known(ContentEncoding::Gzip) => (ContentEncoding::Gzip, "gz"),
            _ => break,
        };
        let mut variant = PathBuf::from(path).into_os_string();
        variant.push(".");
        variant.push(extension);
        if let Ok(file) = NamedFile::open(variant) {
            return Ok(file
                .set_content_type(original.content_type().clone())
                .set_content_disposition(original.content_disposition().clone())
                .set_content_encoding(encoding));
        }
        supported.retain(|e| e != &chosen);
    }
    Ok(original)
}

/// `Vary: Accept-Encoding` and the cache policy on every answer of the app's files.
async fn wire_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let hashed = is_content_hashed(req.path());
    let mut response = next.call(req).await?;
    let status = response.status();
    let headers = response.headers_mut();
    let varies = headers.get_all(header::VARY).any(|value| {
        value.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|v| v.trim().eq_ignore_ascii_case("accept-encoding"))
        })
    });
    if !varies {
        headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    if (status.is_success() || status == actix_web::http::StatusCode::NOT_MODIFIED)
        && !headers.contains_key(header::CACHE_CONTROL)
    {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if hashed { IMMUTABLE } else { "no-cache" }),
        );
    }
    Ok(response)
}

/// Whether the last segment of `path` carries a content hash as web-build (or trunk)
/// writes it: `-` then 64 bits of the hash in hex (`frontend-1a2b…_bg.wasm`, `style-1a2b….css`). A hash has up to 16 digits;
/// fewer than 8 would mean leading zeros no build will see.
fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let stem = name.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        (8..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

fn not_built(index: &Path) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><title>Spendlens</title><h1>Spendlens</h1>\
         <p>The API is running, but the web app is not built: {} does not exist.</p>\
         <p>Run <code>./scripts/run.sh</code> (it builds the app), or set \
         <code>SPENDLENS_STATIC_DIR</code> to a built <code>dist</code> directory.</p>\
         <p>The API's documentation is at <a href=\"/api/docs/\">/api/docs/</a>.</p>",
            index.display()
        ))
}

#[cfg(test)]
mod tests {
    use super::{ADMIN_PAGE, CUSTOMER_PAGE, app_page, is_content_hashed};

    #[test]
    fn each_app_gets_its_own_addresses() {
        for (path, page) in [
            ("/connect/abc-def", Some(CUSTOMER_PAGE)),
            ("/connect/abc/done", Some(CUSTOMER_PAGE)),
            ("/admin", Some(ADMIN_PAGE)),
            ("/admin/", Some(ADMIN_PAGE)),
            ("/admin/api-keys", Some(ADMIN_PAGE)),
            ("/administration", None),
            ("/", None),
            ("/companies/1", None),
            ("/sign-in", None),
        ] {
            assert_eq!(app_page(path), page, "{path}");
        }
    }

    #[test]
    fn trunk_hashed_names_are_recognised() {
        for hashed in [
            "/frontend-8f1c2d3e4b5a6978_bg.wasm",
            "/frontend-8f1c2d3e4b5a6978.js",
            "/style-0123456789abcdef.css",
            "/favicon-9abcdef012345678.svg",
            "/snippets/frontend-8f1c2d3e4b5a6978/inline0-1234abcd5678ef90.js",
        ] {
            assert!(is_content_hashed(hashed), "{hashed}");
        }
        for plain in [
            "/",
            "/index.html",
            "/style.css",
            "/companies/1",
            "/connect/abc-def",
            "/report-2026.csv",
            "/frontend-0123456789abcdef0.js",
        ] {
            assert!(!is_content_hashed(plain), "{plain}");
        }
    }
}
