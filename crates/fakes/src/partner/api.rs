//! The Platform API (integrations, companies, connections), and what every
//! authenticated request goes through: the API key, the limits, queued faults, Codat's
//! error body, paging and the `query` filter.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use chrono::{DateTime, Days, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{CompanyRecord, ConnectionRecord, ConnectionStatus, Integration, Shared, State};
use crate::books::Books;
use crate::faults::FaultRequest;
use crate::oauth::{Form, random_uuid};
use crate::{Fault, FaultTarget};

pub(super) fn routes(config: &mut web::ServiceConfig) {
    config
        // Codat's current reference lists integrations at `/integrations`; the contract
        // (and older Codat clients) use `/config/integrations`. Both answer.
        .route("/config/integrations", web::get().to(list_integrations))
        .route("/integrations", web::get().to(list_integrations))
        .route("/companies", web::get().to(list_companies))
        .route("/companies", web::post().to(create_company))
        .route("/companies/{company}", web::get().to(get_company))
        .route(
            "/companies/{company}/connections",
            web::get().to(list_connections),
        )
        .route(
            "/companies/{company}/connections",
            web::post().to(create_connection),
        )
        .route(
            "/companies/{company}/connections/{connection}",
            web::get().to(get_connection),
        )
        .route("/_fake/faults", web::post().to(admin_fault))
        .route("/_fake/clock/advance", web::post().to(admin_advance))
        .route("/_fake/counters", web::get().to(admin_counters))
        .route("/_fake/books/{company}", web::get().to(admin_books))
        .route(
            "/_fake/companies/{company}/status",
            web::post().to(admin_status),
        );
}

/// `2022-11-10T10:45:18Z`, as Codat writes instants.
pub(super) fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Codat's error body. `canBeRetried` is a string in Codat's schema, and `"Unknown"` in
/// every documented example.
pub(super) fn error(status: StatusCode, service: &str, message: &str) -> HttpResponse {
    error_with(status, service, message, None)
}

fn error_with(
    status: StatusCode,
    service: &str,
    message: &str,
    validation: Option<Value>,
) -> HttpResponse {
    let mut body = json!({
        "statusCode": status.as_u16(),
        "service": service,
        "error": message,
        "correlationId": random_uuid().simple().to_string(),
        "canBeRetried": "Unknown",
        "detailedErrorCode": 0,
    });
    if let Some(validation) = validation {
        body["validation"] = validation;
    }
    HttpResponse::build(status).json(body)
}

/// `400` naming the request property at fault.
pub(super) fn validation_error(item: &str, message: &str, validator: &str) -> HttpResponse {
    error_with(
        StatusCode::BAD_REQUEST,
        "PublicApi",
        &format!("Error processing request - not valid. {message}"),
        Some(json!({
            "errors": [{ "itemId": item, "message": message, "validatorName": validator }],
            "warnings": [],
        })),
    )
}

pub(super) fn company_not_found(id: &str) -> HttpResponse {
    error(
        StatusCode::NOT_FOUND,
        "ClientsApi",
        &format!("No company was found with ID {id}"),
    )
}

/// The calls left against each limit, sent on every answer as Codat does.
struct Quota {
    limit: u32,
    remaining: u32,
    reset: DateTime<Utc>,
}

impl Quota {
    fn apply(&self, answer: &mut HttpResponse) {
        for (name, value) in [
            ("x-rate-limit-limit", self.limit.to_string()),
            ("x-rate-limit-remaining", self.remaining.to_string()),
            // Codat calls it "the date when the quota will be reset" without a format.
            ("x-rate-limit-reset", instant(self.reset)),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                answer
                    .headers_mut()
                    .insert(HeaderName::from_static(name), value);
            }
        }
    }
}

/// Leaves the in-flight count when the request ends, however it ends.
struct InFlightGuard<'a>(&'a Shared);

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.0.lock().in_flight.leave();
    }
}

fn authorized(request: &HttpRequest, shared: &Shared) -> bool {
    let expected = base64::engine::general_purpose::STANDARD.encode(&shared.config.api_key);
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .is_some_and(|key| key.trim() == expected)
}

