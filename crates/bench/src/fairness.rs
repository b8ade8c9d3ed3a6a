//! Scenario `fairness` (issue #19): one organization's long queue against another's
//! single refreshes. Organization A queues `jobs` refreshes at once; while one
//! `spendlens worker` drains them, organization B asks for one refresh every `every_ms`,
//! `tries` times. Measured while A's queue is still long: B's enqueue → start delay
//! (target: p99 under 2 s) and A's jobs finished a second from B's first request to B's
//! last finish. With `--baseline PATH` (a `spendlens` built from an earlier commit), the
//! same run first with that binary on its own fresh database, so that both rows come
//! from one run on one machine.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use anyhow::bail;

use crate::common::{self, Ctx, Seed, exec, float, floats, quantile, sorted};

/// How long B's refreshes are waited for.
const WAIT: Duration = Duration::from_secs(120);

pub struct Options {
    pub jobs: u64,
    pub tries: u64,
    pub every_ms: u64,
    pub concurrency: usize,
    pub latency_ms: u64,
    pub baseline: Option<PathBuf>,
}

struct Measured {
    /// B's `started_at − requested_at`, ms, sorted.
    delays: Vec<f64>,
    /// A's jobs a second, first start to last finish.
    rate: f64,
}

pub async fn run(ctx: &Ctx, options: &Options) -> anyhow::Result<Vec<String>> {
    let mut rows = Vec::new();
    if let Some(baseline) = &options.baseline {
        let ctx = Ctx {
            spendlens: baseline.clone(),
            ..ctx.clone()
        };
        rows.push((
            format!("baseline `{}`", baseline.display()),
            once(&ctx, options, "fairness_baseline").await?,
        ));
    }
    rows.push((
        "this build".to_owned(),
        once(ctx, options, "fairness").await?,
    ));
    let mut out = vec![
        format!(
            "Fairness: organization A queues {} refreshes; while one `spendlens worker` \
             (concurrency {}, sandbox latency {} ms) drains them, organization B asks for \
             one refresh every {} ms, {} times (a refresh of B not started after 120 s counts as started then)",
            options.jobs, options.concurrency, options.latency_ms, options.every_ms, options.tries
        ),
        String::new(),
        "| binary | B: start delay p50 | p99 | max | A: jobs/s | target |".into(),
        "|---|---|---|---|---|---|".into(),
    ];
    let base_rate = rows.first().map(|(_, m)| m.rate);
    for (name, measured) in &rows {
        let p99 = quantile(&measured.delays, 0.99);
        let within = base_rate.is_none_or(|base| measured.rate >= 0.9 * base);
        out.push(format!(
            "| {name} | {:.0} ms | {:.0} ms | {:.0} ms | {:.0} | B p99 < 2 s: {}; A ≥ 90 % of the first row: {} |",
            quantile(&measured.delays, 0.5),
            p99,
            quantile(&measured.delays, 1.0),
            measured.rate,
            common::verdict(p99 < 2000.0),
            common::verdict(within),
        ));
    }
    Ok(out)
}

async fn once(ctx: &Ctx, options: &Options, scenario: &str) -> anyhow::Result<Measured> {
    let (bench, store, db, a) =
        common::seeded_database(ctx, scenario, &Seed::all_available(options.jobs, "sandbox"))
            .await?;
    // A's whole bulk refresh at once, as `POST /refresh-batches` queues it (before B's
    // companies exist: `queue_jobs` takes every connected company).
    common::queue_jobs(&db, &a, options.jobs).await?;
    // As a bulk refresh of 5,000 or more does before it commits (store `batches.rs`).
    exec(&db, "ANALYZE refresh_jobs").await?;
    let b = uuid::Uuid::now_v7().to_string();
    exec(
        &db,
        &format!(
            "INSERT INTO organizations (id, slug, name, created_at) \
             VALUES ('{b}', 'other', 'Other Bank', now())"
        ),
    )
    .await?;
    exec(
        &db,
        &format!(
            "INSERT INTO companies (id, organization_id, name, description, contact_name, \
               contact_email, requests_financials, requests_spend_detail, status, \
               status_updated_at, platform, created_at, updated_at) \
             SELECT gen_random_uuid(), '{b}', 'Other ' || i || ' Ltd', '', 'Contact ' || i, \
               'contact' || i || '@other.example', true, false, 'available', now(), \
               'sandbox', now(), now() \
             FROM generate_series(1, {}) AS i",
            options.tries
        ),
    )
    .await?;
    let mut workers =
        common::start_workers(ctx, &bench, 1, options.concurrency, options.latency_ms).await?;
    exec(&db, "NOTIFY spendlens_jobs").await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let companies_of_b = common::strings(
        &db,
        &format!("SELECT id::text FROM companies WHERE organization_id = '{b}'"),
    )
    .await?;
    for company in &companies_of_b {
        exec(
            &db,
            &format!(
                "INSERT INTO refresh_jobs (id, organization_id, company_id, state, trigger, \
                   requested_at, run_at, attempts) \
                 VALUES (gen_random_uuid(), '{b}', '{company}', 'queued', 'manual', \
                   clock_timestamp(), clock_timestamp(), 0); \
                 NOTIFY spendlens_jobs"
            ),
        )
        .await?;
        tokio::time::sleep(Duration::from_millis(options.every_ms)).await;
    }
    // B's refreshes all done, A's still draining: the window that is measured. B's
    // refreshes not started within `WAIT` count as started now (the FIFO baseline's
    // would wait for A's whole queue).
    let deadline = Instant::now() + WAIT;
    loop {
        for worker in &mut workers {
            worker.check_alive()?;
        }
        let waiting = float(
            &db,
            &format!(
                "SELECT count(*)::float8 FROM refresh_jobs \
                 WHERE organization_id = '{b}' AND state IN ('queued', 'running')"
            ),
        )
        .await?;
        if waiting == 0.0 {
            break;
        }
        if Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let left = float(
        &db,
        &format!(
            "SELECT count(*)::float8 FROM refresh_jobs \
             WHERE organization_id = '{a}' AND state IN ('queued', 'running')"
        ),
    )
    .await?;
    if left == 0.0 {
        bail!("A's queue drained before B was done: queue more jobs (--jobs)");
    }
    let delays = sorted(
        floats(
            &db,
            &format!(
                "SELECT (extract(epoch FROM coalesce(started_at, clock_timestamp()) \
                   - requested_at) * 1000)::float8 \
                 FROM refresh_jobs WHERE organization_id = '{b}'"
            ),
        )
        .await?,
    );
    // A's jobs finished from B's first request to B's last finish, per second.
    let rate = float(
        &db,
        &format!(
            "WITH window_ AS ( \
               SELECT min(requested_at) AS since, \
                 CASE WHEN bool_and(finished_at IS NOT NULL) THEN max(finished_at) \
                   ELSE clock_timestamp() END AS until \
               FROM refresh_jobs WHERE organization_id = '{b}') \
             SELECT (count(*) / extract(epoch FROM window_.until - window_.since))::float8 \
             FROM refresh_jobs, window_ \
             WHERE organization_id = '{a}' \
               AND finished_at BETWEEN window_.since AND window_.until \
             GROUP BY window_.since, window_.until"
        ),
    )
    .await?;
    drop(workers);
    store.close().await?;
    drop(db);
    drop(bench);
    Ok(Measured { delays, rate })
}
