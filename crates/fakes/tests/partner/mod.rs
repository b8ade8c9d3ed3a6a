//! The data partner over HTTP, as Spendlens's `http` provider and a customer's browser
//! see it.

use std::time::Duration;

use chrono::{Datelike as _, Days, Months, NaiveDate};
use fakes::books::{Books, Cents};
use fakes::partner::PartnerLimits;
use fakes::{ConnectionStatus, FakePartner, Fault, FaultTarget, PartnerConfig};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, LOCATION};
use serde_json::{Value, json};
use uuid::Uuid;

use super::http;

const KEY: &str = "partner-api-key";
const TEMPLATE: &str = "http://app.example/connect/{spendlens_link}/done?statuscode={statusCode}&connectionId={connectionId}&company={companyId}&error={errorMessage}&other={not_given}";

fn partner_with(customize: impl FnOnce(&mut PartnerConfig)) -> FakePartner {
    let mut config = PartnerConfig::new(KEY, TEMPLATE);
    customize(&mut config);
    FakePartner::start(config).unwrap()
}

async fn get(partner: &FakePartner, path: &str) -> reqwest::Response {
    http()
        .get(format!("{}{path}", partner.base_url()))
        .header(
            AUTHORIZATION,
            format!("Basic {}", partner.encoded_api_key()),
        )
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
}

