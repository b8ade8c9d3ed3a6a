//! The bytes on the wire: the web app's files precompressed by the build's own code
//! (`compression::precompress_dir`) and sent by `Accept-Encoding`, their cache policy,
//! and API answers compressed on the fly above a kilobyte.

use std::{io::Read, path::Path};

use domain::DataType::Financials;
use reqwest::{Response, header::HeaderMap};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const WASM: &str = "frontend-0123456789abcdef_bg.wasm";
const JS: &str = "frontend-0123456789abcdef.js";
const CSS: &str = "style-fedcba9876543210.css";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A `dist/` as trunk leaves it after a release build: hashed assets, `index.html`, and
/// the variants the `post_build` hook writes; plus a file with no variants.
fn built_app(dir: &Path) {
    let index = "<!doctype html><html><head><title>Spendlens</title>\
        <script type=\"module\">import init from '/frontend-0123456789abcdef.js';await init();</script>\
        </head><body></body></html>\n"
        .repeat(8);
    std::fs::write(dir.join("index.html"), index).unwrap();
    // The customer's page, which starts its own app.
    let customer = "<!doctype html><html><head><title>Spendlens</title>\
        <script type=\"module\">import init from '/customer-0123456789abcdef.js';await init();</script>\
        </head><body></body></html>\n"
        .repeat(8);
    std::fs::write(dir.join("connect.html"), customer).unwrap();
    let wasm: Vec<u8> = (0..40_000u32)
        .flat_map(|i| [0x00, 0x61, 0x73, 0x6d, (i % 7) as u8, (i % 251) as u8])
        .collect();
    std::fs::write(dir.join(WASM), wasm).unwrap();
    std::fs::write(
        dir.join(JS),
        "export function init(module) { return WebAssembly.instantiateStreaming(module); }\n"
            .repeat(60),
    )
    .unwrap();
    std::fs::write(
        dir.join(CSS),
        "body { margin: 0; font: 16px system-ui; }\n".repeat(80),
    )
    .unwrap();
    compression::precompress_dir(dir).unwrap();
    // Written after the build step: no variants.
    std::fs::write(dir.join("notes.txt"), "A plain file. ".repeat(200)).unwrap();
}

async fn spawn_with_built_app() -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    built_app(dir.path());
    let path = dir.path().to_owned();
    let app = spawn_app_with(move |settings| settings.static_dir = path).await;
    (app, dir)
}

async fn fetch(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = app.anonymous().get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap())
}

fn varies_by_encoding(headers: &HeaderMap) -> bool {
    headers
        .get_all("vary")
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .any(|v| v.trim().eq_ignore_ascii_case("accept-encoding"))
}

fn decode(encoding: Option<&str>, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        Some("br") => {
            brotli::Decompressor::new(bytes, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        Some("gzip") => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .unwrap();
        }
        None => out = bytes.to_vec(),
        Some(other) => panic!("unexpected content-encoding {other}"),
    }
    out
}

/// Fetches `path` accepting `accept` (none when empty) and checks the answer: the
/// encoding, `Vary`, the type and length, and that the bytes decode to the file.
async fn served_as(
    app: &TestApp,
    dir: &Path,
    path: &str,
    accept: &str,
    encoding: Option<&str>,
) -> HeaderMap {
    let headers: &[(&str, &str)] = if accept.is_empty() {
        &[]
    } else {
        &[("accept-encoding", accept)]
    };
    let response = fetch(app, path, headers).await;
    assert_eq!(response.status(), 200, "{path} {accept}");
    let headers = response.headers().clone();
    assert_eq!(
        header(&headers, "content-encoding"),
        encoding,
        "{path} with Accept-Encoding: {accept}"
    );
    assert!(varies_by_encoding(&headers), "{path} {accept}: {headers:?}");
    let body = response.bytes().await.unwrap();
    assert_eq!(
        header(&headers, "content-length"),
        Some(body.len().to_string().as_str()),
        "{path} {accept}"
    );
    let file = if path.starts_with("/connect/") {
        "connect.html"
    } else if path == "/" || !path.contains('.') {
        "index.html"
    } else {
        path.trim_start_matches('/')
    };
    let original = std::fs::read(dir.join(file)).unwrap();
    if encoding.is_some() {
        assert!(
            body.len() < original.len() / 2,
            "{path} {accept}: {}",
            body.len()
        );
    }
    assert_eq!(decode(encoding, &body), original, "{path} {accept}");
    headers
}

