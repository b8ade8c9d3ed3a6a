//! The `http` provider: an upstream accounting-data API reached with reqwest, in the
//! public shape of the data platform behind the seed product (see
//! `docs/upstream-http-provider.md`).
//!
//! The upstream's company id is the partner's own, made when the customer connected
//! ([`UpstreamCompanies`]). Every answer is turned into
//! the same report shapes the sandbox produces, so reports, charts and downloads do not
//! care where data came from. Faults become [`FetchError`]s: 401/403 and revoked
//! connections are permanent, 404 means the data type is not supported, 409/429/5xx,
//! timeouts and connection errors are transient (429 honours `Retry-After`), and bodies
//! that are not JSON or are too large are `invalid_data`. Nothing here panics on input.

use std::{sync::Arc, time::Duration};

use chrono::{Datelike, Months};
use domain::{DataType, ErrorCode, ReportKind};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::{
    FetchError, FetchFuture, FetchRequest, FetchedReport, Pacer, Provider, UpstreamCompanies,
};

/// How to reach the upstream API.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// E.g. `https://api.example.com` (no trailing slash needed).
    pub base_url: String,
    /// Sent as `Authorization: Basic <key>`.
    pub api_key: String,
    /// Per request.
    pub timeout: Duration,
    /// Requests in flight to the upstream at once, across all jobs of this process.
    pub concurrency: usize,
    /// Retries of one request within an attempt (429, 5xx, timeouts) before the
    /// attempt fails and the job's own retry takes over.
    pub request_retries: u32,
    /// The longest `Retry-After` honoured within an attempt.
    pub max_retry_after: Duration,
    /// Rows per page of the paged lists.
    pub page_size: u32,
    /// The largest response body accepted.
    pub max_body_bytes: usize,
    /// Stop after this many pages of one list (a runaway upstream).
    pub max_pages: u32,
}

impl HttpConfig {
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: api_key.into(),
            timeout: Duration::from_secs(30),
            concurrency: 4,
            request_retries: 2,
            max_retry_after: Duration::from_secs(30),
            page_size: 500,
            max_body_bytes: 50 * 1024 * 1024,
            max_pages: 2000,
        }
    }
}

#[derive(Clone)]
pub struct HttpProvider {
    client: reqwest::Client,
    config: Arc<HttpConfig>,
    permits: Arc<Semaphore>,
    pacer: Option<Arc<dyn Pacer>>,
    companies: Arc<dyn UpstreamCompanies>,
}

impl HttpProvider {
    pub const PLATFORM: &'static str = "http";

