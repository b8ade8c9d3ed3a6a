//! `spendlens serve`: the API and the web app, with the workers in process unless
//! `--no-worker`.

use server::startup::Application;

use crate::cli::ServeArgs;

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let settings = args.settings();
    let url = settings.public_url.clone();
    if let Some(problem) = domain::password_problem(&args.demo_password) {
        anyhow::bail!("SPENDLENS_DEMO_PASSWORD {problem}");
    }
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "listening");
    eprintln!("\n  Spendlens is running at {url}\n  API docs: {url}/api/docs/");
    if args.sample_data && args.organization == "demo" {
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
