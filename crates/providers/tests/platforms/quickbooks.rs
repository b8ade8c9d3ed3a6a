//! `QuickBooksProvider` against the fake QuickBooks Online.

use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{Datelike, Days, Months, NaiveDate};
use domain::{CompanyId, DataType, ErrorCode, ReportKind};
use fakes::{
    FakeQuickBooks, Fault, FaultTarget, QuickBooksConfig, books::Books,
    quickbooks::QuickBooksLimits,
};
use providers::{
    Credentials as _, FetchError, FetchedReport, QuickBooksApiConfig, QuickBooksProvider, Retry,
};
use serde_json::Value;

use super::{
    CLIENT_ID, CLIENT_SECRET, COMPANY, CountingPacer, FakeCredentials, REDIRECT_URI, Renew,
    assert_fails, connect, fetch, number, units,
};

struct Setup {
    qbo: FakeQuickBooks,
    realm: String,
    credentials: Arc<FakeCredentials>,
}

impl Setup {
    fn books(&self) -> &Books {
        self.qbo.books(&self.realm).unwrap()
    }

    fn provider(&self, customize: impl FnOnce(&mut QuickBooksApiConfig)) -> QuickBooksProvider {
        let mut config = QuickBooksApiConfig {
            timeout: Duration::from_secs(5),
            request_retries: 2,
            max_retry_after: Duration::from_secs(5),
            ..QuickBooksApiConfig::new(self.qbo.base_url())
        };
        customize(&mut config);
        QuickBooksProvider::new(config, self.credentials.clone()).unwrap()
    }

    async fn fetch(
        &self,
        provider: &QuickBooksProvider,
        data_type: DataType,
    ) -> Result<Vec<FetchedReport>, FetchError> {
        fetch(provider, data_type, self.qbo.clock().now()).await
    }
}

/// The fake with its second company (in Canadian dollars) connected.
async fn setup(customize: impl FnOnce(&mut QuickBooksConfig), renew: Renew) -> Setup {
    let mut config = QuickBooksConfig::new(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI);
    customize(&mut config);
    let qbo = FakeQuickBooks::start(config).unwrap();
    let realm = qbo.companies()[1].realm_id.clone();
    let tokens = connect(
        &qbo.authorize_url(),
        &qbo.token_url(),
        &[("scope", "com.intuit.quickbooks.accounting")],
        &[("decision", "connect"), ("realm", &realm)],
    )
    .await;
    let credentials = FakeCredentials::new(qbo.token_url(), &tokens, &realm, renew);
    Setup {
        qbo,
        realm,
        credentials,
    }
}

async fn connected() -> Setup {
    setup(|_| {}, Renew::Refresh).await
}

fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap()
}

fn month_end(date: NaiveDate) -> NaiveDate {
    month_start(date) + Months::new(1) - Days::new(1)
}

fn report(reports: &[FetchedReport], kind: ReportKind) -> &Value {
    &reports
        .iter()
        .find(|r| r.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?}"))
        .payload
}

#[tokio::test]
async fn quickbooks_financials_are_the_books_month_by_month() {
    let setup = connected().await;
    let books = setup.books();
    let pacer = Arc::new(CountingPacer::default());
    let provider = setup.provider(|_| {}).with_pacer(pacer.clone());
    let reports = setup.fetch(&provider, DataType::Financials).await.unwrap();

    let pnl = report(&reports, ReportKind::ProfitAndLoss);
    assert_eq!(pnl["currency"], "CAD");
    assert_eq!(pnl["reportBasis"], "Accrual");
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
        let income: f64 = period["income"]["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| number(&a["value"]))
            .sum();
        assert!((income - units(expected.income(books))).abs() < 0.005);
    }

    let sheet = report(&reports, ReportKind::BalanceSheet);
    assert_eq!(sheet["currency"], "CAD");
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
    }

    let counters = setup.qbo.counters();
    assert_eq!(counters.calls["reports/ProfitAndLoss"], 1);
    assert_eq!(counters.calls["reports/BalanceSheet"], 1);
    assert_eq!(*pacer.turns.lock().unwrap(), vec![setup.realm.clone(); 2]);
}

