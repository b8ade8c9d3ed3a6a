//! Xero's Accounting API (`api.xero.com/api.xro/2.0/…`): the `xero-tenant-id` header,
//! scopes, rate limits with their headers, injected faults, and the endpoints Spendlens
//! reads (`Organisation`, `Accounts`, `Contacts`, `Invoices`, `Payments`; reports are in
//! `reports.rs`).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::auth::{authenticate, forbidden, unauthorized};
use super::{Shared, TenantLimits};
use crate::books::{Books, Invoice, InvoiceKind, cents_json};
use crate::limits::{InFlight, Window};
use crate::oauth::{Form, random_uuid};
use crate::{Fault, FaultTarget};

pub(super) fn routes(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/api.xro/2.0")
            .route(
                "/Reports/ProfitAndLoss",
                web::get().to(|r: HttpRequest, s: web::Data<Shared>| {
                    call(
                        r,
                        s,
                        "Reports/ProfitAndLoss",
                        REPORT_SCOPES,
                        super::reports::profit_and_loss,
                    )
                }),
            )
            .route(
                "/Reports/BalanceSheet",
                web::get().to(|r: HttpRequest, s: web::Data<Shared>| {
                    call(
                        r,
                        s,
                        "Reports/BalanceSheet",
                        REPORT_SCOPES,
                        super::reports::balance_sheet,
                    )
                }),
            )
            .route(
                "/Organisation",
                web::get().to(|r: HttpRequest, s: web::Data<Shared>| {
                    call(r, s, "Organisation", SETTINGS_SCOPES, organisation)
                }),
            )
            .route(
                "/Accounts",
                web::get().to(|r: HttpRequest, s: web::Data<Shared>| {
                    call(r, s, "Accounts", SETTINGS_SCOPES, accounts)
                }),
            )
            .route(
                "/Contacts",
                web::get().to(|r: HttpRequest, s: web::Data<Shared>| {
                    call(r, s, "Contacts", CONTACT_SCOPES, contacts)
                }),
            )
            .route(
                "/Invoices",
                web::get().to(|r: HttpRequest, s: web::Data<Shared>| {
                    call(r, s, "Invoices", INVOICE_SCOPES, invoices)
                }),
            )
            .route(
                "/Payments",
                web::get().to(|r: HttpRequest, s: web::Data<Shared>| {
                    call(r, s, "Payments", PAYMENT_SCOPES, payments)
                }),
            ),
    );
}

const REPORT_SCOPES: &[&str] = &[
    "accounting.reports.read",
    "accounting.reports.profitandloss.read",
    "accounting.reports.balancesheet.read",
];
const SETTINGS_SCOPES: &[&str] = &["accounting.settings", "accounting.settings.read"];
const CONTACT_SCOPES: &[&str] = &["accounting.contacts", "accounting.contacts.read"];
const INVOICE_SCOPES: &[&str] = &[
    "accounting.transactions",
    "accounting.transactions.read",
    "accounting.invoices",
    "accounting.invoices.read",
];
const PAYMENT_SCOPES: &[&str] = &[
    "accounting.transactions",
    "accounting.transactions.read",
    "accounting.payments",
    "accounting.payments.read",
];

/// One admitted call: what a renderer needs.
pub(super) struct Call<'a> {
    pub(super) shared: &'a Shared,
    pub(super) books: &'a Books,
    pub(super) query: Form,
    pub(super) now: DateTime<Utc>,
}

/// What is left of each limit after this call, for the headers.
#[derive(Clone, Copy, Debug)]
pub(super) struct Remaining {
    day: u32,
    minute: u32,
    app_minute: u32,
}

impl Remaining {
    fn apply(self, builder: &mut HttpResponseBuilder) {
        builder
            .insert_header(("X-DayLimit-Remaining", self.day.to_string()))
            .insert_header(("X-MinLimit-Remaining", self.minute.to_string()))
            .insert_header(("X-AppMinLimit-Remaining", self.app_minute.to_string()));
    }

