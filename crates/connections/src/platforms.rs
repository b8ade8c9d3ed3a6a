//! Each OAuth platform's endpoints, scopes and token lifetimes.

use std::fmt;

use oauth2::{
    AuthUrl, ClientId, ClientSecret, EndpointNotSet, EndpointSet, RedirectUrl, TokenUrl,
    basic::BasicClient,
};

/// A platform reached with OAuth 2.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OAuthPlatform {
    Xero,
    QuickBooks,
}

impl OAuthPlatform {
    pub const ALL: [OAuthPlatform; 2] = [OAuthPlatform::Xero, OAuthPlatform::QuickBooks];

    /// The platform id stored on a company and used in URLs.
    pub const fn id(self) -> &'static str {
        match self {
            OAuthPlatform::Xero => "xero",
            OAuthPlatform::QuickBooks => "quickbooks",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.id() == id)
    }

    pub const fn name(self) -> &'static str {
        match self {
            OAuthPlatform::Xero => "Xero",
            OAuthPlatform::QuickBooks => "QuickBooks Online",
        }
    }

    /// Read-only scopes: what Spendlens reads and nothing more (docs/connectors.md).
    pub const fn scopes(self) -> &'static [&'static str] {
        match self {
            // `offline_access` for a refresh token; the granular read scopes for reports,
            // contacts, bills and payments.
            OAuthPlatform::Xero => &[
                "offline_access",
                "accounting.reports.read",
                "accounting.contacts.read",
                "accounting.invoices.read",
                "accounting.payments.read",
                // The organisation's base currency and account names.
                "accounting.settings.read",
            ],
            OAuthPlatform::QuickBooks => &["com.intuit.quickbooks.accounting"],
        }
    }

    /// How long before expiry an access token is refreshed. Xero's live 30 minutes,
    /// QuickBooks's 60.
    pub const fn refresh_margin(self) -> chrono::TimeDelta {
        chrono::TimeDelta::minutes(5)
    }

    /// A refresh token unused this long is renewed by the keep-alive sweep (Xero's die
    /// after 60 days unused; QuickBooks's after 100 days).
    pub const fn keep_alive_after(self) -> chrono::TimeDelta {
        match self {
            OAuthPlatform::Xero => chrono::TimeDelta::days(30),
            OAuthPlatform::QuickBooks => chrono::TimeDelta::days(50),
        }
    }
}

impl fmt::Display for OAuthPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A configured platform: the registered app and where the platform lives.
#[derive(Clone)]
pub struct PlatformSettings {
    pub platform: OAuthPlatform,
    pub client_id: String,
    pub client_secret: String,
    pub authorize_url: String,
    pub token_url: String,
    /// Xero: `https://api.xero.com` (`/connections`, `/api.xro/2.0`); QuickBooks:
    /// `https://quickbooks.api.intuit.com` (`/v3/company/{realmId}`).
    pub api_url: String,
    /// `{SPENDLENS_PUBLIC_URL}/api/v1/oauth/{platform}/callback`, registered with the
    /// platform exactly.
    pub redirect_url: String,
}

impl fmt::Debug for PlatformSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformSettings")
            .field("platform", &self.platform)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("authorize_url", &self.authorize_url)
            .field("token_url", &self.token_url)
            .field("api_url", &self.api_url)
            .field("redirect_url", &self.redirect_url)
            .finish()
    }
}

pub(crate) type OAuthClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

impl PlatformSettings {
    /// The defaults of `../shared/BRIEF.md`'s contract: the real services.
    pub fn defaults(platform: OAuthPlatform) -> (&'static str, &'static str, &'static str) {
        match platform {
            OAuthPlatform::Xero => (
                "https://login.xero.com/identity/connect/authorize",
                "https://identity.xero.com/connect/token",
                "https://api.xero.com",
            ),
            OAuthPlatform::QuickBooks => (
                "https://appcenter.intuit.com/connect/oauth2",
                "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
                "https://quickbooks.api.intuit.com",
            ),
        }
    }

    /// The `oauth2` client; fails only on a URL that does not parse (checked when the
    /// settings were read).
    pub(crate) fn client(&self) -> Result<OAuthClient, url::ParseError> {
        Ok(BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.clone()))
            .set_auth_uri(AuthUrl::new(self.authorize_url.clone())?)
            .set_token_uri(TokenUrl::new(self.token_url.clone())?)
            .set_redirect_uri(RedirectUrl::new(self.redirect_url.clone())?))
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}{path}", self.api_url.trim_end_matches('/'))
    }
}
