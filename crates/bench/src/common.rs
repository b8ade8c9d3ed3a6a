//! What every scenario needs: throw-away databases, seeding, child processes, the
//! external tools (pgbench, oha), and percentiles.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use store::Store;

/// Where things are, from the command line.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// `postgres://USER@HOST:PORT` (no database name).
    pub server_url: String,
    pub spendlens: PathBuf,
    pub oha: PathBuf,
    pub pgbench: PathBuf,
    /// Logs and generated scripts of this run.
    pub workdir: PathBuf,
    /// The shipped pgbench scripts (`scripts/bench`).
    pub scripts: PathBuf,
}

impl Ctx {
    pub fn url(&self, database: &str) -> String {
        format!("{}/{database}", self.server_url.trim_end_matches('/'))
    }

    /// `HOST:PORT` of `server_url`.
    fn host_port(&self) -> &str {
        let rest = self
            .server_url
            .trim_start_matches("postgres://")
            .trim_start_matches("postgresql://")
            .trim_end_matches('/');
        rest.rsplit_once('@').map_or(rest, |(_, hostport)| hostport)
    }

    /// The portal's URL for `database`: as [`APP_ROLE`], like a production install.
    pub fn app_url(&self, database: &str) -> String {
        format!("postgres://{APP_ROLE}@{}/{database}", self.host_port())
    }

    /// Host, port and user (the portal's role) for pgbench/psql; [`run_tool`] gives
    /// them the pool's row-level security setting.
    pub fn pg_args(&self) -> Vec<String> {
        let hostport = self.host_port();
        let (host, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
        vec![
            "-h".into(),
            host.into(),
            "-p".into(),
            port.into(),
            "-U".into(),
            APP_ROLE.into(),
        ]
    }
}

/// The ordinary role the portal connects as in benchmarks (owner of each scenario's
/// database), so row-level security costs what it costs in production; a superuser
/// would skip it.
pub const APP_ROLE: &str = "spendlens_app";

/// A database made for one scenario, dropped by `drop_database` (the driver drops every
/// `spendlens_bench_*` database it made, also when a scenario fails).
pub struct BenchDb {
    pub name: String,
    /// As the portal's role ([`APP_ROLE`]): for the processes under test.
    pub url: String,
    /// As the server's superuser: for seeding and inspecting, past row-level security.
    pub admin_url: String,
}

pub async fn admin(ctx: &Ctx) -> anyhow::Result<DatabaseConnection> {
    Database::connect(ctx.url("postgres"))
        .await
        .context("cannot connect to PostgreSQL (database `postgres`)")
}

pub async fn create_database(ctx: &Ctx, scenario: &str) -> anyhow::Result<BenchDb> {
    let name = format!("spendlens_bench_{scenario}_{}", std::process::id());
    let admin = admin(ctx).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    admin
        .execute_unprepared(&format!(
            "DO $$ BEGIN CREATE ROLE {APP_ROLE} LOGIN; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        ))
        .await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name} OWNER {APP_ROLE}"))
        .await?;
    admin.close().await?;
    Ok(BenchDb {
        url: ctx.app_url(&name),
        admin_url: ctx.url(&name),
        name,
    })
}

/// Drops the `spendlens_bench_*` databases: those of this process, or all of them.
pub async fn drop_databases(ctx: &Ctx, all: bool) -> anyhow::Result<Vec<String>> {
    let admin = admin(ctx).await?;
    let suffix = format!("_{}", std::process::id());
    let rows = admin
        .query_all_raw(Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'spendlens\\_bench\\_%'",
        ))
        .await?;
    let mut dropped = Vec::new();
    for row in rows {
        let name: String = row.try_get("", "datname")?;
        if all || name.ends_with(&suffix) {
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await?;
            dropped.push(name);
        }
    }
    admin.close().await?;
    Ok(dropped)
}

pub async fn exec(db: &DatabaseConnection, sql: &str) -> anyhow::Result<()> {
    db.execute_unprepared(sql)
        .await
        .with_context(|| format!("SQL failed: {}", sql.chars().take(200).collect::<String>()))?;
    Ok(())
}

/// The first column of every row.
async fn column<T: sea_orm::TryGetable>(
    db: &DatabaseConnection,
    sql: &str,
) -> anyhow::Result<Vec<T>> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .with_context(|| format!("query failed: {sql}"))?;
    rows.iter()
        .map(|r| r.try_get_by_index::<T>(0).map_err(Into::into))
        .collect()
}

