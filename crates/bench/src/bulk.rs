//! Scenario `bulk`: a bulk refresh of many companies through `POST /api/v1/refresh-batches`,
//! drained by one `spendlens worker` process on the sandbox at a fixed latency.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use crate::common::{self, Ctx, Seed, float, strings};

pub struct Options {
    pub companies: u64,
    pub latency_ms: u64,
    pub concurrency: usize,
    /// Give up (and report the progress and a projection) after this long.
    pub max_seconds: u64,
}

/// The most ids one `POST /refresh-batches` may list (api-spec: `maxItems`).
const IDS_PER_BATCH: usize = 1000;

pub async fn run(ctx: &Ctx, options: &Options) -> anyhow::Result<Vec<String>> {
    let (bench, store, db, _) = common::seeded_database(
        ctx,
        "bulk",
        &Seed::all_available(options.companies, "sandbox"),
    )
    .await?;
    let (mut server, api) = common::start_server(ctx, &bench).await?;
    let base = &api.base;
    let mut workers =
        common::start_workers(ctx, &bench, 1, options.concurrency, options.latency_ms).await?;
    let client = api.client(Duration::from_secs(900))?;
    let url = format!("{base}/api/v1/refresh-batches");

    let start = Instant::now();
    // One batch by filter if the server takes that many; otherwise batches of listed ids.
    let mut batches = Vec::new();
    let mut how = String::from("one batch by filter `{\"status\":\"available\"}`");
    let response = client
        .post(&url)
        .json(&json!({"filter": {"status": "available"}}))
        .send()
        .await?;
    let status = response.status().as_u16();
    let body: Value = response.json().await?;
    match status {
        202 => batches.push(batch_id(&body)?),
        422 => {
            eprintln!(
                "bulk: the filter was refused ({}); falling back to batches of {IDS_PER_BATCH} ids",
                body["detail"].as_str().unwrap_or("422")
            );
            let ids = strings(&db, "SELECT id::text FROM companies ORDER BY name, id").await?;
            how = format!(
                "{} batches of {IDS_PER_BATCH} ids, sequentially (the filter form is capped: {})",
                ids.len().div_ceil(IDS_PER_BATCH),
                body["detail"].as_str().unwrap_or("422")
            );
            for chunk in ids.chunks(IDS_PER_BATCH) {
                let response = client
                    .post(&url)
                    .json(&json!({ "company_ids": chunk }))
                    .send()
                    .await?;
                let status = response.status().as_u16();
                let body: Value = response.json().await?;
                if status != 202 {
                    bail!("POST /refresh-batches answered {status}: {body}");
                }
                batches.push(batch_id(&body)?);
            }
        }
        other => bail!("POST /refresh-batches answered {other}: {body}"),
    }
    let created = start.elapsed().as_secs_f64();
    eprintln!(
        "bulk: {} batch(es) created in {created:.1} s",
        batches.len()
    );

    let mut pending = batches.clone();
    let mut last_report = Instant::now();
    let deadline = start + Duration::from_secs(options.max_seconds);
    let mut gave_up = false;
    while !pending.is_empty() {
        let mut still = Vec::new();
        for id in pending {
            let body: Value = client
                .get(format!("{url}/{id}"))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            if body["done"].as_bool() != Some(true) {
                still.push(id);
            }
        }
        pending = still;
        if pending.is_empty() {
            break;
        }
        workers[0].check_alive()?;
        server.check_alive()?;
        if Instant::now() > deadline {
            eprintln!(
                "bulk: giving up after {} s (--max-seconds)",
                options.max_seconds
            );
            gave_up = true;
            break;
        }
        if last_report.elapsed() > Duration::from_secs(30) {
            last_report = Instant::now();
            let done = float(
                &db,
                "SELECT count(*)::float8 FROM refresh_jobs WHERE state IN ('succeeded', 'failed')",
            )
            .await?;
            eprintln!(
                "bulk: {:.0} s, {done} jobs finished, {} batch(es) pending",
                start.elapsed().as_secs_f64(),
                pending.len()
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let drained = start.elapsed().as_secs_f64();
    let succeeded = float(
        &db,
        "SELECT count(*)::float8 FROM refresh_jobs WHERE state = 'succeeded'",
    )
    .await?;
    let failed = float(
        &db,
        "SELECT count(*)::float8 FROM refresh_jobs WHERE state IN ('failed', 'cancelled')",
    )
    .await?;
    let total = float(&db, "SELECT count(*)::float8 FROM refresh_jobs").await?;
    let worker_span = float(
        &db,
        "SELECT extract(epoch FROM max(finished_at) - min(started_at))::float8 FROM refresh_jobs",
    )
    .await?;
    drop(workers);
    drop(server);
    store.close().await?;

    let limit =
        options.companies as f64 * options.latency_ms as f64 / 1000.0 / options.concurrency as f64;
    Ok(vec![
        format!(
            "Bulk refresh of {} companies: sandbox at {} ms per fetch, one `spendlens worker` with concurrency {} (arithmetic limit {:.0} s = {:.1} min); {how}",
            options.companies,
            options.latency_ms,
            options.concurrency,
            limit,
            limit / 60.0
        ),
        String::new(),
        "| measure | value |".into(),
        "|---|---|".into(),
        format!("| create the batch(es): first POST → last 202 | {created:.1} s |"),
        if gave_up {
            format!(
                "| drain: first POST → every batch `done` | **not done after {drained:.0} s**: {succeeded:.0} of {total:.0} jobs finished; at that pace ≈ {:.0} s ({:.1} min) — target ≤ 6 min: FAIL |",
                drained * total / succeeded.max(1.0),
                drained * total / succeeded.max(1.0) / 60.0
            )
        } else {
            format!(
                "| drain: first POST → every batch `done` | {drained:.1} s ({:.2} min) — target ≤ 6 min: {} |",
                drained / 60.0,
                common::verdict(drained <= 360.0)
            )
        },
        format!("| first job started → last job finished (so far) | {worker_span:.1} s |"),
        format!("| jobs succeeded / failed / total | {succeeded:.0} / {failed:.0} / {total:.0} |"),
        format!(
            "| throughput over the drain | {:.0} jobs/s (limit {:.0}/s) |",
            succeeded / drained,
            options.concurrency as f64 * 1000.0 / options.latency_ms as f64
        ),
    ])
}

fn batch_id(body: &Value) -> anyhow::Result<String> {
    body["id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no batch id in {body}"))
}