    fn apply_to(self, answer: &mut HttpResponse) {
        for (name, value) in [
            ("x-daylimit-remaining", self.day),
            ("x-minlimit-remaining", self.minute),
            ("x-appminlimit-remaining", self.app_minute),
        ] {
            answer.headers_mut().insert(
                header::HeaderName::from_static(name),
                header::HeaderValue::from(value),
            );
        }
    }
}

/// Leaves the organisation's in-flight count when the call ends, however it ends.
struct InFlightGuard<'a> {
    shared: &'a Shared,
    tenant: Uuid,
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        if let Some(limits) = self.shared.lock().tenant_limits.get_mut(&self.tenant) {
            limits.in_flight.leave();
        }
    }
}

/// Counts the call against the organisation's and the app's limits, or answers `429`
/// naming the limit hit (`X-Rate-Limit-Problem`) and when to retry.
fn admit(shared: &Shared, tenant: Uuid) -> Result<(InFlightGuard<'_>, Remaining), HttpResponse> {
    let limits = shared.config.limits;
    let now = shared.clock.now();
    let mut state = shared.lock();
    let state = &mut *state;
    let tenant_limits = state
        .tenant_limits
        .entry(tenant)
        .or_insert_with(|| TenantLimits {
            minute: Window::new(limits.per_minute, limits.minute),
            day: Window::new(limits.per_day, limits.day),
            in_flight: InFlight::default(),
        });
    let remaining = |t: &mut TenantLimits, app: &mut Window| Remaining {
        day: t.day.remaining(now),
        minute: t.minute.remaining(now),
        app_minute: app.remaining(now),
    };
    let problem = if tenant_limits.in_flight.now >= limits.concurrent {
        Some(("concurrent", 1))
    } else if tenant_limits.day.remaining(now) == 0 {
        Some(("daily", tenant_limits.day.retry_after(now)))
    } else if tenant_limits.minute.remaining(now) == 0 {
        Some(("minute", tenant_limits.minute.retry_after(now)))
    } else if state.app_minute.remaining(now) == 0 {
        Some(("appminute", state.app_minute.retry_after(now)))
    } else {
        None
    };
    if let Some((problem, retry_after)) = problem {
        let left = remaining(tenant_limits, &mut state.app_minute);
        state.counters.rate_limited += 1;
        *state
            .counters
            .rate_limited_by
            .entry(problem.to_owned())
            .or_default() += 1;
        let mut answer = HttpResponse::TooManyRequests();
        left.apply(&mut answer);
        // The documentation names the headers, not the body; this is the text Xero's
        // OAuth 1.0a limits answered with.
        return Err(answer
            .insert_header((header::RETRY_AFTER, retry_after.to_string()))
            .insert_header(("X-Rate-Limit-Problem", problem))
            .content_type(ContentType::plaintext())
            .body("oauth_problem=rate%20limit%20exceeded&oauth_problem_advice=please%20wait%20before%20retrying%20the%20xero%20api"));
    }
    tenant_limits.day.record(now);
    tenant_limits.minute.record(now);
    state.app_minute.record(now);
    tenant_limits.in_flight.enter();
    state.counters.max_in_flight = state
        .counters
        .max_in_flight
        .max(tenant_limits.in_flight.now);
    let left = remaining(tenant_limits, &mut state.app_minute);
    Ok((InFlightGuard { shared, tenant }, left))
}

/// Answers the next fault queued for the API, if any (`Slow` waits, then lets the call
/// go on).
pub(super) async fn api_fault(
    shared: &Shared,
    remaining: Option<Remaining>,
) -> Option<HttpResponse> {
    let fault = shared.faults.take(FaultTarget::Api)?;
    let mut answer = match fault {
        Fault::Slow { millis } => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            return None;
        }
        Fault::Status { status } => HttpResponse::build(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        ),
        Fault::MalformedJson => HttpResponse::Ok(),
    };
    if let Some(remaining) = remaining {
        remaining.apply(&mut answer);
    }
    Some(match fault {
        Fault::Status { status } => answer.json(json!({
            "Type": null,
            "Title": if status == 503 { "Service Unavailable" } else { "An error occurred" },
            "Status": status,
            "Detail": "An error occurred in Xero. Check the API Status page http://status.developer.xero.com for current service status.",
            "Instance": random_uuid(),
            "Extensions": {},
        })),
        _ => answer
            .content_type(ContentType::json())
            .body("{\"Id\":\"0f5a\",\"Status\":\"OK\",\"Invoices\":[{\"InvoiceID\":"),
    })
}

