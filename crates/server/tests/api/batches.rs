//! Bulk refresh: POST /refresh-batches and its progress.

use api_types::{
    BatchFilter, NewRefreshBatch, RefreshBatch, RefreshCompanies, RefreshFilter, SkipReason,
};
use domain::{
    CompanyId, DataStatus,
    DataType::{Financials, SpendDetail},
};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

fn companies(ids: &[CompanyId]) -> NewRefreshBatch {
    NewRefreshBatch::Companies(RefreshCompanies {
        company_ids: ids.to_vec(),
    })
}

#[tokio::test]
async fn a_batch_refreshes_each_company_once_and_reports_progress() {
    let app = spawn_app().await;
    let api = app.api();
    let a = app.connected_company("A Ltd", &[Financials]).await;
    let b = app.connected_company("B Ltd", &[SpendDetail]).await;
    let never = app
        .create_company("Never Asked Ltd", &[Financials])
        .await
        .id;
    // B is already refreshing: it joins the batch with that job.
    let running = api.refresh(b).expect(202).await;
    let unknown = CompanyId::from_uuid(uuid::Uuid::now_v7());

    let answer = api
        .create_refresh_batch(&companies(&[a, b, a, never, unknown]))
        .send()
        .await;
    let location = answer.header("location").to_owned();
    let batch = answer.expect(202).await;
    assert_eq!(batch.total, 2);
    assert_eq!(batch.queued, 2);
    assert!(!batch.done);
    let skipped: Vec<(CompanyId, SkipReason)> = batch
        .skipped
        .iter()
        .map(|s| (s.company_id, s.reason))
        .collect();
    assert_eq!(
        skipped,
        [
            (never, SkipReason::NoAccess),
            (unknown, SkipReason::NotFound)
        ]
    );
    assert_eq!(
        app.store
            .refresh_history(app.organization, b, 10)
            .await
            .unwrap()
            .len(),
        1,
        "B kept its one job"
    );
    let b_now = api.company(b).ok().await;
    assert_eq!(b_now.refresh.map(|r| r.id), Some(running.id));

    app.run_due_jobs().await;
    let finished: RefreshBatch = api.get(&location).ok().await;
    assert_eq!((finished.succeeded, finished.done), (2, true));
    assert!(finished.skipped.is_empty());
    for id in [a, b] {
        let company = api.company(id).ok().await;
        assert_eq!(company.status, Some(DataStatus::Available));
    }
}

/// A batch's jobs by state.
#[derive(Debug, Clone, Default, PartialEq)]
struct Progress {
    queued: u64,
    running: u64,
    succeeded: u64,
    failed: u64,
    cancelled: u64,
    total: u64,
}

