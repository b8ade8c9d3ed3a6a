//! The refresh path with the `http` provider against an upstream on loopback (wiremock).

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

async fn connected_to_upstream(app: &TestApp, name: &str) -> CompanyId {
    let id = app.create_company(name, &[DataType::SpendDetail]).await.id;
    app.grant_access(app.organization, id, "http").await;
    id
}

async fn upstream_lists(server: &MockServer, id: CompanyId) {
    Mock::given(method("GET"))
        .and(path(format!("/companies/{id}/connections")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"id": "c", "platformName": "Xero", "status": "Linked"}])),
        )
        .mount(server)
        .await;
    for dataset in ["suppliers", "bills", "billPayments"] {
        Mock::given(method("GET"))
            .and(path(format!("/companies/{id}/data/{dataset}")))
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
    let id = connected_to_upstream(&app, "Upstream Ltd").await;
    upstream_lists(&server, id).await;

    let token = app.link_token(id).await;
    let customer = app.public_api();
    let consent = customer.consent(&token).ok().await;
    let platforms: Vec<&str> = consent.platforms.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(platforms, ["http", "sandbox"]);
    customer.grant_consent(&token, "http").expect(200).await;

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
    let id = connected_to_upstream(&app, "Revoked Ltd").await;
    upstream_lists(&server, id).await;
    let api = app.api();
    api.refresh(id).expect(202).await;
    app.run_job().await;
    let good = api.reports(id).ok().await;
    // The three fetched, and the spend analysis and ageing made from them.
    assert_eq!(good.items.len(), 5);

    server.reset().await;
    Mock::given(method("GET"))
        .and(path(format!("/companies/{id}/connections")))
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
