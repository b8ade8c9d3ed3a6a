//! The `http` provider against a real HTTP server on loopback (wiremock) that plays the
//! upstream accounting-data API, including its faults.
//!
//! This is the crate's one test binary: the OAuth platforms' providers against the fakes
//! of Xero and QuickBooks are in `platforms/`.

mod platforms;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{TimeZone, Utc};
use domain::{CompanyId, DataType, ErrorCode, ReportKind};
use providers::{
    FetchError, FetchRequest, FetchedReport, HttpConfig, HttpProvider, Provider, Retry,
    UpstreamCompanies, UpstreamIdFuture,
};
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::{
    Mock, MockBuilder, MockServer, ResponseTemplate,
    matchers::{header, method, path, query_param},
};

const COMPANY: Uuid = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0042);
/// The company's id at the partner: its own, never Spendlens's.
const UPSTREAM_ID: &str = "8a210b68-6988-11ed-a1eb-0242ac120002";

fn company_path(rest: &str) -> String {
    format!("/companies/{UPSTREAM_ID}{rest}")
}

/// The partner knows `COMPANY` as `UPSTREAM_ID`, and no other company.
struct Directory;

impl UpstreamCompanies for Directory {
    fn upstream_id(&self, company: CompanyId) -> UpstreamIdFuture<'_> {
        Box::pin(async move {
            if company == CompanyId::from_uuid(COMPANY) {
                Ok(UPSTREAM_ID.to_owned())
            } else {
                Err(FetchError::permanent(
                    ErrorCode::AccessRevoked,
                    "not connected at the partner",
                ))
            }
        })
    }
}

fn config(server: &MockServer) -> HttpConfig {
    HttpConfig {
        timeout: Duration::from_millis(500),
        request_retries: 2,
        page_size: 2,
        max_body_bytes: 64 * 1024,
        ..HttpConfig::new(server.uri(), "test-key")
    }
}

async fn fetch(server: &MockServer, data_type: DataType) -> Result<Vec<FetchedReport>, FetchError> {
    fetch_with(config(server), data_type).await
}

async fn fetch_with(
    config: HttpConfig,
    data_type: DataType,
) -> Result<Vec<FetchedReport>, FetchError> {
    HttpProvider::new(config, Arc::new(Directory))
        .unwrap()
        .fetch(FetchRequest {
            company: CompanyId::from_uuid(COMPANY),
            company_name: "Acme Ltd".to_owned(),
            data_type,
            as_of: Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap(),
        })
        .await
}

/// A mock of GET `rest` under the company.
fn get(rest: &str) -> MockBuilder {
    Mock::given(method("GET")).and(path(company_path(rest)))
}

/// An upstream where the company is linked and `mock` answers.
async fn linked_and(mock: Mock) -> MockServer {
    let server = MockServer::start().await;
    linked(&server).await;
    mock.mount(&server).await;
    server
}

async fn linked(server: &MockServer) {
    get("/connections")
        .and(header("authorization", "Basic test-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "results": [{"id": "c1", "platformName": "Xero", "status": "Linked"}]
        })))
        .mount(server)
        .await;
}

fn line(name: &str, value: f64, items: &[(&str, f64)]) -> Value {
    json!({"name": name, "value": value, "items": items.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>()})
}

async fn financials(server: &MockServer) {
    get("/data/financials/profitAndLoss")
        .and(query_param("periodLength", "1"))
        .and(query_param("periodsToCompare", "12"))
        .and(query_param("startMonth", "2025-12-01"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "reportBasis": "Accrual", "currency": "GBP",
            "reports": [
                {"fromDate": "2026-11-01", "toDate": "2026-11-30", "income": line("Income", 1000.0, &[("Sales", 1000.0)]),
                 "costOfSales": line("Cost of sales", 400.0, &[]), "grossProfit": 600.0,
                 "expenses": line("Expenses", 200.0, &[("Rent", 200.0)]), "netOperatingProfit": 400.0, "netProfit": 400.0},
                {"fromDate": "2026-10-01", "toDate": "2026-10-31", "income": line("Income", 900.0, &[]),
                 "costOfSales": line("Cost of sales", 300.0, &[]), "grossProfit": 600.0,
                 "expenses": line("Expenses", 100.0, &[]), "netOperatingProfit": 500.0, "netProfit": 500.0}
            ]
        })))
        .mount(server)
        .await;
}

