//! `spendlens keys rotate`: seals every stored token again under the active key.

use crate::cli::KeysRotateArgs;

pub async fn run(args: KeysRotateArgs) -> anyhow::Result<()> {
    let store = args.database.connect().await?;
    store.migrate().await?;
    let settings = args.oauth.connections("", &args.database.database_url);
    let Some(keys) = settings.key_ring()? else {
        anyhow::bail!(
            "no encryption key: set SPENDLENS_ENCRYPTION_KEY (the new key first, then the old ones, comma-separated)"
        );
    };
    let active = keys.active().clone();
    let connector = connections::Connector::new(store, std::sync::Arc::new(keys), Vec::new())?;
    let changed = connector.rotate_keys().await?;
    println!(
        "{changed} stored secrets re-encrypted with key {active}; keys other than the first can now be removed from SPENDLENS_ENCRYPTION_KEY"
    );
    Ok(())
}
