//! ⋮ → Refresh data, through the API and the worker, on a real database.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{CompanyId, DataType};
use providers::SandboxConfig;
use refresh::{Outcome, WorkerConfig};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

async fn refresh(app: &TestApp, id: CompanyId) -> reqwest::Response {
    app.post_json(&format!("/api/v1/companies/{id}/refresh"), &json!({}))
        .await
}

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .expect("a timestamp")
        .parse()
        .expect("RFC 3339")
}

#[tokio::test]
async fn refresh_fetches_the_requested_data_and_makes_the_company_available() {
    let app = spawn_app().await;
    let id = app
        .connected_company("Acme Ltd", &[DataType::SpendDetail])
        .await;
    let before: Value = app
        .get(&format!("/api/v1/companies/{id}"))
        .await
        .json()
        .await
        .unwrap();

    let response = refresh(&app, id).await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let job: Value = response.json().await.unwrap();
    assert_eq!(job["state"], "queued");
    assert_eq!(job["company_id"], id.to_string());
    assert_eq!(
        location,
        format!("/api/v1/refreshes/{}", job["id"].as_str().unwrap())
    );

    // The row shows the refresh in progress, beside the unchanged status.
    let during: Value = app
        .get(&format!("/api/v1/companies/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(during["refresh"]["id"], job["id"]);
    assert_eq!(during["status"], "requested");

    let (ran, outcome) = app
        .instant_worker()
        .run_once()
        .await
        .unwrap()
        .expect("one job");
    assert_eq!(ran.to_string(), job["id"].as_str().unwrap());
    assert_eq!(outcome, Outcome::Succeeded);
    assert!(
        app.instant_worker().run_once().await.unwrap().is_none(),
        "queue drained"
    );

    let after: Value = app
        .get(&format!("/api/v1/companies/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["status"], "available");
    assert_eq!(after["refresh"], Value::Null);
    assert_eq!(after["error"], Value::Null);
    assert!(time(&after["status_updated_at"]) > time(&before["status_updated_at"]));

    let finished: Value = app.get(&location).await.json().await.unwrap();
    assert_eq!(finished["state"], "succeeded");
    assert_eq!(finished["attempts"], 1);
    assert!(finished["finished_at"].is_string());

    // Only spend detail was requested: only its reports, each with its own time.
    let reports: Value = app
        .get(&format!("/api/v1/companies/{id}/reports"))
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = reports["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "suppliers",
            "bills",
            "bill_payments",
            "spend_analysis",
            "aged_payables"
        ]
    );
    for report in reports["items"].as_array().unwrap() {
        assert_eq!(report["updated_at"], after["status_updated_at"]);
        let download = app.get(report["href"].as_str().unwrap()).await;
        assert_eq!(download.status(), 200);
        assert!(
            download.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("acme-ltd-")
        );
        let document: Value = download.json().await.unwrap();
        // Fetched reports hold the platform's rows; derived ones their sheets' rows.
        let rows = match document["data"].get("sheets") {
            Some(sheets) => &sheets[0]["rows"],
            None => &document["data"]["results"],
        };
        assert!(!rows.as_array().unwrap().is_empty(), "{}", report["kind"]);
    }
    assert_problem(
        app.get(&format!("/api/v1/companies/{id}/reports/profit_and_loss"))
            .await,
        404,
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/companies/{id}/reports/everything"))
            .await,
        404,
    )
    .await;

    let history: Value = app
        .get(&format!("/api/v1/companies/{id}/refreshes"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_refresh_in_progress_is_shared_by_every_caller() {
    let app = spawn_app().await;
    let id = app
        .connected_company("Busy Ltd", &[DataType::Financials])
        .await;
    let calls = (0..24).map(|_| refresh(&app, id));
    let responses = futures::future::join_all(calls).await;
    let mut job_ids = Vec::new();
    for response in responses {
        assert_eq!(response.status(), 202);
        let job: Value = response.json().await.unwrap();
        job_ids.push(job["id"].as_str().unwrap().to_owned());
    }
    job_ids.dedup();
    assert_eq!(job_ids.len(), 1, "every caller got the same job");
    assert_eq!(
        app.store.refresh_history(id, 100).await.unwrap().len(),
        1,
        "one row"
    );

    app.instant_worker()
        .run_once()
        .await
        .unwrap()
        .expect("job ran");
    let next: Value = refresh(&app, id).await.json().await.unwrap();
    assert_ne!(
        next["id"].as_str().unwrap(),
        job_ids[0],
        "a finished refresh is not reused"
    );
}

#[tokio::test]
async fn without_access_there_is_nothing_to_refresh() {
    let app = spawn_app().await;
    let company = app
        .create_company("Never Asked Ltd", &[DataType::Financials])
        .await;
    let id = &company.id.to_string();
    let problem = assert_problem(
        app.post_json(&format!("/api/v1/companies/{id}/refresh"), &json!({}))
            .await,
        409,
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Send an information request")
    );
    let id: CompanyId = id.parse().unwrap();
    assert!(app.store.refresh_history(id, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_refresh_shows_an_error_and_keeps_the_last_good_reports() {
    let app = spawn_app().await;
    let id = app
        .connected_company("Flaky Ltd", &[DataType::Financials])
        .await;
    refresh(&app, id).await;
    app.instant_worker()
        .run_once()
        .await
        .unwrap()
        .expect("job ran");
    let good: Value = app
        .get(&format!("/api/v1/companies/{id}/reports"))
        .await
        .json()
        .await
        .unwrap();
    let good_pl: Value = app
        .get(&format!("/api/v1/companies/{id}/reports/profit_and_loss"))
        .await
        .json()
        .await
        .unwrap();

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
    let job: Value = refresh(&app, id).await.json().await.unwrap();
    // First attempt: transient, queued again; the company still shows it running.
    let (_, first) = failing.run_once().await.unwrap().expect("attempt 1");
    assert!(matches!(first, Outcome::Retrying(_)), "{first:?}");
    let during: Value = app
        .get(&format!("/api/v1/companies/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(during["refresh"]["id"], job["id"]);
    assert_eq!(during["status"], "available");
    // Second attempt: out of attempts, final.
    let (_, second) = failing.run_once().await.unwrap().expect("attempt 2");
    assert!(matches!(second, Outcome::Failed(_)), "{second:?}");

    let after: Value = app
        .get(&format!("/api/v1/companies/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["status"], "error");
    assert_eq!(after["error"]["code"], "provider_unavailable");
    assert!(
        after["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Try Refresh data again")
    );
    assert_eq!(after["refresh"], Value::Null);
    let failed: Value = app
        .get(&format!(
            "/api/v1/refreshes/{}",
            job["id"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(failed["state"], "failed");
    assert_eq!(failed["attempts"], 2);
    assert_eq!(failed["error"]["code"], "provider_unavailable");

    let kept: Value = app
        .get(&format!("/api/v1/companies/{id}/reports"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kept, good, "reports and their timestamps are untouched");
    let kept_pl: Value = app
        .get(&format!("/api/v1/companies/{id}/reports/profit_and_loss"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kept_pl, good_pl);

    // Refresh data is the remedy, and it works.
    refresh(&app, id).await;
    app.instant_worker()
        .run_once()
        .await
        .unwrap()
        .expect("job ran");
    let recovered: Value = app
        .get(&format!("/api/v1/companies/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(recovered["status"], "available");
    assert_eq!(recovered["error"], Value::Null);
}

#[tokio::test]
async fn a_job_whose_worker_died_is_taken_over_when_its_lease_expires() {
    let app = spawn_app().await;
    let id = app
        .connected_company("Orphan Ltd", &[DataType::Financials])
        .await;
    refresh(&app, id).await;
    let dead = app
        .store
        .claim_next_job("dead-worker", chrono::Duration::milliseconds(300), 3)
        .await
        .unwrap()
        .expect("claimed");
    assert!(
        app.instant_worker().run_once().await.unwrap().is_none(),
        "leased to someone else"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (job, outcome) = app
        .instant_worker()
        .run_once()
        .await
        .unwrap()
        .expect("taken over");
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
    let company: Value = app
        .get(&format!("/api/v1/companies/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(company["status"], "available");
    let finished: Value = app
        .get(&format!("/api/v1/refreshes/{job}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(finished["attempts"], 2);
}

#[tokio::test]
async fn the_batch_status_endpoint_answers_304_until_something_changes() {
    let app = spawn_app().await;
    let a = app
        .connected_company("A Ltd", &[DataType::Financials])
        .await;
    let b = app
        .connected_company("B Ltd", &[DataType::Financials])
        .await;
    let path = format!("/api/v1/company-statuses?ids={b},{a}");
    let first = app.get(&path).await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = first.json().await.unwrap();
    let ids: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [b.to_string(), a.to_string()], "in the order asked");

    let again = poll(&app, &path, &etag).await;
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());

    refresh(&app, a).await;
    let changed = poll(&app, &path, &etag).await;
    assert_eq!(changed.status(), 200);
    let body: Value = changed.json().await.unwrap();
    assert_eq!(body["items"][1]["refresh"]["state"], "queued");

    assert_problem(app.get("/api/v1/company-statuses?ids=nope").await, 400).await;
    assert_problem(app.get("/api/v1/company-statuses?ids=").await, 400).await;
    assert_problem(app.get("/api/v1/company-statuses").await, 400).await;
    let too_many = (0..201)
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect::<Vec<_>>()
        .join(",");
    assert_problem(
        app.get(&format!("/api/v1/company-statuses?ids={too_many}"))
            .await,
        400,
    )
    .await;
}

/// Status polls answered from this process's memory so far (`/metrics`).
async fn polls_from_memory(app: &TestApp) -> u64 {
    let text = app
        .anonymous()
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("spendlens_status_polls_total{source=\"memory\"} "))
        .map_or(0, |n| n.trim().parse().unwrap())
}

/// The status poll at `path`, sent with `If-None-Match: etag`.
async fn poll(app: &TestApp, path: &str, etag: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap()
}

/// Polls with `etag` until the answer changes (or `within` passes), returning it.
async fn poll_until_changed(
    app: &TestApp,
    path: &str,
    etag: &str,
    within: Duration,
) -> reqwest::Response {
    let deadline = std::time::Instant::now() + within;
    loop {
        let answer = poll(app, path, etag).await;
        if answer.status() != 304 || std::time::Instant::now() > deadline {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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
    let a = app
        .connected_company("A Ltd", &[DataType::Financials])
        .await;
    let path = format!("/api/v1/company-statuses?ids={a}");
    let postgres = crate::helpers::backend() == "postgres";
    // The server starts listening in the background: on PostgreSQL, unchanged polls
    // soon come from memory.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let etag = loop {
        let answer = app.get(&path).await;
        assert_eq!(answer.status(), 200);
        let etag = answer.headers()["etag"].to_str().unwrap().to_owned();
        let before = polls_from_memory(&app).await;
        let again = poll(&app, &path, &etag).await;
        assert_eq!(again.status(), 304);
        if !postgres || polls_from_memory(&app).await > before {
            break etag;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "unchanged polls never came from memory"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    // Another process queues a refresh: the next polls see it.
    let started = std::time::Instant::now();
    app.store
        .request_refresh(app.organization, a, domain::RefreshTrigger::Manual, None)
        .await
        .unwrap();
    let changed = poll_until_changed(&app, &path, &etag, Duration::from_secs(5)).await;
    assert_eq!(changed.status(), 200, "the change was never seen");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the change took {:?} to be seen",
        started.elapsed()
    );
    let etag = changed.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = changed.json().await.unwrap();
    assert_eq!(body["items"][0]["refresh"]["state"], "queued");

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
    app.instant_worker().run_once().await.unwrap().expect("ran");
    let changed = poll_until_changed(&app, &path, &etag, Duration::from_secs(5)).await;
    assert_eq!(changed.status(), 200, "the change was never seen");
    assert!(started.elapsed() < Duration::from_secs(3));
    let etag = changed.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = changed.json().await.unwrap();
    assert_eq!(body["items"][0]["refresh"], Value::Null);
    assert_eq!(body["items"][0]["status"], "available");

    // And once the connection is back, unchanged polls come from memory again.
    let before = polls_from_memory(&app).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while postgres && polls_from_memory(&app).await < before + 2 {
        let again = poll(&app, &path, &etag).await;
        assert_eq!(again.status(), 304);
        assert!(
            std::time::Instant::now() < deadline,
            "the notifications never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
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
        .connected_company("Live Ltd", &[DataType::Financials, DataType::SpendDetail])
        .await;
    refresh(&app, id).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let company: Value = app
            .get(&format!("/api/v1/companies/{id}"))
            .await
            .json()
            .await
            .unwrap();
        if company["status"] == "available" {
            assert_eq!(company["refresh"], Value::Null);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not refreshed in time: {company}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_demo_organization_has_companies_in_every_status() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.organization = "demo".to_owned();
        s.sample_data = true;
    })
    .await;
    let page: Value = app
        .get("/api/v1/companies?limit=200")
        .await
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    for status in [
        Value::Null,
        json!("requested"),
        json!("available"),
        json!("error"),
    ] {
        assert!(
            items.iter().any(|c| c["status"] == status),
            "no company with status {status}"
        );
    }
    for company in items.iter().filter(|c| c["status"] == "available") {
        let reports: Value = app
            .get(&format!(
                "/api/v1/companies/{}/reports",
                company["id"].as_str().unwrap()
            ))
            .await
            .json()
            .await
            .unwrap();
        assert!(
            !reports["items"].as_array().unwrap().is_empty(),
            "{} has no reports",
            company["name"]
        );
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
            .connected_company(&format!("Batch {i} Ltd"), &[DataType::Financials])
            .await;
        refresh(&app, id).await;
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

#[tokio::test]
async fn a_finished_refresh_applies_to_the_status_of_the_moment_not_the_one_claimed() {
    let app = spawn_app().await;
    let id = app
        .connected_company("Moved On Ltd", &[DataType::Financials])
        .await;
    app.post_json(&format!("/api/v1/companies/{id}/refresh"), &json!({}))
        .await;
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
    assert!(
        app.store
            .set_company_status(app.organization, id, None, None, None, Some("sandbox"))
            .await
            .unwrap()
    );
    app.store
        .finish_job_succeeded(&claimed[0], owner, Vec::new())
        .await
        .unwrap();
    let company: Value = app
        .get(&format!("/api/v1/companies/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(company["status"], Value::Null, "{company}");
}