async fn balance_sheet(server: &MockServer, response: ResponseTemplate) {
    get("/data/financials/balanceSheet")
        .respond_with(response)
        .mount(server)
        .await;
}

fn good_balance_sheet() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "currency": "GBP",
        "reports": [{"date": "2026-11-30", "assets": line("Assets", 500.0, &[("Cash", 500.0)]),
                     "liabilities": line("Liabilities", 200.0, &[]), "equity": line("Equity", 300.0, &[]), "netAssets": 300.0}]
    }))
}

#[tokio::test]
async fn financials_are_fetched_and_shaped_like_the_sandbox_reports() {
    let server = MockServer::start().await;
    linked(&server).await;
    financials(&server).await;
    balance_sheet(&server, good_balance_sheet()).await;
    let reports = fetch(&server, DataType::Financials).await.unwrap();
    assert_eq!(
        reports.iter().map(|r| r.kind).collect::<Vec<_>>(),
        [ReportKind::ProfitAndLoss, ReportKind::BalanceSheet]
    );
    let pl = &reports[0].payload;
    assert_eq!(pl["currency"], "GBP");
    assert_eq!(pl["periods"][0]["fromDate"], "2026-10-01", "oldest first");
    assert_eq!(pl["periods"][1]["income"]["total"], 1000.0);
    assert_eq!(
        pl["periods"][1]["income"]["accounts"][0],
        json!({"name": "Sales", "value": 1000.0})
    );
    assert_eq!(pl["periods"][1]["netProfit"], 400.0);
    let bs = &reports[1].payload;
    assert_eq!(bs["reports"][0]["assets"]["total"], 500.0);
    assert_eq!(bs["reports"][0]["netAssets"], 300.0);
}

#[tokio::test]
async fn paged_lists_are_followed_to_the_end() {
    let server = MockServer::start().await;
    linked(&server).await;
    for dataset in ["suppliers", "bills", "billPayments"] {
        get(&format!("/data/{dataset}"))
            .and(query_param("page", "1"))
            .and(query_param("pageSize", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "results": [{"id": format!("{dataset}-1"), "currency": "EUR"}, {"id": format!("{dataset}-2")}],
                "pageNumber": 1, "pageSize": 2, "totalResults": 3,
                "_links": {"self": {"href": "x"}, "current": {"href": "x"}, "next": {"href": "page=2"}}
            })))
            .mount(&server)
            .await;
        get(&format!("/data/{dataset}"))
            .and(query_param("page", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "results": [{"id": format!("{dataset}-3")}],
                "pageNumber": 2, "pageSize": 2, "totalResults": 3,
                "_links": {"self": {"href": "x"}, "current": {"href": "x"}, "previous": {"href": "page=1"}}
            })))
            .mount(&server)
            .await;
    }
    let reports = fetch(&server, DataType::SpendDetail).await.unwrap();
    assert_eq!(
        reports.iter().map(|r| r.kind).collect::<Vec<_>>(),
        [
            ReportKind::Suppliers,
            ReportKind::Bills,
            ReportKind::BillPayments
        ]
    );
    for report in &reports {
        assert_eq!(
            report.payload["results"].as_array().unwrap().len(),
            3,
            "{}",
            report.payload
        );
        assert_eq!(report.payload["currency"], "EUR");
    }
}

fn assert_fails(
    result: Result<Vec<FetchedReport>, FetchError>,
    retry: Retry,
    code: ErrorCode,
) -> FetchError {
    let error = result.expect_err("the fetch should fail");
    assert_eq!((error.retry, error.code), (retry, code), "{error}");
    error
}

#[tokio::test]
async fn refused_credentials_are_permanent_and_keep_the_correlation_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "statusCode": 401, "service": "PublicApi", "error": "Unauthorized", "correlationId": "corr-123"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let error = assert_fails(
        fetch(&server, DataType::Financials).await,
        Retry::Permanent,
        ErrorCode::AccessDenied,
    );
    assert!(error.message.contains("corr-123"), "{}", error.message);
}