/// Counts the request against the limits, or answers `429` with `Retry-After`.
fn admit(shared: &Shared) -> Result<(InFlightGuard<'_>, Quota), HttpResponse> {
    let limits = shared.config.limits;
    let now = shared.clock.now();
    let today = now.date_naive();
    let reset = (today + Days::new(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let mut state = shared.lock();
    let state = &mut *state;
    if state.day.0 != today {
        state.day = (today, 0);
    }
    let connected = state.companies.iter().filter(|c| c.is_connected()).count() as u32;
    let per_day = limits.per_day_base.saturating_mul(1 + connected);
    let concurrent = limits
        .concurrent_per_company
        .saturating_mul(connected.max(1));
    let retry_after = if state.day.1 >= per_day {
        // Whole seconds, rounded up: waiting that long reaches the new day.
        Some(((reset - now).num_milliseconds().max(1) as u64).div_ceil(1000))
    } else if state.minute.remaining(now) == 0 {
        Some(state.minute.retry_after(now))
    } else if state.in_flight.now >= concurrent {
        Some(1)
    } else {
        None
    };
    if let Some(retry_after) = retry_after {
        state.counters.rate_limited += 1;
        let mut answer = error(
            StatusCode::TOO_MANY_REQUESTS,
            "PublicApi",
            "You have made too many requests in a given amount of time; please retry later.",
        );
        Quota {
            limit: per_day,
            remaining: per_day.saturating_sub(state.day.1),
            reset,
        }
        .apply(&mut answer);
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        return Err(answer);
    }
    state.day.1 += 1;
    state.minute.record(now);
    state.in_flight.enter();
    state.counters.max_in_flight = state.counters.max_in_flight.max(state.in_flight.now);
    let quota = Quota {
        limit: per_day,
        remaining: per_day - state.day.1,
        reset,
    };
    Ok((InFlightGuard(shared), quota))
}

/// The answer a queued fault makes, if one is queued (`Slow` waits, then lets the
/// request go on).
async fn fault_answer(shared: &Shared) -> Option<HttpResponse> {
    match shared.faults.take(FaultTarget::Api)? {
        Fault::Slow { millis } => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            None
        }
        Fault::MalformedJson => Some(
            HttpResponse::Ok()
                .content_type(ContentType::json())
                .body("{\"results\":[{\"id\":"),
        ),
        Fault::Status { status } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = match status.as_u16() {
                409 => "The data set is still syncing.",
                429 => {
                    "You have made too many requests in a given amount of time; please retry later."
                }
                503 => {
                    "The Codat API is temporarily offline for maintenance. Please try again later."
                }
                _ => "There is a problem with our server. Please try again later.",
            };
            let mut answer = error(status, "PublicApi", message);
            if status == StatusCode::TOO_MANY_REQUESTS {
                answer
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(1));
            }
            Some(answer)
        }
    }
}

/// The API key, the limits, queued faults; then `handle`, with the limit headers added
/// to whatever it answers.
pub(super) async fn api_call(
    request: &HttpRequest,
    shared: &Shared,
    endpoint: &str,
    handle: impl FnOnce(&Form, DateTime<Utc>) -> HttpResponse,
) -> HttpResponse {
    {
        let mut state = shared.lock();
        state.count_call(endpoint);
        state.counters.requests += 1;
    }
    if !authorized(request, shared) {
        shared.lock().counters.unauthorized += 1;
        return error(StatusCode::UNAUTHORIZED, "PublicApi", "Unauthorized");
    }
    let (guard, quota) = match admit(shared) {
        Ok(admitted) => admitted,
        Err(answer) => return answer,
    };
    let mut answer = match fault_answer(shared).await {
        Some(answer) => answer,
        None => {
            let query = Form::parse(request.query_string().as_bytes());
            handle(&query, shared.clock.now())
        }
    };
    drop(guard);
    quota.apply(&mut answer);
    answer
}

/// `page` (from 1) and `pageSize` (1 to 5,000, default 100).
fn paging(query: &Form) -> Result<(usize, usize), HttpResponse> {
    let number = |name: &str, default: usize, max: usize| match query.get(name) {
        None => Ok(default),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                validation_error(
                    name,
                    &format!("{name} must be a whole number from 1 to {max}."),
                    "PagingValidator",
                )
            }),
    };
    Ok((
        number("page", 1, i32::MAX as usize)?,
        number("pageSize", 100, 5000)?,
    ))
}

