//! `spendlens org create`: an organization and its first admin, whose one-time password
//! is printed.

use server::provisioning;

use crate::cli::OrgCreateArgs;

pub async fn run(args: OrgCreateArgs) -> anyhow::Result<()> {
    let OrgCreateArgs {
        database,
        name,
        slug,
        admin_email,
        admin_name,
    } = args;
    let slug = slug.unwrap_or_else(|| provisioning::slug_of(&name));
    if slug.is_empty() || slug.len() > 64 {
        anyhow::bail!("give --slug: 1 to 64 letters, digits and dashes");
    }
    let email = domain::EmailAddress::parse(&admin_email)
        .map_err(|e| anyhow::anyhow!("--admin-email {e}"))?;
    let admin_name = admin_name.unwrap_or_else(|| {
        email
            .as_str()
            .split('@')
            .next()
            .unwrap_or("Admin")
            .to_owned()
    });
    let store = database.connect().await?;
    store.migrate().await?;
    let admin =
        provisioning::create_organization(&store, &slug, name.trim(), &email, &admin_name).await?;
    println!("Created the organization {name:?} (slug {slug}).");
    println!(
        "Its first admin signs in as {} with this one-time password:",
        admin.user.email
    );
    println!();
    println!("  {}", admin.password);
    println!();
    println!("Change it after signing in (Forgot password sends a reset link).");
    Ok(())
}