type Render = fn(&Call<'_>) -> Result<Value, HttpResponse>;

async fn call(
    request: HttpRequest,
    shared: web::Data<Shared>,
    endpoint: &'static str,
    scopes: &[&str],
    render: Render,
) -> HttpResponse {
    shared.lock().count_call(endpoint);
    let grant = match authenticate(&request, &shared) {
        Ok(grant) => grant,
        Err(answer) => return answer,
    };
    if !grant
        .scope
        .split_whitespace()
        .any(|scope| scopes.contains(&scope))
    {
        return unauthorized("AuthorizationUnsuccessful");
    }
    let tenant = request
        .headers()
        .get("xero-tenant-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<Uuid>().ok());
    let connected = tenant.filter(|tenant| {
        shared
            .lock()
            .connections
            .iter()
            .any(|c| c.tenant_id == *tenant && c.client_id == grant.client_id)
    });
    let Some(tenant) = connected else {
        return forbidden("AuthenticationUnsuccessful");
    };
    let (guard, remaining) = match admit(&shared, tenant) {
        Ok(admitted) => admitted,
        Err(answer) => return answer,
    };
    let answer = match api_fault(&shared, Some(remaining)).await {
        Some(answer) => answer,
        None => {
            let wants_json = request
                .headers()
                .get(header::ACCEPT)
                .and_then(|accept| accept.to_str().ok())
                .is_some_and(|accept| accept.contains("application/json"));
            let mut builder = HttpResponse::Ok();
            remaining.apply(&mut builder);
            if !wants_json {
                // Xero answers XML unless asked for JSON; the fake speaks JSON only.
                builder.status(StatusCode::NOT_ACCEPTABLE);
                builder.content_type(ContentType::plaintext()).body(
                    "The fake answers JSON only: send Accept: application/json (Xero answers XML without it).",
                )
            } else {
                let books = &shared.books[&tenant];
                let call = Call {
                    shared: &shared,
                    books,
                    query: Form::parse(request.query_string().as_bytes()),
                    now: shared.clock.now(),
                };
                match render(&call) {
                    Ok(body) => builder.json(body),
                    Err(mut answer) => {
                        remaining.apply_to(&mut answer);
                        answer
                    }
                }
            }
        }
    };
    drop(guard);
    answer
}

/// Xero's `/Date(1539993600000+0000)/` for a date (midnight UTC).
pub(super) fn ms_date(date: NaiveDate) -> String {
    ms_datetime(date.and_time(NaiveTime::MIN).and_utc())
}

pub(super) fn ms_datetime(time: DateTime<Utc>) -> String {
    format!("/Date({}+0000)/", time.timestamp_millis())
}

/// The envelope every Accounting API answer has.
pub(super) fn envelope(call: &Call<'_>) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert("Id".into(), json!(random_uuid()));
    map.insert("Status".into(), json!("OK"));
    map.insert("ProviderName".into(), json!(call.shared.config.app_name));
    map.insert(
        "DateTimeUTC".into(),
        json!(format!("/Date({})/", call.now.timestamp_millis())),
    );
    map
}

/// `400` as the Accounting API answers a request it cannot take.
pub(super) fn validation_error(message: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": message,
    }))
}

fn query_parse_error(message: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({
        "ErrorNumber": 16,
        "Type": "QueryParseException",
        "Message": message,
    }))
}

/// One `Path==Value` or `Path!=Value` of a `where` filter.
struct Clause {
    path: Vec<String>,
    negate: bool,
    value: Value,
}