#[tokio::test]
async fn quickbooks_spend_detail_pages_through_every_bill_and_payment() {
    let setup = connected().await;
    let books = setup.books();
    let provider = setup.provider(|config| config.page_size = 50);
    let reports = setup.fetch(&provider, DataType::SpendDetail).await.unwrap();

    let suppliers = report(&reports, ReportKind::Suppliers);
    assert_eq!(suppliers["currency"], "CAD");
    let listed = suppliers["results"].as_array().unwrap();
    assert_eq!(listed.len(), books.suppliers().count());
    for contact in books.suppliers() {
        let found = listed
            .iter()
            .find(|s| s["supplierName"] == contact.name.as_str())
            .unwrap();
        assert_eq!(found["emailAddress"], contact.email.as_str());
        assert_eq!(found["defaultCurrency"], contact.currency.as_str());
        assert_eq!(found["status"], "Active");
    }

    let bills = report(&reports, ReportKind::Bills);
    assert_eq!(bills["currency"], "CAD");
    let bills = bills["results"].as_array().unwrap();
    let count = books.bills().count();
    assert!(count > 100);
    assert_eq!(bills.len(), count);
    let by_id: HashMap<&str, &Value> = bills
        .iter()
        .map(|b| (b["id"].as_str().unwrap(), b))
        .collect();
    for expected in books.bills() {
        // The fake numbers QuickBooks's ids from 1001, in the books' order.
        let bill = by_id[(1000 + expected.number).to_string().as_str()];
        assert_eq!(bill["reference"], expected.doc_number.as_str());
        assert_eq!(bill["issueDate"], expected.date.to_string());
        assert_eq!(
            bill["supplierRef"]["supplierName"],
            books.contacts[expected.contact].name.as_str()
        );
        assert_eq!(bill["dueDate"], expected.due_date.to_string());
        assert_eq!(bill["currency"], expected.currency.as_str());
        assert_eq!(number(&bill["totalAmount"]), units(expected.total));
        assert_eq!(number(&bill["amountDue"]), units(expected.amount_due()));
        let lines = bill["lineItems"].as_array().unwrap();
        assert_eq!(lines.len(), expected.lines.len());
        for (line, want) in lines.iter().zip(&expected.lines) {
            assert_eq!(
                line["accountRef"]["name"],
                books.accounts[want.account].name
            );
            assert_eq!(number(&line["totalAmount"]), units(want.amount));
        }
    }

    let payments = report(&reports, ReportKind::BillPayments)["results"]
        .as_array()
        .unwrap();
    assert_eq!(payments.len(), books.bill_payments().count());
    let bill_ids: Vec<&str> = bills.iter().map(|b| b["id"].as_str().unwrap()).collect();
    let paid: f64 = payments.iter().map(|p| number(&p["totalAmount"])).sum();
    let expected: i64 = books.bill_payments().map(|p| p.amount).sum();
    assert!((paid - units(expected)).abs() < 0.005);
    for payment in payments {
        let bill = payment["lines"][0]["billId"].as_str().unwrap();
        assert!(bill_ids.contains(&bill), "{payment}");
        assert!(
            ["Bank account", "Credit card"].contains(&payment["paymentMethod"].as_str().unwrap())
        );
    }

    // 50 rows a page: every page of bills, and one short (or empty) page to end.
    let counters = setup.qbo.counters();
    assert_eq!(counters.calls["query:Bill"], (count / 50 + 1) as u64);
}

