//! Real `spendlens worker` processes sharing the test database with the API.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use api_types::{CompanyCountsQuery, NewRefreshBatch, RefreshCompanies};
use domain::{DataType::Financials, RefreshJobId, RefreshState};

use crate::{
    client::{Api, Says},
    helpers::{available, spawn_app, wait_for},
};

/// A child process that is killed when dropped, so a failing test leaves none behind.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Killed {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Killed {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

fn worker_process(database_url: &str, latency_ms: u64) -> Killed {
    worker_process_with(database_url, latency_ms, 8)
}

fn worker_process_with(database_url: &str, latency_ms: u64, concurrency: u32) -> Killed {
    Killed(
        worker_command(database_url, latency_ms, concurrency)
            .spawn()
            .expect("the spendlens binary starts"),
    )
}

fn worker_command(database_url: &str, latency_ms: u64, concurrency: u32) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spendlens"));
    command
        .arg("worker")
        .env("SPENDLENS_WORKER_CONCURRENCY", concurrency.to_string())
        .env("DATABASE_URL", database_url)
        .env("SPENDLENS_LEASE_SECONDS", "5")
        .env("SPENDLENS_SANDBOX_LATENCY_MS", latency_ms.to_string())
        .env(
            "SPENDLENS_OUTBOX_DIR",
            std::env::temp_dir().join("spendlens-test-outbox"),
        )
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Waits until a worker has claimed `job`.
async fn running(api: &Api<'_>, job: RefreshJobId) {
    wait_for(
        "a worker to claim the job",
        Duration::from_secs(20),
        Duration::from_millis(50),
        || api.refresh_job(job).ok(),
        |job| job.state == RefreshState::Running,
    )
    .await;
}

/// A worker killed with SIGKILL mid-job loses nothing: once its lease expires another
/// worker runs the job, and the company ends Available.
#[tokio::test]
async fn a_killed_worker_s_job_is_finished_by_another_after_its_lease_expires() {
    let app = spawn_app().await;
    let id = app
        .connected_company("Killed Mid-Job Ltd", &[Financials])
        .await;
    let api = app.api();
    let job = api.refresh(id).expect(202).await.id;

    // A slow worker claims it...
    let mut doomed = worker_process(&app.database_url, 60_000);
    running(&api, job).await;
    // ...and dies without a word.
    doomed.kill().expect("SIGKILL");
    doomed.wait().unwrap();

    let mut rescuer = worker_process(&app.database_url, 0);
    let company = available(
        &app,
        id,
        "another worker to take the job over",
        Duration::from_secs(30),
    )
    .await;
    rescuer.kill().ok();
    rescuer.wait().ok();
    assert_eq!(company.refresh, None);
    let finished = api.refresh_job(job).ok().await;
    assert_eq!(finished.state, RefreshState::Succeeded);
    assert_eq!(finished.attempts, 2, "one lost run, one duplicate at most");
    assert_eq!(api.refreshes(id).ok().await.len(), 1, "still one refresh");
}

/// SIGTERM stops a worker gracefully: it claims nothing more, finishes the job it runs,
/// and exits cleanly.
#[tokio::test]
async fn sigterm_lets_a_worker_finish_its_job_and_exit() {
    let app = spawn_app().await;
    let id = app.connected_company("Graceful Ltd", &[Financials]).await;
    let api = app.api();
    let job = api.refresh(id).expect(202).await.id;
    // One job at a time: while it runs, the worker cannot claim the second job.
    let mut worker = worker_process_with(&app.database_url, 2_000, 1);
    running(&api, job).await;
    let signalled = Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
    // A second job queued after the signal is left for others.
    let other = app.connected_company("Later Ltd", &[Financials]).await;
    api.refresh(other).expect(202).await;
    let status = wait_for(
        "the worker to exit",
        Duration::from_secs(20),
        Duration::from_millis(100),
        || std::future::ready(worker.try_wait().unwrap()),
        Option::is_some,
    )
    .await;
    assert!(status.unwrap().success(), "{status:?}");
    assert_eq!(
        api.refresh_job(job).ok().await.state,
        RefreshState::Succeeded
    );
    let later = api.company(other).ok().await;
    assert_eq!(
        later.refresh.map(|r| r.state),
        Some(RefreshState::Queued),
        "not claimed after SIGTERM"
    );
}