/// The progress a batch answers with, next to a count of its jobs by state.
async fn progress_and_recount(app: &TestApp, location: &str) -> (Progress, Progress) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, sea_query::Query};
    use store::{
        JobState,
        entities::{refresh_batch_jobs, refresh_jobs},
    };
    let batch: RefreshBatch = app.api().get(location).ok().await;
    let id = batch.id.as_uuid();
    let rows: Vec<(JobState, i64)> = refresh_jobs::Entity::find()
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
    let mut recount = Progress::default();
    for (state, count) in rows {
        let count = u64::try_from(count).unwrap();
        *match state {
            JobState::Queued => &mut recount.queued,
            JobState::Running => &mut recount.running,
            JobState::Succeeded => &mut recount.succeeded,
            JobState::Failed => &mut recount.failed,
            JobState::Cancelled => &mut recount.cancelled,
        } = count;
        recount.total += count;
    }
    let answered = Progress {
        queued: batch.queued,
        running: batch.running,
        succeeded: batch.succeeded,
        failed: batch.failed,
        cancelled: batch.cancelled,
        total: batch.total,
    };
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
        ids.push(app.connected_company(name, &[Financials]).await);
    }
    // The fourth is refreshing already: its job joins the batch while running.
    app.api().refresh(ids[3]).expect(202).await;
    let owner = "counting-worker";
    let lease = chrono::Duration::seconds(60);
    let early = app
        .store
        .claim_next_jobs(owner, lease, 5, 10)
        .await
        .unwrap();
    assert_eq!(early.len(), 1);
    let answer = app
        .api()
        .create_refresh_batch(&companies(&ids))
        .send()
        .await;
    let location = answer.header("location").to_owned();
    answer.expect(202).await;
    let (answered, recount) = progress_and_recount(&app, &location).await;
    assert_eq!(answered, recount);
    assert_eq!((answered.queued, answered.running), (3, 1));

    // Claimed (queued → running), then each ends its own way.
    let claimed = app
        .store
        .claim_next_jobs(owner, lease, 5, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    let (answered, recount) = progress_and_recount(&app, &location).await;
    assert_eq!((answered.clone(), answered.running), (recount, 4));
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
            .release_job(claimed[2].id(), owner, app.store.now(), None)
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
        Progress {
            queued: 1,
            running: 0,
            succeeded: 2,
            failed: 1,
            cancelled: 0,
            total: 4
        }
    );
    // The retry runs to its end: the batch is done.
    app.run_due_jobs().await;
    let (answered, recount) = progress_and_recount(&app, &location).await;
    assert_eq!((answered.succeeded, answered), (3, recount));
}

#[tokio::test]
async fn a_batch_by_filter_refreshes_what_the_list_shows() {
    let app = spawn_app().await;
    for name in ["Filter One Ltd", "Filter Two Ltd", "Other Co"] {
        app.connected_company(name, &[Financials]).await;
    }
    let by_filter = NewRefreshBatch::Filter(RefreshFilter {
        filter: BatchFilter {
            q: Some("filter".to_owned()),
            ..BatchFilter::default()
        },
    });
    let batch = app.api().create_refresh_batch(&by_filter).ok().await;
    assert_eq!(batch.total, 2);
}

#[tokio::test]
async fn batch_requests_must_say_what_to_refresh() {
    let app = spawn_app().await;
    let api = app.api();
    for body in [
        json!({}),
        json!({"company_ids": [], "filter": {}}),
        json!({"filter": {"colour": "red"}}),
    ] {
        api.post::<RefreshBatch>("/api/v1/refresh-batches", &body)
            .problem(422)
            .await;
    }
    api.refresh_batch(&domain::RefreshBatchId::from_uuid(uuid::Uuid::now_v7()))
        .problem(404)
        .await;
    api.get::<RefreshBatch>("/api/v1/refresh-batches/nope")
        .problem(404)
        .await;
}

/// An organization may have so many refreshes waiting: a batch that could pass the cap
/// is refused with 429 and queues nothing, and is taken again once some have run.
#[tokio::test]
async fn an_organization_cannot_queue_more_refreshes_than_its_cap() {
    let app = crate::helpers::spawn_app_with(|s| s.max_queued_refreshes = 3).await;
    let api = app.api();
    let mut ids = Vec::new();
    for name in ["One Ltd", "Two Ltd", "Three Ltd", "Four Ltd"] {
        ids.push(app.connected_company(name, &[Financials]).await);
    }
    api.create_refresh_batch(&companies(&ids[..2]))
        .expect(202)
        .await;
    let answer = api.create_refresh_batch(&companies(&ids[2..])).send().await;
    assert_eq!(answer.header("retry-after"), "60");
    let problem = answer.problem(429).await;
    let detail = problem.detail.unwrap_or_default();
    assert!(detail.contains("2 refreshes waiting"), "{detail}");
    let by_filter = NewRefreshBatch::Filter(RefreshFilter {
        filter: BatchFilter::default(),
    });
    api.create_refresh_batch(&by_filter).problem(429).await;
    assert_eq!(
        app.store.queued_refreshes(app.organization).await.unwrap(),
        2
    );
    app.run_due_jobs().await;
    api.create_refresh_batch(&companies(&ids[2..]))
        .expect(202)
        .await;
}
