//! ⋮ → Refresh data, through the API and the worker, on a real database.

use std::time::Duration;

use api_types::{CompanyListQuery, CompanyStatusList, ReportQuery};
use domain::{
    CompanyId, DataStatus,
    DataType::{Financials, SpendDetail},
    ErrorCode, RefreshState, ReportKind,
};
use providers::SandboxConfig;
use refresh::{Outcome, WorkerConfig};

use crate::{
    client::{Answer, Says},
    helpers::{TestApp, available, spawn_app, wait_for},
};

#[tokio::test]
async fn refresh_fetches_the_requested_data_and_makes_the_company_available() {
    let app = spawn_app().await;
    let api = app.api();
    let id = app.connected_company("Acme Ltd", &[SpendDetail]).await;
    let before = api.company(id).ok().await;

    let answer = api.refresh(id).send().await;
    let location = answer.header("location").to_owned();
    let job = answer.expect(202).await;
    assert_eq!(job.state, RefreshState::Queued);
    assert_eq!(job.company_id, id);
    assert_eq!(location, format!("/api/v1/refreshes/{}", job.id));

    // The row shows the refresh in progress, beside the unchanged status.
    let during = api.company(id).ok().await;
    assert_eq!(during.refresh.map(|r| r.id), Some(job.id));
    assert_eq!(during.status, Some(DataStatus::Requested));

    let (ran, outcome) = app.run_job().await;
    assert_eq!(ran, job.id);
    assert_eq!(outcome, Outcome::Succeeded);
    assert!(
        app.instant_worker().run_once().await.unwrap().is_none(),
        "queue drained"
    );

    let after = api.company(id).ok().await;
    assert_eq!(after.status, Some(DataStatus::Available));
    assert_eq!(after.refresh, None);
    assert_eq!(after.error, None);
    assert!(after.status_updated_at.unwrap() > before.status_updated_at.unwrap());

    let finished: api_types::RefreshJob = api.get(&location).ok().await;
    assert_eq!(finished.state, RefreshState::Succeeded);
    assert_eq!(finished.attempts, 1);
    assert!(finished.finished_at.is_some());

    // Only spend detail was requested: only its reports, each with its own time.
    let reports = api.reports(id).ok().await.items;
    let kinds: Vec<ReportKind> = reports.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [
            ReportKind::Suppliers,
            ReportKind::Bills,
            ReportKind::BillPayments,
            ReportKind::SpendAnalysis,
            ReportKind::AgedPayables
        ]
    );
    for report in &reports {
        assert_eq!(Some(report.updated_at), after.status_updated_at);
        let download = api.download(&report.href).send().await;
        assert!(download.header("content-disposition").contains("acme-ltd-"));
        let document = download.expect(200).await;
        // Fetched reports hold the platform's rows; derived ones their sheets' rows.
        let rows = match document.data.get("sheets") {
            Some(sheets) => &sheets[0]["rows"],
            None => &document.data["results"],
        };
        assert!(!rows.as_array().unwrap().is_empty(), "{}", report.kind);
    }
    api.report(id, ReportKind::ProfitAndLoss, &ReportQuery::default())
        .problem(404)
        .await;
    api.get::<()>(&format!("/api/v1/companies/{id}/reports/everything"))
        .problem(404)
        .await;

    assert_eq!(api.refreshes(id).ok().await.len(), 1);
}

#[tokio::test]
async fn a_refresh_in_progress_is_shared_by_every_caller() {
    let app = spawn_app().await;
    let api = app.api();
    let id = app.connected_company("Busy Ltd", &[Financials]).await;
    let calls = (0..24).map(|_| api.refresh(id).expect(202));
    let mut job_ids: Vec<_> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|job| job.id)
        .collect();
    job_ids.dedup();
    assert_eq!(job_ids.len(), 1, "every caller got the same job");
    assert_eq!(
        app.store
            .refresh_history(app.organization, id, 100)
            .await
            .unwrap()
            .len(),
        1,
        "one row"
    );

    app.run_job().await;
    let next = api.refresh(id).ok().await;
    assert_ne!(next.id, job_ids[0], "a finished refresh is not reused");
}