    /// `companies` maps a company to its id at the partner.
    pub fn new(
        config: HttpConfig,
        companies: Arc<dyn UpstreamCompanies>,
    ) -> Result<Self, reqwest::Error> {
        // reqwest is built without a TLS provider of its own (the root Cargo.toml).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            client,
            permits: Arc::new(Semaphore::new(config.concurrency.max(1))),
            config: Arc::new(config),
            pacer: None,
            companies,
        })
    }

    /// Sends each request only when `pacer` allows: the upstream's rate limit, shared by
    /// every worker process.
    pub fn with_pacer(mut self, pacer: Arc<dyn Pacer>) -> Self {
        self.pacer = Some(pacer);
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url.trim_end_matches('/'))
    }

    /// GETs `path` and parses the JSON body, retrying transient failures a few times.
    async fn get(&self, path: &str) -> Result<Value, FetchError> {
        let mut attempt = 0;
        loop {
            match self.get_once(path).await {
                Ok(value) => return Ok(value),
                Err(Failure { error, retry_after }) => {
                    attempt += 1;
                    // The upstream's own wait goes with the error: the job's next
                    // attempt honours it (a daily limit is not retried into).
                    let error = match retry_after {
                        Some(wait) if error.retry == crate::Retry::Transient => {
                            error.retry_after(wait)
                        }
                        _ => error,
                    };
                    if error.retry == crate::Retry::Permanent
                        || attempt > self.config.request_retries
                    {
                        return Err(error);
                    }
                    let wait = retry_after
                        .unwrap_or_else(|| Duration::from_millis(200 * (1 << attempt.min(6))));
                    if wait > self.config.max_retry_after {
                        return Err(error);
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn get_once(&self, path: &str) -> Result<Value, Failure> {
        let _permit = self.permits.acquire().await.map_err(|_| {
            Failure::from(FetchError::transient(
                ErrorCode::ProviderUnavailable,
                "The accounting platform connection is shutting down.",
            ))
        })?;
        if let Some(pacer) = &self.pacer {
            pacer.wait_turn().await;
        }
        let response = self
            .client
            .get(self.url(path))
            .header(header::AUTHORIZATION, format!("Basic {}", self.config.api_key))
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| {
                let code = if e.is_timeout() { ErrorCode::TimedOut } else { ErrorCode::ProviderUnavailable };
                Failure::from(FetchError::transient(
                    code,
                    format!("The accounting platform could not be reached ({}). Try Refresh data again later.", describe(&e)),
                ))
            })?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        if let Some(length) = response.content_length()
            && length > self.config.max_body_bytes as u64
        {
            return Err(too_large(self.config.max_body_bytes).into());
        }
        let body = read_limited(response, self.config.max_body_bytes).await?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| {
                Failure::from(FetchError::transient(
                    ErrorCode::InvalidData,
                    format!("The accounting platform returned data that could not be read ({e}). Try Refresh data again later."),
                ))
            });
        }
        let correlation = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| {
                v.get("correlationId")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .map(|id| format!(" (correlation id {id})"))
            .unwrap_or_default();
        let error = match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => FetchError::permanent(
                ErrorCode::AccessDenied,
                format!(
                    "The accounting platform refused access{correlation}. Send a new information request."
                ),
            ),
            StatusCode::NOT_FOUND => FetchError::permanent(
                ErrorCode::NotSupported,
                format!(
                    "The customer's accounting platform does not provide this data{correlation}."
                ),
            ),
            StatusCode::CONFLICT => FetchError::transient(
                ErrorCode::ProviderUnavailable,
                format!(
                    "The accounting platform is still preparing the data{correlation}. Try Refresh data again later."
                ),
            ),
            StatusCode::TOO_MANY_REQUESTS => FetchError::transient(
                ErrorCode::ProviderUnavailable,
                format!(
                    "The accounting platform asked us to slow down{correlation}. The refresh will be retried."
                ),
            ),
            s if s.is_server_error() => FetchError::transient(
                ErrorCode::ProviderUnavailable,
                format!(
                    "The accounting platform failed (HTTP {}){correlation}. Try Refresh data again later.",
                    s.as_u16()
                ),
            ),
            s => FetchError::permanent(
                ErrorCode::InvalidData,
                format!(
                    "The accounting platform answered HTTP {}{correlation}.",
                    s.as_u16()
                ),
            ),
        };
        Err(Failure { error, retry_after })
    }

    /// Fails permanently unless the company has a linked connection.
    async fn check_connection(&self, company: &str) -> Result<(), FetchError> {
        let connections = self
            .get(&format!("/companies/{company}/connections"))
            .await?;
        let list = connections
            .get("results")
            .or(Some(&connections))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let statuses: Vec<&str> = list
            .iter()
            .filter_map(|c| c.get("status").and_then(Value::as_str))
            .collect();
        if statuses.contains(&"Linked") {
            return Ok(());
        }
        if statuses
            .iter()
            .any(|s| *s == "Deauthorized" || *s == "Unlinked")
        {
            return Err(FetchError::permanent(
                ErrorCode::AccessRevoked,
                ErrorCode::AccessRevoked.default_message(),
            ));
        }
        Err(FetchError::permanent(
            ErrorCode::AccessDenied,
            "The customer has not finished connecting their accounting platform. Send a new information request.",
        ))
    }

    /// Every page of a paged list, following pages until one is short or has no `next`.
    async fn all_pages(&self, company: &str, dataset: &str) -> Result<Vec<Value>, FetchError> {
        let size = self.config.page_size;
        let mut rows = Vec::new();
        for page in 1..=self.config.max_pages {
            let body = self
                .get(&format!(
                    "/companies/{company}/data/{dataset}?page={page}&pageSize={size}"
                ))
                .await?;
            let results = body.get("results").and_then(Value::as_array).ok_or_else(|| {
                FetchError::transient(
                    ErrorCode::InvalidData,
                    format!("The accounting platform's {dataset} page {page} has no results list. Try Refresh data again later."),
                )
            })?;
            let count = results.len();
            rows.extend(results.iter().cloned());
            let has_next = body
                .pointer("/_links/next/href")
                .and_then(Value::as_str)
                .is_some();
            if count < size as usize || !has_next {
                return Ok(rows);
            }
        }
        Err(FetchError::permanent(
            ErrorCode::InvalidData,
            format!(
                "The accounting platform's {dataset} list did not end after {} pages.",
                self.config.max_pages
            ),
        ))
    }
}

/// A failed request, with the wait the upstream asked for.
struct Failure {
    error: FetchError,
    retry_after: Option<Duration>,
}

impl From<FetchError> for Failure {
    fn from(error: FetchError) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

fn too_large(limit: usize) -> FetchError {
    FetchError::permanent(
        ErrorCode::InvalidData,
        format!(
            "The accounting platform sent more than {} MB in one answer; it was not stored.",
            limit / (1024 * 1024)
        ),
    )
}

async fn read_limited(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Err(too_large(limit).into());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => {
                let code = if e.is_timeout() {
                    ErrorCode::TimedOut
                } else {
                    ErrorCode::ProviderUnavailable
                };
                return Err(FetchError::transient(
                    code,
                    format!("The accounting platform's answer was cut off ({}). Try Refresh data again later.", describe(&e)),
                )
                .into());
            }
        }
    }
}