#[tokio::test]
async fn quickbooks_throttling_is_waited_out() {
    let setup = setup(
        |config| {
            config.limits = QuickBooksLimits {
                per_minute: 2,
                minute: Duration::from_secs(1),
                ..QuickBooksLimits::default()
            }
        },
        Renew::Refresh,
    )
    .await;
    let provider = setup.provider(|config| config.request_retries = 5);
    let reports = setup.fetch(&provider, DataType::SpendDetail).await.unwrap();
    assert_eq!(reports.len(), 3);
    assert!(setup.qbo.counters().rate_limited >= 1);

    // Without retries the throttle ends the attempt, as a transient error.
    let impatient = setup.provider(|config| config.request_retries = 0);
    let error = assert_fails(
        setup.fetch(&impatient, DataType::SpendDetail).await,
        Retry::Transient,
        ErrorCode::ProviderUnavailable,
    );
    assert!(error.message.contains("slow down"), "{}", error.message);
}

#[tokio::test]
async fn quickbooks_expired_token_is_renewed_once_and_the_fetch_succeeds() {
    let setup = connected().await;
    let provider = setup.provider(|_| {});
    setup.qbo.expire_access_tokens();
    setup.fetch(&provider, DataType::SpendDetail).await.unwrap();
    assert_eq!(setup.credentials.rejections(), 1);
    assert_eq!(setup.qbo.counters().token_refreshes, 1);
}

#[tokio::test]
async fn quickbooks_revoked_connection_is_permanent_access_revoked() {
    let setup = connected().await;
    let provider = setup.provider(|_| {});
    setup.qbo.revoke_all_tokens();
    assert_fails(
        setup.fetch(&provider, DataType::Financials).await,
        Retry::Permanent,
        ErrorCode::AccessRevoked,
    );
    assert_eq!(setup.credentials.rejections(), 1);

    let stale = self::setup(|_| {}, Renew::Same).await;
    stale.qbo.expire_access_tokens();
    assert_fails(
        stale
            .fetch(&stale.provider(|_| {}), DataType::Financials)
            .await,
        Retry::Permanent,
        ErrorCode::AccessRevoked,
    );
    assert_eq!(stale.credentials.rejections(), 1);
}

#[tokio::test]
async fn quickbooks_another_company_is_access_denied() {
    let setup = connected().await;
    let token = setup
        .credentials
        .grant(CompanyId::from_uuid(COMPANY))
        .await
        .unwrap()
        .access_token;
    let other = setup.qbo.companies()[0].realm_id.clone();
    let credentials = FakeCredentials::new(
        setup.qbo.token_url(),
        &serde_json::json!({"access_token": token, "refresh_token": "unused"}),
        &other,
        Renew::Refresh,
    );
    let provider = QuickBooksProvider::new(
        QuickBooksApiConfig::new(setup.qbo.base_url()),
        credentials.clone(),
    )
    .unwrap();
    assert_fails(
        setup.fetch(&provider, DataType::SpendDetail).await,
        Retry::Permanent,
        ErrorCode::AccessDenied,
    );
    assert_eq!(credentials.rejections(), 0);
}

#[tokio::test]
async fn quickbooks_malformed_json_and_server_errors() {
    let setup = connected().await;
    let provider = setup.provider(|config| config.request_retries = 1);
    setup.qbo.inject(FaultTarget::Api, Fault::MalformedJson, 2);
    assert_fails(
        setup.fetch(&provider, DataType::SpendDetail).await,
        Retry::Transient,
        ErrorCode::InvalidData,
    );
    setup
        .qbo
        .inject(FaultTarget::Api, Fault::Status { status: 500 }, 2);
    assert_fails(
        setup.fetch(&provider, DataType::Financials).await,
        Retry::Transient,
        ErrorCode::ProviderUnavailable,
    );
    // One of each is retried past (two retries of the same request).
    setup.qbo.inject(FaultTarget::Api, Fault::MalformedJson, 1);
    setup
        .qbo
        .inject(FaultTarget::Api, Fault::Status { status: 503 }, 1);
    let patient = setup.provider(|config| config.request_retries = 2);
    setup.fetch(&patient, DataType::Financials).await.unwrap();
}
