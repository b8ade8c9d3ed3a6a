//! `XeroProvider` against the fake Xero.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{Datelike, Days, Months, NaiveDate};
use domain::{CompanyId, DataType, ErrorCode, ReportKind};
use fakes::{FakeXero, Fault, FaultTarget, XeroConfig, books::Books, xero::XeroLimits};
use providers::{Credentials as _, Retry, XeroApiConfig, XeroProvider};
use serde_json::Value;

use super::{
    CLIENT_ID, CLIENT_SECRET, COMPANY, CountingPacer, FakeCredentials, REDIRECT_URI, Renew,
    assert_fails, connect, fetch, number, units,
};

const SCOPES: &str = "offline_access accounting.transactions.read accounting.contacts.read accounting.reports.read accounting.settings.read";
const WITHOUT_SETTINGS: &str =
    "offline_access accounting.transactions.read accounting.contacts.read accounting.reports.read";

struct Setup {
    xero: FakeXero,
    credentials: Arc<FakeCredentials>,
}

impl Setup {
    fn books(&self) -> &Books {
        self.xero
            .books(self.xero.organisations()[0].tenant_id)
            .unwrap()
    }

    fn provider(&self, customize: impl FnOnce(&mut XeroApiConfig)) -> XeroProvider {
        let mut config = XeroApiConfig {
            timeout: Duration::from_secs(5),
            request_retries: 2,
            max_retry_after: Duration::from_secs(5),
            ..XeroApiConfig::new(self.xero.base_url())
        };
        customize(&mut config);
        XeroProvider::new(config, self.credentials.clone()).unwrap()
    }

    async fn fetch(
        &self,
        provider: &XeroProvider,
        data_type: DataType,
    ) -> Result<Vec<providers::FetchedReport>, providers::FetchError> {
        fetch(provider, data_type, self.xero.clock().now()).await
    }
}

/// The fake with its first organisation connected (with `scopes`), and credentials
/// holding the tokens the connect flow gave.
async fn setup(customize: impl FnOnce(&mut XeroConfig), scopes: &str, renew: Renew) -> Setup {
    let mut config = XeroConfig::new(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI);
    customize(&mut config);
    let xero = FakeXero::start(config).unwrap();
    let tenant = xero.organisations()[0].tenant_id.to_string();
    let tokens = connect(
        &xero.authorize_url(),
        &xero.token_url(),
        &[("scope", scopes)],
        &[("decision", "allow"), ("tenant", &tenant)],
    )
    .await;
    let credentials = FakeCredentials::new(xero.token_url(), &tokens, &tenant, renew);
    Setup { xero, credentials }
}

async fn connected() -> Setup {
    setup(|_| {}, SCOPES, Renew::Refresh).await
}

fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap()
}

fn month_end(date: NaiveDate) -> NaiveDate {
    month_start(date) + Months::new(1) - Days::new(1)
}

fn report(reports: &[providers::FetchedReport], kind: ReportKind) -> &Value {
    &reports
        .iter()
        .find(|r| r.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?}"))
        .payload
}

