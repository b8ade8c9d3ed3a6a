//! Connections to the accounting platforms: Xero and QuickBooks Online over OAuth 2.0,
//! and the data partner ([`Partner`], module `partner`).
//!
//! - [`Connector::authorize`] sends a customer from a consent link to the platform's
//!   authorize page: the OAuth 2.0 authorization code flow with PKCE (S256), through
//!   crate `oauth2`. The `state` is random, stored only as a hash, bound to the
//!   consent link and used once; the PKCE verifier is sealed (crate `vault`).
//! - [`Connector::callback`] takes the platform's answer: a refusal declines the
//!   request; a code is exchanged, the organisations it authorized are listed, and —
//!   when there is exactly one — the connection is stored, the link used up and the
//!   first fetch queued in one transaction. With several, the customer chooses
//!   ([`Connector::choose`]); nothing is ever picked for them.
//! - [`Connector`] is also the [`providers::Credentials`] the platforms' providers
//!   read tokens from: an access token is refreshed shortly before it expires, by one
//!   process at a time (a lease on the connection's row), and the rotated refresh token
//!   is committed before the new access token is used. A failing refresh backs off and
//!   after [`MAX_REFRESH_FAILURES`] stops; `invalid_grant` marks the connection
//!   disconnected, and the company shows `access_revoked` with its one-click remedy.
//!
//! Architecture invariant: no token, code, verifier, `state` or API key reaches a log, an error
//! message or a `Debug` output; errors name what failed, never a secret.

mod flow;
mod partner;
mod platforms;
mod tokens;

use std::sync::Arc;

pub use flow::{CallbackOutcome, CallbackQuery, ChoiceView, ConnectError, Tenant};
pub use partner::{
    Integration, LINK_PARAMETER, Partner, PartnerError, PartnerProgress, PartnerSettings,
};
pub use platforms::{OAuthPlatform, PlatformSettings};
pub use tokens::MAX_REFRESH_FAILURES;

/// The OAuth platforms configured for this deployment, with the store and key ring
/// their tokens live in.
#[derive(Clone)]
pub struct Connector {
    inner: Arc<Inner>,
}

struct Inner {
    store: store::Store,
    keys: Arc<vault::KeyRing>,
    platforms: Vec<PlatformSettings>,
    http: reqwest::Client,
    /// This process's name on a refresh lease.
    owner: String,
}

impl Connector {
    pub fn new(
        store: store::Store,
        keys: Arc<vault::KeyRing>,
        platforms: Vec<PlatformSettings>,
    ) -> Result<Self, reqwest::Error> {
        // reqwest is built without a TLS provider of its own (the root Cargo.toml).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .connect_timeout(std::time::Duration::from_secs(10))
            // A token endpoint that redirects is not followed (oauth2's advice: SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                keys,
                platforms,
                http,
                owner: format!("{}:{}", std::process::id(), uuid::Uuid::now_v7().simple()),
            }),
        })
    }

    /// The configured platforms, in the order the consent page offers them.
    pub fn platforms(&self) -> impl Iterator<Item = OAuthPlatform> + '_ {
        self.inner.platforms.iter().map(|p| p.platform)
    }

    /// The configured platforms' settings.
    pub fn settings_list(&self) -> Vec<PlatformSettings> {
        self.inner.platforms.clone()
    }

    fn settings(&self, platform: OAuthPlatform) -> Option<&PlatformSettings> {
        self.inner.platforms.iter().find(|p| p.platform == platform)
    }

    /// Removes authorizations customers never finished.
    pub async fn prune_authorizations(&self) -> Result<u64, sea_orm::DbErr> {
        self.inner.store.prune_authorizations().await
    }

    pub fn keys(&self) -> &vault::KeyRing {
        &self.inner.keys
    }
}

/// Where a sealed value lives: binds its ciphertext to that one place.
fn context(column: &str, id: uuid::Uuid) -> String {
    format!("{column}:{id}")
}
