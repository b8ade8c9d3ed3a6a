//! Scenario `xero`: a bulk refresh of many companies connected to Xero, against the fake
//! Xero on loopback (crate `fakes`), which enforces Xero's documented limits: 60 calls a
//! minute, 5 in flight and 5,000 a day per organisation, and 10,000 calls a minute per
//! app, each answered with `429` when exceeded.
//!
//! Every company is connected the way a customer does it — a link, Grant access with
//! Xero, the fake's consent page, the callback — with its own organisation. Then one
//! `spendlens worker` drains the first fetches the grants queued, and after a quiet
//! minute (Xero's windows empty) a bulk refresh (`POST /refresh-batches`) of all of them
//! is measured. The time the limits allow is the accounting calls made divided by the
//! app's 10,000 a minute (the organisation limits allow more); the goal is no `429` and
//! a drain within 10 % of that.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fakes::{
    FakeXero, XeroConfig,
    xero::{Organisation, XeroCounters},
};
use serde_json::{Value, json};

use crate::common::{self, Ctx, float};

pub struct Options {
    pub companies: u64,
    /// Jobs one worker runs at once: enough to keep the app's limit busy while each
    /// organisation waits for its own.
    pub concurrency: usize,
    /// Customers connecting at once while the companies are set up.
    pub connect_parallel: usize,
    pub max_seconds: u64,
}

const CLIENT_ID: &str = "spendlens-bench";
const CLIENT_SECRET: &str = "spendlens-bench-secret";
/// Xero's app limit.
const APP_PER_MINUTE: f64 = 10_000.0;
/// The fake's counters that are not the Accounting API (its identity service).
const IDENTITY: [&str; 4] = ["token", "connections", "authorize", "revocation"];

