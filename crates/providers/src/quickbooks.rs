//! The `quickbooks` provider: a company's books read from the QuickBooks Online
//! Accounting API (`{api_url}/v3/company/{realmId}`) with the access token its
//! connection holds.
//!
//! Financials are `reports/ProfitAndLoss` and `reports/BalanceSheet` summarised by month
//! over the twelve months ending with the current one; spend detail is the `Vendor`,
//! `Bill` and `BillPayment` entities read with the query language, page by page
//! (`STARTPOSITION`, `MAXRESULTS`). Answers become the report shapes the sandbox
//! produces. Amounts stay in the currency QuickBooks states them in: reports in the
//! company's home currency, each bill and payment in its own.
//!
//! Errors come in Intuit's `Fault` envelope: `401` (`AuthenticationFailed`) renews the
//! token once, `403` is permanent, `429` (`ThrottleExceeded`, 500 requests a minute per
//! company) is waited out, and the `intuit_tid` of a failed answer is kept in the
//! message for Intuit's support.

use std::{sync::Arc, time::Duration};

use chrono::{Datelike, Days, Months, NaiveDate};
use domain::{DataType, ErrorCode, ReportKind};
use reqwest::{StatusCode, Url, header::HeaderMap};
use serde_json::{Value, json};

use crate::{
    Credentials, FetchError, FetchFuture, FetchRequest, FetchedReport, Provider, TenantPacer,
    oauth_http::{
        ApiClient, Dialect, Limits, Refusal, Section, Session, endless, endpoint, money,
        report_amount, retry_after, unreadable,
    },
};

const QUICKBOOKS: &str = "QuickBooks";

/// How to reach the QuickBooks Online Accounting API.
#[derive(Debug, Clone)]
pub struct QuickBooksApiConfig {
    /// `https://quickbooks.api.intuit.com` (the fake's base URL in tests);
    /// `/v3/company/{realmId}` is added.
    pub api_url: String,
    /// Per request.
    pub timeout: Duration,
    /// Rows per query page (`MAXRESULTS`; QuickBooks allows up to 1,000).
    pub page_size: u32,
    /// Stop after this many pages of one list (a runaway upstream).
    pub max_pages: u32,
    /// The largest answer accepted.
    pub max_body_bytes: usize,
    /// Retries of one request within an attempt (429, 5xx, timeouts, unreadable JSON).
    pub request_retries: u32,
    /// The longest `Retry-After` waited out within an attempt.
    pub max_retry_after: Duration,
    /// Sent as `minorversion` on every request: the version of the entities' shape.
    /// Intuit serves 75 and later only.
    pub minor_version: u32,
}

impl QuickBooksApiConfig {
    pub fn new(api_url: impl Into<String>) -> Self {
        Self {
            api_url: api_url.into(),
            timeout: Duration::from_secs(30),
            page_size: 1000,
            max_pages: 1000,
            max_body_bytes: 50 * 1024 * 1024,
            request_retries: 3,
            max_retry_after: Duration::from_secs(60),
            minor_version: 75,
        }
    }
}

/// Reads a company's books from QuickBooks Online.
#[derive(Clone)]
pub struct QuickBooksProvider {
    client: ApiClient,
    config: Arc<QuickBooksApiConfig>,
}

impl QuickBooksProvider {
    pub const PLATFORM: &'static str = "quickbooks";