/// The subset of Xero's `where` syntax the fake understands: clauses joined by `AND` or
/// `&&`, each `Field==value` or `Field!=value` with a string, `Guid("…")`, boolean or
/// number; fields may be nested (`Contact.ContactID`).
fn parse_where(filter: &str) -> Result<Vec<Clause>, HttpResponse> {
    let normalised = filter.replace("&&", " AND ").replace(" and ", " AND ");
    normalised
        .split(" AND ")
        .map(str::trim)
        .filter(|clause| !clause.is_empty())
        .map(|clause| {
            let (left, right, negate) = if let Some((l, r)) = clause.split_once("==") {
                (l, r, false)
            } else if let Some((l, r)) = clause.split_once("!=") {
                (l, r, true)
            } else {
                return Err(query_parse_error(&format!(
                    "The fake understands == and != only: {clause}"
                )));
            };
            let right = right.trim();
            let unquote = |text: &str| {
                text.strip_prefix('"')
                    .and_then(|t| t.strip_suffix('"'))
                    .map(str::to_owned)
            };
            let value = if let Some(text) = unquote(right) {
                json!(text)
            } else if let Some(inner) = right
                .strip_prefix("Guid(")
                .or_else(|| right.strip_prefix("guid("))
                .and_then(|t| t.strip_suffix(')'))
            {
                json!(
                    unquote(inner.trim())
                        .unwrap_or_else(|| inner.trim().to_owned())
                        .to_lowercase()
                )
            } else if right.eq_ignore_ascii_case("true") || right.eq_ignore_ascii_case("false") {
                json!(right.eq_ignore_ascii_case("true"))
            } else if let Ok(number) = right.parse::<f64>() {
                json!(number)
            } else {
                return Err(query_parse_error(&format!(
                    "Cannot parse the value in: {clause}"
                )));
            };
            Ok(Clause {
                path: left.trim().split('.').map(str::to_owned).collect(),
                negate,
                value,
            })
        })
        .collect()
}

fn matches(item: &Value, clauses: &[Clause]) -> bool {
    clauses.iter().all(|clause| {
        let found = clause
            .path
            .iter()
            .try_fold(item, |value, key| value.get(key));
        let equal = match (found, &clause.value) {
            (Some(Value::String(have)), Value::String(want)) => {
                have == want || have.to_lowercase() == *want
            }
            (Some(Value::Number(have)), Value::Number(want)) => have.as_f64() == want.as_f64(),
            (Some(have), want) => have == want,
            (None, _) => false,
        };
        equal != clause.negate
    })
}

/// Filters by `where` and any `(parameter, field)` list parameters (`Statuses`, `IDs`, …).
fn filter(
    call: &Call<'_>,
    items: Vec<Value>,
    lists: &[(&str, &[&str])],
) -> Result<Vec<Value>, HttpResponse> {
    let clauses = match call.query.get("where") {
        Some(filter) => parse_where(filter)?,
        None => Vec::new(),
    };
    let lists: Vec<(Vec<String>, &[&str])> = lists
        .iter()
        .filter_map(|(parameter, path)| {
            call.query.get(parameter).map(|values| {
                let values = values
                    .split(',')
                    .map(|v| v.trim().trim_matches('"').to_lowercase())
                    .collect();
                (values, *path)
            })
        })
        .collect();
    Ok(items
        .into_iter()
        .filter(|item| matches(item, &clauses))
        .filter(|item| {
            lists.iter().all(|(values, path)| {
                path.iter()
                    .try_fold(item, |value, key| value.get(*key))
                    .and_then(Value::as_str)
                    .is_some_and(|found| values.contains(&found.to_lowercase()))
            })
        })
        .collect())
}