pub async fn run(ctx: &Ctx, options: &Options) -> anyhow::Result<Vec<String>> {
    let port = common::free_port()?;
    let public = format!("http://127.0.0.1:{port}");
    let mut config = XeroConfig::new(
        CLIENT_ID,
        CLIENT_SECRET,
        &format!("{public}/api/v1/oauth/xero/callback"),
    );
    config.organisations = (0..options.companies)
        .map(|i| Organisation::new(&format!("Bench Trading {i:05} Ltd"), "GBP"))
        .collect();
    let xero = FakeXero::start(config)?;
    let db = common::create_database(ctx, "xero").await?;
    let env = vec![
        ("SPENDLENS_PUBLIC_URL", public.clone()),
        ("SPENDLENS_XERO_CLIENT_ID", CLIENT_ID.to_owned()),
        ("SPENDLENS_XERO_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("SPENDLENS_XERO_AUTHORIZE_URL", xero.authorize_url()),
        ("SPENDLENS_XERO_TOKEN_URL", xero.token_url()),
        ("SPENDLENS_XERO_API_URL", xero.base_url().to_owned()),
        (
            "SPENDLENS_ENCRYPTION_KEY",
            vault::KeyRing::generate_key().to_string(),
        ),
        // Every call takes tokens from the database's buckets: a pool that large, within
        // PostgreSQL's default of 100 connections (the server has its own pool).
        ("SPENDLENS_DATABASE_MAX_CONNECTIONS", "64".to_owned()),
    ];
    let (mut server, api) = common::start_server_with(ctx, &db, port, &env).await?;
    let client = api.client(Duration::from_secs(120))?;

    let started = Instant::now();
    let organisations = xero.organisations().to_vec();
    let mut connecting = tokio::task::JoinSet::new();
    let mut ids = Vec::new();
    for (i, organisation) in organisations.into_iter().enumerate() {
        if connecting.len() >= options.connect_parallel {
            ids.push(connecting.join_next().await.context("a connection")???);
        }
        let (client, base) = (client.clone(), api.base.clone());
        let name = format!("Bench Trading {i:05} Ltd");
        connecting.spawn(async move { connect(&client, &base, &name, &organisation).await });
    }
    while let Some(id) = connecting.join_next().await {
        ids.push(id??);
    }
    let connected = started.elapsed().as_secs_f64();
    eprintln!(
        "xero: {} companies connected through the consent page in {connected:.0} s",
        ids.len()
    );
    // As the superuser: it sees every organization's rows.
    let app_db = sea_orm::Database::connect(&db.admin_url).await?;

    let mut workers = common::start_workers_with(ctx, &db, 1, options.concurrency, 0, &env).await?;
    let first = drain(
        &app_db,
        &xero,
        &mut workers,
        &mut server,
        options,
        "first fetches",
    )
    .await?;

    // Xero's windows are rolling minutes: let them empty, so the bulk refresh starts as a
    // bulk refresh of companies refreshed an hour ago would.
    tokio::time::sleep(Duration::from_secs(61)).await;
    let response = client
        .post(format!("{}/api/v1/refresh-batches", api.base))
        .json(&json!({"filter": {"status": "available"}}))
        .send()
        .await?;
    let status = response.status().as_u16();
    let body: Value = response.json().await?;
    if status != 202 {
        bail!("POST /refresh-batches answered {status}: {body}");
    }
    let bulk = drain(
        &app_db,
        &xero,
        &mut workers,
        &mut server,
        options,
        "bulk refresh",
    )
    .await?;
    let failed = float(
        &app_db,
        "SELECT count(*)::float8 FROM refresh_jobs WHERE state IN ('failed', 'cancelled')",
    )
    .await?;
    let available = float(
        &app_db,
        "SELECT count(*)::float8 FROM companies WHERE status = 'available'",
    )
    .await?;
    drop(workers);
    drop(server);
    app_db.close().await?;
    xero.stop().await;

    let mut lines = vec![
        format!(
            "Bulk refresh of {} companies on Xero (the fake, with Xero's limits), each its own organisation; one `spendlens worker`, concurrency {}; connecting them through the consent page took {connected:.0} s ({} at a time)",
            options.companies, options.concurrency, options.connect_parallel
        ),
        String::new(),
        "| phase | accounting calls | 429s | drained in | the limits allow | ratio | within 10 %? |".into(),
        "|---|---|---|---|---|---|---|".into(),
    ];
    for phase in [&first, &bulk] {
        lines.push(phase.row());
    }
    lines.push(String::new());
    lines.push(format!(
        "Companies available: {available:.0} of {}; jobs failed or cancelled: {failed:.0}. Calls per endpoint in the bulk refresh: {}",
        options.companies, bulk.endpoints
    ));
    Ok(lines)
}

/// One customer: a company, its link, Grant access with Xero, the fake's consent page
/// (this company's organisation only), the callback.
async fn connect(
    client: &reqwest::Client,
    base: &str,
    name: &str,
    organisation: &Organisation,
) -> anyhow::Result<String> {
    let company: Value = client
        .post(format!("{base}/api/v1/companies"))
        .json(&json!({
            "name": name,
            "contact_name": "Bench Contact",
            "contact_email": "contact@bench.example",
            "data_types": ["financials", "spend_detail"],
        }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = company["id"].as_str().context("a company id")?.to_owned();
    let request: Value = client
        .post(format!("{base}/api/v1/companies/{id}/information-requests"))
        .json(&json!({"delivery": "link"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let link = request["link"].as_str().context("a link")?;
    let token = link.rsplit('/').next().context("a token")?;
    // The customer's browser: no API key, no redirects followed.
    let browser = common::http_client()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let grant: Value = browser
        .post(format!("{base}/api/v1/consent/{token}/grant"))
        .json(&json!({"platform": "xero"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let authorize = grant["redirect_url"].as_str().context("Xero's page")?;
    let page = browser
        .get(authorize)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let marker = "name=\"request\" value=\"";
    let start = page.find(marker).context("the consent form")? + marker.len();
    let pending = page[start..].split('"').next().unwrap_or_default();
    let tenant = organisation.tenant_id.to_string();
    let back = browser
        .post(authorize.split('?').next().unwrap_or(authorize))
        .form(&[
            ("request", pending),
            ("decision", "allow"),
            ("tenant", tenant.as_str()),
        ])
        .send()
        .await?;
    let callback = back
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .context("Xero's redirect")?
        .to_owned();
    let landed = browser.get(&callback).send().await?;
    let location = landed
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !location.starts_with("/connect/connected") {
        bail!("{name}: the callback sent the customer to {location:?}");
    }
    Ok(id)
}

struct Phase {
    name: &'static str,
    calls: u64,
    rate_limited: u64,
    seconds: f64,
    endpoints: String,
}

impl Phase {
    /// The time Xero's app limit allows for `calls`: 10,000 a minute.
    fn allowed(&self) -> f64 {
        self.calls as f64 / (APP_PER_MINUTE / 60.0)
    }

    fn row(&self) -> String {
        let ratio = self.seconds / self.allowed();
        format!(
            "| {} | {} | {} | {:.1} s | {:.1} s | {ratio:.3} | {} |",
            self.name,
            self.calls,
            self.rate_limited,
            self.seconds,
            self.allowed(),
            common::verdict(self.rate_limited == 0 && ratio <= 1.10)
        )
    }
}

fn accounting_calls(counters: &XeroCounters) -> u64 {
    counters
        .calls
        .iter()
        .filter(|(name, _)| !IDENTITY.contains(&name.as_str()))
        .map(|(_, n)| n)
        .sum()
}

/// Waits until no refresh job is queued or running; answers what Xero saw meanwhile.
async fn drain(
    db: &sea_orm::DatabaseConnection,
    xero: &FakeXero,
    workers: &mut [common::Proc],
    server: &mut common::Proc,
    options: &Options,
    name: &'static str,
) -> anyhow::Result<Phase> {
    let before = xero.counters();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(options.max_seconds);
    let mut last_report = Instant::now();
    loop {
        let active = float(
            db,
            "SELECT count(*)::float8 FROM refresh_jobs WHERE state IN ('queued', 'running')",
        )
        .await?;
        if active == 0.0 {
            break;
        }
        for worker in workers.iter_mut() {
            worker.check_alive()?;
        }
        server.check_alive()?;
        if Instant::now() > deadline {
            bail!(
                "xero: {name} not drained after {} s ({active} jobs left)",
                options.max_seconds
            );
        }
        if last_report.elapsed() > Duration::from_secs(15) {
            last_report = Instant::now();
            eprintln!(
                "xero: {name}: {:.0} s, {active} jobs active, {} calls, {} 429s",
                start.elapsed().as_secs_f64(),
                accounting_calls(&xero.counters()) - accounting_calls(&before),
                xero.counters().rate_limited - before.rate_limited
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let seconds = start.elapsed().as_secs_f64();
    let after = xero.counters();
    let endpoints = after
        .calls
        .iter()
        .filter(|(endpoint, _)| !IDENTITY.contains(&endpoint.as_str()))
        .map(|(endpoint, n)| {
            let earlier = before.calls.get(endpoint).copied().unwrap_or(0);
            format!("{endpoint} {}", n - earlier)
        })
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Phase {
        name,
        calls: accounting_calls(&after) - accounting_calls(&before),
        rate_limited: after.rate_limited - before.rate_limited,
        seconds,
        endpoints,
    })
}
