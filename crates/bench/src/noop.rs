//! Scenario `noop`: no-op jobs per second through the real `refresh::Worker`, against a
//! raw `FOR UPDATE SKIP LOCKED` claim-and-finish loop run by pgbench on the same table.

use std::{sync::Arc, time::Duration};

use anyhow::bail;
use providers::{FetchFuture, FetchRequest, Provider};
use refresh::{Providers, Worker, WorkerConfig};
use sea_orm::DatabaseConnection;
use store::Store;

use crate::common::{self, Ctx, Seed, exec, float};

/// A provider that has nothing to fetch and says so at once.
struct Noop;

impl Provider for Noop {
    fn platform(&self) -> &'static str {
        "noop"
    }

    fn fetch(&self, _request: FetchRequest) -> FetchFuture<'_> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

pub struct Options {
    pub jobs: u64,
    /// (worker instances, concurrency of each); each instance has its own `Store`
    /// (connection pool), as a `spendlens worker` process would.
    pub shapes: Vec<(usize, usize)>,
}

/// Puts `jobs` fresh queued jobs in an otherwise empty queue.
async fn reset(db: &DatabaseConnection, org: &str, jobs: u64) -> anyhow::Result<()> {
    exec(db, "TRUNCATE refresh_jobs CASCADE").await?;
    common::queue_jobs(db, org, jobs).await?;
    exec(db, "VACUUM ANALYZE refresh_jobs").await?;
    exec(db, "CHECKPOINT").await?;
    Ok(())
}

/// Jobs per second between the first claim and the last finish, from the rows
/// themselves, so both loops are measured the same way. Fails unless every job succeeded.
async fn rate(db: &DatabaseConnection, jobs: u64) -> anyhow::Result<(f64, f64)> {
    let done = float(
        db,
        "SELECT count(*)::float8 FROM refresh_jobs WHERE state = 'succeeded'",
    )
    .await?;
    if done as u64 != jobs {
        bail!("{done} of {jobs} jobs succeeded");
    }
    let seconds = float(
        db,
        "SELECT extract(epoch FROM max(finished_at) - min(started_at))::float8 FROM refresh_jobs",
    )
    .await?;
    Ok((seconds, done / seconds))
}

async fn run_workers(
    url: &str,
    db: &DatabaseConnection,
    jobs: u64,
    (instances, concurrency): (usize, usize),
) -> anyhow::Result<(f64, f64)> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    for _ in 0..instances {
        // Sized to what one instance uses (claims, recording jobs, LISTEN), so that 16
        // instances stay within PostgreSQL's default `max_connections` of 100.
        let pool = u32::try_from(concurrency * 2 + 3)
            .unwrap_or(u32::MAX)
            .min(16);
        let store = Store::connect_with_max(url, pool).await?;
        workers.push(Arc::new(Worker::new(
            store,
            Providers::default().with(Noop),
            WorkerConfig {
                concurrency,
                ..WorkerConfig::default()
            },
        )));
    }
    let handles: Vec<_> = workers
        .into_iter()
        .map(|w| tokio::spawn(w.run(stopped.clone(), Duration::from_secs(10))))
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let left = float(
            db,
            "SELECT count(*)::float8 FROM refresh_jobs WHERE state IN ('queued', 'running')",
        )
        .await?;
        if left == 0.0 {
            break;
        }
        if std::time::Instant::now() > deadline {
            bail!("{left} jobs still queued or running after 10 minutes");
        }
    }
    let _ = stop.send(true);
    for handle in handles {
        handle.await?;
    }
    rate(db, jobs).await
}

fn run_pgbench(ctx: &Ctx, database: &str, clients: usize, jobs: u64) -> anyhow::Result<f64> {
    let mut args = common::pgbench_args(ctx, clients);
    args.extend(
        [
            "-t",
            &(jobs / clients as u64).to_string(),
            "-f",
            &ctx.scripts.join("claim_finish.sql").display().to_string(),
            database,
        ]
        .map(str::to_owned),
    );
    common::pgbench_tps(&common::run_tool(&ctx.pgbench, &args)?)
}

pub async fn run(ctx: &Ctx, options: &Options) -> anyhow::Result<Vec<String>> {
    let mut totals: Vec<usize> = options.shapes.iter().map(|(w, c)| w * c).collect();
    totals.sort_unstable();
    totals.dedup();
    // Every client of pgbench runs the same number of transactions.
    let lcm = totals.iter().fold(1u64, |acc, &n| lcm(acc, n as u64));
    let jobs = options.jobs.div_ceil(lcm) * lcm;

    let (bench, store, db, org) =
        common::seeded_database(ctx, "noop", &Seed::all_available(jobs, "noop")).await?;

    let mut lines = vec![
        format!("No-op jobs per second, {jobs} jobs per run (PostgreSQL)"),
        String::new(),
        "| N | refresh::Worker shape | Worker jobs/s | pgbench SKIP LOCKED loop jobs/s (pgbench tps) | ratio | ≥ 1,000/s | ≥ 0.5 × raw |".into(),
        "|---|---|---|---|---|---|---|".into(),
    ];
    for total in totals {
        reset(&db, &org, jobs).await?;
        let tps = run_pgbench(ctx, &bench.name, total, jobs)?;
        let (raw_seconds, raw) = rate(&db, jobs).await?;
        eprintln!("noop: pgbench -c {total}: {raw:.0} jobs/s ({raw_seconds:.2} s; tps {tps:.0})");
        for &(instances, concurrency) in options.shapes.iter().filter(|(w, c)| w * c == total) {
            reset(&db, &org, jobs).await?;
            let (seconds, per_second) =
                run_workers(&bench.url, &db, jobs, (instances, concurrency)).await?;
            eprintln!(
                "noop: {instances} worker(s) x concurrency {concurrency}: {per_second:.0} jobs/s ({seconds:.2} s)"
            );
            let ratio = per_second / raw;
            lines.push(format!(
                "| {total} | {instances} × concurrency {concurrency} | {per_second:.0} | {raw:.0} ({tps:.0}) | {ratio:.2} | {} | {} |",
                common::verdict(per_second >= 1000.0),
                common::verdict(ratio >= 0.5),
            ));
        }
    }
    store.close().await?;
    Ok(lines)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn lcm(a: u64, b: u64) -> u64 {
    a / gcd(a, b) * b
}
