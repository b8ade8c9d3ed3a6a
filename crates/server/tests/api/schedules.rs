//! Scheduled refreshes, the freshness rule and the watchdog, through the API and the
//! worker's maintenance sweep.

use std::time::Duration;

use api_types::{Company, CompanyListQuery, CompanyUpdate, NewCompany};
use chrono::{DateTime, Utc};
use domain::{
    CompanyId, DataStatus, DataType::Financials, ErrorCode, RefreshSchedule, RefreshState,
    RefreshTrigger,
};
use providers::SandboxConfig;
use refresh::WorkerConfig;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;
use store::entities::{companies, refresh_jobs};

use crate::client::Says;
use crate::helpers::{TestApp, error_code, new_company, spawn_app};

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
    let api = app.api();
    let before = Utc::now();
    let weekly = NewCompany {
        contact_name: "Wes".to_owned(),
        contact_email: "wes@weekly.example".to_owned(),
        refresh_schedule: Some(RefreshSchedule::Weekly),
        ..new_company("Weekly Ltd", &[Financials])
    };
    let created = api.create_company(&weekly).expect(201).await;
    assert_eq!(created.refresh_schedule, RefreshSchedule::Weekly);
    let next = created.next_refresh_at.expect("a next run");
    assert!(next >= before + chrono::Duration::days(7));
    assert!(next <= Utc::now() + chrono::Duration::days(7));

    // Without a schedule: off, nothing planned, not stale (no data yet).
    let plain = app.create_company("Plain Ltd", &[Financials]).await;
    assert_eq!(plain.refresh_schedule, RefreshSchedule::Off);
    assert_eq!(plain.next_refresh_at, None);
    assert!(!plain.stale);
    assert_eq!(plain.data_updated_at, None);

    // Monthly from now, then off again.
    let id = plain.id;
    let monthly = api
        .update_company(id, &schedule(RefreshSchedule::Monthly))
        .ok()
        .await;
    assert_eq!(monthly.refresh_schedule, RefreshSchedule::Monthly);
    assert!(monthly.next_refresh_at.unwrap() > Utc::now() + chrono::Duration::days(27));
    let off = api
        .update_company(id, &schedule(RefreshSchedule::Off))
        .ok()
        .await;
    assert_eq!(off.next_refresh_at, None);

    // An unknown schedule is refused and changes nothing.
    let problem = api
        .patch::<Company>(
            &format!("/api/v1/companies/{id}"),
            &json!({"refresh_schedule": "daily"}),
        )
        .problem(422)
        .await;
    assert!(
        problem.detail_text().contains("refresh_schedule"),
        "{problem:?}"
    );
    let unchanged = api.company(id).ok().await;
    assert_eq!(unchanged.refresh_schedule, RefreshSchedule::Off);
}

fn schedule(schedule: RefreshSchedule) -> CompanyUpdate {
    CompanyUpdate {
        refresh_schedule: Some(schedule),
        ..CompanyUpdate::default()
    }
}

#[tokio::test]
async fn a_due_schedule_queues_one_refresh_and_moves_to_the_next_run() {
    let app = spawn_app().await;
    let api = app.api();
    let id = app.connected_company("Scheduled Ltd", &[Financials]).await;
    api.update_company(id, &schedule(RefreshSchedule::Weekly))
        .expect(200)
        .await;
    // The run came due an hour ago (the worker was down, say).
    let due = Utc::now() - chrono::Duration::hours(1);
    set_company_time(&app, id, companies::Column::NextRefreshAt, due).await;

    // Two workers sweep at the same moment: one refresh, one step of the schedule.
    let (a, b) = (app.instant_worker(), app.instant_worker());
    let (first, second) = tokio::join!(a.maintain(), b.maintain());
    assert_eq!(first.unwrap().scheduled + second.unwrap().scheduled, 1);
    let queued = api.company(id).ok().await;
    let job = queued.refresh.expect("a refresh");
    assert_eq!(job.state, RefreshState::Queued);
    assert_eq!(job.trigger, RefreshTrigger::Schedule);
    let next = queued.next_refresh_at.unwrap();
    let expected = due + chrono::Duration::days(7);
    assert!(
        (next - expected).num_seconds().abs() < 1,
        "{next} vs {expected}"
    );

    // Nothing more is due: another sweep queues nothing.
    assert_eq!(app.instant_worker().maintain().await.unwrap().scheduled, 0);
    app.run_job().await;
    let done = api.company(id).ok().await;
    assert_eq!(done.status, Some(DataStatus::Available));
    assert_eq!(done.refresh, None);
    let history = api.refreshes(id).ok().await;
    assert_eq!(history[0].trigger, RefreshTrigger::Schedule);
    assert_eq!(history[0].state, RefreshState::Succeeded);
}