/// `items` filtered by the request's `query` and cut to the requested page, in Codat's
/// envelope. `path` is the list's own path, for `_links`.
pub(super) fn paged(
    path: &str,
    query: &Form,
    what: &str,
    items: Vec<Value>,
) -> Result<Value, HttpResponse> {
    let (page, size) = paging(query)?;
    let filter = query.get("query");
    let items = match filter {
        Some(filter) => filter_items(items, filter, what)?,
        None => items,
    };
    let total = items.len();
    let results: Vec<Value> = items
        .into_iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .collect();
    let href = |page: usize| {
        let mut href = format!("{path}?page={page}&pageSize={size}");
        if let Some(filter) = filter {
            href.push_str("&query=");
            href.push_str(&super::link::percent_encode(filter));
        }
        json!({ "href": href })
    };
    let mut links = json!({ "self": { "href": path }, "current": href(page) });
    if page.saturating_mul(size) < total {
        links["next"] = href(page + 1);
    }
    if page > 1 {
        links["previous"] = href(page - 1);
    }
    Ok(json!({
        "results": results,
        "pageNumber": page,
        "pageSize": size,
        "totalResults": total,
        "_links": links,
    }))
}

fn malformed_query(detail: &str) -> HttpResponse {
    error(
        StatusCode::BAD_REQUEST,
        "PublicApi",
        &format!("Error parsing query - {detail}"),
    )
}

/// Codat's query language, the part the fake serves: `property=value` and
/// `property!=value` (dotted paths into objects), joined by `&&`; strings compare without
/// regard to case.
fn filter_items(items: Vec<Value>, filter: &str, what: &str) -> Result<Vec<Value>, HttpResponse> {
    if filter.contains("||") || filter.contains('(') {
        return Err(malformed_query(
            "the fake supports only clauses joined by &&.",
        ));
    }
    let mut clauses = Vec::new();
    for clause in filter.split("&&") {
        let (property, negated, value) = if let Some((p, v)) = clause.split_once("!=") {
            (p, true, v)
        } else if let Some((p, v)) = clause.split_once('=') {
            (p, false, v)
        } else {
            return Err(malformed_query("Malformed query."));
        };
        let property = property.trim();
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        let pointer = format!("/{}", property.replace('.', "/"));
        if items
            .first()
            .is_some_and(|item| item.pointer(&pointer).is_none())
        {
            return Err(malformed_query(&format!(
                "Could not resolve property {property} on {what}"
            )));
        }
        clauses.push((pointer, negated, value.to_owned()));
    }
    Ok(items
        .into_iter()
        .filter(|item| {
            clauses.iter().all(|(pointer, negated, value)| {
                let found = match item.pointer(pointer) {
                    Some(Value::String(s)) => s.eq_ignore_ascii_case(value),
                    Some(other) => other.to_string().eq_ignore_ascii_case(value),
                    None => false,
                };
                found != *negated
            })
        })
        .collect())
}

fn integration_json(shared: &Shared, integration: &Integration) -> Value {
    json!({
        "key": integration.key,
        "logoUrl": format!("{}/logos/{}.svg", shared.base_url(), integration.key),
        "name": integration.name,
        "enabled": integration.enabled,
        "sourceId": integration.source_id(),
        "sourceType": integration.source_type,
        "integrationId": integration.integration_id(),
        "isOfflineConnector": integration.is_offline_connector,
        "isBeta": false,
    })
}

pub(super) fn connection_json(shared: &Shared, company: Uuid, record: &ConnectionRecord) -> Value {
    let integration = &shared.config.integrations[record.integration];
    json!({
        "id": record.id,
        "integrationId": integration.integration_id(),
        "integrationKey": integration.key,
        "sourceId": integration.source_id(),
        "sourceType": integration.source_type,
        "platformName": integration.name,
        "linkUrl": shared.link_url(company, record.id),
        "status": record.status.as_str(),
        "created": instant(record.created),
        "lastSync": record.last_sync.map(instant),
        "dataConnectionErrors": [],
    })
}

