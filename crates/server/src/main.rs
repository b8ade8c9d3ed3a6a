//! `spendlens`: one binary for the API server, the refresh workers and administration.
//! `cli.rs` parses the command line; each command lives in `commands/`.

mod cli;
mod commands;

use cli::{ApiKeyCommand, Command, ConfigCommand, KeysCommand, OrgCommand, UserCommand};
use tracing_subscriber::EnvFilter;

/// mimalloc instead of the system allocator: a request allocates and frees many small
/// buffers (rows, JSON), and glibc's malloc took about 15 % of the server's CPU under
/// load (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_logging();
    let cli::Invocation { cli, command, file } = cli::parse();
    match cli.command {
        Command::Serve(args) => commands::serve::run(args).await,
        Command::Worker(args) => commands::worker::run(args).await,
        Command::Migrate(args) => commands::migrate::run(args).await,
        Command::Openapi => commands::openapi::run(),
        Command::Org(OrgCommand::Create(args)) => commands::org_create::run(args).await,
        Command::User(UserCommand::ResetPassword(args)) => {
            commands::user_reset_password::run(args).await
        }
        Command::ApiKey(ApiKeyCommand::Create(args)) => commands::api_key_create::run(args).await,
        Command::Keys(KeysCommand::Rotate(args)) => commands::keys_rotate::run(args).await,
        Command::Config(ConfigCommand::Check) => commands::config_check::run(command, &file).await,
    }
}

/// Logs to stderr: readable text, or one JSON object per line for log collectors
/// (`SPENDLENS_LOG_FORMAT=json`).
fn init_logging() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,actix_server=warn"))
        // actix-files logs the raw path of every web-app deep link at debug, and
        // `/connect/{token}` carries the customer's link: never, whatever RUST_LOG says.
        .add_directive(
            "actix_files::service=info"
                .parse()
                .expect("a valid directive"),
        );
    match std::env::var("SPENDLENS_LOG_FORMAT").as_deref() {
        Ok("json") => tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
        Ok("text") | Err(_) => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
        Ok(other) => {
            eprintln!("SPENDLENS_LOG_FORMAT must be `text` or `json`, not {other:?}");
            std::process::exit(2);
        }
    }
}
