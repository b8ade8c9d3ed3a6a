//! The OpenAPI 3.1 document, collected from the handlers' own annotations.

use actix_web::App;
use utoipa::{
    Modify, OpenApi,
    openapi::{
        ContentBuilder, HeaderBuilder, Object, Ref, ResponseBuilder, Type,
        security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        },
    },
};
use utoipa_actix_web::AppExt;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Spendlens API",
        description = "The Relationship Manager Portal's API: client companies, information \
                       requests, on-demand refreshes of their accounting data, and reports.\n\n\
                       Every error is an RFC 9457 `application/problem+json` body. Timestamps \
                       are RFC 3339 in UTC.\n\n\
                       **Authentication.** Integrators send an API key (created by an admin) as \
                       `Authorization: Bearer slk_…`; it acts with a relationship manager's rights. \
                       People sign in with `POST /api/v1/session` and carry the `spendlens_session` \
                       cookie; changes made with the cookie must send the session's `csrf_token` \
                       as `X-CSRF-Token`. Operations marked with an empty security requirement \
                       (sign-in, password reset, invitations, the customer's consent pages, health) \
                       need none.\n\n\
                       **Rate limits.** Each user and API key may make \
                       `SPENDLENS_RATE_LIMIT_PER_MINUTE` requests a minute (600 by default) per \
                       server; authenticated answers carry `RateLimit-Limit`, \
                       `RateLimit-Remaining` and `RateLimit-Reset` (seconds), and a refused \
                       request gets `429` with `Retry-After`. Sign-in attempts are limited per \
                       email address across all servers. Each server makes at most \
                       `SPENDLENS_DOWNLOAD_CONCURRENCY` report downloads and audit log CSV \
                       exports at once; past it they get `429` with `Retry-After` too.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(
        api_types::StatusFilter,
        api_types::CompanySort,
        api_types::AuditFormat,
        api_types::AuditAction,
        api_types::ReportFormat,
        api_types::DateOrder
    )),
    modifiers(&Security),
    security(("api_key" = []), ("session" = [])),
    tags(
        (name = "companies", description = "The organization's client companies and their status"),
        (name = "refreshes", description = "Refreshing a company's data in the background"),
        (name = "reports", description = "The reports fetched for a company"),
        (name = "information requests", description = "Asking a company's contact for access to its data"),
        (name = "consent", description = "The customer's side of an information request: token-scoped, no sign-in"),
        (name = "uploads", description = "The upload fallback, for customers whose accounting \
            software cannot connect: the template (a workbook, or three CSV files), and uploads \
            of it by the customer through their link or by a user on their behalf. Uploaded \
            data is not refreshable: a new upload replaces it"),
        (name = "users", description = "The organization's users: invitations, roles, deactivation"),
        (name = "session", description = "Signing in and out, and password resets"),
        (name = "api-keys", description = "API keys for integrators (admins only)"),
        (name = "audit", description = "The audit log (admins only)"),
        (name = "webhooks", description = "Webhook endpoints (admins only). Events are sent as \
            [Standard Webhooks](https://www.standardwebhooks.com/) 1.0: a `POST` of \
            `{\"type\", \"timestamp\", \"data\"}` with the headers `webhook-id` (the same on \
            retries and replays: drop duplicates by it), `webhook-timestamp` (seconds) and \
            `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of \
            `{webhook-id}.{webhook-timestamp}.{body}` keyed with the base64-decoded part of \
            the `whsec_` secret after the prefix; during a secret rotation two signatures, \
            separated by a space. Types: `company.status_changed`, `refresh.succeeded`, \
            `refresh.failed`, `information_request.sent`, `consent.granted`, \
            `consent.declined`, `connection.connected`, `connection.reconnected`, \
            `connection.disconnected`. Answer 2xx within 10 s; anything else is retried after 5 s, \
            5 min, 30 min, 2 h, 5 h, 10 h and 10 h. `410 Gone` disables the endpoint, as do \
            repeated failures; redirects are not followed."),
        (name = "notifications", description = "The signed-in person's notifications (the bell): \
            a refresh they triggered finished or failed, a customer granted or declined their \
            information request; optionally by email too"),
        (name = "operations", description = "Health checks for operators"),
    )
)]
struct ApiDoc;