async fn post(partner: &FakePartner, path: &str, body: Value) -> reqwest::Response {
    http()
        .post(format!("{}{path}", partner.base_url()))
        .header(
            AUTHORIZATION,
            format!("Basic {}", partner.encoded_api_key()),
        )
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn ok_json(answer: reqwest::Response) -> Value {
    assert_eq!(answer.status(), StatusCode::OK);
    answer.json().await.unwrap()
}

/// A company with one connection to `platform_key`: (company id, connection).
async fn company_with_connection(
    partner: &FakePartner,
    name: &str,
    platform_key: &str,
) -> (Uuid, Value) {
    let company = ok_json(
        post(
            partner,
            "/companies",
            json!({ "name": name, "description": "Spendlens company 42" }),
        )
        .await,
    )
    .await;
    let id = company["id"].as_str().unwrap();
    let connection = ok_json(
        post(
            partner,
            &format!("/companies/{id}/connections"),
            json!({ "platformKey": platform_key }),
        )
        .await,
    )
    .await;
    (id.parse().unwrap(), connection)
}

/// Every row of a paged list, following `_links.next` from page 1: the rows and the
/// number of pages.
async fn all_pages(partner: &FakePartner, path: &str, size: usize) -> (Vec<Value>, usize) {
    let mut rows = Vec::new();
    let mut next = Some(format!("{path}?page=1&pageSize={size}"));
    let mut pages = 0;
    while let Some(href) = next {
        let page = ok_json(get(partner, &href).await).await;
        pages += 1;
        assert_eq!(page["pageNumber"], pages);
        assert_eq!(page["pageSize"], size);
        let results = page["results"].as_array().unwrap();
        assert!(results.len() <= size);
        rows.extend(results.iter().cloned());
        assert_eq!(page["_links"]["self"]["href"], path);
        assert_eq!(page["_links"].get("previous").is_some(), pages > 1);
        next = page["_links"]["next"]["href"].as_str().map(str::to_owned);
        if next.is_none() {
            assert_eq!(page["totalResults"], rows.len());
        }
    }
    (rows, pages)
}

fn cents(value: &Value) -> Cents {
    (value.as_f64().unwrap() * 100.0).round() as Cents
}

#[tokio::test]
async fn partner_lists_integrations_in_pages_and_filters_them() {
    let partner = partner_with(|_| {});
    let (all, pages) = all_pages(&partner, "/config/integrations", 3).await;
    assert_eq!(pages, 3);
    assert_eq!(all.len(), 9, "every integration without a query");

    let first = ok_json(
        get(
            &partner,
            "/config/integrations?page=1&pageSize=3&query=enabled%3Dtrue",
        )
        .await,
    )
    .await;
    assert_eq!(first["totalResults"], 8);
    assert_eq!(
        first["_links"]["next"]["href"],
        "/config/integrations?page=2&pageSize=3&query=enabled%3Dtrue"
    );
    let last = ok_json(
        get(
            &partner,
            "/config/integrations?page=3&pageSize=3&query=enabled%3Dtrue",
        )
        .await,
    )
    .await;
    assert_eq!(last["results"].as_array().unwrap().len(), 2);
    assert!(last["_links"].get("next").is_none());

    let offered = ok_json(
        get(
            &partner,
            "/integrations?query=enabled%3Dtrue%26%26sourceType%3DAccounting",
        )
        .await,
    )
    .await;
    let names: Vec<&str> = offered["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Sage Accounting",
            "FreeAgent",
            "Exact (UK)",
            "Xero",
            "QuickBooks Online",
            "MYOB Business"
        ]
    );
    let xero = &offered["results"][3];
    assert_eq!(xero["key"], "gbol");
    assert_eq!(xero["isOfflineConnector"], false);
    let logo = http()
        .get(xero["logoUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");

    let unknown = get(&partner, "/config/integrations?query=colour%3Dred").await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["statusCode"], 400);
    assert!(body["error"].as_str().unwrap().contains("colour"));
    let too_big = get(&partner, "/config/integrations?pageSize=5001").await;
    assert_eq!(too_big.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn partner_connects_a_company_through_the_hosted_link_and_serves_its_books() {
    let partner = partner_with(|_| {});
    let (company, connection) =
        company_with_connection(&partner, "Acme (UK) Ltd [42]", "gbol").await;
    let stored = ok_json(get(&partner, &format!("/companies/{company}")).await).await;
    assert_eq!(
        stored["name"], "Acme UK Ltd 42",
        "forbidden characters removed"
    );
    assert_eq!(stored["description"], "Spendlens company 42");
    assert_eq!(stored["dataConnections"][0]["id"], connection["id"]);
    assert_eq!(connection["status"], "PendingAuth");
    assert_eq!(connection["platformName"], "Xero");
    assert_eq!(connection["sourceType"], "Accounting");
    let connection_id = connection["id"].as_str().unwrap();

    // Nothing to read before the customer links it.
    let early = get(&partner, &format!("/companies/{company}/data/bills")).await;
    assert_eq!(early.status(), StatusCode::CONFLICT);

    // The customer's browser, with Spendlens's custom parameter on the link URL.
    let link = format!(
        "{}?spendlens_link=tok%2Fen+1",
        connection["linkUrl"].as_str().unwrap()
    );
    let page = http().get(&link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Connect Acme UK Ltd 42 to Xero"));
    assert!(html.contains(">Authorize</button>"));
    assert!(html.contains(">Cancel</button>"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external assets"
    );
    let action = html
        .split("action=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(action.ends_with("/start?spendlens_link=tok%2Fen+1"));

    let answer = http()
        .post(&link)
        .form(&[("decision", "authorize")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::FOUND);
    assert_eq!(
        answer.headers()[LOCATION].to_str().unwrap(),
        format!(
            "http://app.example/connect/tok%2Fen%201/done?statuscode=200&connectionId={connection_id}&company={company}&error=&other="
        )
    );
    let linked = ok_json(
        get(
            &partner,
            &format!("/companies/{company}/connections/{connection_id}"),
        )
        .await,
    )
    .await;
    assert_eq!(linked["status"], "Linked");
    assert!(linked["lastSync"].is_string());
    let listed = ok_json(get(&partner, &format!("/companies/{company}/connections")).await).await;
    assert_eq!(listed["results"][0]["status"], "Linked");
    let companies = partner.companies();
    assert_eq!(companies[0].connections[0].status, ConnectionStatus::Linked);
    let counters = partner.counters();
    assert_eq!(
        (
            counters.companies_created,
            counters.connections_created,
            counters.links_authorized
        ),
        (1, 1, 1)
    );

    // Authorizing again: Codat's 201, already linked.
    let again = http()
        .post(&link)
        .form(&[("decision", "authorize")])
        .send()
        .await
        .unwrap();
    assert!(
        again.headers()[LOCATION]
            .to_str()
            .unwrap()
            .contains("statuscode=201")
    );

    let books = partner.books(company).unwrap();
    let base = format!("/companies/{company}/data");
    let (suppliers, pages) = all_pages(&partner, &format!("{base}/suppliers"), 5).await;
    assert_eq!(suppliers.len(), books.suppliers().count());
    assert!(pages >= 3);
    assert_eq!(suppliers[0]["status"], "Active");
    let (bills, pages) = all_pages(&partner, &format!("{base}/bills"), 40).await;
    assert_eq!(bills.len(), books.bills().count());
    assert!(pages >= 3);
    let due: Cents = bills.iter().map(|b| cents(&b["amountDue"])).sum();
    assert_eq!(due, books.bills().map(|b| b.amount_due()).sum::<Cents>());
    for bill in &bills {
        let lines: Cents = bill["lineItems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| cents(&l["totalAmount"]))
            .sum();
        assert_eq!(lines, cents(&bill["totalAmount"]));
        let expected = if cents(&bill["amountDue"]) == 0 {
            "Paid"
        } else if cents(&bill["amountDue"]) < cents(&bill["totalAmount"]) {
            "PartiallyPaid"
        } else {
            "Open"
        };
        assert_eq!(bill["status"], expected);
    }
    let (payments, _) = all_pages(&partner, &format!("{base}/billPayments"), 5000).await;
    assert_eq!(payments.len(), books.bill_payments().count());
    let link_total: Cents = payments
        .iter()
        .map(|p| cents(&p["lines"][0]["links"][0]["amount"]))
        .sum();
    assert_eq!(
        link_total,
        -books.bill_payments().map(|p| p.amount).sum::<Cents>()
    );

    assert_financials_are_the_books(&partner, company, &books).await;
}

/// The twelve months Spendlens asks for, newest first, equal to the books.
async fn assert_financials_are_the_books(partner: &FakePartner, company: Uuid, books: &Books) {
    let this_month = books.today.with_day(1).unwrap();
    let start = this_month - Months::new(11);
    let query = format!("periodLength=1&periodsToCompare=12&startMonth={start}");
    let base = format!("/companies/{company}/data/financials");
    let pnl = ok_json(get(partner, &format!("{base}/profitAndLoss?{query}")).await).await;
    assert_eq!(pnl["currency"], "GBP");
    assert_eq!(pnl["reportBasis"], "Accrual");
    let reports = pnl["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 12);
    for (n, report) in reports.iter().enumerate() {
        let month = this_month - Months::new(n as u32);
        let figures = books.profit_and_loss_month(month);
        assert_eq!(report["fromDate"], format!("{month}T00:00:00"));
        let last_day = month + Months::new(1) - Days::new(1);
        assert_eq!(report["toDate"], format!("{last_day}T00:00:00"));
        assert_eq!(cents(&report["income"]["value"]), figures.income(books));
        let items: Cents = report["expenses"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| cents(&i["value"]))
            .sum();
        assert_eq!(items, figures.operating_expenses(books));
        assert_eq!(cents(&report["grossProfit"]), figures.gross_profit(books));
        assert_eq!(cents(&report["netProfit"]), figures.net_profit(books));
    }

    let sheets = ok_json(get(partner, &format!("{base}/balanceSheet?{query}")).await).await;
    let reports = sheets["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 12);
    for (n, report) in reports.iter().enumerate() {
        let month = this_month - Months::new(n as u32);
        let date = (month + Months::new(1) - Days::new(1)).min(books.today);
        let sheet = books.balance_sheet(date);
        assert_eq!(report["date"], format!("{date}T00:00:00"));
        assert_eq!(cents(&report["assets"]["value"]), sheet.total_assets);
        assert_eq!(
            cents(&report["liabilities"]["value"]),
            sheet.total_liabilities
        );
        assert_eq!(cents(&report["equity"]["value"]), sheet.total_equity);
        assert_eq!(cents(&report["netAssets"]), sheet.net_assets());
    }

    // Both period parameters are required, as on Codat.
    let missing = get(partner, &format!("{base}/profitAndLoss?periodLength=1")).await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    // By default the periods end with the current month.
    let quarters = ok_json(
        get(
            partner,
            &format!("{base}/profitAndLoss?periodLength=3&periodsToCompare=2"),
        )
        .await,
    )
    .await;
    let newest = &quarters["reports"][0];
    let from =
        NaiveDate::parse_from_str(&newest["fromDate"].as_str().unwrap()[..10], "%Y-%m-%d").unwrap();
    assert_eq!(from, this_month - Months::new(2));
    let quarter = books.profit_and_loss(from, books.today);
    assert_eq!(cents(&newest["netProfit"]), quarter.net_profit(books));
}

#[tokio::test]
async fn partner_cancel_redirects_with_403_and_leaves_the_connection_pending() {
    let partner = partner_with(|_| {});
    let (company, connection) = company_with_connection(&partner, "Bluebell Cafe", "qhyg").await;
    let link = format!(
        "{}?spendlens_link=abc",
        connection["linkUrl"].as_str().unwrap()
    );
    let answer = http()
        .post(&link)
        .form(&[("decision", "cancel")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::FOUND);
    let location = answer.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with("http://app.example/connect/abc/done?statuscode=403&"));
    assert!(location.contains("&error=User%20cancelled&"));
    let connection_id: Uuid = connection["id"].as_str().unwrap().parse().unwrap();
    let status = ok_json(
        get(
            &partner,
            &format!("/companies/{company}/connections/{connection_id}"),
        )
        .await,
    )
    .await;
    assert_eq!(status["status"], "PendingAuth");
    assert_eq!(partner.counters().links_cancelled, 1);

    // The customer can come back to the same link; a test links it without a browser.
    assert!(partner.link_connection(company, connection_id));
    assert!(!partner.link_connection(company, Uuid::nil()));
    assert_eq!(
        partner.companies()[0].connections[0].status,
        ConnectionStatus::Linked
    );

    // The company's own link: pick the software, then on to the new connection's link.
    let company_page = http()
        .get(format!(
            "{}/company/{company}?spendlens_link=abc",
            partner.base_url()
        ))
        .send()
        .await
        .unwrap();
    let html = company_page.text().await.unwrap();
    assert!(html.contains("<legend>Choose your software</legend>"));
    assert!(
        !html.contains("QuickBooks Desktop"),
        "disabled integrations are not offered"
    );
    let picked = http()
        .post(format!(
            "{}/company/{company}?spendlens_link=abc",
            partner.base_url()
        ))
        .form(&[("platformKey", "fbrh")])
        .send()
        .await
        .unwrap();
    assert_eq!(picked.status(), StatusCode::FOUND);
    let next = picked.headers()[LOCATION].to_str().unwrap();
    assert!(next.ends_with("/start?spendlens_link=abc"));
    assert_eq!(
        partner.companies()[0].connections[1].platform_name,
        "FreeAgent"
    );
}

#[tokio::test]
async fn partner_refuses_wrong_keys_and_invalid_requests_in_its_error_shape() {
    let partner = partner_with(|config| config.max_company_name_chars = 20);
    let url = format!("{}/config/integrations", partner.base_url());
    for authorization in [None, Some("Basic d3Jvbmc="), Some(&*format!("Basic {KEY}"))] {
        let mut request = http().get(&url);
        if let Some(value) = authorization {
            request = request.header(AUTHORIZATION, value);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["statusCode"], 401);
        assert_eq!(body["error"], "Unauthorized");
        assert_eq!(body["correlationId"].as_str().unwrap().len(), 32);
        assert!(body.get("canBeRetried").is_some());
    }
    assert_eq!(partner.counters().unauthorized, 3);

    for name in [
        json!(null),
        json!(""),
        json!("((( )))"),
        json!("A name longer than twenty"),
    ] {
        let answer = post(&partner, "/companies", json!({ "name": name })).await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{name}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["validation"]["errors"][0]["itemId"], "name");
    }
    let (company, _) = company_with_connection(&partner, "Delta", "gbol").await;
    let connections = format!("/companies/{company}/connections");
    let unknown = post(&partner, &connections, json!({ "platformKey": "zzzz" })).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let disabled = post(&partner, &connections, json!({ "platformKey": "pqsw" })).await;
    assert_eq!(disabled.status(), StatusCode::BAD_REQUEST);
    let missing = post(&partner, &connections, json!({})).await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    let nobody = format!("/companies/{}/connections", Uuid::nil());
    let no_company = post(&partner, &nobody, json!({ "platformKey": "gbol" })).await;
    assert_eq!(no_company.status(), StatusCode::NOT_FOUND);
    let body: Value = no_company.json().await.unwrap();
    assert_eq!(
        body["error"],
        format!("No company was found with ID {}", Uuid::nil())
    );
    let no_connection = get(&partner, &format!("{connections}/{}", Uuid::nil())).await;
    assert_eq!(no_connection.status(), StatusCode::NOT_FOUND);
    let bad_link = http()
        .get(format!(
            "{}/companies/{company}/connections/{}/start",
            partner.base_url(),
            Uuid::nil()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_link.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn partner_rate_limits_answer_429_with_retry_after() {
    let partner = partner_with(|config| {
        config.limits = PartnerLimits {
            per_minute: 3,
            per_day_base: 5,
            ..PartnerLimits::default()
        };
    });
    for left in (2..5).rev() {
        let answer = get(&partner, "/config/integrations").await;
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()["X-Rate-Limit-Limit"], "5");
        assert_eq!(
            answer.headers()["X-Rate-Limit-Remaining"],
            left.to_string().as_str()
        );
        assert!(answer.headers().contains_key("X-Rate-Limit-Reset"));
    }
    let limited = get(&partner, "/config/integrations").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers()["Retry-After"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["statusCode"], 429);

    // A minute later there is room in the minute, then the day runs out until midnight
    // UTC.
    partner.clock().advance(Duration::from_secs(61));
    for _ in 0..2 {
        assert_eq!(
            get(&partner, "/config/integrations").await.status(),
            StatusCode::OK
        );
    }
    let daily = get(&partner, "/config/integrations").await;
    assert_eq!(daily.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(daily.headers()["X-Rate-Limit-Remaining"], "0");
    let retry: u64 = daily.headers()["Retry-After"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&retry));
    partner.clock().advance(Duration::from_secs(retry));
    assert_eq!(
        get(&partner, "/config/integrations").await.status(),
        StatusCode::OK
    );
    assert_eq!(partner.counters().rate_limited, 2);
}

#[tokio::test]
async fn partner_injected_faults_then_recovery() {
    let partner = partner_with(|_| {});
    let (company, connection) = company_with_connection(&partner, "Elmwood", "tgff").await;
    partner.link_connection(company, connection["id"].as_str().unwrap().parse().unwrap());
    let path = format!("/companies/{company}/data/suppliers");
    for status in [500, 503, 409, 429] {
        partner.inject(FaultTarget::Api, Fault::Status { status }, 1);
    }
    partner.inject(FaultTarget::Api, Fault::MalformedJson, 1);
    partner.inject(FaultTarget::Api, Fault::slow(Duration::from_millis(300)), 1);
    for status in [500, 503, 409, 429] {
        let answer = get(&partner, &path).await;
        assert_eq!(answer.status().as_u16(), status);
        assert!(answer.headers().contains_key("X-Rate-Limit-Remaining"));
        assert_eq!(answer.headers().contains_key("Retry-After"), status == 429);
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["statusCode"], status);
    }
    let malformed = get(&partner, &path).await;
    assert_eq!(malformed.status(), StatusCode::OK);
    assert!(malformed.json::<Value>().await.is_err());
    let started = std::time::Instant::now();
    let slow = get(&partner, &path).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(slow.status(), StatusCode::OK);
    assert_eq!(ok_json(get(&partner, &path).await).await["pageNumber"], 1);
    assert_eq!(partner.counters().calls["GET data/suppliers"], 7);
}

#[tokio::test]
async fn partner_deauthorized_connections_keep_the_data_already_synced() {
    let partner = partner_with(|config| config.first_sync = Duration::from_secs(30));
    let (company, connection) = company_with_connection(&partner, "Foxglove", "pdvj").await;
    let connection_id: Uuid = connection["id"].as_str().unwrap().parse().unwrap();
    partner.link_connection(company, connection_id);
    let path = format!("/companies/{company}/data/bills");
    let syncing = get(&partner, &path).await;
    assert_eq!(syncing.status(), StatusCode::CONFLICT);
    let body: Value = syncing.json().await.unwrap();
    assert_eq!(body["error"], "The data set is still syncing.");
    partner.clock().advance(Duration::from_secs(30));
    ok_json(get(&partner, &path).await).await;

    assert!(partner.set_connection_status(company, ConnectionStatus::Deauthorized));
    let listed = ok_json(get(&partner, &format!("/companies/{company}/connections")).await).await;
    assert_eq!(listed["results"][0]["status"], "Deauthorized");
    // Codat: data already read stays readable; the connection's status says access is
    // gone.
    ok_json(get(&partner, &path).await).await;
    assert!(!partner.set_connection_status(Uuid::nil(), ConnectionStatus::Linked));

    // Over HTTP too, for the binary's users.
    let admin = http()
        .post(format!(
            "{}/_fake/companies/{company}/status",
            partner.base_url()
        ))
        .json(&json!({ "status": "Unlinked" }))
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        partner.companies()[0].connections[0].status,
        ConnectionStatus::Unlinked
    );
    let summary: Value = http()
        .get(format!("{}/_fake/books/{company}", partner.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        summary["bills"],
        partner.books(company).unwrap().bills().count()
    );
}