    pub fn new(
        config: QuickBooksApiConfig,
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
            config: Arc::new(config),
        })
    }

    /// Sends each request only when `pacer` allows: QuickBooks's per-company limits,
    /// shared by every worker process.
    pub fn with_pacer(mut self, pacer: Arc<dyn TenantPacer>) -> Self {
        self.client.set_pacer(pacer);
        self
    }

    fn url(&self, realm: &str, path: &str, params: &[(&str, String)]) -> Result<Url, FetchError> {
        let mut url = endpoint(&self.config.api_url, "v3/company")?;
        url.path_segments_mut()
            .map_err(|()| unreadable(QUICKBOOKS, "API address"))?
            .push(realm)
            .extend(path.split('/'));
        // Spaces as `%20`, as Intuit's examples write queries, rather than the form
        // encoding's `+`.
        let mut query: Vec<String> = params
            .iter()
            .map(|(key, value)| format!("{}={}", percent_encode(key), percent_encode(value)))
            .collect();
        query.push(format!("minorversion={}", self.config.minor_version));
        url.set_query(Some(&query.join("&")));
        Ok(url)
    }

    /// Every row of `entity`, page by page, until a short page.
    async fn query_all(
        &self,
        session: &mut Session<'_>,
        entity: &str,
        what: &str,
    ) -> Result<Vec<Value>, FetchError> {
        let size = self.config.page_size.clamp(1, 1000);
        let mut rows = Vec::new();
        let mut start = 1u64;
        for page in 1..=self.config.max_pages {
            let query = format!("select * from {entity} STARTPOSITION {start} MAXRESULTS {size}");
            let url = self.url(session.tenant(), "query", &[("query", query)])?;
            let body = session.get_json(&url).await?;
            let answer = body
                .get("QueryResponse")
                .filter(|a| a.is_object())
                .ok_or_else(|| unreadable(QUICKBOOKS, &format!("page {page} of {what}")))?;
            // An empty page is answered `{}`.
            let list = match answer.get(entity) {
                None => &[][..],
                Some(list) => list
                    .as_array()
                    .ok_or_else(|| unreadable(QUICKBOOKS, &format!("page {page} of {what}")))?,
            };
            rows.extend(list.iter().cloned());
            if list.len() < size as usize {
                return Ok(rows);
            }
            start += u64::from(size);
        }
        Err(endless(QUICKBOOKS, what, self.config.max_pages))
    }

    /// The company's home currency (`Preferences.CurrencyPrefs.HomeCurrency`), which
    /// amounts without a currency of their own are in.
    async fn home_currency(&self, session: &mut Session<'_>) -> Result<Option<String>, FetchError> {
        let url = self.url(
            session.tenant(),
            "query",
            &[("query", "select * from Preferences".to_owned())],
        )?;
        let body = session.get_json(&url).await?;
        Ok(body
            .pointer("/QueryResponse/Preferences/0/CurrencyPrefs/HomeCurrency/value")
            .and_then(Value::as_str)
            .map(str::to_owned))
    }

    async fn financials(
        &self,
        session: &mut Session<'_>,
        request: &FetchRequest,
    ) -> Result<Vec<FetchedReport>, FetchError> {
        let today = request.as_of.date_naive();
        let this_month = today.with_day(1).unwrap_or(today);
        let first = this_month - Months::new(11);
        let month_end = this_month + Months::new(1) - Days::new(1);
        let report = |name: &str, end: NaiveDate| {
            self.url(
                session.tenant(),
                &format!("reports/{name}"),
                &[
                    ("start_date", first.to_string()),
                    ("end_date", end.to_string()),
                    ("summarize_column_by", "Month".to_owned()),
                ],
            )
        };
        let (pnl_url, bs_url) = (
            report("ProfitAndLoss", month_end)?,
            report("BalanceSheet", today)?,
        );
        let pnl = session.get_json(&pnl_url).await?;
        let bs = session.get_json(&bs_url).await?;
        let basis = pnl
            .pointer("/Header/ReportBasis")
            .and_then(Value::as_str)
            .unwrap_or("Accrual");
        Ok(vec![
            FetchedReport {
                kind: ReportKind::ProfitAndLoss,
                payload: json!({
                    "companyName": request.company_name,
                    "currency": pnl.pointer("/Header/Currency"),
                    "reportBasis": basis,
                    "periods": profit_and_loss(&pnl)?,
                }),
            },
            FetchedReport {
                kind: ReportKind::BalanceSheet,
                payload: json!({
                    "companyName": request.company_name,
                    "currency": bs.pointer("/Header/Currency"),
                    "reports": balance_sheet(&bs)?,
                }),
            },
        ])
    }

    async fn spend_detail(
        &self,
        session: &mut Session<'_>,
    ) -> Result<Vec<FetchedReport>, FetchError> {
        let home = self.home_currency(session).await?;
        let vendors = self.query_all(session, "Vendor", "suppliers").await?;
        let bills = self.query_all(session, "Bill", "bills").await?;
        let payments = self
            .query_all(session, "BillPayment", "bill payments")
            .await?;
        let home = home.as_deref();
        let suppliers = vendors
            .iter()
            .map(|v| supplier(v, home))
            .collect::<Result<Vec<_>, _>>()?;
        let bills = bills
            .iter()
            .map(|b| bill(b, home))
            .collect::<Result<Vec<_>, _>>()?;
        let payments = payments
            .iter()
            .map(|p| bill_payment(p, home))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(vec![
            FetchedReport {
                kind: ReportKind::Suppliers,
                payload: json!({"currency": home, "results": suppliers}),
            },
            FetchedReport {
                kind: ReportKind::Bills,
                payload: json!({"currency": home, "results": bills}),
            },
            FetchedReport {
                kind: ReportKind::BillPayments,
                payload: json!({"currency": home, "results": payments}),
            },
        ])
    }
}

