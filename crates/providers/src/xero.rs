//! The `xero` provider: a company's books read from Xero's Accounting API
//! (`{api_url}/api.xro/2.0`) with the access token its connection holds.
//!
//! Financials are `Reports/ProfitAndLoss` for the twelve months ending with the current
//! one (one request, eleven comparison months) and `Reports/BalanceSheet` at every month
//! end and today; spend detail is the suppliers (`Contacts` where `IsSupplier`), the
//! approved bills (`Invoices` of type `ACCPAY`, paged 100 at a time, with their line
//! items) and the payments on them (`Payments` of type `ACCPAYPAYMENT`). Each answer is
//! turned into the report shapes the sandbox produces, so reports, charts and downloads
//! do not care where the data came from. Amounts stay in the currency Xero states them
//! in: reports in the organisation's base currency, each bill and payment in its own.
//!
//! Xero's limits are per organisation (60 calls a minute, 5,000 a day, 5 at once) and
//! per app (10,000 a minute): every request waits for the shared [`TenantPacer`], slows
//! down when Xero's `X-…Limit-Remaining` headers say little is left, and honours a
//! `429`'s `Retry-After`. The daily limit is not waited out: the attempt ends as a
//! transient error that says when Xero allows more.

use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use domain::{DataType, ErrorCode, ReportKind};
use reqwest::{RequestBuilder, StatusCode, Url, header::HeaderMap};
use serde_json::{Value, json};

use crate::{
    AccessGrant, Credentials, FetchError, FetchFuture, FetchRequest, FetchedReport, Provider,
    TenantPacer,
    oauth_http::{
        ApiClient, Dialect, Limits, Refusal, Section, Session, endless, endpoint, money,
        report_amount, retry_after, unreadable,
    },
};

const XERO: &str = "Xero";

/// How to reach Xero's Accounting API.
#[derive(Debug, Clone)]
pub struct XeroApiConfig {
    /// `https://api.xero.com` (the fake's base URL in tests); `/api.xro/2.0` is added.
    pub api_url: String,
    /// Per request.
    pub timeout: Duration,
    /// Bills, contacts and payments per page (Xero's default and the documented page).
    pub page_size: u32,
    /// Stop after this many pages of one list (a runaway upstream).
    pub max_pages: u32,
    /// The largest answer accepted.
    pub max_body_bytes: usize,
    /// Retries of one request within an attempt (429, 5xx, timeouts, unreadable JSON)
    /// before the attempt fails and the refresh job's own retry takes over.
    pub request_retries: u32,
    /// The longest `Retry-After` waited out within an attempt.
    pub max_retry_after: Duration,
    /// When any of Xero's `X-MinLimit-Remaining`, `X-AppMinLimit-Remaining` or
    /// `X-DayLimit-Remaining` is at or below this, the next request waits
    /// `slow_down_interval` first, so a fetch does not run into the limit at full speed.
    pub slow_down_below: u32,
    /// One second: Xero's 60 calls a minute, spread out.
    pub slow_down_interval: Duration,
}

impl XeroApiConfig {
    pub fn new(api_url: impl Into<String>) -> Self {
        Self {
            api_url: api_url.into(),
            timeout: Duration::from_secs(30),
            page_size: 100,
            max_pages: 1000,
            max_body_bytes: 50 * 1024 * 1024,
            request_retries: 3,
            max_retry_after: Duration::from_secs(60),
            slow_down_below: 5,
            slow_down_interval: Duration::from_secs(1),
        }
    }
}

/// Reads a company's books from Xero.
#[derive(Clone)]
pub struct XeroProvider {
    client: ApiClient,
    config: Arc<XeroApiConfig>,
    dialect: XeroDialect,
}

impl XeroProvider {
    pub const PLATFORM: &'static str = "xero";

    pub fn new(
        config: XeroApiConfig,
        credentials: Arc<dyn Credentials>,
    ) -> Result<Self, reqwest::Error> {
        let client = ApiClient::new(
            config.timeout,
            credentials,
            Limits {
                max_body_bytes: config.max_body_bytes,
                request_retries: config.request_retries,
                max_retry_after: config.max_retry_after,
            },
        )?;
        Ok(Self {
            client,
            dialect: XeroDialect {
                slow_down_below: config.slow_down_below,
                slow_down_interval: config.slow_down_interval,
            },
            config: Arc::new(config),
        })
    }