#[tokio::test]
async fn without_access_there_is_nothing_to_refresh() {
    let app = spawn_app().await;
    let id = app
        .create_company("Never Asked Ltd", &[Financials])
        .await
        .id;
    let problem = app.api().refresh(id).problem(409).await;
    assert!(
        problem
            .detail_text()
            .contains("Send an information request")
    );
    assert!(
        app.store
            .refresh_history(app.organization, id, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_failed_refresh_shows_an_error_and_keeps_the_last_good_reports() {
    let app = spawn_app().await;
    let api = app.api();
    let id = app.connected_company("Flaky Ltd", &[Financials]).await;
    api.refresh(id).expect(202).await;
    app.run_job().await;
    let profit_and_loss = || api.report(id, ReportKind::ProfitAndLoss, &ReportQuery::default());
    let good = api.reports(id).ok().await;
    let good_pl = profit_and_loss().ok().await;

    let failing = app.worker(
        SandboxConfig {
            latency: Duration::ZERO,
            failure_rate: 1.0,
        },
        WorkerConfig {
            max_attempts: 2,
            retry_base: Duration::ZERO,
            ..WorkerConfig::default()
        },
    );
    let job = api.refresh(id).ok().await;
    // First attempt: transient, queued again; the company still shows it running.
    let (_, first) = failing.run_once().await.unwrap().expect("attempt 1");
    assert!(matches!(first, Outcome::Retrying(_)), "{first:?}");
    let during = api.company(id).ok().await;
    assert_eq!(during.refresh.map(|r| r.id), Some(job.id));
    assert_eq!(during.status, Some(DataStatus::Available));
    // Second attempt: out of attempts, final.
    let (_, second) = failing.run_once().await.unwrap().expect("attempt 2");
    assert!(matches!(second, Outcome::Failed(_)), "{second:?}");

    let after = api.company(id).ok().await;
    assert_eq!(after.status, Some(DataStatus::Error));
    let error = after.error.expect("an error");
    assert_eq!(error.code, ErrorCode::ProviderUnavailable);
    assert!(error.message.contains("Try Refresh data again"));
    assert_eq!(after.refresh, None);
    let failed = api.refresh_job(job.id).ok().await;
    assert_eq!(failed.state, RefreshState::Failed);
    assert_eq!(failed.attempts, 2);
    assert_eq!(
        failed.error.map(|e| e.code),
        Some(ErrorCode::ProviderUnavailable)
    );

    assert_eq!(
        api.reports(id).ok().await,
        good,
        "reports and their timestamps are untouched"
    );
    assert_eq!(profit_and_loss().ok().await, good_pl);

    // Refresh data is the remedy, and it works.
    api.refresh(id).expect(202).await;
    app.run_job().await;
    let recovered = api.company(id).ok().await;
    assert_eq!(recovered.status, Some(DataStatus::Available));
    assert_eq!(recovered.error, None);
}

#[tokio::test]
async fn a_job_whose_worker_died_is_taken_over_when_its_lease_expires() {
    let app = spawn_app().await;
    let id = app.connected_company("Orphan Ltd", &[Financials]).await;
    app.api().refresh(id).expect(202).await;
    let dead = app
        .store
        .claim_next_job("dead-worker", chrono::Duration::seconds(60), 3)
        .await
        .unwrap()
        .expect("claimed");
    assert!(
        app.instant_worker().run_once().await.unwrap().is_none(),
        "leased to someone else"
    );
    app.advance_clock(chrono::Duration::seconds(61));
    let (job, outcome) = app.run_job().await;
    assert_eq!(job, dead.id());
    assert_eq!(outcome, Outcome::Succeeded);
    // The dead worker, back from the grave, cannot overwrite the result.
    let late = app
        .store
        .finish_job_failed(
            &dead,
            "dead-worker",
            domain::StatusError::new(domain::ErrorCode::TimedOut),
        )
        .await;
    assert!(matches!(late, Err(store::FinishError::LeaseLost)));
    let company = app.api().company(id).ok().await;
    assert_eq!(company.status, Some(DataStatus::Available));
    assert_eq!(app.api().refresh_job(job).ok().await.attempts, 2);
}

#[tokio::test]
async fn the_batch_status_endpoint_answers_304_until_something_changes() {
    let app = spawn_app().await;
    let a = app.connected_company("A Ltd", &[Financials]).await;
    let b = app.connected_company("B Ltd", &[Financials]).await;
    let first = app.api().company_statuses(&[b, a]).send().await;
    let etag = first.header("etag").to_owned();
    let body = first.expect(200).await;
    let ids: Vec<CompanyId> = body.items.iter().map(|s| s.id).collect();
    assert_eq!(ids, [b, a], "in the order asked");

    let again = poll(&app, &[b, a], &etag).await;
    assert_eq!(again.status(), 304);
    assert!(again.text().await.is_empty());

    app.api().refresh(a).expect(202).await;
    let changed = poll(&app, &[b, a], &etag).await.expect(200).await;
    assert_eq!(
        changed.items[1].refresh.as_ref().map(|r| r.state),
        Some(RefreshState::Queued)
    );

    for query in ["?ids=nope", "?ids=", ""] {
        app.api()
            .get::<CompanyStatusList>(&format!("/api/v1/company-statuses{query}"))
            .problem(400)
            .await;
    }
    let too_many: Vec<CompanyId> = (0..201)
        .map(|_| CompanyId::from_uuid(uuid::Uuid::now_v7()))
        .collect();
    app.api().company_statuses(&too_many).problem(400).await;
}

/// Status polls answered from this process's memory so far (`/metrics`).
async fn polls_from_memory(app: &TestApp) -> u64 {
    app.metrics()
        .await
        .lines()
        .find_map(|l| l.strip_prefix("spendlens_status_polls_total{source=\"memory\"} "))
        .map_or(0, |n| n.trim().parse().unwrap())
}

/// The status poll of `ids`, sent with `If-None-Match: etag`.
async fn poll(app: &TestApp, ids: &[CompanyId], etag: &str) -> Answer<CompanyStatusList> {
    app.api()
        .company_statuses(ids)
        .header("if-none-match", etag)
        .send()
        .await
}

/// Polls with `etag` until the answer changes (or `within` passes), returning it.
async fn poll_until_changed(
    app: &TestApp,
    ids: &[CompanyId],
    etag: &str,
    within: Duration,
) -> Answer<CompanyStatusList> {
    wait_for(
        "the change to be seen",
        within,
        Duration::from_millis(20),
        || poll(app, ids, etag),
        |answer| answer.status() != 304,
    )
    .await
}

/// On PostgreSQL an unchanged poll is answered from the server's memory, and a change
/// made by another process — here straight through the database, as a worker on
/// another machine makes it — reaches the poll through PostgreSQL's notifications, at
/// once and not when the kept answer ages out (after 10 s). Cutting the notification
/// connection forgets every kept answer until it is back. On SQLite every poll reads
/// the database, so the same sequence holds trivially.
#[tokio::test]
async fn a_status_poll_sees_changes_made_by_other_processes() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let a = app.connected_company("A Ltd", &[Financials]).await;
    let postgres = crate::helpers::backend() == "postgres";
    // The server starts listening in the background: on PostgreSQL, unchanged polls
    // soon come from memory.
    let app = &app;
    // An unchanged poll after a first one: the ETag, and whether it came from memory.
    let unchanged_poll = || async move {
        let answer = app.api().company_statuses(&[a]).send().await;
        let etag = answer.header("etag").to_owned();
        answer.expect(200).await;
        let before = polls_from_memory(app).await;
        assert_eq!(poll(app, &[a], &etag).await.status(), 304);
        (etag, polls_from_memory(app).await > before)
    };
    let (etag, _) = wait_for(
        "unchanged polls to come from memory",
        Duration::from_secs(10),
        Duration::from_millis(50),
        unchanged_poll,
        |(_, from_memory)| !postgres || *from_memory,
    )
    .await;

    // Another process queues a refresh: the next polls see it.
    let started = std::time::Instant::now();
    app.store
        .request_refresh(app.organization, a, domain::RefreshTrigger::Manual, None)
        .await
        .unwrap();
    let changed = poll_until_changed(app, &[a], &etag, Duration::from_secs(5)).await;
    assert_eq!(changed.status(), 200, "the change was never seen");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the change took {:?} to be seen",
        started.elapsed()
    );
    let etag = changed.header("etag").to_owned();
    let body = changed.expect(200).await;
    assert_eq!(
        body.items[0].refresh.as_ref().map(|r| r.state),
        Some(RefreshState::Queued)
    );

    // The notification connection is cut; a change made meanwhile is still seen.
    if postgres {
        app.store
            .connection()
            .execute_unprepared(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                  WHERE datname = current_database() AND query LIKE 'LISTEN%spendlens_statuses%'",
            )
            .await
            .unwrap();
    }
    // A worker (sharing the database, not this server) runs the refresh.
    let started = std::time::Instant::now();
    app.run_job().await;
    let changed = poll_until_changed(app, &[a], &etag, Duration::from_secs(5)).await;
    assert_eq!(changed.status(), 200, "the change was never seen");
    assert!(started.elapsed() < Duration::from_secs(3));
    let etag = changed.header("etag").to_owned();
    let body = changed.expect(200).await;
    assert_eq!(body.items[0].refresh, None);
    assert_eq!(body.items[0].status, Some(DataStatus::Available));

    // And once the connection is back, unchanged polls come from memory again.
    let before = polls_from_memory(app).await;
    let etag = etag.as_str();
    let unchanged_polls = || async move {
        assert_eq!(poll(app, &[a], etag).await.status(), 304);
        polls_from_memory(app).await
    };
    if postgres {
        wait_for(
            "the notifications to come back",
            Duration::from_secs(10),
            Duration::from_millis(50),
            unchanged_polls,
            |from_memory| *from_memory >= before + 2,
        )
        .await;
    }
}

#[tokio::test]
async fn the_in_process_worker_picks_up_a_refresh_by_itself() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.run_worker = true;
        s.sandbox.latency = Duration::from_millis(50);
    })
    .await;
    let id = app
        .connected_company("Live Ltd", &[Financials, SpendDetail])
        .await;
    app.api().refresh(id).expect(202).await;
    let company = available(
        &app,
        id,
        "the in-process worker to refresh the company",
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(company.refresh, None);
}

