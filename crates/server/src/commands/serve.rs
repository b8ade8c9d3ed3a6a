//! `spendlens serve`: the API and the web app, with the workers in process unless
//! `--no-worker`.

use server::startup::Application;

use crate::cli::ServeArgs;

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    if args.demo == Some(true) && !args.loopback() {
        anyhow::bail!(
            "--demo (SPENDLENS_DEMO) is allowed on a loopback bind address only, not {}: \
             its users' password is published",
            args.bind
        );
    }
    let settings = args.settings();
    let url = settings.public_url.clone();
    if let Some(problem) = domain::password_problem(&args.demo_password) {
        anyhow::bail!("SPENDLENS_DEMO_PASSWORD {problem}");
    }
    let show_demo_users =
        settings.demo && settings.sample_data && settings.organization.as_deref() == Some("demo");
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "listening");
    eprintln!("\n  Spendlens is running at {url}\n  API docs: {url}/api/docs/");
    if show_demo_users {
        eprintln!(
            "  Sign in as admin@demobank.example (admin) or alex.morgan@demobank.example \
             (relationship manager)\n  with the demo password: {}\n",
            args.demo_password
        );
    } else {
        eprintln!();
    }
    app.run_until_stopped().await
}