impl Provider for QuickBooksProvider {
    fn platform(&self) -> &'static str {
        Self::PLATFORM
    }

    fn fetch(&self, request: FetchRequest) -> FetchFuture<'_> {
        Box::pin(async move {
            let mut session = self
                .client
                .session(&QuickBooksDialect, request.company)
                .await?;
            match request.data_type {
                DataType::Financials => self.financials(&mut session, &request).await,
                DataType::SpendDetail => self.spend_detail(&mut session).await,
            }
        })
    }
}

/// Every byte but the unreserved ones (RFC 3986) and `*` as `%XX`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~*".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

struct QuickBooksDialect;

/// ` (intuit_tid …)`: the id Intuit's support asks for.
fn tid(headers: &HeaderMap) -> String {
    headers
        .get("intuit_tid")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(|v| format!(" (intuit_tid {v})"))
        .unwrap_or_default()
}

/// The `code` of a `Fault`'s first error, if it has one.
fn fault_code(body: &Value) -> Option<&str> {
    body.pointer("/Fault/Error/0/code").and_then(Value::as_str)
}

fn rejected_request(code: Option<&str>, tid: &str) -> Refusal {
    let code = code
        .map(|c| format!("error {c}"))
        .unwrap_or("HTTP 400".into());
    Refusal::stop(FetchError::permanent(
        ErrorCode::InvalidData,
        format!("QuickBooks did not accept Spendlens's request ({code}){tid}."),
    ))
}

fn failed(status: &str, headers: &HeaderMap) -> Refusal {
    Refusal::again(
        FetchError::transient(
            ErrorCode::ProviderUnavailable,
            format!(
                "QuickBooks failed ({status}){}. Try Refresh data again later.",
                tid(headers)
            ),
        ),
        retry_after(headers),
    )
}

fn denied(headers: &HeaderMap) -> Refusal {
    Refusal::stop(FetchError::permanent(
        ErrorCode::AccessDenied,
        format!(
            "QuickBooks refused Spendlens access to this company{}. Send a new information request.",
            tid(headers)
        ),
    ))
}

