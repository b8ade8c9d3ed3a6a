//! `spendlens api-key create`: an API key for an organization, printed once.

use server::provisioning;

use crate::cli::ApiKeyCreateArgs;

pub async fn run(args: ApiKeyCreateArgs) -> anyhow::Result<()> {
    let name = domain::ContactName::parse(&args.name).map_err(|e| anyhow::anyhow!("--name {e}"))?;
    let store = args.database.connect().await?;
    store.migrate().await?;
    let issued = provisioning::create_api_key(&store, &args.org, &name).await?;
    // The key alone on stdout, so scripts can capture it; the rest on stderr.
    eprintln!(
        "API key {:?} for {} (shown once; send it as `Authorization: Bearer <key>`):",
        issued.name, issued.organization
    );
    println!("{}", issued.key);
    Ok(())
}