#[tokio::test]
async fn a_deauthorized_connection_means_access_was_revoked() {
    let server = MockServer::start().await;
    get("/connections")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "c1", "platformName": "Xero", "status": "Deauthorized"}
        ])))
        .mount(&server)
        .await;
    let error = assert_fails(
        fetch(&server, DataType::SpendDetail).await,
        Retry::Permanent,
        ErrorCode::AccessRevoked,
    );
    assert!(error.message.contains("Send a new information request"));
}

#[tokio::test]
async fn a_data_type_the_platform_lacks_is_not_supported() {
    let server = MockServer::start().await;
    linked(&server).await;
    financials(&server).await;
    balance_sheet(&server, ResponseTemplate::new(404)).await;
    assert_fails(
        fetch(&server, DataType::Financials).await,
        Retry::Permanent,
        ErrorCode::NotSupported,
    );
}

#[tokio::test]
async fn rate_limits_are_waited_out_as_retry_after_says() {
    let server = MockServer::start().await;
    linked(&server).await;
    financials(&server).await;
    get("/data/financials/balanceSheet")
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    balance_sheet(&server, good_balance_sheet()).await;
    let started = Instant::now();
    let reports = fetch(&server, DataType::Financials).await.unwrap();
    assert_eq!(reports.len(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_retry_after_longer_than_allowed_ends_the_attempt_as_transient() {
    let server = linked_and(
        get("/data/financials/profitAndLoss")
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
            .expect(1),
    )
    .await;
    assert_fails(
        fetch(&server, DataType::Financials).await,
        Retry::Transient,
        ErrorCode::ProviderUnavailable,
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_transient() {
    let server = linked_and(
        get("/data/financials/profitAndLoss")
            .respond_with(ResponseTemplate::new(503))
            .expect(3), // the first try and two retries
    )
    .await;
    assert_fails(
        fetch(&server, DataType::Financials).await,
        Retry::Transient,
        ErrorCode::ProviderUnavailable,
    );
}

#[tokio::test]
async fn a_dataset_not_ready_is_transient() {
    let server = linked_and(
        get("/data/suppliers").respond_with(
            ResponseTemplate::new(409)
                .set_body_json(json!({"statusCode": 409, "error": "Dataset not ready"})),
        ),
    )
    .await;
    assert_fails(
        fetch(&server, DataType::SpendDetail).await,
        Retry::Transient,
        ErrorCode::ProviderUnavailable,
    );
}

#[tokio::test]
async fn slow_answers_time_out() {
    let server = linked_and(
        get("/data/financials/profitAndLoss").respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(2))
                .set_body_json(json!({"reports": []})),
        ),
    )
    .await;
    assert_fails(
        fetch(&server, DataType::Financials).await,
        Retry::Transient,
        ErrorCode::TimedOut,
    );
}

#[tokio::test]
async fn malformed_json_is_invalid_data() {
    let server = linked_and(
        get("/data/financials/profitAndLoss")
            .respond_with(ResponseTemplate::new(200).set_body_string("{\"reports\": [oops")),
    )
    .await;
    assert_fails(
        fetch(&server, DataType::Financials).await,
        Retry::Transient,
        ErrorCode::InvalidData,
    );
    // Well-formed JSON of the wrong shape is refused too.
    let server = linked_and(
        get("/data/suppliers")
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"rows": []}))),
    )
    .await;
    assert_fails(
        fetch(&server, DataType::SpendDetail).await,
        Retry::Transient,
        ErrorCode::InvalidData,
    );
}

#[tokio::test]
async fn oversized_answers_are_refused_without_being_stored() {
    let huge = json!({"reports": [], "padding": "x".repeat(100 * 1024)});
    let server = linked_and(
        get("/data/financials/profitAndLoss")
            .respond_with(ResponseTemplate::new(200).set_body_json(huge)),
    )
    .await;
    let error = assert_fails(
        fetch(&server, DataType::Financials).await,
        Retry::Permanent,
        ErrorCode::InvalidData,
    );
    assert!(error.message.contains("not stored"));
}

#[tokio::test]
async fn an_unreachable_upstream_is_transient() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = HttpConfig {
        request_retries: 0,
        ..HttpConfig::new(format!("http://127.0.0.1:{port}"), "k")
    };
    assert_fails(
        fetch_with(config, DataType::Financials).await,
        Retry::Transient,
        ErrorCode::ProviderUnavailable,
    );
}
