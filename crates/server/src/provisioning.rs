//! Organizations and API keys made outside any request — by `spendlens org create` and
//! `spendlens api-key create` — and audited as the system's doing.

use domain::{ContactName, EmailAddress, OrganizationId, Role, UserId};
use store::{AuditActor, AuditRecord, Store, entities::users};

use crate::secrets;

/// `Northern Bank` → `northern-bank`.
pub fn slug_of(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// A new organization's first admin and the one-time password they sign in with.
pub struct FirstAdmin {
    pub user: users::Model,
    pub password: String,
}

/// Creates the organization `slug` called `name`, with `admin_email` as its first admin
/// and a random one-time password. Fails if the slug is taken.
pub async fn create_organization(
    store: &Store,
    slug: &str,
    name: &str,
    admin_email: &EmailAddress,
    admin_name: &str,
) -> anyhow::Result<FirstAdmin> {
    if store.organization_by_slug(slug).await?.is_some() {
        anyhow::bail!("an organization with the slug {slug:?} already exists");
    }
    let organization = store.create_organization(slug, name).await?;
    let org_id = OrganizationId::from_uuid(organization.id);
    let admin = store
        .create_user(org_id, admin_email, admin_name, Role::Admin.as_str())
        .await?;
    let password = secrets::new_token();
    store
        .set_password(
            UserId::from_uuid(admin.id),
            &secrets::hash_password(password.clone()).await?,
        )
        .await?;
    store
        .record_audit(AuditRecord {
            organization: org_id,
            actor: AuditActor::System,
            action: domain::AuditAction::OrganizationCreated,
            company: None,
            target: Some(admin.email.clone()),
            ip: None,
            detail: Some(serde_json::json!({ "slug": slug, "via": "cli" })),
        })
        .await?;
    Ok(FirstAdmin {
        user: admin,
        password,
    })
}

/// An API key just made: the key itself (never stored), what it is called, and the slug
/// of its organization.
pub struct IssuedApiKey {
    pub key: String,
    pub name: String,
    pub organization: String,
}

/// Creates an API key called `name` for the organization `org_slug`.
pub async fn create_api_key(
    store: &Store,
    org_slug: &str,
    name: &ContactName,
) -> anyhow::Result<IssuedApiKey> {
    let organization = store
        .organization_by_slug(org_slug)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no organization with the slug {org_slug:?}"))?;
    let org_id = OrganizationId::from_uuid(organization.id);
    let (key, prefix) = secrets::new_api_key();
    let stored = store
        .create_api_key(
            org_id,
            name.as_ref(),
            &prefix,
            &secrets::token_hash(&key),
            None,
        )
        .await?;
    store
        .record_audit(AuditRecord {
            organization: org_id,
            actor: AuditActor::System,
            action: domain::AuditAction::ApiKeyCreated,
            company: None,
            target: Some(stored.name.clone()),
            ip: None,
            detail: Some(serde_json::json!({ "api_key_id": stored.id, "prefix": stored.prefix, "via": "cli" })),
        })
        .await?;
    Ok(IssuedApiKey {
        key,
        name: stored.name,
        organization: organization.slug,
    })
}
