//! The refresh path with the `http` provider against an upstream on loopback (wiremock),
//! one fault at a time. The whole journey against the fake data partner is in
//! `partner.rs`.

use api_types::ReportQuery;
use domain::{CompanyId, DataStatus, DataType, ErrorCode, ReportKind};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::client::Says;
use crate::helpers::{TestApp, spawn_app_with};

async fn app_with_upstream(server: &MockServer) -> TestApp {
    let uri = server.uri();
    spawn_app_with(move |s| {
        s.http = Some(server::startup::Upstream {
            config: providers::HttpConfig {
                request_retries: 0,
                ..providers::HttpConfig::new(uri, "test-key")
            },
            // Every fetch also goes through the shared rate limit (generous here).
            rate_limit: Some(store::RateLimit {
                rate: 200.0,
                burst: 50.0,
            }),
        });
    })
    .await
}

/// The partner's id of every company these tests connect: never Spendlens's.
const UPSTREAM: &str = "5f1f2c5e-1f7b-4f39-9d4b-2c1e8f0a6b11";

/// The partner's answers for connecting a company: its integrations, the company and
/// the connection made, and the connection `Linked` once the customer is back.
async fn partner_links(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/config/integrations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "results": [
                {"key": "tgff", "name": "Sage Business Cloud", "enabled": true, "sourceType": "Accounting"},
                {"key": "off1", "name": "Disabled Books", "enabled": false, "sourceType": "Accounting"},
                {"key": "bank", "name": "A Bank", "enabled": true, "sourceType": "Banking"}
            ],
            "pageNumber": 1, "pageSize": 100, "totalResults": 3, "_links": {}
        })))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/companies"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": UPSTREAM, "name": "Upstream Ltd", "redirect": "https://link.example/company"}),
        ))
        .expect(1)
        .mount(server)
        .await;
    let connection = json!({
        "id": "conn-1", "platformName": "Sage Business Cloud",
        "linkUrl": format!("{}/link/{UPSTREAM}/conn-1", server.uri()), "status": "PendingAuth"
    });
    Mock::given(method("POST"))
        .and(path(format!("/companies/{UPSTREAM}/connections")))
        .respond_with(ResponseTemplate::new(200).set_body_json(connection.clone()))
        .mount(server)
        .await;
    let mut linked = connection;
    linked["status"] = json!("Linked");
    Mock::given(method("GET"))
        .and(path(format!("/companies/{UPSTREAM}/connections/conn-1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(linked))
        .mount(server)
        .await;
}

/// A company whose customer connected it through the partner: consent page, the
/// partner's link page (its answer is mocked), and back.
async fn connected_to_upstream(app: &TestApp, server: &MockServer, name: &str) -> CompanyId {
    partner_links(server).await;
    let id = app.create_company(name, &[DataType::SpendDetail]).await.id;
    let token = app.link_token(id).await;
    let customer = app.public_api();
    let pending = customer.grant_consent(&token, "http:tgff").ok().await;
    let link = pending.redirect_url.expect("the partner's link page");
    assert!(link.contains("spendlens_link="), "{link}");
    let granted = customer.return_from_partner(&token, 200).ok().await;
    assert_eq!(
        granted.connected_organisation.as_deref(),
        Some("Sage Business Cloud")
    );
    id
}

async fn upstream_lists(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(format!("/companies/{UPSTREAM}/connections")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"id": "c", "platformName": "Xero", "status": "Linked"}])),
        )
        .mount(server)
        .await;
    for dataset in ["suppliers", "bills", "billPayments"] {
        Mock::given(method("GET"))
            .and(path(format!("/companies/{UPSTREAM}/data/{dataset}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "results": [{"id": format!("{dataset}-1"), "currency": "GBP", "totalAmount": 120.5}],
                "pageNumber": 1, "pageSize": 500, "totalResults": 1, "_links": {}
            })))
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn the_consent_screen_offers_the_upstream_and_a_refresh_reads_it() {
    let server = MockServer::start().await;
    let app = app_with_upstream(&server).await;
    partner_links(&server).await;
    upstream_lists(&server).await;
    let id = app
        .create_company("Upstream Ltd", &[DataType::SpendDetail])
        .await
        .id;

    let token = app.link_token(id).await;
    let customer = app.public_api();
    let consent = customer.consent(&token).ok().await;
    let platforms: Vec<(&str, &str)> = consent
        .platforms
        .iter()
        .map(|p| (p.id.as_str(), p.name.as_str()))
        .collect();
    // Only the partner's enabled accounting integrations.
    assert_eq!(
        platforms,
        [
            ("sandbox", "Sandbox (demo accounting platform)"),
            (
                "http:tgff",
                "Sage Business Cloud (through our data partner)"
            )
        ]
    );
    let problem = customer
        .grant_consent(&token, "http:off1")
        .problem(422)
        .await;
    assert!(problem.detail_text().contains("not offered"), "{problem:?}");
    let pending = customer.grant_consent(&token, "http:tgff").ok().await;
    assert_eq!(pending.status, api_types::InformationRequestStatus::Pending);
    customer.return_from_partner(&token, 200).ok().await;

    app.run_job().await;
    let company = app.api().company(id).ok().await;
    assert_eq!(company.status, Some(DataStatus::Available), "{company:?}");
    let bills = app
        .api()
        .report(id, ReportKind::Bills, &ReportQuery::default())
        .ok()
        .await;
    assert_eq!(bills.data["results"][0]["id"], "bills-1");
}