#[tokio::test]
async fn the_web_app_goes_brotli_or_gzip_as_the_browser_accepts() {
    let (app, dir) = spawn_with_built_app().await;
    let dir = dir.path();
    let types = [
        (WASM, "application/wasm"),
        (JS, "text/javascript"),
        (CSS, "text/css"),
    ];
    for (file, content_type) in types {
        let path = format!("/{file}");
        let chrome = "gzip, deflate, br, zstd";
        let br = served_as(&app, dir, &path, chrome, Some("br")).await;
        let gz = served_as(&app, dir, &path, "gzip", Some("gzip")).await;
        let plain = served_as(&app, dir, &path, "", None).await;
        served_as(&app, dir, &path, "br;q=0, gzip", Some("gzip")).await;
        served_as(&app, dir, &path, "identity", None).await;
        for headers in [&br, &gz, &plain] {
            assert!(
                header(headers, "content-type")
                    .unwrap()
                    .starts_with(content_type),
                "{file}: {headers:?}"
            );
            assert_eq!(header(headers, "cache-control"), Some(IMMUTABLE), "{file}");
        }
        // Each representation its own validator.
        let etags = [&br, &gz, &plain].map(|h| header(h, "etag").unwrap().to_owned());
        assert_ne!(etags[0], etags[1], "{file}");
        assert_ne!(etags[0], etags[2], "{file}");
        assert_ne!(etags[1], etags[2], "{file}");
        let revalidated = fetch(
            &app,
            &path,
            &[("accept-encoding", chrome), ("if-none-match", &etags[0])],
        )
        .await;
        assert_eq!(revalidated.status(), 304, "{file}");
        assert!(varies_by_encoding(revalidated.headers()), "{file}");
        assert!(revalidated.bytes().await.unwrap().is_empty());
        // The identity file's ETag does not validate the brotli one.
        let other = fetch(
            &app,
            &path,
            &[("accept-encoding", "br"), ("if-none-match", &etags[2])],
        )
        .await;
        assert_eq!(other.status(), 200, "{file}");
    }

    // The shell, at its own path, at `/` and as the fallback for a deep link, and the
    // customer's page for the addresses under `/connect/`: revalidated.
    for path in [
        "/index.html",
        "/",
        "/companies/0193c6f2-1234-7abc-8def-0123456789ab",
        "/connect/Zm9vYmFy-token",
        "/connect/choose/4b1c",
        "/connect/connected",
    ] {
        for (accept, encoding) in [("br, gzip", Some("br")), ("gzip", Some("gzip")), ("", None)] {
            let headers = served_as(&app, dir, path, accept, encoding).await;
            assert_eq!(
                header(&headers, "cache-control"),
                Some("no-cache"),
                "{path}"
            );
            assert!(
                header(&headers, "content-type")
                    .unwrap()
                    .starts_with("text/html"),
                "{path}"
            );
        }
    }

    // A file without variants goes as it is, never compressed on the fly; not hashed,
    // so revalidated.
    let headers = served_as(&app, dir, "/notes.txt", "br, gzip", None).await;
    assert_eq!(header(&headers, "cache-control"), Some("no-cache"));
}

