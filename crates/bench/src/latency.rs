//! Scenario `latency`: enqueue → start latency. Refreshes are requested one at a time at a
//! steady rate through `POST /api/v1/companies/{id}/refresh` of a `serve --no-worker`
//! process, while `spendlens worker` processes wait idle (LISTEN/NOTIFY wakes them).

use std::time::{Duration, Instant};

use anyhow::bail;
use tokio::time::MissedTickBehavior;

use crate::common::{self, Ctx, Seed, float, floats, quantile, sorted, strings};

pub struct Options {
    pub rate: u64,
    pub seconds: u64,
    pub workers: usize,
    pub concurrency: usize,
    pub sandbox_latency_ms: u64,
}

pub async fn run(ctx: &Ctx, options: &Options) -> anyhow::Result<Vec<String>> {
    let requests = options.rate * options.seconds;
    let (bench, store, db, _) =
        common::seeded_database(ctx, "latency", &Seed::all_available(requests, "sandbox")).await?;
    let (mut server, api) = common::start_server(ctx, &bench).await?;
    let base = &api.base;
    let mut workers = common::start_workers(
        ctx,
        &bench,
        options.workers,
        options.concurrency,
        options.sandbox_latency_ms,
    )
    .await?;
    // Let them settle into waiting.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let ids = strings(&db, "SELECT id::text FROM companies ORDER BY random()").await?;
    let client = api.client(Duration::from_secs(30))?;
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / options.rate as f64));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut sent = Vec::with_capacity(ids.len());
    for id in ids {
        ticker.tick().await;
        let client = client.clone();
        let url = format!("{base}/api/v1/companies/{id}/refresh");
        sent.push(tokio::spawn(async move {
            let start = Instant::now();
            let status = client.post(url).send().await.map(|r| r.status().as_u16());
            (status, start.elapsed().as_secs_f64() * 1000.0)
        }));
    }
    let mut http = Vec::with_capacity(sent.len());
    for request in sent {
        let (status, ms) = request.await?;
        match status {
            Ok(202) => http.push(ms),
            Ok(other) => bail!("POST …/refresh answered {other}"),
            Err(err) => bail!("POST …/refresh failed: {err}"),
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let waiting = float(
            &db,
            "SELECT count(*)::float8 FROM refresh_jobs WHERE started_at IS NULL",
        )
        .await?;
        if waiting == 0.0 {
            break;
        }
        if Instant::now() > deadline {
            bail!("{waiting} jobs never started");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let delays = sorted(
        floats(
            &db,
            "SELECT (extract(epoch FROM started_at - requested_at) * 1000)::float8 FROM refresh_jobs",
        )
        .await?,
    );
    let http = sorted(http);
    for worker in &mut workers {
        worker.check_alive()?;
    }
    server.check_alive()?;
    drop(workers);
    drop(server);
    store.close().await?;

    let p99 = quantile(&delays, 0.99);
    Ok(vec![
        format!(
            "Enqueue → start latency: {requests} refreshes at {}/s for {} s, {} `spendlens worker` × concurrency {} (sandbox latency {} ms)",
            options.rate,
            options.seconds,
            options.workers,
            options.concurrency,
            options.sandbox_latency_ms
        ),
        String::new(),
        "| measure | p50 | p90 | p99 | max | target |".into(),
        "|---|---|---|---|---|---|".into(),
        format!(
            "| started_at − requested_at | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | p99 < 100 ms: {} |",
            quantile(&delays, 0.5),
            quantile(&delays, 0.9),
            p99,
            quantile(&delays, 1.0),
            common::verdict(p99 < 100.0)
        ),
        format!(
            "| POST …/refresh → 202 (client) | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | — |",
            quantile(&http, 0.5),
            quantile(&http, 0.9),
            quantile(&http, 0.99),
            quantile(&http, 1.0)
        ),
    ])
}