    /// Sends each request only when `pacer` allows: Xero's per-organisation limits,
    /// shared by every worker process.
    pub fn with_pacer(mut self, pacer: Arc<dyn TenantPacer>) -> Self {
        self.client.set_pacer(pacer);
        self
    }

    fn url(&self, path: &str, params: &[(&str, String)]) -> Result<Url, FetchError> {
        let mut url = endpoint(&self.config.api_url, &format!("api.xro/2.0/{path}"))?;
        if !params.is_empty() {
            let mut query = url.query_pairs_mut();
            for (key, value) in params {
                query.append_pair(key, value);
            }
        }
        Ok(url)
    }

    /// The organisation's base currency, which Xero's reports are in. Reading it needs
    /// the `accounting.settings.read` scope; without it the reports carry no currency
    /// rather than fail.
    async fn base_currency(&self, session: &mut Session<'_>) -> Result<Option<String>, FetchError> {
        let body = match optional(session.get_json(&self.url("Organisation", &[])?).await)? {
            Some(body) => body,
            None => return Ok(None),
        };
        Ok(body
            .pointer("/Organisations/0/BaseCurrency")
            .and_then(Value::as_str)
            .map(str::to_owned))
    }

    /// Account names by `AccountID` and by code: Xero's bill lines name only the code.
    /// Without the `accounting.settings.read` scope the code stands in for the name.
    async fn account_names(
        &self,
        session: &mut Session<'_>,
    ) -> Result<HashMap<String, String>, FetchError> {
        let mut names = HashMap::new();
        let Some(body) = optional(session.get_json(&self.url("Accounts", &[])?).await)? else {
            return Ok(names);
        };
        for account in body["Accounts"].as_array().map_or(&[][..], Vec::as_slice) {
            let Some(name) = text(account, "Name") else {
                continue;
            };
            for key in ["AccountID", "Code"] {
                if let Some(id) = text(account, key) {
                    names.insert(id.to_lowercase(), name.to_owned());
                }
            }
        }
        Ok(names)
    }

    /// Every page of a paged list (`page=1, 2, …` until a short page or the last
    /// `pagination.pageCount`).
    async fn all_pages(
        &self,
        session: &mut Session<'_>,
        path: &str,
        filters: &[(&str, String)],
        what: &str,
    ) -> Result<Vec<Value>, FetchError> {
        let size = self.config.page_size.max(1);
        let mut rows = Vec::new();
        for page in 1..=self.config.max_pages {
            let mut params = filters.to_vec();
            params.push(("page", page.to_string()));
            params.push(("pageSize", size.to_string()));
            let body = session.get_json(&self.url(path, &params)?).await?;
            let list = body
                .get(path)
                .and_then(Value::as_array)
                .ok_or_else(|| unreadable(XERO, &format!("page {page} of {what}")))?;
            let count = list.len();
            rows.extend(list.iter().cloned());
            let last_page = body
                .pointer("/pagination/pageCount")
                .and_then(Value::as_u64)
                .is_some_and(|pages| u64::from(page) >= pages);
            if count < size as usize || last_page {
                return Ok(rows);
            }
        }
        Err(endless(XERO, what, self.config.max_pages))
    }

