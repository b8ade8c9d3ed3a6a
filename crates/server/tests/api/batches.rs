//! Bulk refresh: POST /refresh-batches and its progress.

use domain::DataType;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn a_batch_refreshes_each_company_once_and_reports_progress() {
    let app = spawn_app().await;
    let a = app
        .connected_company("A Ltd", &[DataType::Financials])
        .await;
    let b = app
        .connected_company("B Ltd", &[DataType::SpendDetail])
        .await;
    let never = app
        .create_company("Never Asked Ltd", &[DataType::Financials])
        .await
        .id;
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

/// The progress a batch answers with, next to a count of its jobs by state.
async fn progress_and_recount(app: &crate::helpers::TestApp, location: &str) -> (Value, Value) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, sea_query::Query};
    use store::entities::{refresh_batch_jobs, refresh_jobs};
    let batch: Value = app.get(location).await.json().await.unwrap();
    let id: uuid::Uuid = batch["id"].as_str().unwrap().parse().unwrap();
    let rows: Vec<(String, i64)> = refresh_jobs::Entity::find()
        .select_only()
        .column(refresh_jobs::Column::State)
        .column_as(refresh_jobs::Column::Id.count(), "count")
        .filter(
            refresh_jobs::Column::Id.in_subquery(
                Query::select()
                    .column(refresh_batch_jobs::Column::JobId)
                    .from(refresh_batch_jobs::Entity)
                    .and_where(refresh_batch_jobs::Column::BatchId.eq(id))
                    .to_owned(),
            ),
        )
        .group_by(refresh_jobs::Column::State)
        .into_tuple()
        .all(app.store.connection())
        .await
        .unwrap();
    let mut recount =
        json!({"queued": 0, "running": 0, "succeeded": 0, "failed": 0, "cancelled": 0});
    let mut total = 0;
    for (state, count) in rows {
        recount[state.as_str()] = json!(count);
        total += count;
    }
    recount["total"] = json!(total);
    let answered = json!({
        "queued": batch["queued"], "running": batch["running"], "succeeded": batch["succeeded"],
        "failed": batch["failed"], "cancelled": batch["cancelled"], "total": batch["total"],
    });
    (answered, recount)
}

#[tokio::test]
async fn a_batch_counts_its_jobs_through_every_change_of_state() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for name in [
        "Count One Ltd",
        "Count Two Ltd",
        "Count Three Ltd",
        "Count Four Ltd",
    ] {
        ids.push(app.connected_company(name, &[DataType::Financials]).await);
    }
    // The fourth is refreshing already: its job joins the batch while running.
    app.post_json(&format!("/api/v1/companies/{}/refresh", ids[3]), &json!({}))
        .await;
    let owner = "counting-worker";
    let lease = chrono::Duration::seconds(60);
    let early = app
        .store
        .claim_next_jobs(owner, lease, 5, 10)
        .await
        .unwrap();
    assert_eq!(early.len(), 1);
    let response = app
        .post_json("/api/v1/refresh-batches", &json!({"company_ids": ids}))
        .await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let (answered, recount) = progress_and_recount(&app, &location).await;
    assert_eq!(answered, recount);
    assert_eq!(
        (answered["queued"].clone(), answered["running"].clone()),
        (json!(3), json!(1))
    );

    // Claimed (queued → running), then each ends its own way.
    let claimed = app
        .store
        .claim_next_jobs(owner, lease, 5, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    let (answered, recount) = progress_and_recount(&app, &location).await;
    assert_eq!(
        (answered.clone(), answered["running"].clone()),
        (recount, json!(4))
    );
    app.store
        .finish_job_succeeded(&claimed[0], owner, Vec::new())
        .await
        .unwrap();
    app.store
        .finish_job_failed(
            &claimed[1],
            owner,
            domain::StatusError {
                code: domain::ErrorCode::NotSupported,
                message: "Not supported.".to_owned(),
            },
        )
        .await
        .unwrap();
    // Released for a retry: back to queued.
    assert!(
        app.store
            .release_job(claimed[2].id(), owner, store::now(), None)
            .await
            .unwrap()
    );
    app.store
        .finish_job_succeeded(&early[0], owner, Vec::new())
        .await
        .unwrap();
    let (answered, recount) = progress_and_recount(&app, &location).await;
    assert_eq!(answered, recount);
    assert_eq!(
        answered,
        json!({"queued": 1, "running": 0, "succeeded": 2, "failed": 1, "cancelled": 0, "total": 4})
    );
    // The retry runs to its end: the batch is done.
    let worker = app.instant_worker();
    while worker.run_once().await.unwrap().is_some() {}
    let (answered, recount) = progress_and_recount(&app, &location).await;
    assert_eq!(
        (answered["succeeded"].clone(), answered),
        (json!(3), recount)
    );
}

#[tokio::test]
async fn a_batch_by_filter_refreshes_what_the_list_shows() {
    let app = spawn_app().await;
    for name in ["Filter One Ltd", "Filter Two Ltd", "Other Co"] {
        app.connected_company(name, &[DataType::Financials]).await;
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