/// On PostgreSQL a queued job reaches an idle worker through NOTIFY at once, not at its
/// next poll (here a minute away).
#[tokio::test]
async fn on_postgres_notify_wakes_an_idle_worker_at_once() {
    if crate::helpers::backend() != "postgres" {
        eprintln!("LISTEN/NOTIFY is PostgreSQL's; SQLite workers poll (covered elsewhere)");
        return;
    }
    let app = spawn_app().await;
    let id = app.connected_company("Notified Ltd", &[Financials]).await;
    let mut worker = Killed(
        worker_command(&app.database_url, 0, 8)
            .env("SPENDLENS_WORKER_POLL_MS", "60000")
            .spawn()
            .expect("the spendlens binary starts"),
    );
    // Wait until the worker LISTENs (its first claim found nothing).
    let app = &app;
    let listening = || async move {
        use sea_orm::{ConnectionTrait, Statement};
        let row = app
            .store
            .connection()
            .query_one_raw(Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT count(*) AS n FROM pg_stat_activity \
                 WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    };
    wait_for(
        "the worker to listen",
        Duration::from_secs(20),
        Duration::from_millis(100),
        listening,
        |listeners| *listeners > 0,
    )
    .await;
    let api = app.api();
    api.refresh(id).expect(202).await;
    available(
        app,
        id,
        "NOTIFY to wake the worker",
        Duration::from_secs(10),
    )
    .await;
    worker.kill().ok();
    worker.wait().ok();
}

/// PostgreSQL goes away in the middle of a drain (every connection dropped, new ones
/// refused for a few seconds) and comes back: `/readyz` says so and recovers by itself,
/// the worker processes reconnect, and every job of the batch finishes.
#[tokio::test]
async fn every_job_finishes_when_postgres_drops_all_connections_mid_drain() {
    use sea_orm::ConnectionTrait;

    if crate::helpers::backend() != "postgres" {
        eprintln!("a database outage is simulated on PostgreSQL only");
        return;
    }
    let app = spawn_app().await;
    let api = app.api();
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(
            app.connected_company(&format!("Outage {i:02} Ltd"), &[Financials])
                .await,
        );
    }
    let all = NewRefreshBatch::Companies(RefreshCompanies { company_ids: ids });
    let batch = api.create_refresh_batch(&all).ok().await;
    assert_eq!(batch.total, 30);
    let _workers = [
        worker_process_with(&app.database_url, 400, 3),
        worker_process_with(&app.database_url, 400, 3),
    ];
    // Let the drain get going.
    wait_for(
        "the drain to start",
        Duration::from_secs(20),
        Duration::from_millis(50),
        || api.refresh_batch(&batch.id).ok(),
        |progress| progress.succeeded >= 3,
    )
    .await;

    // The outage: refuse new connections to this database, drop every existing one.
    let name = app.database_url.rsplit('/').next().unwrap().to_owned();
    let admin_url = std::env::var("SPENDLENS_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let admin = store::Store::connect(&admin_url).await.unwrap();
    let admin = admin.connection();
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
        ))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .unwrap();
    let ready = wait_for(
        "/readyz to notice the outage",
        Duration::from_secs(15),
        Duration::from_millis(100),
        || api.readiness().send(),
        |ready| ready.status() == 503,
    )
    .await;
    let problem = ready.problem(503).await;
    assert!(problem.detail_text().contains("database"), "{problem:?}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    admin
        .execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
        .await
        .unwrap();

    wait_for(
        "/readyz to recover",
        Duration::from_secs(30),
        Duration::from_millis(100),
        || api.readiness().send(),
        |ready| ready.status() == 200,
    )
    .await;
    // Jobs whose outcome could not be written are taken over when their 5 s lease ends.
    let (api, batch) = (&api, &batch.id);
    let progress = || async move {
        let answer = api.refresh_batch(batch).send().await;
        // The API may still be reconnecting.
        if answer.status() == 200 {
            Some(answer.expect(200).await)
        } else {
            None
        }
    };
    let done = wait_for(
        "every job of the batch to finish",
        Duration::from_secs(90),
        Duration::from_millis(200),
        progress,
        |progress| progress.as_ref().is_some_and(|p| p.done),
    )
    .await
    .unwrap();
    assert_eq!(done.succeeded, 30, "every job finished: {done:?}");
    assert_eq!(done.failed, 0, "{done:?}");
    let counts = api
        .company_counts(&CompanyCountsQuery::default())
        .ok()
        .await;
    assert_eq!(counts.available, 30, "{counts:?}");
}