#[tokio::test]
async fn revoked_access_ends_in_an_actionable_error_and_keeps_the_last_reports() {
    let server = MockServer::start().await;
    let app = app_with_upstream(&server).await;
    let id = connected_to_upstream(&app, &server, "Revoked Ltd").await;
    upstream_lists(&server).await;
    let api = app.api();
    api.refresh(id).expect(202).await;
    app.run_job().await;
    let good = api.reports(id).ok().await;
    // The three fetched, and the spend analysis and ageing made from them.
    assert_eq!(good.items.len(), 5);

    server.reset().await;
    Mock::given(method("GET"))
        .and(path(format!("/companies/{UPSTREAM}/connections")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!([{"id": "c", "platformName": "Xero", "status": "Deauthorized"}]),
            ),
        )
        .mount(&server)
        .await;
    api.refresh(id).expect(202).await;
    let (_, outcome) = app.run_job().await;
    assert!(
        matches!(outcome, refresh::Outcome::Failed(_)),
        "permanent: no retry ({outcome:?})"
    );
    let company = api.company(id).ok().await;
    assert_eq!(company.status, Some(DataStatus::Error));
    let error = company.error.expect("an error");
    assert_eq!(error.code, ErrorCode::AccessRevoked);
    assert_eq!(
        error.message,
        "The customer revoked access. Send a new information request."
    );
    assert_eq!(api.reports(id).ok().await, good);
    // With access gone, Refresh data is refused and says what to do instead.
    let problem = api.refresh(id).problem(409).await;
    assert!(
        problem
            .detail_text()
            .contains("Send an information request")
    );
}

/// The upstream's rate limit is one bucket in the database: two processes' pacers (two
/// connection pools) together take turns at the configured rate, not each at it.
#[tokio::test]
async fn the_upstream_rate_limit_is_shared_by_every_process() {
    use providers::Pacer;
    use std::sync::Arc;

    let app = crate::helpers::spawn_app().await;
    let limit = store::RateLimit {
        rate: 10.0,
        burst: 2.0,
    };
    let mut pacers: Vec<Arc<refresh::DatabasePacer>> = Vec::new();
    for _ in 0..2 {
        let store = store::Store::connect(&app.database_url).await.unwrap();
        pacers.push(Arc::new(refresh::DatabasePacer::new(
            store,
            "upstream:test",
            limit,
        )));
    }
    let started = std::time::Instant::now();
    let mut turns = tokio::task::JoinSet::new();
    for i in 0..22 {
        let pacer = pacers[i % 2].clone();
        turns.spawn(async move {
            pacer.wait_turn().await;
            started.elapsed()
        });
    }
    let mut at: Vec<std::time::Duration> = turns.join_all().await;
    at.sort();
    // 2 at once (the burst), then 20 more at 10 per second: at least 2 seconds in all.
    let total = *at.last().unwrap();
    assert!(
        total >= std::time::Duration::from_millis(1900),
        "22 turns took only {total:?}"
    );
    // No second-long window holds more than rate + burst turns.
    for (i, start) in at.iter().enumerate() {
        let within = at[i..]
            .iter()
            .take_while(|t| **t < *start + std::time::Duration::from_secs(1))
            .count();
        assert!(
            within <= 12,
            "{within} turns within a second from {start:?}"
        );
    }
}
