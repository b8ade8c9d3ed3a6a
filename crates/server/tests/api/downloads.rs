//! Slow work does not hold database connections: a report download reads the database,
//! gives its connection back, then writes its file; downloads at once are bounded (429
//! with `Retry-After` past the bound); an `Idempotency-Key` request uses the one
//! connection of its scope.
//!
//! On PostgreSQL a request's scope is one pooled connection (a transaction with
//! row-level security); on SQLite a scope holds none, so there these tests check the
//! behaviour without being able to see the connection.

use std::{sync::Arc, time::Duration};

use api_types::{ProblemKind, ReportFormat, ReportQuery};
use domain::{
    CompanyId,
    DataType::{Financials, SpendDetail},
    ReportKind::{Bills, Suppliers},
};
use sea_orm::ConnectionTrait;
use server::downloads::DownloadGate;
use store::{IdempotencyBegin, StoredResponse};
use tokio::time::timeout;

use crate::{
    client::Answer,
    helpers::{TestApp, backend, new_company, spawn_app, spawn_app_with},
};

/// The most downloads the app of these tests makes at once.
const BOUND: usize = 2;

/// Long enough for anything that is not stuck waiting for a connection (the pool's
/// acquire timeout is 10 s).
const PROMPTLY: Duration = Duration::from_secs(8);

/// An app with a pool of two connections that makes [`BOUND`] downloads at once and
/// holds each at `gate` before it writes its file. On PostgreSQL the status cache's
/// `LISTEN` takes one of the two for itself.
async fn small_app(gate: &Arc<DownloadGate>) -> TestApp {
    let gate = gate.clone();
    spawn_app_with(move |settings| {
        settings.database_max_connections = Some(2);
        settings.download_concurrency = u32::try_from(BOUND).unwrap();
        settings.download_gate = Some(gate);
    })
    .await
}

/// A company whose spend detail (bills, suppliers) has been fetched.
async fn company_with_bills(app: &TestApp) -> CompanyId {
    let id = app.connected_company("Files Ltd", &[SpendDetail]).await;
    app.api().refresh(id).expect(202).await;
    app.run_job().await;
    id
}

fn file(format: ReportFormat) -> ReportQuery {
    ReportQuery {
        format: Some(format),
        ..ReportQuery::default()
    }
}

/// Starts a download of the bills as CSV, answered when the gate lets it through.
fn start_download(
    app: &TestApp,
    id: CompanyId,
) -> tokio::task::JoinHandle<Answer<api_types::ReportDocument>> {
    tokio::spawn(app.api().report(id, Bills, &file(ReportFormat::Csv)).send())
}

/// PostgreSQL sessions of the app's database inside a transaction that is waiting for
/// its client: a request holding its connection.
async fn idle_in_transaction(app: &TestApp) -> i64 {
    let row = app
        .store
        .connection()
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) AS held FROM pg_stat_activity \
              WHERE datname = current_database() AND state = 'idle in transaction'",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "held").unwrap()
}

#[tokio::test]
async fn downloads_write_their_files_without_holding_a_database_connection() {
    let gate = Arc::new(DownloadGate::default());
    let app = small_app(&gate).await;
    let id = company_with_bills(&app).await;

    let downloads: Vec<_> = (0..BOUND).map(|_| start_download(&app, id)).collect();
    timeout(PROMPTLY, gate.held(u32::try_from(BOUND).unwrap()))
        .await
        .expect("both downloads read the database and reach the writing of their files");
    // While they write, the API answers: the two downloads hold no connection of the
    // pool's two (one of which is the status cache's `LISTEN` on PostgreSQL).
    let page = timeout(
        PROMPTLY,
        app.api()
            .companies(&api_types::CompanyListQuery::default())
            .ok(),
    )
    .await
    .expect("another request answers while the downloads write their files");
    assert_eq!(page.items.len(), 1);
    if backend() == "postgres" {
        assert_eq!(
            idle_in_transaction(&app).await,
            0,
            "no request's transaction is open while its file is written"
        );
    }

    gate.release(BOUND);
    for download in downloads {
        let answer = timeout(PROMPTLY, download).await.unwrap().unwrap();
        assert_eq!(answer.status(), 200);
        let text = answer.text().await;
        assert!(text.starts_with("Bill id,"), "{text}");
    }
    // The download was recorded in the audit log with the transaction it released.
    let audit = app
        .store
        .audit_events(
            app.organization,
            &store::AuditFilter {
                action: Some(domain::AuditAction::ReportDownloaded),
                limit: 10,
                ..store::AuditFilter::default()
            },
        )
        .await
        .unwrap()
        .0;
    assert_eq!(audit.len(), BOUND);
}

