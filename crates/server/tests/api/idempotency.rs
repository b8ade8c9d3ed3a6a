//! `Idempotency-Key` on POST /companies and POST …/refresh (Stripe's semantics).

use api_types::{CompanyListQuery, NewCompany};
use domain::DataType::Financials;

use crate::{
    client::{Answer, Call},
    helpers::{new_company, spawn_app},
};

/// `call` sent with `Idempotency-Key: key`.
async fn with_key<T: serde::de::DeserializeOwned>(call: Call<T>, key: &str) -> Answer<T> {
    call.header("Idempotency-Key", key).send().await
}

#[tokio::test]
async fn a_retried_create_is_answered_from_the_first_response_and_creates_one_company() {
    let app = spawn_app().await;
    let api = app.api();
    let create = |name: &str| api.create_company(&new_company(name, &[Financials]));
    let first = with_key(create("Once Ltd"), "key-1").await;
    assert_eq!(first.status(), 201);
    let location = first.header("location").to_owned();
    assert!(!first.has_header("idempotent-replayed"));
    let first = first.expect(201).await;

    let again = with_key(create("Once Ltd"), "key-1").await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.header("idempotent-replayed"), "true");
    assert_eq!(again.header("location"), location);
    assert_eq!(again.expect(201).await, first);
    let page = api.companies(&CompanyListQuery::default()).ok().await;
    assert_eq!(page.items.len(), 1, "one company");

    let other = with_key(create("Twice Ltd"), "key-1")
        .await
        .problem(422)
        .await;
    assert_eq!(other.errors[0].field, "Idempotency-Key");

    // A request that failed did nothing: its key can be used again.
    let invalid = NewCompany {
        contact_name: "J".to_owned(),
        contact_email: "j@x.co".to_owned(),
        ..new_company("", &[Financials])
    };
    with_key(api.create_company(&invalid), "key-2")
        .await
        .problem(422)
        .await;
    assert_eq!(with_key(create("Later Ltd"), "key-2").await.status(), 201);

    // Keys are validated.
    with_key(create("X"), "has space").await.problem(400).await;
}

#[tokio::test]
async fn a_request_still_in_flight_under_the_key_is_409() {
    let app = spawn_app().await;
    let slow = new_company("Slow Ltd", &[Financials]);
    let request = serde_json::to_vec(&slow).unwrap();
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
    with_key(app.api().create_company(&slow), "key-slow")
        .await
        .problem(409)
        .await;
}

#[tokio::test]
async fn a_retried_refresh_replays_the_first_job_even_after_it_finished() {
    let app = spawn_app().await;
    let api = app.api();
    let id = app
        .connected_company("Refresh Once Ltd", &[Financials])
        .await;
    let first = with_key(api.refresh(id), "refresh-key").await.ok().await;
    app.run_job().await;
    let replay = with_key(api.refresh(id), "refresh-key").await;
    assert_eq!(replay.status(), 202);
    assert_eq!(replay.header("idempotent-replayed"), "true");
    assert_eq!(
        replay.expect(202).await,
        first,
        "the stored first response, not a new job"
    );
    assert_eq!(
        app.store
            .refresh_history(app.organization, id, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // The same key on another company is another request.
    let other = app.connected_company("Other Ltd", &[Financials]).await;
    with_key(api.refresh(other), "refresh-key")
        .await
        .problem(422)
        .await;
}
