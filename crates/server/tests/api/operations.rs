//! Health checks, the OpenAPI document, the docs page, the SPA fallback, and the
//! problem answers the framework itself would otherwise give.

use domain::DataType::Financials;
use serde_json::Value;

use crate::{
    client::{Says, assert_problem},
    helpers::spawn_app,
};

#[tokio::test]
async fn health_and_readiness_answer_ok() {
    let app = spawn_app().await;
    assert_eq!(app.api().health().expect(200).await.status, "ok");
    assert_eq!(app.api().readiness().expect(200).await.status, "ok");
}

/// `/readyz` tells an operator when refreshes wait and no worker takes them — while the
/// replica itself stays ready — and recovers once a worker drains the queue.
#[tokio::test]
async fn readiness_reports_a_stalled_queue_until_a_worker_drains_it() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    use store::entities::refresh_jobs;

    let app = spawn_app().await;
    let api = app.api();
    let company = app.connected_company("Stalled Ltd", &[Financials]).await;
    let ready = api.readiness().ok().await;
    assert_eq!(ready.status, "ok");
    assert_eq!(ready.queue.status, "ok");

    api.refresh(company).expect(202).await;
    // Due two minutes ago, and no worker has taken it.
    refresh_jobs::Entity::update_many()
        .col_expr(
            refresh_jobs::Column::RunAt,
            Expr::val(app.store.now() - chrono::Duration::minutes(2)),
        )
        .filter(refresh_jobs::Column::CompanyId.eq(company.as_uuid()))
        .exec(app.store.connection())
        .await
        .unwrap();
    let response = api.readiness().send().await;
    assert_eq!(
        response.status(),
        200,
        "a stalled queue does not fail readiness"
    );
    let ready = response.expect(200).await;
    assert_eq!(ready.status, "degraded");
    assert_eq!(ready.queue.status, "stalled");
    assert!(ready.queue.oldest_due_seconds >= 119.0);
    assert!(
        ready
            .queue
            .detail
            .as_deref()
            .unwrap()
            .contains("spendlens worker"),
        "{ready:?}"
    );

    // A worker takes it, and the queue is healthy again.
    app.run_job().await;
    let ready = api.readiness().ok().await;
    assert_eq!(ready.status, "ok");
    assert_eq!(ready.queue.status, "ok");
    assert_eq!(ready.queue.oldest_due_seconds, 0.0);
    assert_eq!(ready.queue.expired_leases, 0);
}

/// The committed document is the one the code generates. On drift this rewrites the
/// file, so the failure message is the whole fix: review and commit it.
#[tokio::test]
async fn committed_openapi_document_matches_the_code() {
    let generated = server::openapi::pretty_json();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../api-spec/openapi.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        std::fs::write(&path, &generated).unwrap();
        panic!(
            "api-spec/openapi.json was out of date and has been regenerated: review it and \
             commit it (`git diff api-spec/`)."
        );
    }
    let app = spawn_app().await;
    let served: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let committed: Value = serde_json::from_str(&generated).unwrap();
    assert_eq!(
        served, committed,
        "the served document differs from the committed one"
    );
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1"));
    // The schema's patterns are the domain's parsers, so the two never disagree.
    let new_company = &served["components"]["schemas"]["NewCompany"]["properties"];
    assert_eq!(new_company["name"]["pattern"], domain::LINE_PATTERN);
    assert_eq!(new_company["description"]["pattern"], domain::TEXT_PATTERN);
    assert_eq!(
        new_company["contact_email"]["pattern"],
        domain::EMAIL_PATTERN
    );
    for path in [
        "/api/v1/companies",
        "/api/v1/companies/{id}",
        "/api/v1/companies/{id}/refresh",
        "/api/v1/refreshes/{id}",
        "/api/v1/company-statuses",
        "/api/v1/companies/{id}/reports",
        "/healthz",
        "/readyz",
    ] {
        assert!(
            served["paths"][path].is_object(),
            "{path} is not documented"
        );
    }
}

#[tokio::test]
async fn interactive_docs_work_offline() {
    let app = spawn_app().await;
    let redirect = app.get("/api/docs").await;
    assert_eq!(redirect.status(), 308);
    let page = app.get("/api/docs/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("https://"),
        "the docs page loads something from the internet"
    );
    let script = app.get("/api/docs/swagger-ui-bundle.js").await;
    assert_eq!(
        script.status(),
        200,
        "the docs' JavaScript is served locally"
    );
}

#[tokio::test]
async fn deep_links_serve_the_web_app_but_api_paths_never_do() {
    let app = spawn_app().await;
    for path in ["/", "/companies/123", "/connect/some-token"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response.text().await.unwrap().contains("test shell"),
            "{path}"
        );
    }
    let body = assert_problem(app.get("/api/v1/no-such-thing").await, 404).await;
    assert!(body.detail_text().contains("/api/v1/no-such-thing"));
    assert_problem(app.get("/api/nothing-here").await, 404).await;
}

#[tokio::test]
async fn wrong_methods_are_problems() {
    let app = spawn_app().await;
    let response = app
        .client
        .put(app.url("/api/v1/companies"))
        .send()
        .await
        .unwrap();
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    let body = assert_problem(response, 405).await;
    assert!(body.detail_text().contains("PUT"));
    assert_eq!(allow, "GET, POST, HEAD");
    let response = app
        .client
        .request(reqwest::Method::TRACE, app.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, HEAD");
    assert_problem(response, 405).await;
}

/// `/metrics` speaks Prometheus: request latency by route pattern (ids never become
/// labels), and the queues as the database has them.
#[tokio::test]
async fn metrics_show_requests_by_route_and_the_queues_from_the_database() {
    let app = crate::helpers::spawn_app().await;
    let id = app.connected_company("Measured Ltd", &[Financials]).await;
    app.api().refresh(id).expect(202).await;
    let text = app.metrics().await;
    assert!(
        text.contains("spendlens_refresh_jobs{state=\"queued\"} 1"),
        "{text}"
    );
    app.run_job().await;
    let answered = app.api().company(id).send().await;
    let request_id = answered.header("x-request-id");
    assert_eq!(
        request_id.len(),
        36,
        "a UUID to quote to support: {request_id}"
    );
    let text = app.metrics().await;
    assert!(
        text.contains("spendlens_refresh_jobs{state=\"succeeded\"} 1"),
        "{text}"
    );
    assert!(!text.contains("state=\"queued\"} 1"), "{text}");
    assert!(
        text.contains("spendlens_refresh_outcomes{platform=\"sandbox\",state=\"succeeded\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("spendlens_refresh_queue_oldest_due_seconds 0"),
        "{text}"
    );
    assert!(
        text.contains(
            "spendlens_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/companies/{id}\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(!text.contains(&id.to_string()), "no ids in labels");
}