#[tokio::test]
async fn the_demo_organization_has_companies_in_every_status() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.organization = Some("demo".to_owned());
        s.sample_data = true;
        s.demo = true;
    })
    .await;
    let all = CompanyListQuery {
        limit: Some(200),
        ..CompanyListQuery::default()
    };
    let items = app.api().companies(&all).ok().await.items;
    assert_eq!(items.len(), 20);
    for status in [
        None,
        Some(DataStatus::Requested),
        Some(DataStatus::Available),
        Some(DataStatus::Error),
    ] {
        assert!(
            items.iter().any(|c| c.status == status),
            "no company with status {status:?}"
        );
    }
    for company in items
        .iter()
        .filter(|c| c.status == Some(DataStatus::Available))
    {
        let reports = app.api().reports(company.id).ok().await;
        assert!(!reports.items.is_empty(), "{} has no reports", company.name);
    }
}

/// A worker with free slots claims several jobs in one statement, oldest first, and
/// never the same job twice.
#[tokio::test]
async fn several_jobs_are_claimed_at_once_oldest_first_each_once() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let id = app
            .connected_company(&format!("Batch {i} Ltd"), &[Financials])
            .await;
        app.api().refresh(id).expect(202).await;
        ids.push(id);
    }
    let lease = chrono::Duration::minutes(1);
    let first = app.store.claim_next_jobs("w1", lease, 3, 3).await.unwrap();
    let second = app.store.claim_next_jobs("w2", lease, 3, 3).await.unwrap();
    let third = app.store.claim_next_jobs("w3", lease, 3, 3).await.unwrap();
    assert_eq!((first.len(), second.len(), third.len()), (3, 2, 0));
    let claimed: Vec<CompanyId> = first
        .iter()
        .chain(&second)
        .map(|c| CompanyId::from_uuid(c.company.id))
        .collect();
    assert_eq!(claimed, ids, "oldest first, each once");
    assert!(
        first
            .iter()
            .all(|c| c.job.lease_owner.as_deref() == Some("w1"))
    );
}

