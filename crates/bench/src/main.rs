//! `bench`: the refresh engine and the API at scale, on PostgreSQL (issue #3).
//!
//! Each scenario creates its own database (`spendlens_bench_<scenario>_<pid>`), seeds it
//! with set-based SQL, starts what it needs (the release `spendlens` binary next to this
//! one, pgbench, oha), prints a table, and cleans up: its processes are stopped and its
//! databases dropped, also when it fails or is interrupted. `docs/benchmarks.md` has
//! the commands and the figures. Nothing here runs in the test suite.

mod api;
mod bulk;
mod common;
mod fairness;
mod latency;
mod noop;
mod xero;

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};

use crate::common::Ctx;

#[derive(Parser)]
#[command(
    name = "bench",
    about = "Spendlens benchmarks on PostgreSQL (issue #3)"
)]
struct Cli {
    /// The PostgreSQL server, without a database name. Load only ever goes to 127.0.0.1.
    #[arg(
        long,
        env = "BENCH_PG",
        default_value = "postgres://postgres@127.0.0.1:5432"
    )]
    pg: String,
    /// The `spendlens` binary (default: the one next to this binary).
    #[arg(long, env = "BENCH_SPENDLENS")]
    spendlens: Option<PathBuf>,
    /// oha (default: ~/.cache/spendlens/tools/bin/oha, else `oha` on PATH).
    #[arg(long, env = "BENCH_OHA")]
    oha: Option<PathBuf>,
    #[arg(long, env = "BENCH_PGBENCH", default_value = "/usr/bin/pgbench")]
    pgbench: PathBuf,
    /// Keep the logs of the processes (otherwise removed after a successful run).
    #[arg(long)]
    keep_logs: bool,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand, Clone)]
enum Scenario {
    /// No-op jobs/s: refresh::Worker against a pgbench SKIP LOCKED claim-and-finish loop.
    Noop {
        #[arg(long, default_value_t = 12_800)]
        jobs: u64,
        /// Worker shapes `INSTANCESxCONCURRENCY`; N = their product.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "1x1,1x4,4x1,1x16,4x4,16x1,1x64,4x16"
        )]
        shapes: Vec<String>,
    },
    /// Enqueue → start latency through POST …/refresh with idle `spendlens worker`s.
    Latency {
        #[arg(long, default_value_t = 50)]
        rate: u64,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        #[arg(long, default_value_t = 2)]
        workers: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 0)]
        sandbox_latency_ms: u64,
    },
    /// Bulk refresh of many companies through POST /refresh-batches.
    Bulk {
        #[arg(long, default_value_t = 100_000)]
        companies: u64,
        #[arg(long, default_value_t = 200)]
        latency_ms: u64,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Stop waiting after this many seconds and report the progress instead.
        #[arg(long, default_value_t = 900)]
        max_seconds: u64,
    },
    /// Bulk refresh of companies on Xero, against the fake Xero with Xero's limits.
    Xero {
        #[arg(long, default_value_t = 1000)]
        companies: u64,
        #[arg(long, default_value_t = 256)]
        concurrency: usize,
        #[arg(long, default_value_t = 16)]
        connect_parallel: usize,
        /// Give up waiting for a phase after this many seconds.
        #[arg(long, default_value_t = 900)]
        max_seconds: u64,
    },
    /// One organization's 20,000 queued refreshes against another's single refreshes.
    Fairness {
        #[arg(long, default_value_t = 20_000)]
        jobs: u64,
        #[arg(long, default_value_t = 20)]
        tries: u64,
        #[arg(long, default_value_t = 500)]
        every_ms: u64,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
        /// A `spendlens` binary of an earlier build, measured first in the same run.
        #[arg(long)]
        baseline: Option<PathBuf>,
    },
    /// GET /companies (page of 50, filtered, sorted) under oha vs the same SQL under pgbench.
    List {
        #[arg(long, default_value_t = 100_000)]
        companies: u64,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
    /// GET /company-statuses answering 304 at a fixed rate.
    Statuses {
        #[arg(long, default_value_t = 100_000)]
        companies: u64,
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        #[arg(long, default_value_t = 50)]
        ids: u64,
    },
    /// `list` and `statuses` on one seeded database.
    Api {
        #[arg(long, default_value_t = 100_000)]
        companies: u64,
    },
    /// Every scenario with its defaults.
    All,
    /// Drop every `spendlens_bench_*` database (left over by a killed run).
    Cleanup,
}

fn parse_shape(text: &str) -> anyhow::Result<(usize, usize)> {
    let (w, c) = text
        .split_once('x')
        .with_context(|| format!("shape {text:?} is not INSTANCESxCONCURRENCY"))?;
    Ok((w.trim().parse()?, c.trim().parse()?))
}

fn default_oha() -> PathBuf {
    let cached = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
        .join(".cache/spendlens/tools/bin/oha");
    if cached.exists() {
        cached
    } else {
        PathBuf::from("oha")
    }
}