    async fn financials(
        &self,
        session: &mut Session<'_>,
        request: &FetchRequest,
    ) -> Result<Vec<FetchedReport>, FetchError> {
        let currency = self.base_currency(session).await?;
        let today = request.as_of.date_naive();
        let this_month = month_start(today);

        // The twelve months ending with this one; Xero lists the newest first.
        let months: Vec<(NaiveDate, NaiveDate)> = (0..12)
            .map(|back| {
                let from = this_month - Months::new(back);
                (from, month_end(from))
            })
            .collect();
        let pnl = session
            .get_json(&self.url(
                "Reports/ProfitAndLoss",
                &[
                    ("fromDate", this_month.to_string()),
                    ("toDate", month_end(this_month).to_string()),
                    ("periods", "11".to_owned()),
                    ("timeframe", "MONTH".to_owned()),
                    ("standardLayout", "true".to_owned()),
                ],
            )?)
            .await?;
        let mut periods = profit_and_loss(&pnl, &months)?;
        periods.reverse();

        // Today, then the last eleven month ends (a comparison keeps the day of the
        // month, so month ends need their own request unless today is one).
        let mut sheets = Vec::new();
        let month_ends_from = if today == month_end(today) {
            today
        } else {
            let body = session
                .get_json(&self.url(
                    "Reports/BalanceSheet",
                    &[
                        ("date", today.to_string()),
                        ("standardLayout", "true".to_owned()),
                    ],
                )?)
                .await?;
            sheets.extend(balance_sheet(&body, &[today])?);
            this_month - Days::new(1)
        };
        let remaining = 12 - sheets.len() as u32;
        let dates: Vec<NaiveDate> = (0..remaining)
            .map(|back| month_end(month_start(month_ends_from) - Months::new(back)))
            .collect();
        let body = session
            .get_json(&self.url(
                "Reports/BalanceSheet",
                &[
                    ("date", month_ends_from.to_string()),
                    ("periods", (remaining - 1).to_string()),
                    ("timeframe", "MONTH".to_owned()),
                    ("standardLayout", "true".to_owned()),
                ],
            )?)
            .await?;
        sheets.extend(balance_sheet(&body, &dates)?);
        sheets.reverse();

        Ok(vec![
            FetchedReport {
                kind: ReportKind::ProfitAndLoss,
                payload: json!({
                    "companyName": request.company_name,
                    "currency": currency,
                    "reportBasis": "Accrual",
                    "periods": periods,
                }),
            },
            FetchedReport {
                kind: ReportKind::BalanceSheet,
                payload: json!({
                    "companyName": request.company_name,
                    "currency": currency,
                    "reports": sheets,
                }),
            },
        ])
    }

    async fn spend_detail(
        &self,
        session: &mut Session<'_>,
    ) -> Result<Vec<FetchedReport>, FetchError> {
        let currency = self.base_currency(session).await?;
        let accounts = self.account_names(session).await?;
        let contacts = self
            .all_pages(
                session,
                "Contacts",
                &[("where", "IsSupplier==true".to_owned())],
                "suppliers",
            )
            .await?;
        let invoices = self
            .all_pages(
                session,
                "Invoices",
                &[
                    ("where", "Type==\"ACCPAY\"".to_owned()),
                    // Drafts are not owed yet; voided and deleted bills never were.
                    ("Statuses", "AUTHORISED,PAID".to_owned()),
                ],
                "bills",
            )
            .await?;
        let payments = self
            .all_pages(
                session,
                "Payments",
                &[(
                    "where",
                    "PaymentType==\"ACCPAYPAYMENT\" AND Status==\"AUTHORISED\"".to_owned(),
                )],
                "bill payments",
            )
            .await?;

        let suppliers = contacts
            .iter()
            .map(|c| supplier(c, currency.as_deref()))
            .collect::<Result<Vec<_>, _>>()?;
        let bills = invoices
            .iter()
            .map(|b| bill(b, &accounts))
            .collect::<Result<Vec<_>, _>>()?;
        let by_id: HashMap<&str, &Value> = bills
            .iter()
            .filter_map(|b| Some((b["id"].as_str()?, b)))
            .collect();
        let mut paid = Vec::new();
        for p in &payments {
            if let Some(payment) = bill_payment(p, &by_id)? {
                paid.push(payment);
            }
        }
        Ok(vec![
            FetchedReport {
                kind: ReportKind::Suppliers,
                payload: json!({"currency": currency, "results": suppliers}),
            },
            FetchedReport {
                kind: ReportKind::Bills,
                payload: json!({"currency": currency, "results": bills}),
            },
            FetchedReport {
                kind: ReportKind::BillPayments,
                payload: json!({"currency": currency, "results": paid}),
            },
        ])
    }
}

impl Provider for XeroProvider {
    fn platform(&self) -> &'static str {
        Self::PLATFORM
    }

    fn fetch(&self, request: FetchRequest) -> FetchFuture<'_> {
        Box::pin(async move {
            let mut session = self.client.session(&self.dialect, request.company).await?;
            match request.data_type {
                DataType::Financials => self.financials(&mut session, &request).await,
                DataType::SpendDetail => self.spend_detail(&mut session).await,
            }
        })
    }
}

