//! The OpenAPI 3.1 document, collected from the handlers' own annotations.

use actix_web::App;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Spendlens API",
        description = "The Relationship Manager Portal's API: client companies, information \
                       requests, on-demand refreshes of their accounting data, and reports.\n\n\
                       Every error is an RFC 9457 `application/problem+json` body. Timestamps \
                       are RFC 3339 in UTC.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(api_types::StatusFilter, api_types::CompanySort)),
    tags(
        (name = "companies", description = "The organization's client companies and their status"),
        (name = "refreshes", description = "Refreshing a company's data in the background"),
        (name = "reports", description = "The reports fetched for a company"),
        (name = "information requests", description = "Asking a company's contact for access to its data"),
        (name = "consent", description = "The customer's side of an information request: token-scoped, no sign-in"),
        (name = "users", description = "The organization's users"),
        (name = "operations", description = "Health checks for operators"),
    )
)]
struct ApiDoc;

/// The document's header (title, tags); paths and schemas are added by the routes.
pub fn base() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// The whole document, exactly as `/api/v1/openapi.json` serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    App::new()
        .into_utoipa_app()
        .openapi(base())
        .configure(crate::routes::all)
        .split_for_parts()
        .1
}

/// The document as committed in `api-spec/openapi.json`.
pub fn pretty_json() -> String {
    let mut text = document()
        .to_pretty_json()
        .expect("the OpenAPI document always serializes");
    text.push('\n');
    text
}