/// Organizations take turns: one organization's long queue does not hold up another's
/// refresh queued after it. The next free slot goes to the organization with the fewest
/// refreshes running, and the rest of a claim to the oldest jobs.
#[tokio::test]
async fn a_long_queue_of_one_organization_does_not_hold_up_another() {
    let app = spawn_app().await;
    let mut busy = Vec::new();
    for i in 0..6 {
        let id = app
            .connected_company(&format!("Busy {i} Ltd"), &[Financials])
            .await;
        app.api().refresh(id).expect(202).await;
        busy.push(id);
    }
    let other = app.other_organization().await;
    let waiting = app.company_of(other, "Waiting Ltd").await;
    app.grant_access(other, waiting, "sandbox").await;
    app.store
        .request_refresh(other, waiting, domain::RefreshTrigger::Manual, None)
        .await
        .unwrap();
    let lease = chrono::Duration::minutes(1);
    let claim = |limit| app.store.claim_next_jobs("w", lease, 3, limit);
    let companies = |claimed: Vec<store::ClaimedJob>| -> Vec<CompanyId> {
        claimed
            .iter()
            .map(|c| CompanyId::from_uuid(c.company.id))
            .collect()
    };
    // Neither runs anything: the longest waiting goes first.
    assert_eq!(companies(claim(1).await.unwrap()), [busy[0]]);
    // The first has one running, the other none: the other's turn, although the first's
    // jobs are older.
    assert_eq!(companies(claim(1).await.unwrap()), [waiting]);
    // Then the oldest, each once.
    assert_eq!(companies(claim(10).await.unwrap()), busy[1..]);
}