/// The first column of every row, as f64.
pub async fn floats(db: &DatabaseConnection, sql: &str) -> anyhow::Result<Vec<f64>> {
    column(db, sql).await
}

pub async fn float(db: &DatabaseConnection, sql: &str) -> anyhow::Result<f64> {
    floats(db, sql)
        .await?
        .into_iter()
        .next()
        .context("the query answered no row")
}

pub async fn strings(db: &DatabaseConnection, sql: &str) -> anyhow::Result<Vec<String>> {
    column(db, sql).await
}

/// How the seeded companies look.
pub struct Seed<'a> {
    pub companies: u64,
    /// `companies.platform` of every company with a status.
    pub platform: &'a str,
    /// `true`: every company is `available`; `false`: a quarter each of not requested,
    /// requested, available and error (by row number), like a real portfolio.
    pub all_available: bool,
    /// Users to spread the companies over (one assignee each); 0 for none.
    pub users: u64,
}

/// Creates the scenario's database, migrates it and seeds it. Answers the database,
/// the portal's store on it, an owner's connection (for set-based SQL) and the seeded
/// organization's id.
///
/// Migrated by `ctx.spendlens migrate` when that binary exists, so that a baseline binary
/// of an earlier commit (`fairness --baseline`) gets its own schema; else (`noop`, which
/// runs the worker in-process) by this build's migrations.
pub async fn seeded_database(
    ctx: &Ctx,
    scenario: &str,
    seed: &Seed<'_>,
) -> anyhow::Result<(BenchDb, Store, DatabaseConnection, String)> {
    let bench = create_database(ctx, scenario).await?;
    let store = Store::connect(&bench.url).await?;
    if ctx.spendlens.exists() {
        let migrated = Command::new(&ctx.spendlens)
            .arg("migrate")
            .env("DATABASE_URL", &bench.url)
            .stdin(Stdio::null())
            .output()?;
        if !migrated.status.success() {
            bail!(
                "`{} migrate` failed: {}",
                ctx.spendlens.display(),
                String::from_utf8_lossy(&migrated.stderr)
            );
        }
    } else {
        store.migrate().await?;
    }
    let db = Database::connect(bench.admin_url.as_str()).await?;
    let org = self::seed(&db, seed).await?;
    Ok((bench, store, db, org))
}

impl<'a> Seed<'a> {
    /// `companies` companies of `platform`, every one `available`, no users.
    pub fn all_available(companies: u64, platform: &'a str) -> Self {
        Seed {
            companies,
            platform,
            all_available: true,
            users: 0,
        }
    }
}

/// Creates the organization `bench` and its companies with set-based SQL. Returns the
/// organization's id.
pub async fn seed(db: &DatabaseConnection, seed: &Seed<'_>) -> anyhow::Result<String> {
    let org = uuid::Uuid::now_v7().to_string();
    exec(
        db,
        &format!(
            "INSERT INTO organizations (id, slug, name, created_at) \
             VALUES ('{org}', 'bench', 'Bench Bank', now())"
        ),
    )
    .await?;
    let status = if seed.all_available {
        "'available'".to_owned()
    } else {
        "(ARRAY[NULL, 'requested', 'available', 'error'])[1 + i % 4]".to_owned()
    };
    let platform = seed.platform.replace('\'', "''");
    exec(
        db,
        &format!(
            "INSERT INTO companies (id, organization_id, name, description, contact_name, \
               contact_email, requests_financials, requests_spend_detail, status, \
               status_updated_at, error_code, error_message, platform, created_at, updated_at) \
             SELECT gen_random_uuid(), '{org}', \
               initcap(substr(md5(i::text), 1, 12)) || ' ' || i || ' Ltd', \
               'Seeded by the benchmark', 'Contact ' || i, 'contact' || i || '@bench.example', \
               true, false, s.status, \
               CASE WHEN s.status IS NULL THEN NULL ELSE now() - (i % 1000) * interval '1 minute' END, \
               CASE WHEN s.status = 'error' THEN 'provider_unavailable' END, \
               CASE WHEN s.status = 'error' THEN 'The accounting platform did not answer.' END, \
               CASE WHEN s.status IN ('available', 'error') THEN '{platform}' END, \
               now(), now() \
             FROM generate_series(1, {n}) AS i, LATERAL (SELECT {status}::varchar AS status) AS s",
            n = seed.companies,
        ),
    )
    .await?;
    if seed.users > 0 {
        exec(
            db,
            &format!(
                "INSERT INTO users (id, organization_id, email, name, role, created_at) \
                 SELECT gen_random_uuid(), '{org}', 'rm' || u || '@bench.example', \
                   'Manager ' || u, 'member', now() FROM generate_series(1, {}) AS u",
                seed.users
            ),
        )
        .await?;
        exec(
            db,
            &format!(
                "INSERT INTO company_assignees (company_id, user_id) \
                 SELECT c.id, u.id FROM \
                   (SELECT id, row_number() OVER (ORDER BY id) % {n} AS k FROM companies) c \
                 JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM users) u \
                   ON u.k = c.k",
                n = seed.users
            ),
        )
        .await?;
    }
    exec(db, "VACUUM ANALYZE").await?;
    Ok(org)
}

