//! Serves the built single-page app, with `index.html` for every unknown path so deep
//! links (`/connect/…`, `/companies/…`) load the app, which then routes itself.

use std::path::Path;

use actix_files::{Files, NamedFile};
use actix_web::{
    HttpResponse,
    dev::{ServiceRequest, ServiceResponse, fn_service},
    http::header,
};

pub fn service(dir: &Path) -> Files {
    let index = dir.join("index.html");
    Files::new("/", dir)
        .index_file("index.html")
        .default_handler(fn_service(move |req: ServiceRequest| {
            let index = index.clone();
            async move {
                let (req, _) = req.into_parts();
                let response = match NamedFile::open(&index) {
                    Ok(file) => {
                        let mut response = file.into_response(&req);
                        // The shell must be re-read after a deploy; its assets are hashed.
                        response.headers_mut().insert(
                            header::CACHE_CONTROL,
                            header::HeaderValue::from_static("no-cache"),
                        );
                        response
                    }
                    Err(_) => not_built(&index),
                };
                Ok(ServiceResponse::new(req, response))
            }
        }))
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