/// A range of a compressed answer is a range of the variant's bytes, which has its own
/// `ETag`; a range without `Accept-Encoding` is a range of the file.
#[tokio::test]
async fn ranges_are_of_the_representation_sent() {
    let (app, dir) = spawn_with_built_app().await;
    let variant = std::fs::read(dir.path().join(format!("{WASM}.br"))).unwrap();
    let part = fetch(
        &app,
        &format!("/{WASM}"),
        &[("accept-encoding", "br"), ("range", "bytes=0-99")],
    )
    .await;
    assert_eq!(part.status(), 206);
    assert_eq!(header(part.headers(), "content-encoding"), Some("br"));
    assert_eq!(
        header(part.headers(), "content-range"),
        Some(format!("bytes 0-99/{}", variant.len()).as_str())
    );
    assert_eq!(part.bytes().await.unwrap(), &variant[..100]);

    let file = std::fs::read(dir.path().join(WASM)).unwrap();
    let part = fetch(&app, &format!("/{WASM}"), &[("range", "bytes=10-19")]).await;
    assert_eq!(part.status(), 206);
    assert_eq!(header(part.headers(), "content-encoding"), None);
    assert_eq!(part.bytes().await.unwrap(), &file[10..20]);
}

#[tokio::test]
async fn large_api_answers_are_compressed_small_ones_and_304s_are_not() {
    let app = spawn_app().await;
    // Tiny: an empty list.
    let tiny = app
        .client
        .get(app.url("/api/v1/companies"))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(tiny.status(), 200);
    assert_eq!(header(tiny.headers(), "content-encoding"), None);
    let body = tiny.bytes().await.unwrap();
    assert!((body.len() as u64) < server::compress::THRESHOLD);
    serde_json::from_slice::<serde_json::Value>(&body).unwrap();

    let mut ids = Vec::new();
    for n in 0..16 {
        let company = app
            .create_company(&format!("Company number {n} Ltd"), &[Financials])
            .await;
        ids.push(company.id);
    }
    for (accept, encoding) in [
        ("gzip", Some("gzip")),
        ("gzip, deflate, br", Some("br")),
        ("br;q=0, gzip;q=0.5", Some("gzip")),
        ("", None),
    ] {
        let mut request = app.client.get(app.url("/api/v1/companies"));
        if !accept.is_empty() {
            request = request.header("accept-encoding", accept);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        let headers = response.headers().clone();
        assert_eq!(header(&headers, "content-encoding"), encoding, "{accept}");
        assert!(varies_by_encoding(&headers), "{accept}");
        // The security headers stay on a compressed answer.
        assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
        let body = response.bytes().await.unwrap();
        assert_eq!(
            header(&headers, "content-length"),
            Some(body.len().to_string().as_str())
        );
        let json = decode(encoding, &body);
        assert!(
            json.len() as u64 >= server::compress::THRESHOLD,
            "{}",
            json.len()
        );
        if encoding.is_some() {
            assert!(body.len() < json.len() / 2, "{accept}: {}", body.len());
        }
        let list: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 16);
    }

    // The status poll: compressed with a weak ETag, which the 304 then honours; the 304
    // has no body to compress.
    let path = format!(
        "/api/v1/company-statuses?ids={}",
        ids.iter()
            .map(|id| id.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let first = app
        .client
        .get(app.url(&path))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(header(first.headers(), "content-encoding"), Some("gzip"));
    let etag = header(first.headers(), "etag").unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    let statuses: serde_json::Value =
        serde_json::from_slice(&decode(Some("gzip"), &first.bytes().await.unwrap())).unwrap();
    assert_eq!(statuses["items"].as_array().unwrap().len(), 16);
    let again = app
        .client
        .get(app.url(&path))
        .header("accept-encoding", "gzip")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(header(again.headers(), "content-encoding"), None);
    assert!(again.bytes().await.unwrap().is_empty());
    // Uncompressed, the same answer keeps its strong ETag.
    let plain = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(
        format!("W/{}", header(plain.headers(), "etag").unwrap()),
        etag
    );
}