fn describe(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    }
}

/// `{name, value, items: [...]}` (the upstream's report lines) → `{total, accounts}`.
fn section(line: Option<&Value>) -> Value {
    let Some(line) = line else {
        return json!({"total": 0.0, "accounts": []});
    };
    let accounts: Vec<Value> = line
        .get("items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|item| json!({"name": item.get("name").cloned().unwrap_or(Value::Null), "value": item.get("value").cloned().unwrap_or(json!(0.0))}))
                .collect()
        })
        .unwrap_or_default();
    json!({"total": line.get("value").cloned().unwrap_or(json!(0.0)), "accounts": accounts})
}

fn reports_of(body: &Value, what: &str) -> Result<Vec<Value>, FetchError> {
    body.get("reports")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| {
            FetchError::transient(
                ErrorCode::InvalidData,
                format!(
                    "The accounting platform's {what} has no reports. Try Refresh data again later."
                ),
            )
        })
}

fn profit_and_loss(body: &Value, company_name: &str) -> Result<Value, FetchError> {
    let mut periods: Vec<Value> = reports_of(body, "profit and loss")?
        .iter()
        .map(|r| {
            json!({
                "fromDate": r.get("fromDate").cloned().unwrap_or(Value::Null),
                "toDate": r.get("toDate").cloned().unwrap_or(Value::Null),
                "income": section(r.get("income")),
                "costOfSales": section(r.get("costOfSales")),
                "grossProfit": r.get("grossProfit").cloned().unwrap_or(json!(0.0)),
                "expenses": section(r.get("expenses")),
                "netOperatingProfit": r.get("netOperatingProfit").cloned().unwrap_or(json!(0.0)),
                "otherExpenses": section(r.get("otherExpenses")),
                "netProfit": r.get("netProfit").cloned().unwrap_or(json!(0.0)),
            })
        })
        .collect();
    // Oldest first, as the sandbox does (the upstream lists newest first).
    periods.sort_by(|a, b| a["fromDate"].as_str().cmp(&b["fromDate"].as_str()));
    Ok(json!({
        "companyName": company_name,
        "currency": body.get("currency").cloned().unwrap_or(Value::Null),
        "reportBasis": body.get("reportBasis").cloned().unwrap_or(json!("Accrual")),
        "periods": periods,
    }))
}

fn balance_sheet(body: &Value, company_name: &str) -> Result<Value, FetchError> {
    let mut reports: Vec<Value> = reports_of(body, "balance sheet")?
        .iter()
        .map(|r| {
            json!({
                "date": r.get("date").cloned().unwrap_or(Value::Null),
                "assets": section(r.get("assets")),
                "liabilities": section(r.get("liabilities")),
                "equity": section(r.get("equity")),
                "netAssets": r.get("netAssets").cloned().unwrap_or(json!(0.0)),
            })
        })
        .collect();
    reports.sort_by(|a, b| a["date"].as_str().cmp(&b["date"].as_str()));
    Ok(json!({
        "companyName": company_name,
        "currency": body.get("currency").cloned().unwrap_or(Value::Null),
        "reports": reports,
    }))
}

impl Provider for HttpProvider {
    fn platform(&self) -> &'static str {
        Self::PLATFORM
    }

    fn fetch(&self, request: FetchRequest) -> FetchFuture<'_> {
        Box::pin(async move {
            let company = self.companies.upstream_id(request.company).await?;
            self.check_connection(&company).await?;
            let today = request.as_of.date_naive();
            let start = today.with_day(1).unwrap_or(today) - Months::new(11);
            let financial = |report: &str| {
                format!(
                    "/companies/{company}/data/financials/{report}?periodLength=1&periodsToCompare=12&startMonth={start}"
                )
            };
            let mut reports = Vec::new();
            match request.data_type {
                DataType::Financials => {
                    let pl = self.get(&financial("profitAndLoss")).await?;
                    let bs = self.get(&financial("balanceSheet")).await?;
                    reports.push(FetchedReport {
                        kind: ReportKind::ProfitAndLoss,
                        payload: profit_and_loss(&pl, &request.company_name)?,
                    });
                    reports.push(FetchedReport {
                        kind: ReportKind::BalanceSheet,
                        payload: balance_sheet(&bs, &request.company_name)?,
                    });
                }
                DataType::SpendDetail => {
                    for (kind, dataset) in [
                        (ReportKind::Suppliers, "suppliers"),
                        (ReportKind::Bills, "bills"),
                        (ReportKind::BillPayments, "billPayments"),
                    ] {
                        let rows = self.all_pages(&company, dataset).await?;
                        let currency = rows.iter().find_map(|r| {
                            r.get("currency")
                                .or_else(|| r.get("defaultCurrency"))
                                .cloned()
                        });
                        reports.push(FetchedReport {
                            kind,
                            payload: json!({"currency": currency.unwrap_or(Value::Null), "results": rows}),
                        });
                    }
                }
            }
            Ok(reports)
        })
    }
}
