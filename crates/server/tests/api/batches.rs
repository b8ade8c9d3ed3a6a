//! Bulk refresh: POST /refresh-batches and its progress.

use domain::CompanyId;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn a_batch_refreshes_each_company_once_and_reports_progress() {
    let app = spawn_app().await;
    let a = app.connected_company("A Ltd", &["financials"]).await;
    let b = app.connected_company("B Ltd", &["spend_detail"]).await;
    let never = app.create_company("Never Asked Ltd", &["financials"]).await;
    let never: CompanyId = never["id"].as_str().unwrap().parse().unwrap();
    // B is already refreshing: it joins the batch with that job.
    let running: Value = app
        .post_json(&format!("/api/v1/companies/{b}/refresh"), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let unknown = uuid::Uuid::now_v7();

    let response = app
        .post_json(
            "/api/v1/refresh-batches",
            &json!({"company_ids": [a, b, a, never, unknown]}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let batch: Value = response.json().await.unwrap();
    assert_eq!(batch["total"], 2);
    assert_eq!(batch["queued"], 2);
    assert_eq!(batch["done"], false);
    let skipped: Vec<(String, String)> = batch["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["company_id"].as_str().unwrap().to_owned(),
                s["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [
            (never.to_string(), "no_access".to_owned()),
            (unknown.to_string(), "not_found".to_owned())
        ]
    );
    assert_eq!(
        app.store.refresh_history(b, 10).await.unwrap().len(),
        1,
        "B kept its one job"
    );
    let b_now: Value = app
        .get(&format!("/api/v1/companies/{b}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b_now["refresh"]["id"], running["id"]);

    let worker = app.instant_worker();
    while worker.run_once().await.unwrap().is_some() {}
    let finished: Value = app.get(&location).await.json().await.unwrap();
    assert_eq!(
        (finished["succeeded"].clone(), finished["done"].clone()),
        (json!(2), json!(true))
    );
    assert_eq!(finished["skipped"], json!([]));
    for id in [a, b] {
        let company: Value = app
            .get(&format!("/api/v1/companies/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(company["status"], "available");
    }
}

#[tokio::test]
async fn a_batch_by_filter_refreshes_what_the_list_shows() {
    let app = spawn_app().await;
    for name in ["Filter One Ltd", "Filter Two Ltd", "Other Co"] {
        app.connected_company(name, &["financials"]).await;
    }
    let batch: Value = app
        .post_json(
            "/api/v1/refresh-batches",
            &json!({"filter": {"q": "filter"}}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(batch["total"], 2);
}

#[tokio::test]
async fn batch_requests_must_say_what_to_refresh() {
    let app = spawn_app().await;
    assert_problem(
        app.post_json("/api/v1/refresh-batches", &json!({})).await,
        422,
    )
    .await;
    assert_problem(
        app.post_json(
            "/api/v1/refresh-batches",
            &json!({"company_ids": [], "filter": {}}),
        )
        .await,
        422,
    )
    .await;
    assert_problem(
        app.post_json(
            "/api/v1/refresh-batches",
            &json!({"filter": {"colour": "red"}}),
        )
        .await,
        422,
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/refresh-batches/{}", uuid::Uuid::now_v7()))
            .await,
        404,
    )
    .await;
    assert_problem(app.get("/api/v1/refresh-batches/nope").await, 404).await;
}
