//! The hosted link the customer's browser visits: the company's page (pick the
//! software), the connection's page (authorize or cancel), and the redirect back to the
//! client with the portal's redirect URL filled in.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use super::api::new_connection;
use super::{ConnectionStatus, Shared};
use crate::books::derived_uuid;
use crate::oauth::{Form, escape_html};

pub(super) fn routes(config: &mut web::ServiceConfig) {
    config
        .route(
            "/companies/{company}/connections/{connection}/start",
            web::get().to(connection_page),
        )
        .route(
            "/companies/{company}/connections/{connection}/start",
            web::post().to(decide),
        )
        .route("/company/{company}", web::get().to(company_page))
        .route("/company/{company}", web::post().to(pick))
        .route("/logos/{file}", web::get().to(logo));
}

/// RFC 3986 percent-encoding of everything but the unreserved characters, so a value
/// stays one value wherever the template puts it (path or query).
pub(super) fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `template` with every `{name}` replaced by `value(name)` percent-encoded, or by
/// nothing when there is no value (Codat: a custom parameter missing from the link URL
/// becomes an empty string).
fn fill(template: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        out.push_str(&percent_encode(&value(&after[..close]).unwrap_or_default()));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>\
         body{{font-family:system-ui,sans-serif;background:#f3f2f7;color:#1e1e2a;margin:0}}\
         main{{max-width:32rem;margin:2rem auto;background:#fff;padding:1.5rem;border-radius:.5rem}}\
         fieldset{{border:1px solid #ccd;border-radius:.25rem;margin:1rem 0}}\
         label{{display:block;padding:.5rem 0;min-height:2rem}}\
         button{{font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem;min-height:2.75rem}}\
         .primary{{background:#5b3df5;color:#fff;border:0;border-radius:.25rem}}\
         .error{{color:#b00020}}</style></head><body><main>{body}</main></body></html>"
    )
}

fn html(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page(title, body))
}

fn not_found(what: &str) -> HttpResponse {
    html(
        StatusCode::NOT_FOUND,
        "Link | Not found",
        &format!(
            "<h1>This link is not valid</h1><p class=\"error\" role=\"alert\">{}</p>",
            escape_html(what)
        ),
    )
}

/// The link's own path with its query, so a form posts back the custom parameters the
/// client added to the link URL.
fn action(request: &HttpRequest) -> String {
    match request.query_string() {
        "" => request.path().to_owned(),
        query => format!("{}?{query}", request.path()),
    }
}

/// The company name and the connection's platform and status, if both exist.
fn lookup(
    shared: &Shared,
    company: &str,
    connection: &str,
) -> Option<(Uuid, Uuid, String, String, ConnectionStatus)> {
    let company: Uuid = company.parse().ok()?;
    let connection: Uuid = connection.parse().ok()?;
    let state = shared.lock();
    let record = state.company(company)?;
    let found = record.connections.iter().find(|c| c.id == connection)?;
    let platform = shared.config.integrations[found.integration].name.clone();
    Some((
        company,
        connection,
        record.name.clone(),
        platform,
        found.status,
    ))
}

/// `GET /companies/{companyId}/connections/{connectionId}/start[?custom=…]`.
async fn connection_page(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    shared.lock().count_call("link");
    let (company, connection) = path.into_inner();
    let Some((_, _, company_name, platform, status)) = lookup(&shared, &company, &connection)
    else {
        return not_found("There is no such company or connection.");
    };
    let (company_name, platform) = (escape_html(&company_name), escape_html(&platform));
    let intro = if status == ConnectionStatus::Linked {
        format!(
            "<p role=\"status\">{company_name} is already connected to {platform}. \
             Authorize to go back.</p>"
        )
    } else {
        format!(
            "<p>{client} would like to read {company_name}'s accounting data in \
             {platform}.</p>",
            client = escape_html(&shared.config.client_name),
        )
    };
    let body = format!(
        "<h1>Connect {company_name} to {platform}</h1>{intro}\
         <p>Signed in to {platform} as demo@partner.example (fake data partner on \
         loopback).</p>\
         <form method=\"post\" action=\"{action}\">\
         <button type=\"submit\" class=\"primary\" name=\"decision\" value=\"authorize\">Authorize</button>\
         <button type=\"submit\" name=\"decision\" value=\"cancel\">Cancel</button></form>",
        action = escape_html(&action(&request)),
    );
    html(StatusCode::OK, &format!("Link | Connect {platform}"), &body)
}

/// The link's answer: "Authorize" links the connection, "Cancel" leaves it; either way
/// the browser goes to the redirect URL with its parameters filled in.
async fn decide(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    shared.lock().count_call("link");
    let (company, connection) = path.into_inner();
    let Some((company_id, connection_id, ..)) = lookup(&shared, &company, &connection) else {
        return not_found("There is no such company or connection.");
    };
    let (status_code, error_message) = match Form::parse(&body).get("decision") {
        Some("authorize") => match shared.link(company_id, connection_id) {
            // Codat: 201 when the connection was linked already.
            Some(true) => ("201", ""),
            Some(false) => ("200", ""),
            None => return not_found("There is no such company or connection."),
        },
        Some("cancel") => {
            shared.lock().counters.links_cancelled += 1;
            ("403", "User cancelled")
        }
        _ => {
            return html(
                StatusCode::BAD_REQUEST,
                "Link | Error",
                "<h1>Something went wrong</h1><p class=\"error\" role=\"alert\">Choose \
                 Authorize or Cancel.</p>",
            );
        }
    };
    let integration = {
        let state = shared.lock();
        let found = state
            .company(company_id)
            .and_then(|c| c.connections.iter().find(|c| c.id == connection_id))
            .expect("looked up above");
        shared.config.integrations[found.integration].clone()
    };
    let custom = Form::parse(request.query_string().as_bytes());
    let location = fill(&shared.config.redirect_url, |name| {
        let reserved = match name {
            "statusCode" => status_code.to_owned(),
            "errorMessage" => error_message.to_owned(),
            "statusText" => String::new(),
            "companyId" => company_id.to_string(),
            "connectionId" => connection_id.to_string(),
            "clientId" => {
                derived_uuid(&[b"partner-client", shared.config.api_key.as_bytes()]).to_string()
            }
            "integrationId" => integration.integration_id().to_string(),
            "sourceId" => integration.source_id().to_string(),
            "platform" => integration.key.clone(),
            "platformName" => integration.name.clone(),
            "sourceType" => integration.source_type.clone(),
            _ => return custom.get(name).map(str::to_owned),
        };
        Some(reserved)
    });
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// `GET /company/{companyId}` (the company's `redirect`): the customer picks the
/// software to connect.
async fn company_page(
    request: HttpRequest,
    path: web::Path<String>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    shared.lock().count_call("link");
    let name = {
        let state = shared.lock();
        match path.parse().ok().and_then(|id| state.company(id)) {
            Some(company) => company.name.clone(),
            None => return not_found("There is no such company."),
        }
    };
    let options: String = shared
        .config
        .integrations
        .iter()
        .filter(|i| i.enabled)
        .map(|i| {
            format!(
                "<label><input type=\"radio\" name=\"platformKey\" value=\"{}\" required> {}</label>",
                escape_html(&i.key),
                escape_html(&i.name),
            )
        })
        .collect();
    let body = format!(
        "<h1>Share {name}'s data with {client}</h1>\
         <form method=\"post\" action=\"{action}\">\
         <fieldset><legend>Choose your software</legend>{options}</fieldset>\
         <button type=\"submit\" class=\"primary\">Continue</button></form>",
        name = escape_html(&name),
        client = escape_html(&shared.config.client_name),
        action = escape_html(&action(&request)),
    );
    html(StatusCode::OK, "Link | Choose your software", &body)
}

/// The company page's answer: a new connection, and on to its link with the same query.
async fn pick(
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    shared.lock().count_call("link");
    let form = Form::parse(&body);
    let Some(key) = form.get("platformKey") else {
        return html(
            StatusCode::BAD_REQUEST,
            "Link | Error",
            "<h1>Something went wrong</h1><p class=\"error\" role=\"alert\">Choose your \
             software.</p>",
        );
    };
    let connection = match new_connection(&shared, &path, key, shared.clock.now()) {
        Ok(connection) => connection,
        Err(_) => return not_found("There is no such company or software."),
    };
    let mut location = connection["linkUrl"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if !request.query_string().is_empty() {
        location = format!("{location}?{}", request.query_string());
    }
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// `GET /logos/{key}.svg`: the integration's initials, so `logoUrl` answers without
/// reaching outside loopback.
async fn logo(path: web::Path<String>, shared: web::Data<Shared>) -> HttpResponse {
    let key = path.strip_suffix(".svg").unwrap_or_default();
    let Some(integration) = shared.config.integrations.iter().find(|i| i.key == key) else {
        return HttpResponse::NotFound().finish();
    };
    let initials: String = integration
        .name
        .split_whitespace()
        .filter_map(|word| word.chars().next())
        .take(2)
        .collect();
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\" role=\"img\" \
         aria-label=\"{name}\"><rect width=\"64\" height=\"64\" rx=\"12\" fill=\"#5b3df5\"/>\
         <text x=\"32\" y=\"41\" font-family=\"sans-serif\" font-size=\"24\" \
         text-anchor=\"middle\" fill=\"#fff\">{initials}</text></svg>",
        name = escape_html(&integration.name),
        initials = escape_html(&initials),
    );
    HttpResponse::Ok().content_type("image/svg+xml").body(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_gets_every_parameter_encoded_and_missing_ones_empty() {
        let filled = fill(
            "https://app.example/connect/{spendlens_link}/done?statuscode={statusCode}&m={errorMessage}&x={missing}&open={",
            |name| match name {
                "spendlens_link" => Some("a/b c".to_owned()),
                "statusCode" => Some("403".to_owned()),
                "errorMessage" => Some("User cancelled".to_owned()),
                _ => None,
            },
        );
        assert_eq!(
            filled,
            "https://app.example/connect/a%2Fb%20c/done?statuscode=403&m=User%20cancelled&x=&open={"
        );
    }
}