/// `page` (from 1) and `pageSize` (up to 1,000; 100 by default). Without `page`, all
/// records and no `pagination`, as Xero answers.
fn paginate(
    call: &Call<'_>,
    items: Vec<Value>,
) -> Result<(Vec<Value>, Option<Value>), HttpResponse> {
    let Some(page) = call.query.get("page") else {
        return Ok((items, None));
    };
    let page: usize = page
        .parse()
        .ok()
        .filter(|page| *page >= 1)
        .ok_or_else(|| validation_error("page must be a whole number from 1"))?;
    let size: usize = match call.query.get("pageSize") {
        Some(size) => size
            .parse()
            .ok()
            .filter(|size| (1..=1000).contains(size))
            .ok_or_else(|| validation_error("pageSize must be between 1 and 1000"))?,
        None => 100,
    };
    let count = items.len();
    let pagination = json!({
        "page": page,
        "pageSize": size,
        "pageCount": count.div_ceil(size),
        "itemCount": count,
    });
    let items = items
        .into_iter()
        .skip((page - 1) * size)
        .take(size)
        .collect();
    Ok((items, Some(pagination)))
}

fn listing(
    call: &Call<'_>,
    key: &str,
    items: Vec<Value>,
    lists: &[(&str, &[&str])],
) -> Result<Value, HttpResponse> {
    let items = filter(call, items, lists)?;
    let (items, pagination) = paginate(call, items)?;
    let mut body = envelope(call);
    if let Some(pagination) = pagination {
        body.insert("pagination".into(), pagination);
    }
    body.insert(key.into(), Value::Array(items));
    Ok(Value::Object(body))
}

/// `GET Organisation`: the one organisation the tenant id names.
fn organisation(call: &Call<'_>) -> Result<Value, HttpResponse> {
    let books = call.books;
    let organisation = call
        .shared
        .config
        .organisations
        .iter()
        .find(|o| o.name == books.name);
    let country = match books.base_currency.as_str() {
        "GBP" => "GB",
        "NZD" => "NZ",
        "AUD" => "AU",
        "CAD" => "CA",
        "EUR" => "IE",
        _ => "US",
    };
    let mut body = envelope(call);
    body.insert(
        "Organisations".into(),
        json!([{
            "OrganisationID": organisation.map(|o| o.tenant_id),
            "Name": books.name,
            "LegalName": books.name,
            "PaysTax": true,
            "Version": country,
            "OrganisationType": "COMPANY",
            "BaseCurrency": books.base_currency,
            "CountryCode": country,
            "IsDemoCompany": false,
            "OrganisationStatus": "ACTIVE",
            "FinancialYearEndDay": 31,
            "FinancialYearEndMonth": 12,
            "DefaultSalesTax": "Tax Exclusive",
            "DefaultPurchasesTax": "Tax Exclusive",
            "CreatedDateUTC": ms_date(books.first_month),
            "OrganisationEntityType": "COMPANY",
            "Timezone": "UTC",
        }]),
    );
    Ok(Value::Object(body))
}

/// `GET Accounts`: the chart of accounts the books use, and the bank account payments
/// are made from.
fn accounts(call: &Call<'_>) -> Result<Value, HttpResponse> {
    let books = call.books;
    let mut items: Vec<Value> = books
        .accounts
        .iter()
        .map(|account| {
            let (kind, class) = match account.class {
                crate::books::AccountClass::Revenue => ("REVENUE", "REVENUE"),
                crate::books::AccountClass::CostOfSales => ("DIRECTCOSTS", "EXPENSE"),
                crate::books::AccountClass::Expense => ("EXPENSE", "EXPENSE"),
            };
            json!({
                "AccountID": account.id,
                "Code": account.code,
                "Name": account.name,
                "Status": "ACTIVE",
                "Type": kind,
                "Class": class,
                "EnablePaymentsToAccount": false,
                "ShowInExpenseClaims": class == "EXPENSE",
                "ReportingCode": class,
                "HasAttachments": false,
                "UpdatedDateUTC": ms_date(books.first_month),
                "AddToWatchlist": false,
            })
        })
        .collect();
    items.push(json!({
        "AccountID": crate::books::derived_uuid(&[books.name.as_bytes(), b"bank"]),
        "Code": "090",
        "Name": "Business Bank Account",
        "Status": "ACTIVE",
        "Type": "BANK",
        "Class": "ASSET",
        "CurrencyCode": books.base_currency,
        "BankAccountType": "BANK",
        "EnablePaymentsToAccount": false,
        "ShowInExpenseClaims": false,
        "ReportingCode": "ASS",
        "HasAttachments": false,
        "UpdatedDateUTC": ms_date(books.first_month),
        "AddToWatchlist": false,
    }));
    listing(call, "Accounts", items, &[])
}

