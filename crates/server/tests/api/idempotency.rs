//! `Idempotency-Key` on POST /companies and POST …/refresh (Stripe's semantics).

use domain::DataType;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};

fn new_company(name: &str) -> Value {
    json!({"name": name, "contact_name": "Jane Doe", "contact_email": "jane@example.com", "data_types": ["financials"]})
}

#[tokio::test]
async fn a_retried_create_is_answered_from_the_first_response_and_creates_one_company() {
    let app = spawn_app().await;
    let send = |body: Value, key: &'static str| {
        app.client
            .post(app.url("/api/v1/companies"))
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = send(new_company("Once Ltd"), "key-1").await.unwrap();
    assert_eq!(first.status(), 201);
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();

    let again = send(new_company("Once Ltd"), "key-1").await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"].to_str().unwrap(), location);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);
    let page: Value = app.get("/api/v1/companies").await.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "one company");

    let other = assert_problem(send(new_company("Twice Ltd"), "key-1").await.unwrap(), 422).await;
    assert_eq!(other["errors"][0]["field"], "Idempotency-Key");

    // A request that failed did nothing: its key can be used again.
    let invalid = send(json!({"name": "", "contact_name": "J", "contact_email": "j@x.co", "data_types": ["financials"]}), "key-2").await.unwrap();
    assert_problem(invalid, 422).await;
    assert_eq!(
        send(new_company("Later Ltd"), "key-2")
            .await
            .unwrap()
            .status(),
        201
    );

    // Keys are validated.
    let bad = app
        .client
        .post(app.url("/api/v1/companies"))
        .header("Idempotency-Key", "has space")
        .json(&new_company("X"))
        .send()
        .await
        .unwrap();
    assert_problem(bad, 400).await;
}

#[tokio::test]
async fn a_request_still_in_flight_under_the_key_is_409() {
    let app = spawn_app().await;
    let request = serde_json::to_vec(
        &serde_json::from_value::<api_types::NewCompany>(new_company("Slow Ltd")).unwrap(),
    )
    .unwrap();
    let hash: String = {
        use sha2::{Digest, Sha256};
        Sha256::digest(&request)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    // The first request is being handled (by any replica).
    let begun = app
        .store
        .begin_idempotent(
            app.organization,
            "key-slow",
            "POST /api/v1/companies",
            &hash,
        )
        .await
        .unwrap();
    assert_eq!(begun, store::IdempotencyBegin::Proceed);
    let second = app
        .client
        .post(app.url("/api/v1/companies"))
        .header("Idempotency-Key", "key-slow")
        .json(&new_company("Slow Ltd"))
        .send()
        .await
        .unwrap();
    assert_problem(second, 409).await;
}

#[tokio::test]
async fn a_retried_refresh_replays_the_first_job_even_after_it_finished() {
    let app = spawn_app().await;
    let id = app
        .connected_company("Refresh Once Ltd", &[DataType::Financials])
        .await;
    let send = || {
        app.client
            .post(app.url(&format!("/api/v1/companies/{id}/refresh")))
            .header("Idempotency-Key", "refresh-key")
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    app.instant_worker().run_once().await.unwrap().expect("ran");
    let replay = send().await.unwrap();
    assert_eq!(replay.status(), 202);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay, first, "the stored first response, not a new job");
    assert_eq!(app.store.refresh_history(id, 10).await.unwrap().len(), 1);
    // The same key on another company is another request.
    let other = app
        .connected_company("Other Ltd", &[DataType::Financials])
        .await;
    let mismatch = app
        .client
        .post(app.url(&format!("/api/v1/companies/{other}/refresh")))
        .header("Idempotency-Key", "refresh-key")
        .send()
        .await
        .unwrap();
    assert_problem(mismatch, 422).await;
}