#[tokio::test]
async fn downloads_past_the_bound_are_429_with_retry_after_until_one_finishes() {
    let gate = Arc::new(DownloadGate::default());
    let app = small_app(&gate).await;
    let id = company_with_bills(&app).await;
    let admin = app.signed_in_admin().await;

    let downloads: Vec<_> = (0..BOUND).map(|_| start_download(&app, id)).collect();
    timeout(PROMPTLY, gate.held(u32::try_from(BOUND).unwrap()))
        .await
        .expect("the downloads are being made");

    let refused = timeout(
        PROMPTLY,
        app.api()
            .report(id, Suppliers, &file(ReportFormat::Xlsx))
            .send(),
    )
    .await
    .expect("a download past the bound is answered at once");
    assert_eq!(refused.header("retry-after"), "2");
    let problem = refused.problem(429).await;
    assert_eq!(
        problem.problem_type,
        ProblemKind::TooManyRequests.type_uri()
    );
    assert!(
        problem.detail.unwrap_or_default().contains("downloads"),
        "the problem says why"
    );
    // The audit log's CSV export counts as a download; its pages do not.
    let export = api_types::AuditQuery {
        format: Some(api_types::AuditFormat::Csv),
        ..api_types::AuditQuery::default()
    };
    let refused = timeout(PROMPTLY, app.api_as(&admin).audit_events(&export).send())
        .await
        .expect("an export past the bound is answered at once");
    assert_eq!(refused.header("retry-after"), "2");
    refused.problem(429).await;
    app.api_as(&admin)
        .audit_events(&api_types::AuditQuery::default())
        .ok()
        .await;
    // Other requests are not bounded, nor a stored report as JSON (the company page's).
    app.api().reports(id).ok().await;
    timeout(
        PROMPTLY,
        app.api().report(id, Bills, &file(ReportFormat::Json)).ok(),
    )
    .await
    .expect("a stored report as JSON is not held");

    // Once the downloads are done, another one is made.
    gate.release(BOUND);
    for download in downloads {
        let answer = timeout(PROMPTLY, download).await.unwrap().unwrap();
        assert_eq!(answer.status(), 200);
        answer.bytes().await;
    }
    gate.release(1);
    let again = timeout(
        PROMPTLY,
        app.api()
            .report(id, Suppliers, &file(ReportFormat::Xlsx))
            .send(),
    )
    .await
    .expect("the download is made");
    assert_eq!(again.status(), 200);
    assert_eq!(&again.bytes().await[..2], b"PK", "an xlsx file");
}

/// A pool of one connection for requests (PostgreSQL: two, one of which the status
/// cache's `LISTEN` keeps, once it is up).
async fn app_with_one_connection_for_requests() -> TestApp {
    let postgres = backend() == "postgres";
    let app = spawn_app_with(|settings| {
        settings.database_max_connections = Some(if postgres { 2 } else { 1 });
    })
    .await;
    if postgres {
        // Wait for the `LISTEN` connection, so only one is left for requests.
        let listening = async {
            loop {
                let row = app
                    .store
                    .connection()
                    .query_one_raw(sea_orm::Statement::from_string(
                        sea_orm::DbBackend::Postgres,
                        "SELECT count(*) AS listening FROM pg_stat_activity \
                          WHERE datname = current_database() AND query LIKE 'LISTEN%'",
                    ))
                    .await
                    .unwrap()
                    .unwrap();
                if row.try_get::<i64>("", "listening").unwrap() > 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        timeout(Duration::from_secs(10), listening)
            .await
            .expect("the status cache listens");
    }
    app
}

#[tokio::test]
async fn an_idempotent_request_uses_one_database_connection() {
    let app = app_with_one_connection_for_requests().await;
    let api = app.api();
    let create = || {
        api.create_company(&new_company("Once Ltd", &[Financials]))
            .header("Idempotency-Key", "one-connection")
    };
    let first = timeout(PROMPTLY, create().send())
        .await
        .expect("the request does not wait for a second connection");
    assert_eq!(first.status(), 201);
    let first = first.expect(201).await;
    let again = timeout(PROMPTLY, create().send())
        .await
        .expect("the replay does not wait for a second connection");
    assert_eq!(again.header("idempotent-replayed"), "true");
    assert_eq!(again.expect(201).await, first);

    // A request that fails gives its key back, within its one connection too.
    let failed = timeout(
        PROMPTLY,
        api.refresh(first.id)
            .header("Idempotency-Key", "fails-then-works")
            .send(),
    )
    .await
    .expect("the failed request answers");
    failed.problem(409).await;
    let key_free = app
        .store
        .begin_idempotent(
            app.organization,
            "fails-then-works",
            &format!("POST /api/v1/companies/{}/refresh", first.id),
            "other",
        )
        .await
        .unwrap();
    assert_eq!(key_free, IdempotencyBegin::Proceed);
}

/// Two requests' scopes (two transactions on PostgreSQL): while the first holds a key,
/// the second is told at once that it is in flight (it does not wait for the first),
/// and once the first has committed, it gets the first's response.
#[tokio::test]
async fn a_key_held_in_another_request_s_transaction_is_in_flight_at_once() {
    let app = spawn_app().await;
    let (org, endpoint) = (app.organization, "POST /api/v1/companies");
    let first = app.store.scoped(org).await.unwrap();
    assert_eq!(
        first
            .begin_idempotent(org, "shared", endpoint, "hash")
            .await
            .unwrap(),
        IdempotencyBegin::Proceed
    );
    let second = app.store.scoped(org).await.unwrap();
    let answer = timeout(
        PROMPTLY,
        second.begin_idempotent(org, "shared", endpoint, "hash"),
    )
    .await
    .expect("the second request does not wait for the first")
    .unwrap();
    assert_eq!(answer, IdempotencyBegin::InFlight);
    second.end_scope(true).await.unwrap();

    let response = StoredResponse {
        status: 201,
        body: "{}".to_owned(),
        location: None,
    };
    first
        .finish_idempotent(org, "shared", &response)
        .await
        .unwrap();
    first.end_scope(true).await.unwrap();
    let third = app.store.scoped(org).await.unwrap();
    assert_eq!(
        third
            .begin_idempotent(org, "shared", endpoint, "hash")
            .await
            .unwrap(),
        IdempotencyBegin::Replay(response)
    );
    third.end_scope(true).await.unwrap();
}