fn contact_summary(books: &Books, index: usize) -> Value {
    let contact = &books.contacts[index];
    json!({
        "ContactID": contact.id,
        "Name": contact.name,
        "Addresses": [],
        "Phones": [],
        "ContactGroups": [],
        "ContactPersons": [],
        "HasValidationErrors": false,
    })
}

fn contacts(call: &Call<'_>) -> Result<Value, HttpResponse> {
    let books = call.books;
    let items = books
        .contacts
        .iter()
        .map(|contact| {
            let mut value = json!({
                "ContactID": contact.id,
                "ContactStatus": "ACTIVE",
                "Name": contact.name,
                "EmailAddress": contact.email,
                "BankAccountDetails": "",
                "Addresses": [],
                "Phones": [],
                "UpdatedDateUTC": ms_datetime(contact.updated),
                "ContactGroups": [],
                "IsSupplier": contact.is_supplier,
                "IsCustomer": contact.is_customer,
                "DefaultCurrency": contact.currency,
                "ContactPersons": [],
                "HasAttachments": false,
                "HasValidationErrors": false,
            });
            if contact.is_supplier {
                value["PaymentTerms"] = json!({
                    "Bills": { "Day": contact.payment_terms_days, "Type": "DAYSAFTERBILLDATE" }
                });
            }
            value
        })
        .collect();
    listing(call, "Contacts", items, &[("IDs", &["ContactID"])])
}

fn invoice_type(invoice: &Invoice) -> &'static str {
    match invoice.kind {
        InvoiceKind::Payable => "ACCPAY",
        InvoiceKind::Receivable => "ACCREC",
    }
}

/// Xero's rate: units of the invoice's currency per unit of the base currency.
fn xero_rate(invoice: &Invoice) -> Value {
    json!(((1.0 / invoice.rate) * 1e6).round() / 1e6)
}