/// The answer of a request whose data is optional: `None` when Xero says the
/// connection may not read it (a missing scope) or does not have it.
fn optional(answer: Result<Value, FetchError>) -> Result<Option<Value>, FetchError> {
    match answer {
        Ok(body) => Ok(Some(body)),
        Err(e) if matches!(e.code, ErrorCode::AccessDenied | ErrorCode::NotSupported) => Ok(None),
        Err(e) => Err(e),
    }
}

#[derive(Debug, Clone, Copy)]
struct XeroDialect {
    slow_down_below: u32,
    slow_down_interval: Duration,
}

impl Dialect for XeroDialect {
    fn name(&self) -> &'static str {
        XERO
    }

    fn decorate(&self, request: RequestBuilder, grant: &AccessGrant) -> RequestBuilder {
        request.header("xero-tenant-id", &grant.tenant_id)
    }

    fn refusal(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Refusal {
        let answer: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        // `{"Title","Status","Detail"}` for identity errors, `{"Type","Message"}` for
        // validation errors.
        let detail = text(&answer, "Detail").unwrap_or_default();
        let insufficient_scope = headers
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("insufficient_scope"));
        match status {
            StatusCode::UNAUTHORIZED
                if insufficient_scope || detail.contains("AuthorizationUnsuccessful") =>
            {
                // A refreshed token has the same scopes: only a new consent helps.
                Refusal::stop(FetchError::permanent(
                    ErrorCode::AccessDenied,
                    "The Xero connection does not allow Spendlens to read this data. Send a new information request.",
                ))
            }
            StatusCode::UNAUTHORIZED => Refusal::TokenRejected,
            // Xero: the tenant is not connected to this token any more (the user
            // disconnected the app, lost access, or the organisation was closed).
            StatusCode::FORBIDDEN => Refusal::stop(FetchError::permanent(
                ErrorCode::AccessRevoked,
                "The organisation is no longer connected to Spendlens in Xero. Send a new information request.",
            )),
            StatusCode::NOT_FOUND => Refusal::stop(FetchError::permanent(
                ErrorCode::NotSupported,
                "Xero does not provide this data for the organisation.",
            )),
            StatusCode::TOO_MANY_REQUESTS => rate_limited(headers),
            StatusCode::BAD_REQUEST => {
                // Only an error type's name (`ValidationException`) is repeated: free
                // text from the upstream has no place in the message.
                let kind = text(&answer, "Type")
                    .filter(|t| t.len() <= 64 && t.bytes().all(|b| b.is_ascii_alphanumeric()))
                    .unwrap_or("HTTP 400");
                Refusal::stop(FetchError::permanent(
                    ErrorCode::InvalidData,
                    format!("Xero did not accept Spendlens's request ({kind})."),
                ))
            }
            s if s.is_server_error() => Refusal::again(
                FetchError::transient(
                    ErrorCode::ProviderUnavailable,
                    format!(
                        "Xero failed (HTTP {}). Try Refresh data again later.",
                        s.as_u16()
                    ),
                ),
                retry_after(headers),
            ),
            s => Refusal::stop(FetchError::permanent(
                ErrorCode::InvalidData,
                format!("Xero answered HTTP {}.", s.as_u16()),
            )),
        }
    }

    fn pause_after(&self, headers: &HeaderMap) -> Option<Duration> {
        let least = [
            "X-MinLimit-Remaining",
            "X-AppMinLimit-Remaining",
            "X-DayLimit-Remaining",
        ]
        .iter()
        .filter_map(|name| {
            headers
                .get(*name)?
                .to_str()
                .ok()?
                .trim()
                .parse::<u32>()
                .ok()
        })
        .min()?;
        (least <= self.slow_down_below).then_some(self.slow_down_interval)
    }
}