impl Dialect for QuickBooksDialect {
    fn name(&self) -> &'static str {
        QUICKBOOKS
    }

    fn refusal(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Refusal {
        let fault: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        match status {
            // `AuthenticationFailed` (3200): expired or revoked.
            StatusCode::UNAUTHORIZED => Refusal::TokenRejected,
            // `ApplicationAuthorizationFailed` (3100): not this company, or the app's
            // access to it ended.
            StatusCode::FORBIDDEN => denied(headers),
            // `ThrottleExceeded` (3001). Intuit documents no `Retry-After`; one is
            // honoured if sent, a backoff used otherwise.
            StatusCode::TOO_MANY_REQUESTS => Refusal::again(
                FetchError::transient(
                    ErrorCode::ProviderUnavailable,
                    format!(
                        "QuickBooks asked Spendlens to slow down (its limit of requests a minute){}. The refresh will be retried.",
                        tid(headers)
                    ),
                ),
                retry_after(headers),
            ),
            StatusCode::NOT_FOUND => Refusal::stop(FetchError::permanent(
                ErrorCode::NotSupported,
                "QuickBooks does not provide this data for the company.",
            )),
            StatusCode::BAD_REQUEST => rejected_request(fault_code(&fault), &tid(headers)),
            s if s.is_server_error() => failed(&format!("HTTP {}", s.as_u16()), headers),
            s => Refusal::stop(FetchError::permanent(
                ErrorCode::InvalidData,
                format!("QuickBooks answered HTTP {}{}.", s.as_u16(), tid(headers)),
            )),
        }
    }

    /// A `Fault` answered with 200, by its type.
    fn refusal_in_body(&self, headers: &HeaderMap, body: &Value) -> Option<Refusal> {
        let kind = body.pointer("/Fault/type")?.as_str().unwrap_or_default();
        Some(match kind.to_ascii_uppercase().as_str() {
            "AUTHENTICATION" => Refusal::TokenRejected,
            "AUTHORIZATION" | "AUTHORIZATIONFAULT" => denied(headers),
            "SERVICE" | "SYSTEMFAULT" => failed(kind, headers),
            _ => rejected_request(fault_code(body), &tid(headers)),
        })
    }
}

/// A report's columns of figures: their index in each row's `ColData` and their
/// `StartDate`/`EndDate` (the total column has neither and is left out).
fn columns(report: &Value, what: &str) -> Result<Vec<(usize, NaiveDate, NaiveDate)>, FetchError> {
    let bad = || unreadable(QUICKBOOKS, what);
    let list = report
        .pointer("/Columns/Column")
        .and_then(Value::as_array)
        .ok_or_else(bad)?;
    let meta = |column: &Value, name: &str| {
        column["MetaData"]
            .as_array()?
            .iter()
            .find(|m| m["Name"] == name)?["Value"]
            .as_str()?
            .parse::<NaiveDate>()
            .ok()
    };
    let found: Vec<_> = list
        .iter()
        .enumerate()
        .filter_map(|(index, column)| {
            Some((index, meta(column, "StartDate")?, meta(column, "EndDate")?))
        })
        .collect();
    if found.is_empty() {
        return Err(bad());
    }
    Ok(found)
}

/// The figures of one `ColData` in `columns`.
fn figures(col_data: &Value, columns: &[(usize, NaiveDate, NaiveDate)]) -> Option<Vec<f64>> {
    let cells = col_data.as_array()?;
    columns
        .iter()
        .map(|(index, _, _)| cells.get(*index)?["value"].as_str().and_then(report_amount))
        .collect()
}

/// A section's total and its accounts (every `Data` row within it, however deep).
struct Part {
    total: Vec<f64>,
    accounts: Vec<(String, Vec<f64>)>,
}

fn read_part(section: &Value, columns: &[(usize, NaiveDate, NaiveDate)]) -> Option<Part> {
    fn data_rows(
        rows: &Value,
        columns: &[(usize, NaiveDate, NaiveDate)],
        out: &mut Vec<(String, Vec<f64>)>,
    ) -> Option<()> {
        for row in rows
            .pointer("/Row")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice)
        {
            if row.get("Rows").is_some() || row.get("Summary").is_some() {
                data_rows(&row["Rows"], columns, out)?;
            } else if let Some(col_data) = row.get("ColData") {
                let name = col_data[0]["value"].as_str().unwrap_or_default().to_owned();
                out.push((name, figures(col_data, columns)?));
            }
        }
        Some(())
    }
    let mut accounts = Vec::new();
    data_rows(&section["Rows"], columns, &mut accounts)?;
    let total = match section.pointer("/Summary/ColData") {
        Some(col_data) => figures(col_data, columns)?,
        None => (0..columns.len())
            .map(|i| accounts.iter().map(|(_, v)| v[i]).sum())
            .collect(),
    };
    Some(Part { total, accounts })
}

