//! What the API answers for a path or method it does not serve.
//!
//! A known path with the wrong method is `405` with `Allow`; anything else is `404`.
//! The known paths and methods come from the OpenAPI document, so this stays true
//! as routes are added.

use actix_web::{
    HttpRequest, HttpResponse,
    dev::ResourceDef,
    http::{Method, header},
    web,
};
use utoipa::openapi::OpenApi;

pub struct KnownRoutes(Vec<(ResourceDef, Vec<Method>)>);

impl KnownRoutes {
    pub fn from_openapi(doc: &OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, present)| present.then_some(method))
                .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self(routes)
    }

    /// The `Allow` header for `path`: its documented methods, or `GET, HEAD` for the
    /// web app's paths.
    pub fn allow_header(&self, path: &str) -> String {
        match self.allowed(path) {
            Some(methods) => allow(methods),
            None => "GET, HEAD".to_owned(),
        }
    }

    fn allowed(&self, path: &str) -> Option<&[Method]> {
        self.0
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, methods)| methods.as_slice())
    }
}

/// The default service of the API scopes. Its bare 404 or 405 is turned into a problem
/// by [`crate::error::problem_for_bare_errors`].
pub async fn api_fallback(
    req: HttpRequest,
    routes: Option<web::Data<KnownRoutes>>,
) -> HttpResponse {
    match routes.as_ref().and_then(|r| r.allowed(req.path())) {
        Some(methods) => HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, allow(methods)))
            .finish(),
        None => HttpResponse::NotFound().finish(),
    }
}

fn allow(methods: &[Method]) -> String {
    let mut names: Vec<&str> = methods.iter().map(Method::as_str).collect();
    if methods.contains(&Method::GET) {
        names.push("HEAD");
    }
    names.join(", ")
}