/// A `429`: the minute, app-minute and concurrency limits are waited out (`Retry-After`);
/// the daily one ends the attempt with when Xero allows more.
fn rate_limited(headers: &HeaderMap) -> Refusal {
    let problem = headers
        .get("X-Rate-Limit-Problem")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let wait = retry_after(headers);
    // Xero documents `Daily` and `Minute` (and `AppMinute`, `Concurrent`); accept `day` too.
    if problem.starts_with("day") || problem.starts_with("daily") {
        let when = match wait.and_then(|w| chrono::Duration::from_std(w).ok()) {
            Some(w) => format!("after {} UTC", (Utc::now() + w).format("%H:%M on %-d %B")),
            None => "within a day".to_owned(),
        };
        let error = FetchError::transient(
            ErrorCode::ProviderUnavailable,
            format!(
                "Xero's daily limit of requests for this organisation has been reached. The refresh will run again {when}, when Xero allows more."
            ),
        );
        return Refusal::stop(match wait {
            Some(wait) => error.retry_after(wait),
            None => error.retry_after(Duration::from_secs(24 * 60 * 60)),
        });
    }
    let limit = match problem.as_str() {
        "minute" => "per-minute limit",
        "appminute" => "limit across organisations",
        "concurrent" => "limit on requests at once",
        _ => "rate limit",
    };
    Refusal::again(
        FetchError::transient(
            ErrorCode::ProviderUnavailable,
            format!("Xero asked Spendlens to slow down ({limit}). The refresh will be retried."),
        ),
        wait,
    )
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

fn month_end(date: NaiveDate) -> NaiveDate {
    month_start(date) + Months::new(1) - Days::new(1)
}

/// A report's `Row` or `SummaryRow`, with the section it is in.
struct ReportRow {
    /// Index into [`Report::sections`].
    section: usize,
    summary: bool,
    label: String,
    values: Vec<f64>,
}

/// A report's rows, with the titles of its sections in order (empty sections included:
/// Xero heads the balance sheet's parts with sections that have no rows of their own).
struct Report {
    sections: Vec<String>,
    rows: Vec<ReportRow>,
}

/// `Reports[0]`, checking each row has a figure for every one of `columns`.
fn read_report(body: &Value, what: &str, columns: usize) -> Result<Report, FetchError> {
    let bad = || unreadable(XERO, what);
    let rows = body
        .pointer("/Reports/0/Rows")
        .and_then(Value::as_array)
        .ok_or_else(bad)?;
    let header = rows
        .iter()
        .find(|r| r["RowType"] == "Header")
        .and_then(|r| r["Cells"].as_array())
        .ok_or_else(bad)?;
    if header.len() != columns + 1 {
        return Err(bad());
    }
    fn walk(rows: &[Value], section: usize, columns: usize, report: &mut Report) -> Option<()> {
        for row in rows {
            match row["RowType"].as_str()? {
                "Section" => {
                    report
                        .sections
                        .push(row["Title"].as_str().unwrap_or_default().trim().to_owned());
                    let inner = row["Rows"].as_array().map_or(&[][..], Vec::as_slice);
                    walk(inner, report.sections.len() - 1, columns, report)?;
                }
                kind @ ("Row" | "SummaryRow") => {
                    let cells = row["Cells"].as_array()?;
                    let value = |i: usize| cells.get(i).and_then(|c| c["Value"].as_str());
                    let values = (1..=columns)
                        .map(|i| value(i).and_then(report_amount))
                        .collect::<Option<Vec<_>>>()?;
                    report.rows.push(ReportRow {
                        section,
                        summary: kind == "SummaryRow",
                        label: value(0).unwrap_or_default().trim().to_owned(),
                        values,
                    });
                }
                _ => {}
            }
        }
        Some(())
    }
    // Rows outside any section belong to an untitled one.
    let mut report = Report {
        sections: vec![String::new()],
        rows: Vec::new(),
    };
    walk(rows, 0, columns, &mut report).ok_or_else(bad)?;
    Ok(report)
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Part {
    Income,
    CostOfSales,
    OtherIncome,
    Expenses,
    OtherExpenses,
}

/// Which part of the profit and loss a section is, by its title ("Income", "Less Cost of
/// Sales", "Less Operating Expenses", …); untitled sections hold only results.
fn part(title: &str) -> Option<Part> {
    let t = title.trim().to_lowercase();
    if t.is_empty() {
        None
    } else if t.contains("cost of sales")
        || t.contains("cost of goods")
        || t.contains("direct cost")
    {
        Some(Part::CostOfSales)
    } else if t.contains("other income") || t.contains("non-operating income") {
        Some(Part::OtherIncome)
    } else if t.contains("income") || t.contains("revenue") || t.contains("sales") {
        Some(Part::Income)
    } else if t.contains("non-operating") || t.contains("other expense") {
        Some(Part::OtherExpenses)
    } else {
        Some(Part::Expenses)
    }
}

/// `Reports/ProfitAndLoss` → one period per column (`months`, in the report's order).
fn profit_and_loss(
    body: &Value,
    months: &[(NaiveDate, NaiveDate)],
) -> Result<Vec<Value>, FetchError> {
    let report = read_report(body, "profit and loss", months.len())?;
    Ok(months
        .iter()
        .enumerate()
        .map(|(column, (from, to))| {
            let mut parts: HashMap<Part, Section> = HashMap::new();
            let (mut gross, mut net) = (None, None);
            for row in &report.rows {
                let value = row.values[column];
                match row.label.to_lowercase().as_str() {
                    "gross profit" => gross = Some(value),
                    "net profit" | "net loss" | "net income" => net = Some(value),
                    _ => {
                        let Some(part) = part(&report.sections[row.section]) else {
                            continue;
                        };
                        let section = parts.entry(part).or_default();
                        if row.summary {
                            section.total.get_or_insert(value);
                        } else {
                            section.accounts.push((row.label.clone(), value));
                        }
                    }
                }
            }
            let section = |part: Part| parts.get(&part).cloned().unwrap_or_default();
            let (income, cost, expenses) = (
                section(Part::Income),
                section(Part::CostOfSales),
                section(Part::Expenses),
            );
            let (other_income, other_expenses) =
                (section(Part::OtherIncome), section(Part::OtherExpenses));
            let gross = gross.unwrap_or_else(|| income.total() - cost.total());
            let operating = gross - expenses.total();
            let net =
                net.unwrap_or_else(|| operating + other_income.total() - other_expenses.total());
            let mut period = json!({
                "fromDate": from.to_string(),
                "toDate": to.to_string(),
                "income": income.to_json(),
                "costOfSales": cost.to_json(),
                "grossProfit": money(gross),
                "expenses": expenses.to_json(),
                "netOperatingProfit": money(operating),
                "otherExpenses": other_expenses.to_json(),
                "netProfit": money(net),
            });
            if !other_income.accounts.is_empty() || other_income.total() != 0.0 {
                period["otherIncome"] = other_income.to_json();
            }
            period
        })
        .collect())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Assets,
    Liabilities,
    Equity,
}

/// `Reports/BalanceSheet` → one statement per column (`dates`, in the report's order).
/// Sections follow the headings "Assets", "Liabilities" and "Equity" ("Bank" and
/// "Current Assets" are assets); untitled sections hold only totals.
fn balance_sheet(body: &Value, dates: &[NaiveDate]) -> Result<Vec<Value>, FetchError> {
    let report = read_report(body, "balance sheet", dates.len())?;
    // Each section's side: its own heading's, or the last heading's before it.
    let mut side = None;
    let sides: Vec<Option<Side>> = report
        .sections
        .iter()
        .map(|title| {
            let title = title.to_lowercase();
            if title.contains("liabilit") {
                side = Some(Side::Liabilities);
            } else if title.contains("equity") {
                side = Some(Side::Equity);
            } else if title.contains("asset") {
                side = Some(Side::Assets);
            }
            // Untitled sections hold only totals.
            (!title.is_empty()).then_some(side).flatten()
        })
        .collect();
    Ok(dates
        .iter()
        .enumerate()
        .map(|(column, date)| {
            let mut sections = [Section::default(), Section::default(), Section::default()];
            let mut net_assets = None;
            for row in &report.rows {
                let value = row.values[column];
                let label = row.label.to_lowercase();
                match label.as_str() {
                    "total assets" => sections[0].total = Some(value),
                    "total liabilities" => sections[1].total = Some(value),
                    "total equity" => sections[2].total = Some(value),
                    "net assets" => net_assets = Some(value),
                    _ if row.summary || label.starts_with("total ") => {}
                    _ => {
                        if let Some(side) = sides[row.section] {
                            sections[side as usize]
                                .accounts
                                .push((row.label.clone(), value));
                        }
                    }
                }
            }
            let [assets, liabilities, equity] = sections;
            let net = net_assets.unwrap_or_else(|| assets.total() - liabilities.total());
            json!({
                "date": date.to_string(),
                "assets": assets.to_json(),
                "liabilities": liabilities.to_json(),
                "equity": equity.to_json(),
                "netAssets": money(net),
            })
        })
        .collect())
}

/// A day from Xero's `DateString` (`2024-01-05T00:00:00`) or, failing that, its
/// `/Date(1704412800000+0000)/`.
fn day(item: &Value, string_key: &str, date_key: &str) -> Option<String> {
    if let Some(day) = text(item, string_key)
        .and_then(|s| s.get(..10))
        .and_then(|s| s.parse::<NaiveDate>().ok())
    {
        return Some(day.to_string());
    }
    let inner = text(item, date_key)?.strip_prefix("/Date(")?;
    let end = inner
        .char_indices()
        .skip(1)
        .find(|(_, c)| !c.is_ascii_digit())
        .map_or(inner.len(), |(i, _)| i);
    let millis: i64 = inner[..end].parse().ok()?;
    DateTime::from_timestamp_millis(millis).map(|t| t.date_naive().to_string())
}

fn amount(item: &Value, key: &str) -> Option<f64> {
    item.get(key)
        .and_then(Value::as_f64)
        .filter(|v| v.is_finite())
}

/// `ACTIVE` → `Active`.
fn title_case(word: &str) -> String {
    let lower = word.to_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A contact's bill terms in words (`PaymentTerms.Bills`).
fn terms(contact: &Value) -> Option<String> {
    let bills = contact.pointer("/PaymentTerms/Bills")?;
    let day = bills.get("Day").and_then(Value::as_u64)?;
    Some(match bills.get("Type").and_then(Value::as_str)? {
        "DAYSAFTERBILLDATE" => format!("Net {day}"),
        "DAYSAFTERBILLMONTH" => format!("{day} days after the end of the bill month"),
        "OFCURRENTMONTH" => format!("Day {day} of the bill month"),
        "OFFOLLOWINGMONTH" => format!("Day {day} of the following month"),
        _ => return None,
    })
}

fn supplier(contact: &Value, base_currency: Option<&str>) -> Result<Value, FetchError> {
    let id = text(contact, "ContactID").ok_or_else(|| unreadable(XERO, "list of suppliers"))?;
    let person = [text(contact, "FirstName"), text(contact, "LastName")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let phone = contact["Phones"].as_array().and_then(|phones| {
        let phone = phones
            .iter()
            .find(|p| p["PhoneType"] == "DEFAULT" && text(p, "PhoneNumber").is_some())?;
        Some(
            ["PhoneCountryCode", "PhoneAreaCode", "PhoneNumber"]
                .iter()
                .filter_map(|key| text(phone, key))
                .collect::<Vec<_>>()
                .join(" "),
        )
    });
    Ok(json!({
        "id": id,
        "supplierName": text(contact, "Name"),
        "contactName": (!person.is_empty()).then_some(person),
        "emailAddress": text(contact, "EmailAddress"),
        "phone": phone,
        "status": text(contact, "ContactStatus").map(title_case),
        "defaultCurrency": text(contact, "DefaultCurrency").or(base_currency),
        "paymentTerms": terms(contact),
    }))
}

fn bill(invoice: &Value, accounts: &HashMap<String, String>) -> Result<Value, FetchError> {
    let bad = || unreadable(XERO, "list of bills");
    let id = text(invoice, "InvoiceID").ok_or_else(bad)?;
    let total = amount(invoice, "Total").ok_or_else(bad)?;
    let due = amount(invoice, "AmountDue").unwrap_or(total);
    let paid = amount(invoice, "AmountPaid").unwrap_or(0.0)
        + amount(invoice, "AmountCredited").unwrap_or(0.0);
    let status = match text(invoice, "Status") {
        Some("PAID") => "Paid".to_owned(),
        Some("AUTHORISED") if due == 0.0 => "Paid".to_owned(),
        Some("AUTHORISED") if paid > 0.0 => "PartiallyPaid".to_owned(),
        Some("AUTHORISED") => "Open".to_owned(),
        other => title_case(other.unwrap_or_default()),
    };
    let contact = &invoice["Contact"];
    let lines: Vec<Value> = invoice["LineItems"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .map(|line| {
            let code = text(line, "AccountCode");
            let name = [text(line, "AccountID"), code]
                .into_iter()
                .flatten()
                .find_map(|key| accounts.get(&key.to_lowercase()));
            json!({
                "description": text(line, "Description"),
                "accountCode": code,
                "accountName": name.map(String::as_str).or(code),
                "totalAmount": amount(line, "LineAmount"),
            })
        })
        .collect();
    Ok(json!({
        "id": id,
        // A bill's number in Xero is the supplier's invoice number.
        "reference": text(invoice, "InvoiceNumber").or_else(|| text(invoice, "Reference")),
        "supplierRef": {
            "id": text(contact, "ContactID"),
            "supplierName": text(contact, "Name"),
        },
        "issueDate": day(invoice, "DateString", "Date"),
        "dueDate": day(invoice, "DueDateString", "DueDate"),
        "currency": text(invoice, "CurrencyCode"),
        "totalAmount": total,
        "amountDue": due,
        "status": status,
        "lineItems": lines,
    }))
}

/// A payment on one of `bills`; `None` for a payment on anything else.
fn bill_payment(
    payment: &Value,
    bills: &HashMap<&str, &Value>,
) -> Result<Option<Value>, FetchError> {
    let bad = || unreadable(XERO, "list of bill payments");
    let id = text(payment, "PaymentID").ok_or_else(bad)?;
    let total = amount(payment, "Amount").ok_or_else(bad)?;
    let Some(bill) = payment
        .pointer("/Invoice/InvoiceID")
        .and_then(Value::as_str)
        .and_then(|invoice| bills.get(invoice))
    else {
        return Ok(None);
    };
    Ok(Some(json!({
        "id": id,
        "supplierRef": bill["supplierRef"],
        "date": day(payment, "DateString", "Date"),
        "currency": bill["currency"],
        "totalAmount": total,
        "reference": text(payment, "Reference"),
        "lines": [{"billId": bill["id"], "amount": total}],
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_from_either_of_xeros_forms() {
        let item = json!({"DateString": "2024-01-05T00:00:00", "Date": "/Date(0+0000)/"});
        assert_eq!(
            day(&item, "DateString", "Date").as_deref(),
            Some("2024-01-05")
        );
        let item = json!({"Date": "/Date(1704412800000+0000)/"});
        assert_eq!(
            day(&item, "DateString", "Date").as_deref(),
            Some("2024-01-05")
        );
        assert_eq!(day(&json!({"Date": "soon"}), "DateString", "Date"), None);
    }

    #[test]
    fn a_report_with_a_figure_that_is_not_a_number_is_unreadable() {
        let body = json!({"Reports": [{"Rows": [
            {"RowType": "Header", "Cells": [{"Value": ""}, {"Value": "30 Nov 2026"}]},
            {"RowType": "Section", "Title": "Income", "Rows": [
                {"RowType": "Row", "Cells": [{"Value": "Sales"}, {"Value": "lots"}]}
            ]}
        ]}]});
        let month = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let error = profit_and_loss(&body, &[(month, month_end(month))]).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidData);
        // A column missing from the header is as unreadable.
        assert!(profit_and_loss(&body, &[(month, month), (month, month)]).is_err());
    }

    #[test]
    fn the_daily_limit_says_when_the_refresh_runs_again() {
        let mut headers = HeaderMap::new();
        headers.insert("X-Rate-Limit-Problem", "day".parse().unwrap());
        headers.insert("Retry-After", "7200".parse().unwrap());
        let Refusal::Failed {
            error, retry_here, ..
        } = rate_limited(&headers)
        else {
            panic!("a failure");
        };
        assert!(!retry_here);
        assert_eq!(error.retry, crate::Retry::Transient);
        assert!(
            error.message.contains("will run again after"),
            "{}",
            error.message
        );
    }
}