/// The two ways in: an API key as a bearer token, or the session cookie.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key: `Authorization: Bearer slk_…`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "The session cookie set by `POST /api/v1/session`; changes also need `X-CSRF-Token`.",
            ))),
        );
    }
}

/// Adds the answers every authenticated operation can give (401, 429, and 403 for a
/// change made with the cookie but no CSRF token), so each is documented where it can
/// happen. Operations with an empty security requirement are public and get none.
fn document_auth_answers(doc: &mut utoipa::openapi::OpenApi) {
    let problem = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build()
    };
    for item in doc.paths.paths.values_mut() {
        let operations = [
            (false, item.get.as_mut()),
            (true, item.post.as_mut()),
            (true, item.put.as_mut()),
            (true, item.patch.as_mut()),
            (true, item.delete.as_mut()),
        ];
        for (unsafe_method, operation) in operations {
            let Some(operation) = operation else { continue };
            let public = operation
                .security
                .as_ref()
                .is_some_and(|reqs| reqs.iter().any(|r| *r == SecurityRequirement::default()));
            if public {
                continue;
            }
            let responses = &mut operation.responses.responses;
            responses.entry("401".to_owned()).or_insert_with(|| {
                ResponseBuilder::new()
                    .description("No valid credentials: sign in, or send an API key")
                    .content("application/problem+json", problem())
                    .build()
                    .into()
            });
            if unsafe_method {
                responses.entry("403".to_owned()).or_insert_with(|| {
                    ResponseBuilder::new()
                        .description(
                            "Signed in with the cookie but without the `X-CSRF-Token` header",
                        )
                        .content("application/problem+json", problem())
                        .build()
                        .into()
                });
            }
            responses.entry("429".to_owned()).or_insert_with(|| {
                ResponseBuilder::new()
                    .description("Too many requests from this user or API key")
                    .content("application/problem+json", problem())
                    .header(
                        "Retry-After",
                        HeaderBuilder::new()
                            .schema(Some(Object::with_type(Type::Integer)))
                            .description(Some("Seconds to wait"))
                            .build(),
                    )
                    .build()
                    .into()
            });
        }
    }
}

/// The document's header (title, tags); paths and schemas are added by the routes.
pub fn base() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// The whole document, exactly as `/api/v1/openapi.json` serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = App::new()
        .into_utoipa_app()
        .openapi(base())
        .configure(crate::routes::all)
        .split_for_parts()
        .1;
    document_auth_answers(&mut doc);
    api_types::patterns::resolve(&mut doc);
    doc
}

/// The document as committed in `api-spec/openapi.json`.
pub fn pretty_json() -> String {
    let mut text = document()
        .to_pretty_json()
        .expect("the OpenAPI document always serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// ARCHITECTURE.md's rule for `api-types`, checked: request bodies deny unknown
    /// fields. serde's `deny_unknown_fields` is `additionalProperties: false` in the
    /// document, so every JSON body's schema (each branch of a `oneOf`) must say so.
    #[test]
    fn every_request_body_denies_unknown_fields() {
        let doc = serde_json::to_value(super::document()).unwrap();
        let schemas = &doc["components"]["schemas"];
        let mut checked = 0;
        let mut open = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let Some(content) = operation["requestBody"]["content"].as_object() else {
                    continue;
                };
                let mut pending: Vec<&Value> = content.values().map(|m| &m["schema"]).collect();
                while let Some(schema) = pending.pop() {
                    let schema = match schema["$ref"].as_str() {
                        Some(name) => &schemas[name.trim_start_matches("#/components/schemas/")],
                        None => schema,
                    };
                    if let Some(branches) = schema["oneOf"].as_array() {
                        pending.extend(branches);
                        continue;
                    }
                    checked += 1;
                    if schema["additionalProperties"] != Value::Bool(false) {
                        open.push(format!("{method} {path}"));
                    }
                }
            }
        }
        assert!(checked >= 10, "only {checked} request bodies found");
        assert!(
            open.is_empty(),
            "request bodies that accept unknown fields (add #[serde(deny_unknown_fields)]): {open:#?}"
        );
    }
}
