//! `spendlens config check`: what `serve` would start with, or every problem with it.

use std::time::Duration;

use clap::FromArgMatches;
use server::config;

use crate::cli::ServeArgs;

/// Prints `serve`'s settings with their sources, then checks the demo password and
/// that the database answers within 5 seconds.
pub async fn run(command: clap::Command, file: &config::FileValues) -> anyhow::Result<()> {
    let matches = match command.clone().try_get_matches_from(["spendlens", "serve"]) {
        Ok(matches) => matches,
        Err(err) => err.exit(),
    };
    let serve_matches = matches
        .subcommand_matches("serve")
        .expect("serve was asked for");
    let serve_command = command
        .find_subcommand("serve")
        .expect("serve is a subcommand");
    let args = ServeArgs::from_arg_matches(serve_matches).unwrap_or_else(|e| e.exit());
    match &file.path {
        Some(path) => println!("Configuration file: {}", path.display()),
        None => println!(
            "Configuration file: none (--config PATH or {})",
            config::CONFIG_ENV
        ),
    }
    for line in config::describe(serve_command, serve_matches, file) {
        println!("  {line}");
    }
    if let Some(problem) = domain::password_problem(&args.demo_password) {
        anyhow::bail!("demo_password (SPENDLENS_DEMO_PASSWORD) {problem}");
    }
    let settings = args.settings();
    let platforms: Vec<&str> = settings
        .connections
        .platforms
        .iter()
        .map(|p| p.platform.name())
        .collect();
    // The key is checked, never printed (a file the embedded default would make is
    // not made here).
    let key = match (&settings.connections.encryption_key, platforms.is_empty()) {
        (Some(_), _) => settings
            .connections
            .key_ring()?
            .map(|ring| format!("key {} active", ring.active())),
        (None, true) => None,
        (None, false) => match &settings.connections.key_file {
            Some(path) => Some(format!("kept in {}", path.display())),
            None => anyhow::bail!(
                "encryption_key (SPENDLENS_ENCRYPTION_KEY) is required to connect {}",
                platforms.join(" and ")
            ),
        },
    };
    if platforms.is_empty() {
        println!(
            "Accounting platforms: the sandbox{}.",
            if settings.http.is_some() {
                " and the data partner"
            } else {
                ""
            }
        );
    } else {
        println!(
            "Accounting platforms: the sandbox, {}{} (tokens encrypted, {}).",
            platforms.join(", "),
            if settings.http.is_some() {
                ", the data partner"
            } else {
                ""
            },
            key.unwrap_or_default()
        );
    }
    let url = &args.worker.database.database_url;
    let connected = tokio::time::timeout(Duration::from_secs(5), async {
        let store = store::Store::connect(url).await?;
        store.ping().await?;
        Ok::<_, anyhow::Error>(store.backend())
    })
    .await;
    match connected {
        Ok(Ok(backend)) => println!("Database: answers ({backend:?})."),
        Ok(Err(err)) => anyhow::bail!(
            "the database does not answer at {}: {err:#}",
            config::describe_url(url)
        ),
        Err(_) => anyhow::bail!(
            "the database does not answer (nothing within 5 seconds at {})",
            config::describe_url(url)
        ),
    }
    println!("The configuration is valid.");
    Ok(())
}