fn invoice_json(books: &Books, invoice: &Invoice, with_lines: bool) -> Value {
    let payments: Vec<Value> = invoice
        .payments
        .iter()
        .map(|p| &books.payments[*p])
        .map(|payment| {
            json!({
                "PaymentID": payment.id,
                "Date": ms_date(payment.date),
                "Amount": cents_json(payment.amount),
                "CurrencyRate": xero_rate(invoice),
                "HasAccount": false,
                "HasValidationErrors": false,
            })
        })
        .collect();
    let lines: Vec<Value> = if with_lines {
        invoice
            .lines
            .iter()
            .enumerate()
            .map(|(index, line)| {
                let account = &books.accounts[line.account];
                let tax = if invoice.tax == 0 {
                    0
                } else {
                    line.amount * invoice.tax / invoice.subtotal
                };
                json!({
                    "LineItemID": crate::books::derived_uuid(&[invoice.id.as_bytes(), &index.to_le_bytes()]),
                    "Description": line.description,
                    "Quantity": 1.0,
                    "UnitAmount": cents_json(line.amount),
                    "TaxType": if invoice.tax == 0 { "NONE" } else { "INPUT2" },
                    "TaxAmount": cents_json(tax),
                    "LineAmount": cents_json(line.amount),
                    "AccountCode": account.code,
                    "AccountID": account.id,
                    "Tracking": [],
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut value = json!({
        "Type": invoice_type(invoice),
        "InvoiceID": invoice.id,
        "InvoiceNumber": invoice.doc_number,
        "Reference": "",
        "Payments": payments,
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
        "AmountDue": cents_json(invoice.amount_due()),
        "AmountPaid": cents_json(invoice.amount_paid),
        "AmountCredited": cents_json(0),
        "CurrencyRate": xero_rate(invoice),
        "IsDiscounted": false,
        "HasAttachments": false,
        "HasErrors": false,
        "Contact": contact_summary(books, invoice.contact),
        "DateString": format!("{}T00:00:00", invoice.date),
        "Date": ms_date(invoice.date),
        "DueDateString": format!("{}T00:00:00", invoice.due_date),
        "DueDate": ms_date(invoice.due_date),
        "Status": if invoice.is_paid() { "PAID" } else { "AUTHORISED" },
        "LineAmountTypes": "Exclusive",
        "LineItems": lines,
        "SubTotal": cents_json(invoice.subtotal),
        "TotalTax": cents_json(invoice.tax),
        "Total": cents_json(invoice.total),
        "UpdatedDateUTC": ms_datetime(invoice.updated),
        "CurrencyCode": invoice.currency,
    });
    if let Some(last) = invoice.payments.last().filter(|_| invoice.is_paid()) {
        value["FullyPaidOnDate"] = json!(ms_date(books.payments[*last].date));
    }
    value
}

/// `GET Invoices`: line items only when paged, as Xero does.
fn invoices(call: &Call<'_>) -> Result<Value, HttpResponse> {
    let paged = call.query.get("page").is_some();
    let items = call
        .books
        .invoices
        .iter()
        .map(|invoice| invoice_json(call.books, invoice, paged))
        .collect();
    listing(
        call,
        "Invoices",
        items,
        &[
            ("Statuses", &["Status"]),
            ("IDs", &["InvoiceID"]),
            ("ContactIDs", &["Contact", "ContactID"]),
            ("InvoiceNumbers", &["InvoiceNumber"]),
        ],
    )
}

fn payments(call: &Call<'_>) -> Result<Value, HttpResponse> {
    let books = call.books;
    let items = books
        .payments
        .iter()
        .map(|payment| {
            let invoice = &books.invoices[payment.invoice];
            json!({
                "PaymentID": payment.id,
                "Date": ms_date(payment.date),
                "BankAmount": cents_json(payment.base_amount),
                "Amount": cents_json(payment.amount),
                "Reference": payment.reference,
                "CurrencyRate": xero_rate(invoice),
                "PaymentType": match invoice.kind {
                    InvoiceKind::Payable => "ACCPAYPAYMENT",
                    InvoiceKind::Receivable => "ACCRECPAYMENT",
                },
                "Status": "AUTHORISED",
                "UpdatedDateUTC": ms_datetime(payment.updated),
                "HasAccount": true,
                "IsReconciled": payment.date + chrono::Days::new(14) <= books.today,
                "Account": {
                    "AccountID": crate::books::derived_uuid(&[books.name.as_bytes(), b"bank"]),
                    "Code": "090",
                },
                "Invoice": {
                    "Type": invoice_type(invoice),
                    "InvoiceID": invoice.id,
                    "InvoiceNumber": invoice.doc_number,
                    "Payments": [],
                    "CreditNotes": [],
                    "Prepayments": [],
                    "Overpayments": [],
                    "HasErrors": false,
                    "IsDiscounted": false,
                    "Contact": contact_summary(books, invoice.contact),
                    "LineItems": [],
                    "CurrencyCode": invoice.currency,
                },
                "HasValidationErrors": false,
            })
        })
        .collect();
    listing(call, "Payments", items, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_filters_on_nested_fields_guids_and_booleans() {
        let item = json!({"Type": "ACCPAY", "IsSupplier": true, "Contact": {"ContactID": "ABC-1"}});
        let clauses =
            parse_where(r#"Type=="ACCPAY" AND Contact.ContactID==Guid("abc-1")"#).unwrap();
        assert!(matches(&item, &clauses));
        assert!(matches(&item, &parse_where("IsSupplier==true").unwrap()));
        assert!(!matches(&item, &parse_where(r#"Type!="ACCPAY""#).unwrap()));
        assert!(parse_where("Total>5").is_err());
    }
}
