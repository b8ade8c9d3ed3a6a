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

/// What changed since the last refresh, through the API, from two kept versions.
#[tokio::test]
async fn changes_compare_the_two_newest_refreshes_of_the_spend_detail() {
    let app = crate::helpers::spawn_app().await;
    let id = app
        .connected_company("Changing Ltd", &["spend_detail"])
        .await;
    let none: Value = app
        .get(&format!("/api/v1/companies/{id}/changes"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none["since"], Value::Null);
    assert_eq!(none["biggest_movers"], json!([]));
    let version = |suppliers: Value, bills: Value| {
        vec![
            StoredReport {
                kind: ReportKind::Suppliers,
                payload: json!({ "currency": "GBP", "results": suppliers }),
            },
            StoredReport {
                kind: ReportKind::Bills,
                payload: json!({ "currency": "GBP", "results": bills }),
            },
        ]
    };
    let bill = |supplier: &str, due: f64, due_date: &str| json!({"supplierRef": {"id": supplier, "supplierName": format!("{supplier} plc")}, "amountDue": due, "dueDate": due_date});
    let earlier = store::now() - Duration::days(7);
    app.store
        .put_reports(
            id,
            version(
                json!([{"id": "s1", "supplierName": "s1 plc"}, {"id": "s2", "supplierName": "s2 plc"}]),
                json!([bill("s1", 1000.0, "2000-01-01"), bill("s2", 250.0, "2999-01-01")]),
            ),
            earlier,
        )
        .await
        .unwrap();
    app.store
        .put_reports(
            id,
            version(
                json!([{"id": "s2", "supplierName": "s2 plc"}, {"id": "s3", "supplierName": "s3 plc"}]),
                json!([bill("s2", 400.0, "2999-01-01"), bill("s3", 75.5, "2000-01-01")]),
            ),
            store::now(),
        )
        .await
        .unwrap();
    let changes: Value = app
        .get(&format!("/api/v1/companies/{id}/changes"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(changes["currency"], "GBP");
    assert_eq!(
        changes["new_suppliers"],
        json!([{"id": "s3", "name": "s3 plc"}])
    );
    assert_eq!(
        changes["gone_suppliers"],
        json!([{"id": "s1", "name": "s1 plc"}])
    );
    assert_eq!(
        changes["accounts_payable"],
        json!({"before": 1250.0, "after": 475.5, "change": -774.5})
    );
    assert_eq!(
        changes["overdue"],
        json!({"before": 1000.0, "after": 75.5, "change": -924.5})
    );
    assert_eq!(changes["biggest_movers"][0]["id"], "s1");
    assert_eq!(
        changes["biggest_movers"][0]["outstanding"]["change"],
        -1000.0
    );
    assert_eq!(changes["biggest_movers"][1]["id"], "s2");
    assert_eq!(changes["biggest_movers"][2]["id"], "s3");
    let since = chrono::DateTime::parse_from_rfc3339(changes["since"].as_str().unwrap()).unwrap();
    assert!((since.with_timezone(&Utc) - earlier).num_seconds().abs() < 1);
}

/// `?format=csv` and `?format=xlsx` download files named after the company, report and
/// date, with the right content type; an unknown format is a 400.
#[tokio::test]
async fn reports_download_as_csv_and_xlsx_files() {
    let app = crate::helpers::spawn_app().await;
    let id = app
        .connected_company("Files & Co Ltd", &["spend_detail"])
        .await;
    app.post_json(&format!("/api/v1/companies/{id}/refresh"), &json!({}))
        .await;
    app.instant_worker().run_once().await.unwrap().expect("ran");
    let today = Utc::now().format("%Y-%m-%d").to_string();

    let csv = app
        .get(&format!("/api/v1/companies/{id}/reports/bills?format=csv"))
        .await;
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        csv.headers()["content-disposition"],
        format!("attachment; filename=\"files-co-ltd-bills-{today}.csv\"").as_str()
    );
    let text = csv.text().await.unwrap();
    assert!(
        text.starts_with("Bill id,Reference,Supplier,Issue date,Due date,"),
        "{text}"
    );
    assert!(text.lines().count() > 10);

    let xlsx = app
        .get(&format!(
            "/api/v1/companies/{id}/reports/suppliers?format=xlsx"
        ))
        .await;
    assert_eq!(xlsx.status(), 200);
    assert_eq!(
        xlsx.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        xlsx.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .ends_with(".xlsx\"")
    );
    let bytes = xlsx.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK", "a zip container");

    let json: Value = app
        .get(&format!("/api/v1/companies/{id}/reports/bills?format=json"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["kind"], "bills");
    assert_problem(
        app.get(&format!("/api/v1/companies/{id}/reports/bills?format=pdf"))
            .await,
        400,
    )
    .await;
}
