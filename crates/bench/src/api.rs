//! Scenarios `list` and `statuses`: the API over a large portfolio.
//!
//! - `list`: `GET /api/v1/companies?status=available&sort=name&limit=50` under oha at a
//!   fixed concurrency, against pgbench running the statements that request makes, at
//!   the same concurrency.
//! - `statuses`: `GET /api/v1/company-statuses?ids=…` with `If-None-Match` of its current
//!   ETag (answering 304) at a fixed request rate.

use std::{fmt::Write as _, time::Duration};

use anyhow::{Context as _, bail};
use domain::{CompanyId, DataStatus, OrganizationId};
use sea_orm::DatabaseConnection;
use serde_json::Value;
use store::{CompanyFilter, CompanySortKey, Store};

use crate::common::{self, Api, BenchDb, Ctx, Proc, Seed, exec, strings};

pub struct Options {
    pub companies: u64,
    pub list: bool,
    pub statuses: bool,
    /// Connections of oha and clients of pgbench for `list`.
    pub concurrency: usize,
    pub seconds: u64,
    /// Requests per second for `statuses`.
    pub rate: u64,
    /// Companies polled by one `statuses` request.
    pub ids: u64,
}

const LIST_QUERY: &str = "status=available&sort=name&limit=50";

pub async fn run(ctx: &Ctx, options: &Options) -> anyhow::Result<Vec<String>> {
    let (bench, store, db, org) = common::seeded_database(
        ctx,
        "api",
        &Seed {
            companies: options.companies,
            platform: "sandbox",
            all_available: false,
            users: 5,
        },
    )
    .await?;
    // 1 % of the portfolio has a refresh queued (no worker runs here).
    common::queue_jobs(&db, &org, options.companies / 100).await?;
    exec(&db, "VACUUM ANALYZE").await?;
    let (mut server, api) = common::start_server(ctx, &bench).await?;
    let mut lines = vec![format!(
        "API over {} companies (a quarter each not requested, requested, available, error; 5 users, one assignee each; 1 % with a queued refresh)",
        options.companies
    )];
    // When a load fails, say whether the server died under it.
    let alive = |result: anyhow::Result<Vec<String>>, server: &mut Proc| match result {
        Ok(lines) => Ok(lines),
        Err(err) => Err(match server.check_alive() {
            Ok(()) => err,
            Err(died) => err.context(died),
        }),
    };
    if options.list {
        let result = list(ctx, &bench, &store, &org, &api, &server, options).await;
        lines.extend(alive(result, &mut server)?);
    }
    if options.statuses {
        let result = statuses(ctx, &db, &api, &server, options).await;
        lines.extend(alive(result, &mut server)?);
    }
    server.check_alive()?;
    drop(server);
    store.close().await?;
    Ok(lines)
}

/// oha's JSON summary: (requests/s, p50 ms, p99 ms, status code counts). Fails unless
/// every answer had the `expected` status.
fn oha(ctx: &Ctx, args: &[String], expected: &str) -> anyhow::Result<(f64, f64, f64, String)> {
    let mut all: Vec<String> = ["--no-tui", "--output-format", "json"]
        .map(str::to_owned)
        .to_vec();
    all.extend(args.iter().cloned());
    let output = common::run_tool(&ctx.oha, &all)?;
    let json: Value = serde_json::from_str(&output)
        .with_context(|| format!("oha did not print JSON:\n{output}"))?;
    let number = |pointer: &str| {
        json.pointer(pointer)
            .and_then(Value::as_f64)
            .with_context(|| format!("no {pointer} in oha's output"))
    };
    let codes = json["statusCodeDistribution"].to_string();
    if json["statusCodeDistribution"]
        .as_object()
        .is_none_or(|c| c.keys().any(|k| k != expected))
    {
        bail!("oha expected only {expected} answers, got {codes}");
    }
    // Requests still in flight when `-z` ends are counted as "aborted due to deadline".
    if json["errorDistribution"]
        .as_object()
        .is_some_and(|e| e.keys().any(|k| k != "aborted due to deadline"))
    {
        bail!("oha saw errors: {}", json["errorDistribution"]);
    }
    Ok((
        number("/metrics/requests_per_sec")?,
        number("/metrics/latency_ms/p50")?,
        number("/metrics/latency_ms/p99")?,
        codes,
    ))
}

