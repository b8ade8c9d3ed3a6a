//! Report versions: every successful refresh keeps a snapshot of each report, up to the
//! retention, and any kept snapshot downloads with its own figures.

use chrono::{Duration, Utc};
use domain::ReportKind;
use serde_json::{Value, json};
use store::StoredReport;

use crate::helpers::{assert_problem, spawn_app_with};

#[tokio::test]
async fn each_refresh_keeps_a_snapshot_and_an_older_one_downloads_its_own_figures() {
    let app = spawn_app_with(|s| s.report_snapshots = 2).await;
    let id = app
        .connected_company("Versioned Ltd", &["financials"])
        .await;
    let now = Utc::now();
    for (days_ago, revenue) in [(3, 100.0), (2, 200.0), (1, 300.0)] {
        app.store
            .put_reports(
                id,
                vec![StoredReport {
                    kind: ReportKind::ProfitAndLoss,
                    payload: json!({ "revenue": revenue }),
                }],
                store::now() - Duration::days(days_ago),
            )
            .await
            .unwrap();
    }
    let listed: Value = app
        .get(&format!("/api/v1/companies/{id}/reports"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["snapshots"], 2, "retention 2: {listed}");
    let snapshots: Value = app
        .get(&format!(
            "/api/v1/companies/{id}/reports/profit_and_loss/snapshots"
        ))
        .await
        .json()
        .await
        .unwrap();
    let items = snapshots["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the oldest was dropped: {snapshots}");
    let older = &items[1];
    let older_doc: Value = app
        .get(older["href"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        older_doc["data"]["revenue"], 200.0,
        "the older snapshot's own figures"
    );
    assert_eq!(older_doc["snapshot_id"], older["id"]);
    assert_eq!(older_doc["updated_at"], older["updated_at"]);
    let newest: Value = app
        .get(&format!("/api/v1/companies/{id}/reports/profit_and_loss"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(newest["data"]["revenue"], 300.0);
    assert!(newest["updated_at"].as_str().unwrap() > older["updated_at"].as_str().unwrap());
    assert!(
        chrono::DateTime::parse_from_rfc3339(newest["updated_at"].as_str().unwrap()).unwrap() < now
    );

    // A snapshot of another report, an unknown one, or not an id at all.
    let other = app.connected_company("Other Ltd", &["financials"]).await;
    let path = format!(
        "/api/v1/companies/{other}/reports/profit_and_loss?snapshot={}",
        older["id"].as_str().unwrap()
    );
    assert_problem(app.get(&path).await, 404).await;
    let path = format!(
        "/api/v1/companies/{id}/reports/balance_sheet?snapshot={}",
        older["id"].as_str().unwrap()
    );
    assert_problem(app.get(&path).await, 404).await;
    let path = format!("/api/v1/companies/{id}/reports/profit_and_loss?snapshot=yesterday");
    assert_problem(app.get(&path).await, 400).await;

    // A real refresh adds one more version (still within the retention of 2).
    app.post_json(&format!("/api/v1/companies/{id}/refresh"), &json!({}))
        .await;
    app.instant_worker().run_once().await.unwrap().expect("ran");
    let snapshots: Value = app
        .get(&format!(
            "/api/v1/companies/{id}/reports/profit_and_loss/snapshots"
        ))
        .await
        .json()
        .await
        .unwrap();
    let items = snapshots["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let newest: Value = app
        .get(items[0]["href"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert!(
        newest["data"].get("revenue").is_none(),
        "the sandbox's books now"
    );
    let kept: Value = app
        .get(items[1]["href"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kept["data"]["revenue"], 300.0);
}