fn company_json(shared: &Shared, company: &CompanyRecord) -> Value {
    let last_sync = company
        .connections
        .iter()
        .filter_map(|c| c.last_sync)
        .max()
        .map(instant);
    json!({
        "id": company.id,
        "name": company.name,
        "description": company.description,
        "redirect": format!("{}/company/{}", shared.base_url(), company.id),
        "created": instant(company.created),
        "lastSync": last_sync,
        "dataConnections": company
            .connections
            .iter()
            .map(|c| connection_json(shared, company.id, c))
            .collect::<Vec<_>>(),
    })
}

fn ok_or_answer(result: Result<Value, HttpResponse>) -> HttpResponse {
    match result {
        Ok(body) => HttpResponse::Ok().json(body),
        Err(answer) => answer,
    }
}

/// `GET /config/integrations?page&pageSize&query`.
async fn list_integrations(request: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    api_call(&request, &shared, "GET integrations", |query, _| {
        let items = shared
            .config
            .integrations
            .iter()
            .map(|i| integration_json(&shared, i))
            .collect();
        ok_or_answer(paged(request.path(), query, "Integration", items))
    })
    .await
}

/// `GET /companies?page&pageSize&query`.
async fn list_companies(request: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    api_call(&request, &shared, "GET companies", |query, _| {
        let items = shared
            .lock()
            .companies
            .iter()
            .map(|c| company_json(&shared, c))
            .collect();
        ok_or_answer(paged("/companies", query, "Company", items))
    })
    .await
}

/// What is left of a company name once Codat's forbidden characters are removed:
/// letters, digits, spaces and `- ' & @ . , ? !` stay (the documented pattern is
/// ASCII: `^[A-Za-z0-9\s\-'',&@.,?!\s]+$`).
pub(super) fn allowed_company_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || c.is_whitespace() || "-'&@.,?!".contains(*c))
        .collect()
}

#[derive(Deserialize)]
struct CreateCompany {
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

/// `POST /companies` `{"name", "description"}`: `200` with the company.
async fn create_company(
    request: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    api_call(&request, &shared, "POST companies", |_, now| {
        let Ok(create) = serde_json::from_slice::<CreateCompany>(&body) else {
            return validation_error(
                "body",
                "The request body must be a JSON object.",
                "CreateCompany",
            );
        };
        let name = create
            .name
            .as_deref()
            .map(allowed_company_name)
            .map(|n| n.trim().to_owned())
            .unwrap_or_default();
        if name.is_empty() {
            return validation_error("name", "Name is required.", "CreateCompany");
        }
        let max = shared.config.max_company_name_chars;
        if name.chars().count() > max {
            return validation_error(
                "name",
                &format!("Name must be at most {max} characters."),
                "CreateCompany",
            );
        }
        let id = random_uuid();
        let books = Books::generate(&id.to_string(), &name, "GBP", now.date_naive());
        let company = CompanyRecord {
            id,
            name,
            description: create.description.unwrap_or_default(),
            created: now,
            books: books.into(),
            connections: Vec::new(),
        };
        let body = company_json(&shared, &company);
        let mut state = shared.lock();
        state.companies.push(company);
        state.counters.companies_created += 1;
        HttpResponse::Ok().json(body)
    })
    .await
}

/// The company named by a path segment, if the segment is a known company's id.
fn find_company<'a>(state: &'a State, id: &str) -> Option<&'a CompanyRecord> {
    state.company(id.parse().ok()?)
}

/// `GET /companies/{companyId}`.
async fn get_company(
    request: HttpRequest,
    path: web::Path<String>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    api_call(&request, &shared, "GET company", |_, _| {
        let state = shared.lock();
        match find_company(&state, &path) {
            Some(company) => HttpResponse::Ok().json(company_json(&shared, company)),
            None => company_not_found(&path),
        }
    })
    .await
}