#[tokio::test]
async fn a_finished_refresh_applies_to_the_status_of_the_moment_not_the_one_claimed() {
    let app = spawn_app().await;
    let id = app.connected_company("Moved On Ltd", &[Financials]).await;
    app.api().refresh(id).expect(202).await;
    let owner = "finishing-worker";
    let claimed = app
        .store
        .claim_next_jobs(owner, chrono::Duration::seconds(60), 5, 1)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    // While the job runs, the company leaves every status (its record is reset): a
    // refresh that succeeds may not make it `available` from there (the state machine
    // refuses), whatever the status was when the job was claimed.
    use sea_orm::ConnectionTrait;
    app.store
        .connection()
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            app.store.backend(),
            match app.store.backend() {
                sea_orm::DbBackend::Postgres => "UPDATE companies SET status = NULL, status_updated_at = NULL, error_code = NULL, error_message = NULL WHERE id = $1",
                _ => "UPDATE companies SET status = NULL, status_updated_at = NULL, error_code = NULL, error_message = NULL WHERE id = ?1",
            },
            [id.as_uuid().into()],
        ))
        .await
        .unwrap();
    app.store
        .finish_job_succeeded(&claimed[0], owner, Vec::new())
        .await
        .unwrap();
    let company = app.api().company(id).ok().await;
    assert_eq!(company.status, None, "{company:?}");
}
