//! `spendlens migrate`: apply the database migrations and exit.

use crate::cli::DatabaseArgs;

pub async fn run(args: DatabaseArgs) -> anyhow::Result<()> {
    let store = args.connect().await?;
    store.migrate().await?;
    println!("Migrations applied.");
    Ok(())
}
