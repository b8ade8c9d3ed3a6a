//! The fakes over HTTP, as a client sees them: OAuth 2.0 with PKCE, rotation, expiry,
//! revocation, paging, rate limits and faults. One test binary for the crate; the data
//! partner's tests are in `partner/mod.rs`.

mod partner;

use std::time::Duration;

use fakes::books::{Books, format_cents};
use fakes::xero::XeroLimits;
use fakes::{FakeXero, Fault, FaultTarget, XeroConfig};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, LOCATION};
use serde_json::Value;
use uuid::Uuid;

const CLIENT_ID: &str = "spendlens-client";
const CLIENT_SECRET: &str = "spendlens-secret";
const REDIRECT_URI: &str = "http://127.0.0.1:8080/api/v1/oauth/xero/callback";
// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const SCOPES: &str = "openid profile email offline_access accounting.transactions.read accounting.contacts.read accounting.reports.read";

fn http() -> reqwest::Client {
    // reqwest is built without a TLS provider of its own (the root Cargo.toml).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn xero_with(customize: impl FnOnce(&mut XeroConfig)) -> FakeXero {
    let mut config = XeroConfig::new(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI);
    customize(&mut config);
    FakeXero::start(config).unwrap()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The consent page's hidden request id.
fn request_id(html: &str) -> String {
    let start = html.find("name=\"request\" value=\"").unwrap() + 22;
    html[start..].split('"').next().unwrap().to_owned()
}

/// Opens the consent page and answers it; the redirect's URL.
async fn consent(xero: &FakeXero, tenants: &[Uuid], decision: &str) -> String {
    let http = http();
    let page = http
        .get(xero.authorize_url())
        .query(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("scope", SCOPES),
            ("state", "state-123"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let id = request_id(&html);
    let mut form = vec![("request", id), ("decision", decision.to_owned())];
    form.extend(tenants.iter().map(|t| ("tenant", t.to_string())));
    let answer = http
        .post(xero.authorize_url())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::FOUND);
    answer.headers()[LOCATION].to_str().unwrap().to_owned()
}

async fn token_request(xero: &FakeXero, form: &[(&str, &str)]) -> reqwest::Response {
    http()
        .post(xero.token_url())
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn exchange(xero: &FakeXero, code: &str, verifier: &str) -> reqwest::Response {
    token_request(
        xero,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier),
        ],
    )
    .await
}

/// A token set for `tenants`, through the whole flow.
async fn xero_tokens(xero: &FakeXero, tenants: &[Uuid]) -> Value {
    let location = consent(xero, tenants, "allow").await;
    let code = query_param(&location, "code").unwrap();
    let answer = exchange(xero, &code, VERIFIER).await;
    assert_eq!(answer.status(), StatusCode::OK);
    answer.json().await.unwrap()
}

async fn refresh(xero: &FakeXero, refresh_token: &str) -> reqwest::Response {
    token_request(
        xero,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

async fn xero_get(xero: &FakeXero, token: &str, tenant: Uuid, path: &str) -> reqwest::Response {
    http()
        .get(format!("{}/api.xro/2.0/{path}", xero.base_url()))
        .bearer_auth(token)
        .header("xero-tenant-id", tenant.to_string())
        .header(ACCEPT, "application/json")
        .send()
        .await
        .unwrap()
}

fn access(tokens: &Value) -> &str {
    tokens["access_token"].as_str().unwrap()
}

fn tenant(xero: &FakeXero, index: usize) -> Uuid {
    xero.organisations()[index].tenant_id
}

#[tokio::test]
async fn xero_authorization_code_flow_with_pkce() {
    let xero = xero_with(|_| {});
    let (first, second) = (tenant(&xero, 0), tenant(&xero, 1));

    // The consent page names every organisation the user can pick.
    let page = http()
        .get(xero.authorize_url())
        .query(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("scope", SCOPES),
            ("state", "s"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for organisation in xero.organisations() {
        assert!(page.contains(&organisation.name), "{page}");
    }
    assert!(page.contains("Allow access") && page.contains("Cancel"));

    // A wrong verifier is refused, and the code is spent.
    let location = consent(&xero, &[first, second], "allow").await;
    assert!(location.starts_with(REDIRECT_URI));
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some("state-123")
    );
    let code = query_param(&location, "code").unwrap();
    let wrong = exchange(&xero, &code, &"x".repeat(43)).await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    let again = exchange(&xero, &code, VERIFIER).await;
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );

    // The right verifier gets Xero's token set, once.
    let location = consent(&xero, &[first, second], "allow").await;
    let code = query_param(&location, "code").unwrap();
    let tokens: Value = exchange(&xero, &code, VERIFIER).await.json().await.unwrap();
    assert_eq!(tokens["expires_in"], 1800);
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["refresh_token"].is_string() && tokens["id_token"].is_string());
    let reused = exchange(&xero, &code, VERIFIER).await;
    assert_eq!(reused.status(), StatusCode::BAD_REQUEST);

    // The connections are the two organisations picked, from one authorization event.
    let connections: Vec<Value> = http()
        .get(format!("{}/connections", xero.base_url()))
        .bearer_auth(access(&tokens))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(connections.len(), 2);
    let names: Vec<&str> = connections
        .iter()
        .map(|c| c["tenantName"].as_str().unwrap())
        .collect();
    assert!(names.contains(&xero.organisations()[0].name.as_str()));
    assert!(
        connections.iter().all(|c| c["tenantType"] == "ORGANISATION"
            && c["authEventId"] == connections[0]["authEventId"])
    );

    // A tenant not connected is forbidden; the others answer.
    let third = xero_get(&xero, access(&tokens), tenant(&xero, 2), "Contacts").await;
    assert_eq!(third.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        xero_get(&xero, access(&tokens), first, "Contacts")
            .await
            .status(),
        StatusCode::OK
    );

    // Disconnecting one organisation (DELETE /connections/{id}) forbids it from then on.
    let id = connections
        .iter()
        .find(|c| c["tenantId"] == second.to_string())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deleted = http()
        .delete(format!("{}/connections/{id}", xero.base_url()))
        .bearer_auth(access(&tokens))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        xero_get(&xero, access(&tokens), second, "Contacts")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    let counters = xero.counters();
    assert_eq!(counters.code_exchanges, 1);
    assert_eq!(counters.authorization_codes, 2);
}

#[tokio::test]
async fn xero_refuses_unknown_clients_and_reports_a_refusal_to_the_app() {
    let xero = xero_with(|_| {});
    for (client, redirect) in [
        ("someone-else", REDIRECT_URI),
        (CLIENT_ID, "http://127.0.0.1:9/evil"),
    ] {
        let answer = http()
            .get(xero.authorize_url())
            .query(&[
                ("response_type", "code"),
                ("client_id", client),
                ("redirect_uri", redirect),
                ("scope", SCOPES),
                ("state", "s"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        assert!(
            answer.headers().get(LOCATION).is_none(),
            "no redirect to an unregistered URI"
        );
    }
    let location = consent(&xero, &[], "cancel").await;
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some("state-123")
    );
    assert!(query_param(&location, "code").is_none());

    let wrong_secret = http()
        .post(xero.token_url())
        .basic_auth(CLIENT_ID, Some("not-the-secret"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong_secret.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
}

#[tokio::test]
async fn xero_rotates_refresh_tokens() {
    // Strict rotation: an old refresh token is refused at once.
    let xero = xero_with(|config| config.refresh_token_grace = Duration::ZERO);
    let tokens = xero_tokens(&xero, &[tenant(&xero, 0)]).await;
    let first = tokens["refresh_token"].as_str().unwrap();
    let renewed: Value = refresh(&xero, first).await.json().await.unwrap();
    let second = renewed["refresh_token"].as_str().unwrap();
    assert_ne!(first, second);
    assert_ne!(renewed["access_token"], tokens["access_token"]);
    let old = refresh(&xero, first).await;
    assert_eq!(old.status(), StatusCode::BAD_REQUEST);
    assert_eq!(old.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(refresh(&xero, second).await.status(), StatusCode::OK);
    assert_eq!(xero.counters().token_refreshes, 2);

    // Xero's default: the old token works again for 30 minutes (same successor), then not.
    let xero = xero_with(|_| {});
    let tokens = xero_tokens(&xero, &[tenant(&xero, 0)]).await;
    let first = tokens["refresh_token"].as_str().unwrap();
    let a: Value = refresh(&xero, first).await.json().await.unwrap();
    let b: Value = refresh(&xero, first).await.json().await.unwrap();
    assert_eq!(a["refresh_token"], b["refresh_token"]);
    xero.clock().advance(Duration::from_secs(31 * 60));
    assert_eq!(
        refresh(&xero, first).await.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    assert_eq!(
        refresh(&xero, a["refresh_token"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn xero_tokens_expire_by_the_clock() {
    let xero = xero_with(|_| {});
    let organisation = tenant(&xero, 0);
    let tokens = xero_tokens(&xero, &[organisation]).await;
    assert_eq!(
        xero_get(&xero, access(&tokens), organisation, "Contacts")
            .await
            .status(),
        StatusCode::OK
    );

    xero.clock().advance(Duration::from_secs(1801));
    let expired = xero_get(&xero, access(&tokens), organisation, "Contacts").await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    let body: Value = expired.json().await.unwrap();
    assert_eq!(body["Title"], "Unauthorized");
    assert_eq!(body["Status"], 401);
    assert!(body["Type"].is_null());
    assert!(
        body["Detail"]
            .as_str()
            .unwrap()
            .starts_with("TokenExpired: token expired at ")
    );

    // A refresh token unused for 60 days is dead.
    let renewed: Value = refresh(&xero, tokens["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    xero.clock()
        .advance(Duration::from_secs(60 * 24 * 60 * 60 + 1));
    let stale = refresh(&xero, renewed["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        stale.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );

    // Expiring access tokens on demand.
    let tokens = xero_tokens(&xero, &[organisation]).await;
    xero.expire_access_tokens();
    assert_eq!(
        xero_get(&xero, access(&tokens), organisation, "Contacts")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn xero_revocation_ends_the_grant() {
    let xero = xero_with(|_| {});
    let organisation = tenant(&xero, 0);
    let tokens = xero_tokens(&xero, &[organisation]).await;
    let revoked = http()
        .post(xero.revocation_url())
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("token", tokens["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let later = refresh(&xero, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        later.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    assert_eq!(
        xero_get(&xero, access(&tokens), organisation, "Contacts")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // The handle's "revoke everything" does the same to every grant.
    let tokens = xero_tokens(&xero, &[organisation]).await;
    xero.revoke_all_tokens();
    let later = refresh(&xero, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        later.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
}

fn xero_date_millis(value: &Value) -> i64 {
    let text = value.as_str().unwrap();
    let inner = text
        .strip_prefix("/Date(")
        .unwrap()
        .strip_suffix("+0000)/")
        .unwrap();
    inner.parse().unwrap()
}

#[tokio::test]
async fn xero_pages_bills_100_at_a_time_and_matches_the_books() {
    let xero = xero_with(|_| {});
    let organisation = tenant(&xero, 0);
    let books: &Books = xero.books(organisation).unwrap();
    let tokens = xero_tokens(&xero, &[organisation]).await;
    let mut bills = Vec::new();
    let mut page = 1;
    loop {
        let answer: Value = xero_get(
            &xero,
            access(&tokens),
            organisation,
            &format!("Invoices?where=Type%3D%3D%22ACCPAY%22&page={page}"),
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(answer["Status"], "OK");
        assert_eq!(answer["pagination"]["page"], page);
        assert_eq!(answer["pagination"]["itemCount"], books.bills().count());
        let list = answer["Invoices"].as_array().unwrap().clone();
        assert!(list.len() <= 100);
        if list.is_empty() {
            break;
        }
        bills.extend(list);
        page += 1;
    }
    assert!(page >= 3, "more than one page of bills");
    assert_eq!(bills.len(), books.bills().count());
    assert!(
        bills
            .iter()
            .all(|bill| bill["Type"] == "ACCPAY"
                && !bill["LineItems"].as_array().unwrap().is_empty())
    );
    assert!(bills.iter().any(|bill| bill["CurrencyCode"] != "GBP"));
    for (bill, expected) in bills.iter().zip(books.bills()) {
        assert_eq!(bill["InvoiceID"], expected.id.to_string());
        assert_eq!(
            bill["Total"].as_f64().unwrap(),
            expected.total as f64 / 100.0
        );
        assert_eq!(
            xero_date_millis(&bill["Date"]),
            expected
                .date
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc()
                .timestamp_millis()
        );
    }

    // Suppliers and payments on bills.
    let suppliers: Value = xero_get(
        &xero,
        access(&tokens),
        organisation,
        "Contacts?where=IsSupplier%3D%3Dtrue",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        suppliers["Contacts"].as_array().unwrap().len(),
        books.suppliers().count()
    );
    assert!(
        suppliers.get("pagination").is_none(),
        "no paging without page"
    );
    let payments: Value = xero_get(
        &xero,
        access(&tokens),
        organisation,
        "Payments?where=PaymentType%3D%3D%22ACCPAYPAYMENT%22&page=1&pageSize=1000",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        payments["Payments"].as_array().unwrap().len(),
        books.bill_payments().count()
    );
}

/// The figures of the row labelled `label`, in any section.
fn row_values<'a>(report: &'a Value, label: &str) -> Vec<&'a str> {
    let sections = report["Reports"][0]["Rows"].as_array().unwrap();
    let row = sections
        .iter()
        .filter_map(|section| section["Rows"].as_array())
        .flatten()
        .find(|row| row["Cells"][0]["Value"] == label)
        .unwrap_or_else(|| panic!("no row {label}"));
    row["Cells"].as_array().unwrap()[1..]
        .iter()
        .map(|cell| cell["Value"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn xero_reports_are_the_books() {
    let xero = xero_with(|_| {});
    let organisation = tenant(&xero, 1);
    let books = xero.books(organisation).unwrap();
    let tokens = xero_tokens(&xero, &[organisation]).await;
    let from = books.today.with_day(1).unwrap();
    let to = (from + chrono::Months::new(1)) - chrono::Days::new(1);
    let pnl: Value = xero_get(
        &xero,
        access(&tokens),
        organisation,
        &format!("Reports/ProfitAndLoss?fromDate={from}&toDate={to}&periods=11&timeframe=MONTH"),
    )
    .await
    .json()
    .await
    .unwrap();
    let report = &pnl["Reports"][0];
    assert_eq!(report["ReportType"], "ProfitAndLoss");
    assert_eq!(report["Rows"][0]["RowType"], "Header");
    assert_eq!(report["Rows"][0]["Cells"].as_array().unwrap().len(), 13);
    let net = row_values(&pnl, "Net Profit");
    for (k, value) in net.iter().enumerate() {
        let month = from - chrono::Months::new(k as u32);
        let expected = books.profit_and_loss_month(month);
        assert_eq!(
            *value,
            format_cents(expected.net_profit(books)),
            "month {month}"
        );
    }

    let balance: Value = xero_get(
        &xero,
        access(&tokens),
        organisation,
        &format!(
            "Reports/BalanceSheet?date={}&periods=2&timeframe=MONTH",
            books.today
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    let sheet = books.balance_sheet(books.today);
    assert_eq!(
        row_values(&balance, "Total Assets")[0],
        format_cents(sheet.total_assets)
    );
    assert_eq!(
        row_values(&balance, "Accounts Payable")[0],
        format_cents(sheet.accounts_payable)
    );
    assert_eq!(
        row_values(&balance, "Total Equity")[0],
        format_cents(sheet.total_equity)
    );
    assert_eq!(
        sheet.total_assets,
        sheet.total_liabilities + sheet.total_equity
    );
}

use chrono::Datelike as _;

#[tokio::test]
async fn xero_organisation_and_accounts_need_a_settings_scope() {
    let xero = xero_with(|_| {});
    let organisation = tenant(&xero, 1);
    let books = xero.books(organisation).unwrap();
    let tokens = xero_tokens(&xero, &[organisation]).await;
    // SCOPES has no settings scope.
    let refused = xero_get(&xero, access(&tokens), organisation, "Organisation").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    let location = {
        let http = http();
        let page = http
            .get(xero.authorize_url())
            .query(&[
                ("response_type", "code"),
                ("client_id", CLIENT_ID),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "offline_access accounting.settings.read"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let answer = http
            .post(xero.authorize_url())
            .form(&[
                ("request", request_id(&page)),
                ("decision", "allow".to_owned()),
                ("tenant", organisation.to_string()),
            ])
            .send()
            .await
            .unwrap();
        answer.headers()[LOCATION].to_str().unwrap().to_owned()
    };
    let code = query_param(&location, "code").unwrap();
    let settings: Value = exchange(&xero, &code, VERIFIER).await.json().await.unwrap();
    let answer: Value = xero_get(&xero, access(&settings), organisation, "Organisation")
        .await
        .json()
        .await
        .unwrap();
    let found = &answer["Organisations"][0];
    assert_eq!(found["BaseCurrency"], "NZD");
    assert_eq!(found["Name"], books.name.as_str());
    assert_eq!(found["OrganisationID"], organisation.to_string());
    let accounts: Value = xero_get(&xero, access(&settings), organisation, "Accounts")
        .await
        .json()
        .await
        .unwrap();
    let list = accounts["Accounts"].as_array().unwrap();
    for account in &books.accounts {
        assert!(list.iter().any(|a| a["AccountID"] == account.id.to_string()
            && a["Code"] == account.code
            && a["Name"] == account.name));
    }
    assert!(
        list.iter()
            .any(|a| a["Type"] == "BANK" && a["Code"] == "090")
    );
}

#[tokio::test]
async fn xero_rate_limits_answer_429_with_the_documented_headers() {
    let xero = xero_with(|config| {
        config.limits = XeroLimits {
            concurrent: 2,
            per_minute: 3,
            per_day: 5,
            app_per_minute: 100,
            ..XeroLimits::default()
        };
    });
    let organisation = tenant(&xero, 0);
    let tokens = xero_tokens(&xero, &[organisation]).await;
    for left in (0..3).rev() {
        let answer = xero_get(&xero, access(&tokens), organisation, "Contacts").await;
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(
            answer.headers()["X-MinLimit-Remaining"],
            left.to_string().as_str()
        );
        assert!(answer.headers().contains_key("X-DayLimit-Remaining"));
        assert!(answer.headers().contains_key("X-AppMinLimit-Remaining"));
    }
    let limited = xero_get(&xero, access(&tokens), organisation, "Contacts").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()["X-Rate-Limit-Problem"], "minute");
    let retry: u64 = limited.headers()["Retry-After"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));

    // A minute later the minute limit has room, but the day's is nearly spent.
    xero.clock().advance(Duration::from_secs(61));
    for _ in 0..2 {
        assert_eq!(
            xero_get(&xero, access(&tokens), organisation, "Contacts")
                .await
                .status(),
            StatusCode::OK
        );
    }
    let daily = xero_get(&xero, access(&tokens), organisation, "Contacts").await;
    assert_eq!(daily.headers()["X-Rate-Limit-Problem"], "daily");
    assert_eq!(daily.headers()["X-DayLimit-Remaining"], "0");

    // Concurrency: three slow calls at once, two allowed.
    xero.reset_limits();
    xero.inject(FaultTarget::Api, Fault::slow(Duration::from_millis(300)), 2);
    let call = || xero_get(&xero, access(&tokens), organisation, "Contacts");
    let (a, b, c) = tokio::join!(call(), call(), call());
    let statuses = [a.status(), b.status(), c.status()];
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        1
    );
    let counters = xero.counters();
    assert_eq!(counters.max_in_flight, 2);
    assert_eq!(counters.rate_limited_by["concurrent"], 1);
    assert_eq!(counters.rate_limited, 3);
}

#[tokio::test]
async fn xero_injected_faults_then_recovery() {
    let xero = xero_with(|_| {});
    let organisation = tenant(&xero, 0);
    let tokens = xero_tokens(&xero, &[organisation]).await;
    xero.inject(FaultTarget::Api, Fault::Status { status: 503 }, 2);
    xero.inject(FaultTarget::Api, Fault::MalformedJson, 1);
    for _ in 0..2 {
        let answer = xero_get(&xero, access(&tokens), organisation, "Invoices").await;
        assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(answer.headers().contains_key("X-MinLimit-Remaining"));
    }
    let malformed = xero_get(&xero, access(&tokens), organisation, "Invoices").await;
    assert_eq!(malformed.status(), StatusCode::OK);
    assert!(malformed.json::<Value>().await.is_err());
    assert_eq!(
        xero_get(&xero, access(&tokens), organisation, "Invoices")
            .await
            .status(),
        StatusCode::OK
    );

    xero.inject(FaultTarget::Token, Fault::Status { status: 500 }, 1);
    let failed = refresh(&xero, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        refresh(&xero, tokens["refresh_token"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );

    // Asking for XML (no Accept: application/json) is not served.
    let xml = http()
        .get(format!("{}/api.xro/2.0/Invoices", xero.base_url()))
        .bearer_auth(access(&tokens))
        .header("xero-tenant-id", organisation.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(xml.status(), StatusCode::NOT_ACCEPTABLE);
    assert_eq!(xero.counters().calls["Invoices"], 5);
}

// QuickBooks Online.

use fakes::quickbooks::QuickBooksLimits;
use fakes::{FakeQuickBooks, QuickBooksConfig};

const QBO_REDIRECT: &str = "http://127.0.0.1:8080/api/v1/oauth/quickbooks/callback";

fn quickbooks_with(customize: impl FnOnce(&mut QuickBooksConfig)) -> FakeQuickBooks {
    let mut config = QuickBooksConfig::new(CLIENT_ID, CLIENT_SECRET, QBO_REDIRECT);
    customize(&mut config);
    FakeQuickBooks::start(config).unwrap()
}

/// Through the company picker; the redirect's URL.
async fn qbo_consent(qbo: &FakeQuickBooks, realm: &str, decision: &str) -> String {
    let http = http();
    let html = http
        .get(qbo.authorize_url())
        .query(&[
            ("client_id", CLIENT_ID),
            ("response_type", "code"),
            ("scope", "com.intuit.quickbooks.accounting"),
            ("redirect_uri", QBO_REDIRECT),
            ("state", "qbo-state"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for company in qbo.companies() {
        assert!(html.contains(&company.name.replace('\'', "&#39;")));
    }
    let answer = http
        .post(qbo.authorize_url())
        .form(&[
            ("request", request_id(&html).as_str()),
            ("realm", realm),
            ("decision", decision),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::FOUND);
    answer.headers()[LOCATION].to_str().unwrap().to_owned()
}

async fn qbo_token(qbo: &FakeQuickBooks, form: &[(&str, &str)]) -> reqwest::Response {
    http()
        .post(qbo.token_url())
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .header(ACCEPT, "application/json")
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn qbo_tokens(qbo: &FakeQuickBooks, realm: &str) -> Value {
    let location = qbo_consent(qbo, realm, "connect").await;
    assert_eq!(query_param(&location, "realmId").as_deref(), Some(realm));
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some("qbo-state")
    );
    let code = query_param(&location, "code").unwrap();
    let answer = qbo_token(
        qbo,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", QBO_REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::OK);
    answer.json().await.unwrap()
}

async fn qbo_get(
    qbo: &FakeQuickBooks,
    token: &str,
    realm: &str,
    path_and_query: &str,
) -> reqwest::Response {
    http()
        .get(format!(
            "{}/v3/company/{realm}/{path_and_query}",
            qbo.base_url()
        ))
        .bearer_auth(token)
        .header(ACCEPT, "application/json")
        .send()
        .await
        .unwrap()
}

async fn qbo_query(
    qbo: &FakeQuickBooks,
    token: &str,
    realm: &str,
    query: &str,
) -> reqwest::Response {
    http()
        .get(format!("{}/v3/company/{realm}/query", qbo.base_url()))
        .query(&[("query", query), ("minorversion", "75")])
        .bearer_auth(token)
        .header(ACCEPT, "application/json")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn quickbooks_authorization_rotation_expiry_and_revocation() {
    let qbo = quickbooks_with(|_| {});
    let realm = qbo.companies()[0].realm_id.clone();

    // Refusal at the picker, a wrong verifier, and client credentials outside Basic.
    let refused = qbo_consent(&qbo, &realm, "cancel").await;
    assert_eq!(
        query_param(&refused, "error").as_deref(),
        Some("access_denied")
    );
    let location = qbo_consent(&qbo, &realm, "connect").await;
    let code = query_param(&location, "code").unwrap();
    let wrong = qbo_token(
        &qbo,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", QBO_REDIRECT),
            ("code_verifier", &"y".repeat(50)),
        ],
    )
    .await;
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    let in_body = http()
        .post(qbo.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(in_body.status(), StatusCode::UNAUTHORIZED);

    let tokens = qbo_tokens(&qbo, &realm).await;
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["x_refresh_token_expires_in"], 8_640_000);
    let info: Value = qbo_get(
        &qbo,
        access(&tokens),
        &realm,
        &format!("companyinfo/{realm}"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        info["CompanyInfo"]["CompanyName"],
        qbo.companies()[0].name.as_str()
    );
    let other = &qbo.companies()[1].realm_id;
    assert_eq!(
        qbo_get(
            &qbo,
            access(&tokens),
            other,
            &format!("companyinfo/{other}")
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );

    // Rotation: the old refresh token dies as soon as it is used.
    let first = tokens["refresh_token"].as_str().unwrap();
    let renewed: Value = qbo_token(
        &qbo,
        &[("grant_type", "refresh_token"), ("refresh_token", first)],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_ne!(renewed["refresh_token"], tokens["refresh_token"]);
    let old = qbo_token(
        &qbo,
        &[("grant_type", "refresh_token"), ("refresh_token", first)],
    )
    .await;
    assert_eq!(old.status(), StatusCode::BAD_REQUEST);
    assert_eq!(old.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(qbo.counters().token_refreshes, 1);

    // Expiry after an hour, in the Fault envelope.
    qbo.clock().advance(Duration::from_secs(3601));
    let expired = qbo_get(
        &qbo,
        access(&renewed),
        &realm,
        &format!("companyinfo/{realm}"),
    )
    .await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    let body: Value = expired.json().await.unwrap();
    assert_eq!(body["Fault"]["type"], "AUTHENTICATION");
    assert_eq!(body["Fault"]["Error"][0]["code"], "3200");

    // Revocation (JSON body): the refresh token is refused afterwards.
    let revoked = http()
        .post(qbo.revocation_url())
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .json(&serde_json::json!({ "token": renewed["refresh_token"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let later = qbo_token(
        &qbo,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", renewed["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(
        later.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn quickbooks_queries_page_and_reports_match_the_books() {
    let qbo = quickbooks_with(|_| {});
    let realm = qbo.companies()[1].realm_id.clone();
    let books = qbo.books(&realm).unwrap();
    let tokens = qbo_tokens(&qbo, &realm).await;

    let count: Value = qbo_query(&qbo, access(&tokens), &realm, "select count(*) from Bill")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(count["QueryResponse"]["totalCount"], books.bills().count());
    let mut bills = Vec::new();
    let mut start = 1;
    loop {
        let page: Value = qbo_query(
            &qbo,
            access(&tokens),
            &realm,
            &format!("select * from Bill STARTPOSITION {start} MAXRESULTS 100"),
        )
        .await
        .json()
        .await
        .unwrap();
        let Some(list) = page["QueryResponse"]["Bill"].as_array() else {
            assert_eq!(page["QueryResponse"], serde_json::json!({}));
            break;
        };
        assert_eq!(page["QueryResponse"]["startPosition"], start);
        assert_eq!(page["QueryResponse"]["maxResults"], list.len());
        bills.extend(list.clone());
        start += 100;
    }
    assert_eq!(bills.len(), books.bills().count());
    assert!(
        bills
            .iter()
            .any(|bill| bill["CurrencyRef"]["value"] != "CAD")
    );
    let vendors: Value = qbo_query(
        &qbo,
        access(&tokens),
        &realm,
        "select * from Vendor MAXRESULTS 1000",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        vendors["QueryResponse"]["Vendor"].as_array().unwrap().len(),
        books.suppliers().count()
    );
    let payments: Value = qbo_query(
        &qbo,
        access(&tokens),
        &realm,
        "select * from BillPayment MAXRESULTS 1000",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        payments["QueryResponse"]["BillPayment"]
            .as_array()
            .unwrap()
            .len(),
        books.bill_payments().count()
    );
    let preferences: Value = qbo_query(&qbo, access(&tokens), &realm, "select * from Preferences")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        preferences["QueryResponse"]["Preferences"][0]["CurrencyPrefs"]["HomeCurrency"]["value"],
        "CAD"
    );
    let unknown = qbo_query(&qbo, access(&tokens), &realm, "select * from Widget").await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);

    // Profit and loss by month: one column a month and a total; Net Income per month.
    let start = books.today.with_day(1).unwrap() - chrono::Months::new(11);
    let pnl: Value = qbo_get(
        &qbo,
        access(&tokens),
        &realm,
        &format!("reports/ProfitAndLoss?start_date={start}&end_date={}&summarize_column_by=Month&minorversion=75", books.today),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(pnl["Header"]["SummarizeColumnsBy"], "Month");
    assert_eq!(pnl["Columns"]["Column"].as_array().unwrap().len(), 14);
    let rows = pnl["Rows"]["Row"].as_array().unwrap();
    let net = rows.iter().find(|r| r["group"] == "NetIncome").unwrap();
    let cells = net["Summary"]["ColData"].as_array().unwrap();
    for k in 0..12 {
        let month = start + chrono::Months::new(k);
        let expected = books.profit_and_loss_month(month).net_profit(books);
        assert_eq!(
            cells[k as usize + 1]["value"],
            format_cents(expected).as_str()
        );
    }

    let balance: Value = qbo_get(
        &qbo,
        access(&tokens),
        &realm,
        &format!(
            "reports/BalanceSheet?start_date={start}&end_date={}&summarize_column_by=Month",
            books.today
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    let assets = &balance["Rows"]["Row"][0];
    assert_eq!(assets["group"], "TotalAssets");
    let last = assets["Summary"]["ColData"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["value"],
        format_cents(books.balance_sheet(books.today).total_assets).as_str()
    );
}

#[tokio::test]
async fn quickbooks_throttles_and_faults() {
    let qbo = quickbooks_with(|config| {
        config.limits = QuickBooksLimits {
            concurrent: 10,
            per_minute: 2,
            ..QuickBooksLimits::default()
        };
    });
    let realm = qbo.companies()[0].realm_id.clone();
    let tokens = qbo_tokens(&qbo, &realm).await;
    let path = format!("companyinfo/{realm}");
    for _ in 0..2 {
        assert_eq!(
            qbo_get(&qbo, access(&tokens), &realm, &path).await.status(),
            StatusCode::OK
        );
    }
    let throttled = qbo_get(&qbo, access(&tokens), &realm, &path).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = throttled.json().await.unwrap();
    assert!(
        body["Fault"]["Error"][0]["Message"]
            .as_str()
            .unwrap()
            .contains("ThrottleExceeded")
    );
    qbo.clock().advance(Duration::from_secs(60));

    qbo.inject(FaultTarget::Api, Fault::Status { status: 500 }, 1);
    qbo.inject(FaultTarget::Api, Fault::MalformedJson, 1);
    assert_eq!(
        qbo_get(&qbo, access(&tokens), &realm, &path).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let malformed = qbo_get(&qbo, access(&tokens), &realm, &path).await;
    assert!(malformed.json::<Value>().await.is_err());
    qbo.clock().advance(Duration::from_secs(60));
    assert_eq!(
        qbo_get(&qbo, access(&tokens), &realm, &path).await.status(),
        StatusCode::OK
    );
    let counters = qbo.counters();
    assert_eq!(counters.rate_limited, 1);
    assert_eq!(counters.calls["companyinfo"], 6);
}