async fn run_scenario(ctx: &Ctx, scenario: Scenario) -> anyhow::Result<Vec<String>> {
    let api = |companies, list, statuses| api::Options {
        companies,
        list,
        statuses,
        concurrency: 16,
        seconds: 20,
        rate: 1000,
        ids: 50,
    };
    match scenario {
        Scenario::Noop { jobs, shapes } => {
            let shapes = shapes
                .iter()
                .map(|s| parse_shape(s))
                .collect::<anyhow::Result<Vec<_>>>()?;
            noop::run(ctx, &noop::Options { jobs, shapes }).await
        }
        Scenario::Latency {
            rate,
            seconds,
            workers,
            concurrency,
            sandbox_latency_ms,
        } => {
            latency::run(
                ctx,
                &latency::Options {
                    rate,
                    seconds,
                    workers,
                    concurrency,
                    sandbox_latency_ms,
                },
            )
            .await
        }
        Scenario::Bulk {
            companies,
            latency_ms,
            concurrency,
            max_seconds,
        } => {
            bulk::run(
                ctx,
                &bulk::Options {
                    companies,
                    latency_ms,
                    concurrency,
                    max_seconds,
                },
            )
            .await
        }
        Scenario::List {
            companies,
            concurrency,
            seconds,
        } => {
            api::run(
                ctx,
                &api::Options {
                    concurrency,
                    seconds,
                    ..api(companies, true, false)
                },
            )
            .await
        }
        Scenario::Statuses {
            companies,
            rate,
            seconds,
            ids,
        } => {
            api::run(
                ctx,
                &api::Options {
                    rate,
                    seconds,
                    ids,
                    ..api(companies, false, true)
                },
            )
            .await
        }
        Scenario::Api { companies } => api::run(ctx, &api(companies, true, true)).await,
        Scenario::Fairness {
            jobs,
            tries,
            every_ms,
            concurrency,
            latency_ms,
            baseline,
        } => {
            fairness::run(
                ctx,
                &fairness::Options {
                    jobs,
                    tries,
                    every_ms,
                    concurrency,
                    latency_ms,
                    baseline,
                },
            )
            .await
        }
        Scenario::Xero {
            companies,
            concurrency,
            connect_parallel,
            max_seconds,
        } => {
            xero::run(
                ctx,
                &xero::Options {
                    companies,
                    concurrency,
                    connect_parallel,
                    max_seconds,
                },
            )
            .await
        }
        Scenario::All | Scenario::Cleanup => unreachable!("handled by main"),
    }
}

fn defaults(name: &str) -> Scenario {
    let cli = Cli::parse_from(["bench", name]);
    cli.scenario
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Logs of the in-process workers (`noop`), only when asked for with RUST_LOG.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let cli = Cli::parse();
    let exe = std::env::current_exe()?;
    let spendlens = cli
        .spendlens
        .clone()
        .unwrap_or_else(|| exe.with_file_name("spendlens"));
    if !spendlens.exists() && !matches!(cli.scenario, Scenario::Noop { .. } | Scenario::Cleanup) {
        bail!(
            "{} does not exist: build it with `cargo build --release -p server --bin spendlens`",
            spendlens.display()
        );
    }
    let workdir = std::env::temp_dir().join(format!("spendlens-bench-{}", std::process::id()));
    std::fs::create_dir_all(&workdir)?;
    let ctx = Ctx {
        server_url: cli.pg.clone(),
        spendlens,
        oha: cli.oha.clone().unwrap_or_else(default_oha),
        pgbench: cli.pgbench.clone(),
        workdir: workdir.clone(),
        scripts: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench"),
    };
    if matches!(cli.scenario, Scenario::Cleanup) {
        for name in common::drop_databases(&ctx, true).await? {
            println!("dropped {name}");
        }
        std::fs::remove_dir_all(&workdir)?;
        return Ok(());
    }
    let scenarios = match cli.scenario.clone() {
        Scenario::All => ["noop", "latency", "api", "bulk", "fairness", "xero"]
            .map(defaults)
            .to_vec(),
        one => vec![one],
    };
    println!(
        "\nSpendlens benchmarks, {} UTC, {} ({} CPUs)\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M"),
        machine(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let outcome = tokio::select! {
        outcome = async {
            for scenario in scenarios {
                let result = run_scenario(&ctx, scenario).await;
                // Each scenario's database goes as soon as it is done.
                let dropped = common::drop_databases(&ctx, false).await;
                // Each table is printed as soon as its scenario is done.
                for line in result? {
                    println!("{line}");
                }
                println!();
                dropped?;
            }
            anyhow::Ok(())
        } => outcome,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    // The processes were stopped when their handles were dropped; drop the databases
    // again in case a scenario was interrupted.
    common::drop_databases(&ctx, false).await?;
    outcome?;
    if cli.keep_logs {
        eprintln!("logs: {}", workdir.display());
    } else {
        std::fs::remove_dir_all(&workdir)?;
    }
    Ok(())
}

fn machine() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}
