//! Scheduled refreshes, the freshness rule and the watchdog, through the API and the
//! worker's maintenance sweep.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{CompanyId, DataType};
use providers::SandboxConfig;
use refresh::WorkerConfig;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use store::entities::{companies, refresh_jobs};

use crate::helpers::{TestApp, assert_problem, spawn_app};

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .expect("a timestamp")
        .parse()
        .expect("RFC 3339")
}

async fn company(app: &TestApp, id: CompanyId) -> Value {
    app.get(&format!("/api/v1/companies/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

/// Moves a company's clock-driven columns, as time passing would.
async fn set_company_time(
    app: &TestApp,
    id: CompanyId,
    column: companies::Column,
    at: DateTime<Utc>,
) {
    companies::Entity::update_many()
        .col_expr(column, Expr::val(at))
        .filter(companies::Column::Id.eq(id.as_uuid()))
        .exec(app.store.connection())
        .await
        .unwrap();
}

async fn jobs_of(app: &TestApp, id: CompanyId) -> Vec<refresh_jobs::Model> {
    refresh_jobs::Entity::find()
        .filter(refresh_jobs::Column::CompanyId.eq(id.as_uuid()))
        .all(app.store.connection())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_new_company_can_be_given_a_schedule_and_it_shows_its_next_run() {
    let app = spawn_app().await;
    let before = Utc::now();
    let response = app
        .post_json(
            "/api/v1/companies",
            &json!({
                "name": "Weekly Ltd",
                "contact_name": "Wes",
                "contact_email": "wes@weekly.example",
                "data_types": ["financials"],
                "refresh_schedule": "weekly",
            }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["refresh_schedule"], "weekly");
    let next = time(&created["next_refresh_at"]);
    assert!(next >= before + chrono::Duration::days(7));
    assert!(next <= Utc::now() + chrono::Duration::days(7));

    // Without a schedule: off, nothing planned, not stale (no data yet).
    let plain = app
        .create_company("Plain Ltd", &[DataType::Financials])
        .await;
    assert_eq!(plain.refresh_schedule, domain::RefreshSchedule::Off);
    assert_eq!(plain.next_refresh_at, None);
    assert!(!plain.stale);
    assert_eq!(plain.data_updated_at, None);

    // Monthly from now, then off again.
    let id = &plain.id.to_string();
    let monthly: Value = app
        .patch_json(
            &format!("/api/v1/companies/{id}"),
            &json!({"refresh_schedule": "monthly"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(monthly["refresh_schedule"], "monthly");
    assert!(time(&monthly["next_refresh_at"]) > Utc::now() + chrono::Duration::days(27));
    let off: Value = app
        .patch_json(
            &format!("/api/v1/companies/{id}"),
            &json!({"refresh_schedule": "off"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(off["next_refresh_at"], Value::Null);

    // An unknown schedule is refused and changes nothing.
    let problem = assert_problem(
        app.patch_json(
            &format!("/api/v1/companies/{id}"),
            &json!({"refresh_schedule": "daily"}),
        )
        .await,
        422,
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("refresh_schedule"),
        "{problem}"
    );
    let unchanged = company(&app, id.parse().unwrap()).await;
    assert_eq!(unchanged["refresh_schedule"], "off");
}

#[tokio::test]
async fn a_due_schedule_queues_one_refresh_and_moves_to_the_next_run() {
    let app = spawn_app().await;
    let id = app
        .connected_company("Scheduled Ltd", &[DataType::Financials])
        .await;
    app.patch_json(
        &format!("/api/v1/companies/{id}"),
        &json!({"refresh_schedule": "weekly"}),
    )
    .await;
    // The run came due an hour ago (the worker was down, say).
    let due = Utc::now() - chrono::Duration::hours(1);
    set_company_time(&app, id, companies::Column::NextRefreshAt, due).await;

    // Two workers sweep at the same moment: one refresh, one step of the schedule.
    let (a, b) = (app.instant_worker(), app.instant_worker());
    let (first, second) = tokio::join!(a.maintain(), b.maintain());
    assert_eq!(first.unwrap().scheduled + second.unwrap().scheduled, 1);
    let queued = company(&app, id).await;
    assert_eq!(queued["refresh"]["state"], "queued");
    assert_eq!(queued["refresh"]["trigger"], "schedule");
    let next = time(&queued["next_refresh_at"]);
    let expected = due + chrono::Duration::days(7);
    assert!(
        (next - expected).num_seconds().abs() < 1,
        "{next} vs {expected}"
    );

    // Nothing more is due: another sweep queues nothing.
    assert_eq!(app.instant_worker().maintain().await.unwrap().scheduled, 0);
    app.instant_worker()
        .run_once()
        .await
        .unwrap()
        .expect("the scheduled job runs");
    let done = company(&app, id).await;
    assert_eq!(done["status"], "available");
    assert_eq!(done["refresh"], Value::Null);
    let history: Value = app
        .get(&format!("/api/v1/companies/{id}/refreshes"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history[0]["trigger"], "schedule");
    assert_eq!(history[0]["state"], "succeeded");
}

#[tokio::test]
async fn a_due_schedule_without_access_queues_nothing_but_moves_on() {
    let app = spawn_app().await;
    let created = app
        .create_company("Not Connected Ltd", &[DataType::Financials])
        .await;
    let id = created.id;
    app.patch_json(
        &format!("/api/v1/companies/{id}"),
        &json!({"refresh_schedule": "monthly"}),
    )
    .await;
    let due = Utc::now() - chrono::Duration::minutes(5);
    set_company_time(&app, id, companies::Column::NextRefreshAt, due).await;
    assert_eq!(app.instant_worker().maintain().await.unwrap().scheduled, 0);
    assert!(jobs_of(&app, id).await.is_empty());
    let after = company(&app, id).await;
    assert!(time(&after["next_refresh_at"]) > Utc::now() + chrono::Duration::days(27));
}

#[tokio::test]
async fn data_older_than_the_freshness_limit_is_flagged_stale_until_refreshed() {
    let app = spawn_app().await;
    let id = app
        .connected_company("Old Books Ltd", &[DataType::Financials])
        .await;
    app.post_json(&format!("/api/v1/companies/{id}/refresh"), &json!({}))
        .await;
    app.instant_worker().run_once().await.unwrap().expect("ran");
    let fresh = company(&app, id).await;
    assert_eq!(fresh["stale"], false);
    let updated = time(&fresh["data_updated_at"]);
    let reports: Value = app
        .get(&format!("/api/v1/companies/{id}/reports"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(time(&reports["items"][0]["updated_at"]), updated);

    // 31 days later (the test server's limit is 30 days).
    set_company_time(
        &app,
        id,
        companies::Column::DataUpdatedAt,
        Utc::now() - chrono::Duration::days(31),
    )
    .await;
    assert_eq!(company(&app, id).await["stale"], true);
    let listed: Value = app.get("/api/v1/companies").await.json().await.unwrap();
    let row = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.to_string())
        .unwrap()
        .clone();
    assert_eq!(row["stale"], true);

    app.post_json(&format!("/api/v1/companies/{id}/refresh"), &json!({}))
        .await;
    app.instant_worker().run_once().await.unwrap().expect("ran");
    assert_eq!(company(&app, id).await["stale"], false);
}

fn watchdog(app: &TestApp, deadline: Duration) -> refresh::Worker {
    app.worker(
        SandboxConfig {
            latency: Duration::ZERO,
            failure_rate: 0.0,
        },
        WorkerConfig {
            deadline,
            ..WorkerConfig::default()
        },
    )
}

/// A worker that hangs while its heartbeat goes on keeps its lease; the watchdog takes
/// the job back after the deadline, retries it, and fails it after the last attempt —
/// the company never shows "refresh running" forever, and keeps its last reports.
#[tokio::test]
async fn the_watchdog_retries_then_fails_a_job_that_overruns_its_deadline() {
    let app = spawn_app().await;
    let id = app
        .connected_company("Hung Ltd", &[DataType::Financials])
        .await;
    app.post_json(&format!("/api/v1/companies/{id}/refresh"), &json!({}))
        .await;
    app.instant_worker().run_once().await.unwrap().expect("ran");
    let good = company(&app, id).await;
    let good_update = good["status_updated_at"].clone();
    app.post_json(&format!("/api/v1/companies/{id}/refresh"), &json!({}))
        .await;

    let deadline = Duration::from_millis(200);
    let max_attempts = WorkerConfig::default().max_attempts;
    for attempt in 1..=max_attempts {
        let hung = app
            .store
            .claim_next_job("hung-worker", chrono::Duration::minutes(10), max_attempts)
            .await
            .unwrap()
            .expect("claimed");
        assert_eq!(hung.job.attempts, attempt as i32);
        // Before the deadline the watchdog leaves it alone.
        assert_eq!(watchdog(&app, deadline).maintain().await.unwrap().reaped, 0);
        tokio::time::sleep(deadline + Duration::from_millis(100)).await;
        assert_eq!(watchdog(&app, deadline).maintain().await.unwrap().reaped, 1);
        let job = app.get(&format!("/api/v1/refreshes/{}", hung.job.id)).await;
        let job: Value = job.json().await.unwrap();
        assert_eq!(job["error"]["code"], "timed_out", "{job}");
        if attempt < max_attempts {
            assert_eq!(job["state"], "queued", "retried: {job}");
            assert_eq!(company(&app, id).await["status"], "available");
        } else {
            assert_eq!(job["state"], "failed", "{job}");
        }
    }
    let failed = company(&app, id).await;
    assert_eq!(failed["status"], "error");
    assert_eq!(failed["error"]["code"], "timed_out");
    assert_eq!(failed["refresh"], Value::Null);
    let reports: Value = app
        .get(&format!("/api/v1/companies/{id}/reports"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        reports["items"][0]["updated_at"], good_update,
        "last good reports kept"
    );
}

/// A job whose worker dies on its last attempt is not taken over again (it may be what
/// kills workers): the watchdog fails it.
#[tokio::test]
async fn a_job_abandoned_on_its_last_attempt_is_failed_not_retried_forever() {
    let app = spawn_app().await;
    let id = app
        .connected_company("Poison Ltd", &[DataType::Financials])
        .await;
    app.post_json(&format!("/api/v1/companies/{id}/refresh"), &json!({}))
        .await;
    let lease = chrono::Duration::milliseconds(100);
    for _ in 0..3 {
        app.store
            .claim_next_job("dying-worker", lease, 3)
            .await
            .unwrap()
            .expect("taken over after the lease expired");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert!(
        app.store
            .claim_next_job("next-worker", lease, 3)
            .await
            .unwrap()
            .is_none(),
        "not taken over a fourth time"
    );
    assert_eq!(app.instant_worker().maintain().await.unwrap().reaped, 1);
    let failed = company(&app, id).await;
    assert_eq!(failed["status"], "error");
    assert_eq!(failed["error"]["code"], "timed_out");
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("interrupted"),
        "{failed}"
    );
    assert_eq!(failed["refresh"], Value::Null);
}