/// Queues one refresh job per company that has a platform (as the API would).
pub async fn queue_jobs(db: &DatabaseConnection, org: &str, limit: u64) -> anyhow::Result<()> {
    exec(
        db,
        &format!(
            "INSERT INTO refresh_jobs (id, organization_id, company_id, state, trigger, \
               requested_at, run_at, attempts) \
             SELECT gen_random_uuid(), '{org}', id, 'queued', 'manual', now(), now(), 0 \
             FROM companies WHERE platform IS NOT NULL ORDER BY id LIMIT {limit}"
        ),
    )
    .await
}

/// A child process (`spendlens serve`/`worker`), stopped with SIGTERM (then SIGKILL) when
/// dropped. Its output goes to a log file in the run's work directory.
pub struct Proc {
    pub name: String,
    pub log: PathBuf,
    child: Child,
}

impl Proc {
    pub fn spawn(
        ctx: &Ctx,
        name: &str,
        args: &[&str],
        env: &[(&str, String)],
    ) -> anyhow::Result<Self> {
        let log = ctx.workdir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log)?;
        let mut command = Command::new(&ctx.spendlens);
        command
            .args(args)
            .env("SPENDLENS_OUTBOX_DIR", ctx.workdir.join("outbox"))
            .env("SPENDLENS_STATIC_DIR", ctx.workdir.join("no-web-app"))
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file);
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", ctx.spendlens.display()))?;
        Ok(Self {
            name: name.to_owned(),
            log,
            child,
        })
    }

    /// CPU seconds (user + system) the process used so far, from `/proc` (Linux).
    pub fn cpu_seconds(&self) -> f64 {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())) else {
            return f64::NAN;
        };
        // Fields after the command name (which ends with ')'): utime is the 12th, stime
        // the 13th, in clock ticks (100 a second on Linux).
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, rest)| rest)
            .split_whitespace()
            .collect();
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
        match (ticks(11), ticks(12)) {
            (Some(user), Some(system)) => (user + system) / 100.0,
            _ => f64::NAN,
        }
    }

    /// Fails if the process already exited.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "{} exited ({status}); see {}",
                self.name,
                self.log.display()
            );
        }
        Ok(())
    }

    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port nobody listens on right now, on 127.0.0.1.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// How to reach a started server: its base URL and, when the server has API keys, the
/// `Authorization` header of a key made for organization `bench`.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub authorization: Option<String>,
}

impl Api {
    /// A client that sends the key with every request.
    pub fn client(&self, timeout: Duration) -> anyhow::Result<reqwest::Client> {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(value) = &self.authorization {
            headers.insert(reqwest::header::AUTHORIZATION, value.parse()?);
        }
        Ok(http_client()
            .default_headers(headers)
            .timeout(timeout)
            .build()?)
    }

    /// The same header for oha.
    pub fn oha_headers(&self) -> Vec<String> {
        self.authorization
            .iter()
            .flat_map(|value| ["-H".to_owned(), format!("Authorization: {value}")])
            .collect()
    }
}

/// Starts `spendlens serve --no-worker` for organization `bench`, waits for `/readyz`,
/// and makes an API key with `spendlens api-key create` when the binary has that command.
pub async fn start_server(ctx: &Ctx, db: &BenchDb) -> anyhow::Result<(Proc, Api)> {
    start_server_with(ctx, db, free_port()?, &[]).await
}

