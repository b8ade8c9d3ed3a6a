//! `spendlens user reset-password`: a new one-time password for a user, printed once; the
//! way out when `serve` refuses to start over a demo user's published password.

use domain::UserId;
use server::secrets;

use crate::cli::UserResetPasswordArgs;

pub async fn run(args: UserResetPasswordArgs) -> anyhow::Result<()> {
    let store = args.database.connect().await?;
    store.migrate().await?;
    let users: Vec<_> = store
        .users_signing_in(&args.email)
        .await?
        .into_iter()
        .filter(|(_, org)| args.org.as_ref().is_none_or(|slug| &org.slug == slug))
        .collect();
    if users.is_empty() {
        anyhow::bail!(
            "no active user with a password has the address {}",
            args.email
        );
    }
    for (user, organization) in users {
        let password = secrets::new_token();
        store
            .set_password(
                UserId::from_uuid(user.id),
                &secrets::hash_password(password.clone()).await?,
            )
            .await?;
        println!(
            "{} (organization {}) now signs in with this one-time password:\n\n  {password}\n",
            user.email, organization.slug
        );
    }
    println!("Change it after signing in (Forgot password sends a reset link).");
    Ok(())
}