fn pgbench(
    ctx: &Ctx,
    database: &str,
    clients: usize,
    seconds: u64,
    script: &std::path::Path,
    defines: &[String],
) -> anyhow::Result<f64> {
    let mut args = common::pgbench_args(ctx, clients);
    args.extend(["-T", &seconds.to_string()].map(str::to_owned));
    for define in defines {
        args.extend(["-D".to_owned(), define.clone()]);
    }
    args.extend([
        "-f".to_owned(),
        script.display().to_string(),
        database.to_owned(),
    ]);
    common::pgbench_tps(&common::run_tool(&ctx.pgbench, &args)?)
}

async fn list(
    ctx: &Ctx,
    bench: &BenchDb,
    store: &Store,
    org: &str,
    api: &Api,
    server: &Proc,
    options: &Options,
) -> anyhow::Result<Vec<String>> {
    let url = format!("{}/api/v1/companies?{LIST_QUERY}", api.base);
    let client = api.client(Duration::from_secs(30))?;
    let page: Value = client
        .get(&url)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let items = page["items"].as_array().context("no items in the page")?;
    if items.len() != 50 {
        bail!("the page has {} companies, not 50", items.len());
    }
    let ids = items
        .iter()
        .map(|c| {
            c["id"]
                .as_str()
                .context("a company without an id")?
                .parse::<uuid::Uuid>()
                .map(CompanyId::from_uuid)
                .context("a company id that is not a UUID")
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    // The statements one request runs, as the store builds them (crates/store/src/
    // companies.rs, `Store::list_statements`): the page (between the two `SET LOCAL
    // plan_cache_mode` of `Store::with_generic_plans`), the page's active refreshes,
    // then the page's assignees with their users. The caller's API key is
    // checked from the server's in-process cache, not the database, on all but one
    // request every few seconds.
    let organization = OrganizationId::from_uuid(org.parse()?);
    let filter = CompanyFilter {
        search: None,
        status: Some(Some(DataStatus::Available)),
        assignee: None,
        sort: CompanySortKey::Name,
        descending: false,
        cursor: None,
        limit: 50,
    };
    let statements = store.list_statements(organization, &filter, &ids);
    // Inside the request's row-level security scope, as the server runs them.
    let (open, close) = Store::scope_statements(organization);
    let mut request_sql = String::new();
    for statement in open.iter().chain(&statements).chain(&close) {
        writeln!(request_sql, "{statement};")?;
    }
    let request_script = ctx.workdir.join("list_request.sql");
    std::fs::write(&request_script, &request_sql)?;
    let page_script = ctx.workdir.join("list_page.sql");
    // The page query: the first statement that is not a `SET`.
    let page_sql = statements
        .iter()
        .find(|s| !s.starts_with("SET "))
        .context("no page query")?;
    std::fs::write(&page_script, format!("{page_sql};\n"))?;

    let explain = explain(ctx, &bench.name, page_sql)?;
    eprintln!("list: EXPLAIN of the page query:\n{explain}");

    let c = options.concurrency;
    let seconds = options.seconds;
    let mut args = vec![
        "-z".to_owned(),
        format!("{seconds}s"),
        "-c".to_owned(),
        c.to_string(),
    ];
    args.extend(api.oha_headers());
    args.push(url.clone());
    let cpu = server.cpu_seconds();
    let (rps, p50, p99, codes) = oha(ctx, &args, "200")?;
    let cpu_ms = (server.cpu_seconds() - cpu) * 1000.0 / (rps * seconds as f64);
    eprintln!("list: oha {rps:.0} req/s, p50 {p50:.1} ms, p99 {p99:.1} ms, {codes}");
    let full = pgbench(ctx, &bench.name, c, seconds, &request_script, &[])?;
    eprintln!("list: pgbench (every statement of a request) {full:.0} tps");
    let main_only = pgbench(ctx, &bench.name, c, seconds, &page_script, &[])?;
    eprintln!("list: pgbench (page query only) {main_only:.0} tps");
    let ratio = rps / full;
    let mut lines = vec![
        String::new(),
        format!("`GET /api/v1/companies?{LIST_QUERY}`, concurrency {c}, {seconds} s each"),
        String::new(),
        "| load | per second | p50 | p99 | note |".into(),
        "|---|---|---|---|---|".into(),
        format!(
            "| oha → the API | {rps:.0} req/s | {p50:.1} ms | {p99:.1} ms | status codes {codes}; server CPU {cpu_ms:.2} ms/request |"
        ),
        format!(
            "| pgbench: the {} statements of one request | {full:.0} tps | | | |",
            request_sql.matches(';').count()
        ),
        format!("| pgbench: the page query only | {main_only:.0} tps | | | |"),
        String::new(),
        format!(
            "API / pgbench (same statements) = **{ratio:.2}** — target ≥ 0.5: {}; API / page query only = {:.2}",
            common::verdict(ratio >= 0.5),
            rps / main_only
        ),
        String::new(),
        "EXPLAIN (ANALYZE, BUFFERS) of the page query:".into(),
        String::new(),
        "```".into(),
    ];
    lines.extend(explain.lines().map(str::to_owned));
    lines.push("```".into());
    Ok(lines)
}

/// EXPLAIN (ANALYZE, BUFFERS) of the page query, through psql.
fn explain(ctx: &Ctx, database: &str, statement: &str) -> anyhow::Result<String> {
    let mut args = ctx.pg_args();
    args.extend([
        "-X".to_owned(),
        "-At".to_owned(),
        "-d".to_owned(),
        database.to_owned(),
        "-c".to_owned(),
        format!(
            "EXPLAIN (ANALYZE, BUFFERS) {}",
            statement.trim().trim_end_matches(';')
        ),
    ]);
    common::run_tool(&psql(ctx), &args)
}

fn psql(ctx: &Ctx) -> std::path::PathBuf {
    ctx.pgbench.with_file_name("psql")
}

async fn statuses(
    ctx: &Ctx,
    db: &DatabaseConnection,
    api: &Api,
    server: &Proc,
    options: &Options,
) -> anyhow::Result<Vec<String>> {
    let client = api.client(Duration::from_secs(30))?;
    // The rows a portal page polls: companies with a refresh in progress.
    let ids = strings(
        db,
        &format!(
            "SELECT company_id::text FROM refresh_jobs WHERE state = 'queued' ORDER BY company_id LIMIT {}",
            options.ids
        ),
    )
    .await?;
    let url = format!("{}/api/v1/company-statuses?ids={}", api.base, ids.join(","));
    let first = client.get(&url).send().await?.error_for_status()?;
    let etag = first
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .context("no ETag")?
        .to_owned();
    let check = client
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await?;
    if check.status().as_u16() != 304 {
        bail!(
            "If-None-Match with the current ETag answered {}",
            check.status()
        );
    }
    let seconds = options.seconds;
    let rate = options.rate;
    let mut args = vec![
        "-z".to_owned(),
        format!("{seconds}s"),
        "-q".to_owned(),
        rate.to_string(),
        "--latency-correction".to_owned(),
        "-c".to_owned(),
        "50".to_owned(),
        "-H".to_owned(),
        format!("If-None-Match: {etag}"),
    ];
    args.extend(api.oha_headers());
    args.push(url);
    let cpu = server.cpu_seconds();
    let (rps, p50, p99, codes) = oha(ctx, &args, "304")?;
    let cpu_ms = (server.cpu_seconds() - cpu) * 1000.0 / (rps * seconds as f64);
    eprintln!("statuses: {rps:.0} req/s, p50 {p50:.2} ms, p99 {p99:.2} ms, {codes}");
    Ok(vec![
        String::new(),
        format!(
            "`GET /api/v1/company-statuses?ids=<{} ids>` with `If-None-Match: <current ETag>`, oha -q {rate} --latency-correction -c 50 for {seconds} s",
            ids.len()
        ),
        String::new(),
        "| achieved | p50 | p99 | status codes | server CPU | target |".into(),
        "|---|---|---|---|---|---|".into(),
        format!(
            "| {rps:.0} req/s | {p50:.2} ms | {p99:.2} ms | {codes} | {cpu_ms:.2} ms/request | p99 < 20 ms: {} |",
            common::verdict(p99 < 20.0)
        ),
    ])
}
