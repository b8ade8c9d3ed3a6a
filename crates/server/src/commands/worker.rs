//! `spendlens worker`: the refresh, mail and outbox workers without the API, until
//! SIGINT or SIGTERM.

use mail::Transport;
use server::{startup, workers::spawn_workers};

use crate::cli::WorkerArgs;

pub async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    let store = args
        .database
        .connect()
        .await?
        .with_report_retention(args.report_snapshots);
    store.migrate().await?;
    let transport =
        Transport::from_config(args.mail.smtp_url.as_deref(), args.mail.outbox_dir.clone())?;
    // Without `--public-url` the redirect URL is unknown, but a worker never starts an
    // authorization: it only refreshes tokens.
    let public_url = args.mail.public_url.clone().unwrap_or_default();
    let connector = args
        .oauth
        .connections(&public_url, &args.database.database_url)
        .connector(&store)?;
    let http = args.http();
    let partner = http.as_ref().map(|h| h.partner(&store)).transpose()?;
    let providers = startup::providers(
        &store,
        args.sandbox(),
        http.as_ref().zip(partner.as_ref()),
        connector.as_ref(),
    )?;
    if let Some(connector) = &connector {
        server::workers::spawn_keep_alive(connector.clone());
    }
    if let Some(partner) = partner {
        server::workers::spawn_partner_follow(partner);
    }
    let workers = spawn_workers(&store, providers, transport, args.workers())?;
    shutdown_signal().await;
    tracing::info!("shutting down: finishing running jobs");
    workers.stop().await
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("can listen for SIGTERM");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