/// `GET /companies/{companyId}/connections?page&pageSize&query`.
async fn list_connections(
    request: HttpRequest,
    path: web::Path<String>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    api_call(&request, &shared, "GET connections", |query, _| {
        let items = {
            let state = shared.lock();
            let Some(company) = find_company(&state, &path) else {
                return company_not_found(&path);
            };
            company
                .connections
                .iter()
                .map(|c| connection_json(&shared, company.id, c))
                .collect()
        };
        ok_or_answer(paged(request.path(), query, "Connection", items))
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateConnection {
    platform_key: Option<String>,
}

/// Creates a `PendingAuth` connection of the company to the integration `platform_key`
/// (which must be enabled); the connection's JSON.
pub(super) fn new_connection(
    shared: &Shared,
    company: &str,
    platform_key: &str,
    now: DateTime<Utc>,
) -> Result<Value, HttpResponse> {
    let Some(integration) = shared
        .config
        .integrations
        .iter()
        .position(|i| i.key == platform_key)
    else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "PublicApi",
            &format!("Integration {platform_key} not found"),
        ));
    };
    // Codat documents no answer for a disabled integration; the fake refuses it as an
    // invalid request.
    if !shared.config.integrations[integration].enabled {
        return Err(validation_error(
            "platformKey",
            &format!("Integration {platform_key} is not enabled."),
            "CreateConnection",
        ));
    }
    let mut state = shared.lock();
    let Some(company_id) = find_company(&state, company).map(|c| c.id) else {
        return Err(company_not_found(company));
    };
    let record = ConnectionRecord {
        id: random_uuid(),
        integration,
        status: ConnectionStatus::PendingAuth,
        created: now,
        first_linked: None,
        last_sync: None,
    };
    let body = connection_json(shared, company_id, &record);
    state
        .company_mut(company_id)
        .expect("found above")
        .connections
        .push(record);
    state.counters.connections_created += 1;
    Ok(body)
}

/// `POST /companies/{companyId}/connections` `{"platformKey"}`: `200` with the
/// connection, `PendingAuth`.
async fn create_connection(
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    api_call(&request, &shared, "POST connections", |_, now| {
        let key = serde_json::from_slice::<CreateConnection>(&body)
            .ok()
            .and_then(|c| c.platform_key)
            .filter(|k| !k.is_empty());
        let Some(key) = key else {
            return validation_error(
                "platformKey",
                "A platformKey is required.",
                "CreateConnection",
            );
        };
        ok_or_answer(new_connection(&shared, &path, &key, now))
    })
    .await
}

/// `GET /companies/{companyId}/connections/{connectionId}`.
async fn get_connection(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let (company, connection) = path.into_inner();
    api_call(&request, &shared, "GET connection", |_, _| {
        let state = shared.lock();
        let Some(record) = find_company(&state, &company) else {
            return company_not_found(&company);
        };
        match record
            .connections
            .iter()
            .find(|c| c.id.to_string() == connection)
        {
            Some(c) => HttpResponse::Ok().json(connection_json(&shared, record.id, c)),
            None => error(
                StatusCode::NOT_FOUND,
                "PublicApi",
                &format!("Data connection {connection} not found"),
            ),
        }
    })
    .await
}

async fn admin_fault(shared: web::Data<Shared>, body: web::Json<FaultRequest>) -> HttpResponse {
    shared.faults.push_request(body.into_inner());
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
struct Advance {
    seconds: u64,
}

async fn admin_advance(shared: web::Data<Shared>, body: web::Json<Advance>) -> HttpResponse {
    shared.clock.advance(Duration::from_secs(body.seconds));
    HttpResponse::NoContent().finish()
}

async fn admin_counters(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(shared.lock().counters.clone())
}

async fn admin_books(path: web::Path<String>, shared: web::Data<Shared>) -> HttpResponse {
    let state = shared.lock();
    match find_company(&state, &path) {
        Some(company) => HttpResponse::Ok().json(crate::books::summary(&company.books)),
        None => HttpResponse::NotFound().finish(),
    }
}

#[derive(Deserialize)]
struct SetStatus {
    status: ConnectionStatus,
}

/// `POST /_fake/companies/{id}/status` `{"status":"Deauthorized"}`: every connection of
/// the company.
async fn admin_status(
    path: web::Path<String>,
    shared: web::Data<Shared>,
    body: web::Json<SetStatus>,
) -> HttpResponse {
    match path.parse() {
        Ok(id) if shared.set_status(id, body.status) => HttpResponse::NoContent().finish(),
        _ => HttpResponse::NotFound().finish(),
    }
}