#[tokio::test]
async fn xero_financials_are_the_books_month_by_month() {
    let setup = connected().await;
    let books = setup.books();
    let pacer = Arc::new(CountingPacer::default());
    let provider = setup.provider(|_| {}).with_pacer(pacer.clone());
    let reports = setup.fetch(&provider, DataType::Financials).await.unwrap();
    assert_eq!(
        reports.iter().map(|r| r.kind).collect::<Vec<_>>(),
        DataType::Financials.reports()
    );

    let pnl = report(&reports, ReportKind::ProfitAndLoss);
    assert_eq!(pnl["currency"], "GBP");
    assert_eq!(pnl["companyName"], "Acme Ltd");
    let periods = pnl["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 12);
    let first = month_start(books.today) - Months::new(11);
    for (k, period) in periods.iter().enumerate() {
        let month = first + Months::new(k as u32);
        let expected = books.profit_and_loss_month(month);
        assert_eq!(period["fromDate"], month.to_string());
        assert_eq!(period["toDate"], month_end(month).to_string());
        assert_eq!(
            number(&period["income"]["total"]),
            units(expected.income(books)),
            "{month}"
        );
        assert_eq!(
            number(&period["costOfSales"]["total"]),
            units(expected.cost_of_sales(books))
        );
        assert_eq!(
            number(&period["grossProfit"]),
            units(expected.gross_profit(books))
        );
        assert_eq!(
            number(&period["expenses"]["total"]),
            units(expected.operating_expenses(books))
        );
        assert_eq!(
            number(&period["netProfit"]),
            units(expected.net_profit(books))
        );
        // Each account in its section, with its own figure.
        let expenses = period["expenses"]["accounts"].as_array().unwrap();
        for (index, amount) in &expected.lines {
            let account = &books.accounts[*index];
            if account.class != fakes::books::AccountClass::Expense {
                continue;
            }
            let line = expenses
                .iter()
                .find(|a| a["name"] == account.name)
                .unwrap_or_else(|| panic!("no {} in {month}", account.name));
            assert_eq!(number(&line["value"]), units(*amount));
        }
    }

    let sheet = report(&reports, ReportKind::BalanceSheet);
    assert_eq!(sheet["currency"], "GBP");
    let statements = sheet["reports"].as_array().unwrap();
    assert_eq!(statements.len(), 12);
    for (k, statement) in statements.iter().enumerate() {
        let date = month_end(first + Months::new(k as u32)).min(books.today);
        let expected = books.balance_sheet(date);
        assert_eq!(statement["date"], date.to_string());
        assert_eq!(
            number(&statement["assets"]["total"]),
            units(expected.total_assets),
            "{date}"
        );
        assert_eq!(
            number(&statement["liabilities"]["total"]),
            units(expected.total_liabilities)
        );
        assert_eq!(
            number(&statement["equity"]["total"]),
            units(expected.total_equity)
        );
        assert_eq!(
            number(&statement["netAssets"]),
            units(expected.net_assets())
        );
        let payable = statement["liabilities"]["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "Accounts Payable")
            .unwrap();
        assert_eq!(number(&payable["value"]), units(expected.accounts_payable));
        assert_eq!(statement["assets"]["accounts"].as_array().unwrap().len(), 3);
    }

    // One request per report (two balance sheets unless today is a month end), each
    // after a turn of the organisation's pacer.
    let counters = setup.xero.counters();
    assert_eq!(counters.calls["Reports/ProfitAndLoss"], 1);
    let sheets = if books.today == month_end(books.today) {
        1
    } else {
        2
    };
    assert_eq!(counters.calls["Reports/BalanceSheet"], sheets);
    let tenant = setup.xero.organisations()[0].tenant_id.to_string();
    let turns = pacer.turns.lock().unwrap().clone();
    assert_eq!(turns.len() as u64, 2 + sheets);
    assert!(turns.iter().all(|t| *t == tenant));
}

#[tokio::test]
async fn xero_spend_detail_is_every_bill_across_pages_and_the_payments_on_them() {
    let setup = connected().await;
    let books = setup.books();
    let provider = setup.provider(|_| {});
    let reports = setup.fetch(&provider, DataType::SpendDetail).await.unwrap();
    assert_eq!(
        reports.iter().map(|r| r.kind).collect::<Vec<_>>(),
        DataType::SpendDetail.reports()
    );

    let suppliers = report(&reports, ReportKind::Suppliers);
    assert_eq!(suppliers["currency"], "GBP");
    let listed = suppliers["results"].as_array().unwrap();
    assert_eq!(listed.len(), books.suppliers().count());
    for contact in books.suppliers() {
        let found = listed
            .iter()
            .find(|s| s["id"] == contact.id.to_string())
            .unwrap();
        assert_eq!(found["supplierName"], contact.name.as_str());
        assert_eq!(found["emailAddress"], contact.email.as_str());
        assert_eq!(found["defaultCurrency"], contact.currency.as_str());
        assert_eq!(found["status"], "Active");
        assert_eq!(
            found["paymentTerms"],
            format!("Net {}", contact.payment_terms_days)
        );
    }

    let bills = report(&reports, ReportKind::Bills);
    assert_eq!(bills["currency"], "GBP");
    let bills = bills["results"].as_array().unwrap();
    let count = books.bills().count();
    assert!(count > 100, "the books have more than one page of bills");
    assert_eq!(bills.len(), count);
    let by_id: HashMap<&str, &Value> = bills
        .iter()
        .map(|b| (b["id"].as_str().unwrap(), b))
        .collect();
    assert_eq!(by_id.len(), count, "no bill twice");
    for expected in books.bills() {
        let bill = by_id[expected.id.to_string().as_str()];
        let contact = &books.contacts[expected.contact];
        assert_eq!(bill["reference"], expected.doc_number.as_str());
        assert_eq!(bill["supplierRef"]["id"], contact.id.to_string());
        assert_eq!(bill["supplierRef"]["supplierName"], contact.name.as_str());
        assert_eq!(bill["issueDate"], expected.date.to_string());
        assert_eq!(bill["dueDate"], expected.due_date.to_string());
        assert_eq!(bill["currency"], expected.currency.as_str());
        assert_eq!(number(&bill["totalAmount"]), units(expected.total));
        assert_eq!(number(&bill["amountDue"]), units(expected.amount_due()));
        let status = if expected.is_paid() {
            "Paid"
        } else if expected.amount_paid > 0 {
            "PartiallyPaid"
        } else {
            "Open"
        };
        assert_eq!(bill["status"], status);
        let lines = bill["lineItems"].as_array().unwrap();
        assert_eq!(lines.len(), expected.lines.len());
        for (line, want) in lines.iter().zip(&expected.lines) {
            assert_eq!(line["accountName"], books.accounts[want.account].name);
            assert_eq!(number(&line["totalAmount"]), units(want.amount));
        }
    }
    assert!(
        bills.iter().any(|b| b["currency"] != "GBP"),
        "amounts keep their currency"
    );

    let payments = report(&reports, ReportKind::BillPayments);
    let payments = payments["results"].as_array().unwrap();
    assert_eq!(payments.len(), books.bill_payments().count());
    for expected in books.bill_payments() {
        let payment = payments
            .iter()
            .find(|p| p["id"] == expected.id.to_string())
            .unwrap();
        let bill = &books.invoices[expected.invoice];
        assert_eq!(payment["date"], expected.date.to_string());
        assert_eq!(number(&payment["totalAmount"]), units(expected.amount));
        assert_eq!(payment["currency"], bill.currency.as_str());
        assert_eq!(payment["lines"][0]["billId"], bill.id.to_string());
        assert_eq!(
            payment["supplierRef"]["id"],
            books.contacts[bill.contact].id.to_string()
        );
    }

    // 100 bills a page, and no page more than needed.
    let counters = setup.xero.counters();
    assert_eq!(counters.calls["Invoices"], count.div_ceil(100) as u64);
    assert_eq!(counters.rate_limited, 0);
}

#[tokio::test]
async fn xero_429_is_waited_out_as_retry_after_says() {
    let setup = setup(
        |config| {
            config.limits = XeroLimits {
                per_minute: 2,
                minute: Duration::from_secs(2),
                ..XeroLimits::default()
            }
        },
        SCOPES,
        Renew::Refresh,
    )
    .await;
    let provider = setup.provider(|config| config.slow_down_below = 0);
    let started = Instant::now();
    let reports = setup.fetch(&provider, DataType::Financials).await.unwrap();
    assert_eq!(
        report(&reports, ReportKind::ProfitAndLoss)["periods"]
            .as_array()
            .unwrap()
            .len(),
        12
    );
    let counters = setup.xero.counters();
    assert!(counters.rate_limited_by["minute"] >= 1, "{counters:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was waited"
    );
}

#[tokio::test]
async fn xero_daily_limit_ends_the_attempt_saying_when_the_refresh_runs() {
    let setup = setup(
        |config| {
            config.limits = XeroLimits {
                per_day: 2,
                ..XeroLimits::default()
            }
        },
        SCOPES,
        Renew::Refresh,
    )
    .await;
    let provider = setup.provider(|config| config.slow_down_below = 0);
    let started = Instant::now();
    let error = assert_fails(
        setup.fetch(&provider, DataType::Financials).await,
        Retry::Transient,
        ErrorCode::ProviderUnavailable,
    );
    assert!(
        error.message.contains("daily limit") && error.message.contains("will run again after"),
        "{}",
        error.message
    );
    assert!(
        !error.message.to_lowercase().contains("fail"),
        "{}",
        error.message
    );
    // Not retried within the attempt: the limit lasts for hours, and the job's next
    // attempt waits for Xero's `Retry-After` (the end of its day).
    let wait = error.retry_after.expect("Xero's own wait");
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_secs(24 * 60 * 60),
        "{wait:?}"
    );
    assert_eq!(setup.xero.counters().rate_limited_by["daily"], 1);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn xero_expired_token_is_renewed_once_and_the_fetch_succeeds() {
    let setup = connected().await;
    let provider = setup.provider(|_| {});
    setup.xero.expire_access_tokens();
    let reports = setup.fetch(&provider, DataType::Financials).await.unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(setup.credentials.rejections(), 1);
    let counters = setup.xero.counters();
    assert_eq!(counters.token_refreshes, 1);
    assert_eq!(
        counters.calls["Organisation"], 2,
        "the refused request went again"
    );
}

#[tokio::test]
async fn xero_revoked_connection_is_permanent_access_revoked() {
    let setup = connected().await;
    let provider = setup.provider(|_| {});
    setup.xero.revoke_all_tokens();
    assert_fails(
        setup.fetch(&provider, DataType::SpendDetail).await,
        Retry::Permanent,
        ErrorCode::AccessRevoked,
    );
    assert_eq!(setup.credentials.rejections(), 1);
}

#[tokio::test]
async fn xero_token_refused_again_after_renewal_is_access_revoked() {
    let setup = setup(|_| {}, SCOPES, Renew::Same).await;
    let provider = setup.provider(|_| {});
    setup.xero.expire_access_tokens();
    let error = assert_fails(
        setup.fetch(&provider, DataType::Financials).await,
        Retry::Permanent,
        ErrorCode::AccessRevoked,
    );
    assert!(error.message.contains("Send a new information request"));
    assert_eq!(
        setup.credentials.rejections(),
        1,
        "renewed once, not in a loop"
    );
    assert_eq!(setup.xero.counters().calls["Organisation"], 2);
}

#[tokio::test]
async fn xero_organisation_no_longer_connected_is_permanent() {
    let setup = connected().await;
    // A token whose user never connected the third organisation: Xero answers 403.
    let other = setup.xero.organisations()[2].tenant_id.to_string();
    let token = setup
        .credentials
        .grant(CompanyId::from_uuid(COMPANY))
        .await
        .unwrap()
        .access_token;
    let tokens = serde_json::json!({"access_token": token, "refresh_token": "unused"});
    let credentials = FakeCredentials::new(setup.xero.token_url(), &tokens, &other, Renew::Refresh);
    let provider = XeroProvider::new(
        XeroApiConfig::new(setup.xero.base_url()),
        credentials.clone(),
    )
    .unwrap();
    assert_fails(
        setup.fetch(&provider, DataType::Financials).await,
        Retry::Permanent,
        ErrorCode::AccessRevoked,
    );
    assert_eq!(credentials.rejections(), 0, "a 403 is not a token problem");
}

#[tokio::test]
async fn xero_malformed_json_is_invalid_data_after_the_retries() {
    let setup = connected().await;
    let provider = setup.provider(|config| config.request_retries = 2);
    setup.xero.inject(FaultTarget::Api, Fault::MalformedJson, 3);
    let error = assert_fails(
        setup.fetch(&provider, DataType::SpendDetail).await,
        Retry::Transient,
        ErrorCode::InvalidData,
    );
    assert!(error.message.contains("Xero"), "{}", error.message);

    // Once is retried past.
    setup.xero.inject(FaultTarget::Api, Fault::MalformedJson, 1);
    assert!(setup.fetch(&provider, DataType::Financials).await.is_ok());
}

#[tokio::test]
async fn xero_server_errors_and_timeouts_are_transient() {
    let setup = connected().await;
    let provider = setup.provider(|config| config.request_retries = 2);
    setup
        .xero
        .inject(FaultTarget::Api, Fault::Status { status: 503 }, 1);
    assert!(setup.fetch(&provider, DataType::Financials).await.is_ok());

    setup
        .xero
        .inject(FaultTarget::Api, Fault::Status { status: 503 }, 3);
    assert_fails(
        setup.fetch(&provider, DataType::Financials).await,
        Retry::Transient,
        ErrorCode::ProviderUnavailable,
    );

    let impatient = setup.provider(|config| {
        config.timeout = Duration::from_millis(300);
        config.request_retries = 1;
    });
    setup
        .xero
        .inject(FaultTarget::Api, Fault::slow(Duration::from_secs(2)), 2);
    assert_fails(
        setup.fetch(&impatient, DataType::Financials).await,
        Retry::Transient,
        ErrorCode::TimedOut,
    );
}

#[tokio::test]
async fn xero_slows_down_when_few_calls_are_left() {
    let setup = connected().await;
    let provider = setup.provider(|config| {
        // Xero's headers always say fewer calls are left than this.
        config.slow_down_below = 1_000_000;
        config.slow_down_interval = Duration::from_millis(300);
    });
    let started = Instant::now();
    setup.fetch(&provider, DataType::Financials).await.unwrap();
    // At least three requests, so at least two pauses.
    assert!(started.elapsed() >= Duration::from_millis(600));
}

#[tokio::test]
async fn xero_without_the_settings_scope_reports_have_no_currency_and_lines_name_codes() {
    let setup = setup(|_| {}, WITHOUT_SETTINGS, Renew::Refresh).await;
    let books = setup.books();
    let provider = setup.provider(|_| {});
    let financials = setup.fetch(&provider, DataType::Financials).await.unwrap();
    assert!(report(&financials, ReportKind::ProfitAndLoss)["currency"].is_null());
    let spend = setup.fetch(&provider, DataType::SpendDetail).await.unwrap();
    let bills = report(&spend, ReportKind::Bills)["results"]
        .as_array()
        .unwrap();
    let first = books.bills().next().unwrap();
    let bill = bills
        .iter()
        .find(|b| b["id"] == first.id.to_string())
        .unwrap();
    assert_eq!(
        bill["lineItems"][0]["accountName"],
        books.accounts[first.lines[0].account].code
    );
    assert_eq!(setup.credentials.rejections(), 0);
}