/// [`start_server`] on `port`, with `extra` settings.
pub async fn start_server_with(
    ctx: &Ctx,
    db: &BenchDb,
    port: u16,
    extra: &[(&str, String)],
) -> anyhow::Result<(Proc, Api)> {
    let mut env = vec![
        ("DATABASE_URL", db.url.clone()),
        ("SPENDLENS_BIND", format!("127.0.0.1:{port}")),
        ("SPENDLENS_ORGANIZATION", "bench".into()),
        ("SPENDLENS_SAMPLE_DATA", "false".into()),
        // The per-caller limit (600 a minute by default) would answer most of the
        // load with 429: raise it, so that the server itself is measured.
        ("SPENDLENS_RATE_LIMIT_PER_MINUTE", "1000000".into()),
    ];
    env.extend(extra.iter().cloned());
    let mut server = Proc::spawn(ctx, "serve", &["serve", "--no-worker"], &env)?;
    let base = format!("http://127.0.0.1:{port}");
    let client = http_client().build()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        server.check_alive()?;
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await
            && response.status().is_success()
        {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "the server did not become ready; see {}",
                server.log.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let key = Command::new(&ctx.spendlens)
        .args(["api-key", "create", "--org", "bench", "--name", "Bench"])
        .env("DATABASE_URL", &db.url)
        .stdin(Stdio::null())
        .output()?;
    let authorization = if key.status.success() {
        let key = String::from_utf8(key.stdout)?.trim().to_owned();
        Some(format!("Bearer {key}"))
    } else {
        None
    };
    Ok((
        server,
        Api {
            base,
            authorization,
        },
    ))
}

/// Starts `spendlens worker` processes, each running `concurrency` jobs at once against
/// a sandbox that never fails and takes `sandbox_latency_ms` a fetch, and waits until
/// each one LISTENs for jobs.
pub async fn start_workers(
    ctx: &Ctx,
    db: &BenchDb,
    count: usize,
    concurrency: usize,
    sandbox_latency_ms: u64,
) -> anyhow::Result<Vec<Proc>> {
    start_workers_with(ctx, db, count, concurrency, sandbox_latency_ms, &[]).await
}

/// [`start_workers`] with `extra` settings.
pub async fn start_workers_with(
    ctx: &Ctx,
    db: &BenchDb,
    count: usize,
    concurrency: usize,
    sandbox_latency_ms: u64,
    extra: &[(&str, String)],
) -> anyhow::Result<Vec<Proc>> {
    let mut env = vec![
        ("DATABASE_URL", db.url.clone()),
        ("SPENDLENS_WORKER_CONCURRENCY", concurrency.to_string()),
        (
            "SPENDLENS_SANDBOX_LATENCY_MS",
            sandbox_latency_ms.to_string(),
        ),
        ("SPENDLENS_SANDBOX_FAILURE_RATE", "0".into()),
    ];
    env.extend(extra.iter().cloned());
    let mut workers = Vec::new();
    for i in 0..count {
        workers.push(Proc::spawn(ctx, &format!("worker{i}"), &["worker"], &env)?);
    }
    let admin = admin(ctx).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for worker in &mut workers {
            worker.check_alive()?;
        }
        let listening = float(
            &admin,
            &format!(
                "SELECT count(*)::float8 FROM pg_stat_activity \
                 WHERE datname = '{}' AND query ILIKE 'LISTEN%'",
                db.name
            ),
        )
        .await?;
        if listening >= count as f64 {
            break;
        }
        if Instant::now() > deadline {
            bail!("the workers did not start listening for jobs");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    admin.close().await?;
    Ok(workers)
}

/// pgbench's arguments common to every run: the connection, no vacuum, prepared
/// statements, `clients` clients on at most two threads.
pub fn pgbench_args(ctx: &Ctx, clients: usize) -> Vec<String> {
    let mut args = ctx.pg_args();
    args.extend(
        [
            "-n",
            "-M",
            "prepared",
            "-c",
            &clients.to_string(),
            "-j",
            &clients.min(2).to_string(),
        ]
        .map(str::to_owned),
    );
    args
}

/// Runs a tool to completion, failing with its output when it fails.
pub fn run_tool(program: &Path, args: &[String]) -> anyhow::Result<String> {
    let output = Command::new(program)
        .args(args)
        // pgbench and psql act for every organization, as the portal's pool does.
        .env("PGOPTIONS", "-c spendlens.organization_id=*")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", program.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "{} {} failed ({}):\n{stdout}\n{}",
            program.display(),
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(stdout)
}

/// pgbench's `tps = …` figure (without the initial connection time).
pub fn pgbench_tps(output: &str) -> anyhow::Result<f64> {
    output
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.trim_start_matches("tps = ").split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no tps in pgbench's output:\n{output}"))
}

/// The value at quantile `q` (0–1) of sorted `values` (nearest rank).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}

pub fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "FAIL" }
}

/// A reqwest client builder, with the TLS provider reqwest is built without installed
/// (the root Cargo.toml).
pub fn http_client() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}