#[tokio::test]
async fn a_due_schedule_without_access_queues_nothing_but_moves_on() {
    let app = spawn_app().await;
    let id = app
        .create_company("Not Connected Ltd", &[Financials])
        .await
        .id;
    app.api()
        .update_company(id, &schedule(RefreshSchedule::Monthly))
        .expect(200)
        .await;
    let due = Utc::now() - chrono::Duration::minutes(5);
    set_company_time(&app, id, companies::Column::NextRefreshAt, due).await;
    assert_eq!(app.instant_worker().maintain().await.unwrap().scheduled, 0);
    assert!(jobs_of(&app, id).await.is_empty());
    let after = app.api().company(id).ok().await;
    assert!(after.next_refresh_at.unwrap() > Utc::now() + chrono::Duration::days(27));
}

#[tokio::test]
async fn data_older_than_the_freshness_limit_is_flagged_stale_until_refreshed() {
    let app = spawn_app().await;
    let api = app.api();
    let id = app.connected_company("Old Books Ltd", &[Financials]).await;
    api.refresh(id).expect(202).await;
    app.run_job().await;
    let fresh = api.company(id).ok().await;
    assert!(!fresh.stale);
    let updated = fresh.data_updated_at.unwrap();
    assert_eq!(api.reports(id).ok().await.items[0].updated_at, updated);

    // 31 days later (the test server's limit is 30 days).
    set_company_time(
        &app,
        id,
        companies::Column::DataUpdatedAt,
        Utc::now() - chrono::Duration::days(31),
    )
    .await;
    assert!(api.company(id).ok().await.stale);
    let listed = api.companies(&CompanyListQuery::default()).ok().await;
    let row = listed.items.iter().find(|c| c.id == id).unwrap();
    assert!(row.stale);

    api.refresh(id).expect(202).await;
    app.run_job().await;
    assert!(!api.company(id).ok().await.stale);
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
    let api = app.api();
    let id = app.connected_company("Hung Ltd", &[Financials]).await;
    api.refresh(id).expect(202).await;
    app.run_job().await;
    let good_update = api.company(id).ok().await.status_updated_at;
    api.refresh(id).expect(202).await;

    let deadline = Duration::from_secs(60);
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
        app.advance_clock(
            chrono::Duration::from_std(deadline).unwrap() + chrono::Duration::seconds(1),
        );
        assert_eq!(watchdog(&app, deadline).maintain().await.unwrap().reaped, 1);
        let job = api.refresh_job(hung.id()).ok().await;
        assert_eq!(
            job.error.as_ref().map(|e| e.code),
            Some(ErrorCode::TimedOut),
            "{job:?}"
        );
        if attempt < max_attempts {
            assert_eq!(job.state, RefreshState::Queued, "retried: {job:?}");
            let company = api.company(id).ok().await;
            assert_eq!(company.status, Some(DataStatus::Available));
        } else {
            assert_eq!(job.state, RefreshState::Failed, "{job:?}");
        }
    }
    let failed = api.company(id).ok().await;
    assert_eq!(failed.status, Some(DataStatus::Error));
    assert_eq!(error_code(&failed), Some(ErrorCode::TimedOut));
    assert_eq!(failed.refresh, None);
    let reports = api.reports(id).ok().await;
    assert_eq!(
        Some(reports.items[0].updated_at),
        good_update,
        "last good reports kept"
    );
}

/// A job whose worker dies on its last attempt is not taken over again (it may be what
/// kills workers): the watchdog fails it.
#[tokio::test]
async fn a_job_abandoned_on_its_last_attempt_is_failed_not_retried_forever() {
    let app = spawn_app().await;
    let id = app.connected_company("Poison Ltd", &[Financials]).await;
    app.api().refresh(id).expect(202).await;
    let lease = chrono::Duration::milliseconds(100);
    for _ in 0..3 {
        app.store
            .claim_next_job("dying-worker", lease, 3)
            .await
            .unwrap()
            .expect("taken over after the lease expired");
        app.advance_clock(lease + chrono::Duration::seconds(1));
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
    let failed = app.api().company(id).ok().await;
    assert_eq!(failed.status, Some(DataStatus::Error));
    assert_eq!(failed.refresh, None);
    let error = failed.error.expect("an error");
    assert_eq!(error.code, ErrorCode::TimedOut);
    assert!(error.message.contains("interrupted"), "{error:?}");
}