/// The section of `group` anywhere in `rows`.
fn find_group<'a>(rows: &'a Value, group: &str) -> Option<&'a Value> {
    rows.pointer("/Row")?.as_array()?.iter().find_map(|row| {
        if row["group"] == group {
            Some(row)
        } else {
            find_group(&row["Rows"], group)
        }
    })
}

fn section_in(part: Option<&Part>, column: usize) -> Section {
    part.map(|p| Section {
        total: Some(p.total[column]),
        accounts: p
            .accounts
            .iter()
            .map(|(name, values)| (name.clone(), values[column]))
            .collect(),
    })
    .unwrap_or_default()
}

/// `reports/ProfitAndLoss` by month → one period a month, oldest first.
fn profit_and_loss(report: &Value) -> Result<Vec<Value>, FetchError> {
    let what = "profit and loss";
    let columns = columns(report, what)?;
    let rows = &report["Rows"];
    let part = |group: &str| -> Result<Option<Part>, FetchError> {
        find_group(rows, group)
            .map(|section| read_part(section, &columns).ok_or_else(|| unreadable(QUICKBOOKS, what)))
            .transpose()
    };
    let (income, cost, expenses) = (part("Income")?, part("COGS")?, part("Expenses")?);
    let (other_income, other_expenses) = (part("OtherIncome")?, part("OtherExpenses")?);
    let (gross, operating, net) = (
        part("GrossProfit")?,
        part("NetOperatingIncome")?,
        part("NetIncome")?,
    );
    Ok(columns
        .iter()
        .enumerate()
        .map(|(i, (_, from, to))| {
            let (income, cost, expenses) = (
                section_in(income.as_ref(), i),
                section_in(cost.as_ref(), i),
                section_in(expenses.as_ref(), i),
            );
            let (other_income, other_expenses) = (
                section_in(other_income.as_ref(), i),
                section_in(other_expenses.as_ref(), i),
            );
            let gross = gross
                .as_ref()
                .map_or_else(|| income.total() - cost.total(), |p| p.total[i]);
            let operating = operating
                .as_ref()
                .map_or_else(|| gross - expenses.total(), |p| p.total[i]);
            let net = net.as_ref().map_or_else(
                || operating + other_income.total() - other_expenses.total(),
                |p| p.total[i],
            );
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

/// `reports/BalanceSheet` by month → one statement a month (at its end, or today for
/// this month), oldest first.
fn balance_sheet(report: &Value) -> Result<Vec<Value>, FetchError> {
    let what = "balance sheet";
    let columns = columns(report, what)?;
    let rows = &report["Rows"];
    let part = |group: &str| -> Result<Option<Part>, FetchError> {
        find_group(rows, group)
            .map(|section| read_part(section, &columns).ok_or_else(|| unreadable(QUICKBOOKS, what)))
            .transpose()
    };
    let (assets, liabilities, equity) =
        (part("TotalAssets")?, part("Liabilities")?, part("Equity")?);
    Ok(columns
        .iter()
        .enumerate()
        .map(|(i, (_, _, date))| {
            let assets = section_in(assets.as_ref(), i);
            let liabilities = section_in(liabilities.as_ref(), i);
            let equity = section_in(equity.as_ref(), i);
            json!({
                "date": date.to_string(),
                "netAssets": money(assets.total() - liabilities.total()),
                "assets": assets.to_json(),
                "liabilities": liabilities.to_json(),
                "equity": equity.to_json(),
            })
        })
        .collect())
}

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn amount(value: &Value, key: &str) -> Option<f64> {
    value
        .get(key)
        .and_then(Value::as_f64)
        .filter(|v| v.is_finite())
}

fn supplier(vendor: &Value, home: Option<&str>) -> Result<Value, FetchError> {
    let id = text(vendor, "/Id").ok_or_else(|| unreadable(QUICKBOOKS, "list of suppliers"))?;
    let person = [text(vendor, "/GivenName"), text(vendor, "/FamilyName")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let active = vendor
        .get("Active")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    Ok(json!({
        "id": id,
        "supplierName": text(vendor, "/DisplayName").or_else(|| text(vendor, "/CompanyName")),
        "contactName": (!person.is_empty()).then_some(person),
        "emailAddress": text(vendor, "/PrimaryEmailAddr/Address"),
        "phone": text(vendor, "/PrimaryPhone/FreeFormNumber"),
        "status": if active { "Active" } else { "Inactive" },
        "defaultCurrency": text(vendor, "/CurrencyRef/value").or(home),
        // Vendors name their terms only by id unless QuickBooks adds the name.
        "paymentTerms": text(vendor, "/TermRef/name"),
    }))
}

fn bill(bill: &Value, home: Option<&str>) -> Result<Value, FetchError> {
    let bad = || unreadable(QUICKBOOKS, "list of bills");
    let id = text(bill, "/Id").ok_or_else(bad)?;
    let total = amount(bill, "TotalAmt").ok_or_else(bad)?;
    let due = amount(bill, "Balance").unwrap_or(total);
    let status = if due == 0.0 {
        "Paid"
    } else if due < total {
        "PartiallyPaid"
    } else {
        "Open"
    };
    let lines: Vec<Value> = bill["Line"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(|line| {
            let amount = amount(line, "Amount")?;
            let mut item = json!({
                "description": text(line, "/Description"),
                "totalAmount": amount,
            });
            match text(line, "/DetailType") {
                Some("AccountBasedExpenseLineDetail") => {
                    item["accountRef"] = json!({
                        "id": text(line, "/AccountBasedExpenseLineDetail/AccountRef/value"),
                        "name": text(line, "/AccountBasedExpenseLineDetail/AccountRef/name"),
                    });
                }
                Some("ItemBasedExpenseLineDetail") => {
                    item["itemName"] =
                        json!(text(line, "/ItemBasedExpenseLineDetail/ItemRef/name"));
                }
                _ => {}
            }
            Some(item)
        })
        .collect();
    Ok(json!({
        "id": id,
        "reference": text(bill, "/DocNumber"),
        "supplierRef": {
            "id": text(bill, "/VendorRef/value"),
            "supplierName": text(bill, "/VendorRef/name"),
        },
        "issueDate": text(bill, "/TxnDate"),
        "dueDate": text(bill, "/DueDate"),
        "currency": text(bill, "/CurrencyRef/value").or(home),
        "totalAmount": total,
        "amountDue": due,
        "status": status,
        "lineItems": lines,
    }))
}

fn bill_payment(payment: &Value, home: Option<&str>) -> Result<Value, FetchError> {
    let bad = || unreadable(QUICKBOOKS, "list of bill payments");
    let id = text(payment, "/Id").ok_or_else(bad)?;
    let total = amount(payment, "TotalAmt").ok_or_else(bad)?;
    let lines: Vec<Value> = payment["Line"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .flat_map(|line| {
            let amount = amount(line, "Amount");
            line["LinkedTxn"]
                .as_array()
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .filter(|linked| linked["TxnType"] == "Bill")
                .map(move |linked| json!({"billId": text(linked, "/TxnId"), "amount": amount}))
        })
        .collect();
    let method = match text(payment, "/PayType") {
        Some("Check") => Some("Bank account"),
        Some("CreditCard") => Some("Credit card"),
        other => other,
    };
    Ok(json!({
        "id": id,
        "supplierRef": {
            "id": text(payment, "/VendorRef/value"),
            "supplierName": text(payment, "/VendorRef/name"),
        },
        "date": text(payment, "/TxnDate"),
        "currency": text(payment, "/CurrencyRef/value").or(home),
        "totalAmount": total,
        "paymentMethod": method,
        "reference": text(payment, "/DocNumber").or_else(|| text(payment, "/PrivateNote")),
        "lines": lines,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(rows: Value) -> Value {
        json!({
            "Header": {"Currency": "USD"},
            "Columns": {"Column": [
                {"ColTitle": "", "ColType": "Account"},
                {"ColTitle": "Jan 2026", "ColType": "Money", "MetaData": [
                    {"Name": "StartDate", "Value": "2026-01-01"},
                    {"Name": "EndDate", "Value": "2026-01-31"}]},
                {"ColTitle": "Total", "ColType": "Money"}
            ]},
            "Rows": {"Row": rows},
        })
    }

    #[test]
    fn sub_accounts_are_read_from_nested_sections() {
        let pnl = report(json!([{
            "type": "Section", "group": "Expenses",
            "Header": {"ColData": [{"value": "Expenses"}, {"value": ""}, {"value": ""}]},
            "Rows": {"Row": [
                {"type": "Data", "ColData": [{"value": "Rent"}, {"value": "100.00"}, {"value": "100.00"}]},
                {"type": "Section",
                 "Header": {"ColData": [{"value": "Utilities"}, {"value": ""}, {"value": ""}]},
                 "Rows": {"Row": [
                    {"type": "Data", "ColData": [{"value": "Gas"}, {"value": "20.50"}, {"value": "20.50"}]}
                 ]},
                 "Summary": {"ColData": [{"value": "Total Utilities"}, {"value": "20.50"}, {"value": "20.50"}]}}
            ]},
            "Summary": {"ColData": [{"value": "Total Expenses"}, {"value": "120.50"}, {"value": "120.50"}]}
        }]));
        let periods = profit_and_loss(&pnl).unwrap();
        assert_eq!(periods.len(), 1);
        assert_eq!(periods[0]["expenses"]["total"], 120.5);
        assert_eq!(periods[0]["expenses"]["accounts"][1]["name"], "Gas");
        assert_eq!(periods[0]["netProfit"], -120.5);
    }

    #[test]
    fn a_figure_that_is_not_a_number_is_unreadable() {
        let pnl = report(json!([{
            "type": "Section", "group": "Income",
            "Rows": {"Row": [{"type": "Data", "ColData": [{"value": "Sales"}, {"value": "many"}]}]},
        }]));
        assert_eq!(
            profit_and_loss(&pnl).unwrap_err().code,
            ErrorCode::InvalidData
        );
        assert!(profit_and_loss(&json!({"Rows": {}})).is_err());
    }

    #[test]
    fn queries_go_in_the_url_with_spaces_as_percent_20() {
        let provider = QuickBooksProvider::new(
            QuickBooksApiConfig::new("https://quickbooks.api.intuit.com/"),
            Arc::new(NoCredentials),
        )
        .unwrap();
        let url = provider
            .url(
                "9130",
                "query",
                &[(
                    "query",
                    "select * from Bill STARTPOSITION 1 MAXRESULTS 5".into(),
                )],
            )
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://quickbooks.api.intuit.com/v3/company/9130/query?query=select%20*%20from%20Bill%20STARTPOSITION%201%20MAXRESULTS%205&minorversion=75"
        );
        assert_eq!(percent_encode("a&b=c+d"), "a%26b%3Dc%2Bd");
    }

    struct NoCredentials;

    impl Credentials for NoCredentials {
        fn grant(&self, _: domain::CompanyId) -> crate::GrantFuture<'_> {
            Box::pin(async { Err(FetchError::permanent(ErrorCode::AccessRevoked, "none")) })
        }

        fn rejected<'a>(
            &'a self,
            _: domain::CompanyId,
            _: &'a crate::AccessGrant,
        ) -> crate::GrantFuture<'a> {
            self.grant(domain::CompanyId::from_uuid(uuid::Uuid::nil()))
        }
    }

    #[test]
    fn a_fault_answered_with_200_is_a_refusal() {
        let fault = json!({"Fault": {"Error": [{"code": "4000"}], "type": "ValidationFault"}});
        let refusal = QuickBooksDialect.refusal_in_body(&HeaderMap::new(), &fault);
        assert!(matches!(
            refusal,
            Some(Refusal::Failed {
                retry_here: false,
                ..
            })
        ));
        let expired = json!({"Fault": {"type": "AUTHENTICATION"}});
        assert!(matches!(
            QuickBooksDialect.refusal_in_body(&HeaderMap::new(), &expired),
            Some(Refusal::TokenRejected)
        ));
        assert!(
            QuickBooksDialect
                .refusal_in_body(&HeaderMap::new(), &json!({"QueryResponse": {}}))
                .is_none()
        );
    }
}
