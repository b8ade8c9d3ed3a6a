//! The OAuth platforms' providers against the fakes of Xero and QuickBooks Online on
//! loopback. Tokens come from the fakes' own consent page and token endpoint, and
//! renewing one is a real `refresh_token` grant, so the fakes' authentication is
//! exercised rather than bypassed.

mod quickbooks;
mod xero;

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use chrono::{DateTime, Utc};
use domain::{CompanyId, DataType, ErrorCode};
use providers::{
    AccessGrant, Credentials, FetchError, FetchRequest, FetchedReport, GrantFuture, Provider,
    Retry, TenantPacer,
};
use reqwest::{StatusCode, Url, header};
use serde_json::Value;
use uuid::Uuid;

pub const CLIENT_ID: &str = "spendlens-client";
pub const CLIENT_SECRET: &str = "spendlens-secret";
pub const REDIRECT_URI: &str = "http://127.0.0.1:8080/api/v1/oauth/callback";
// RFC 7636 appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub const COMPANY: Uuid = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0077);

pub fn http() -> reqwest::Client {
    // reqwest is built without a TLS provider of its own (the root Cargo.toml).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The consent page's hidden request id.
pub fn request_id(html: &str) -> String {
    let start = html.find("name=\"request\" value=\"").unwrap() + 22;
    html[start..].split('"').next().unwrap().to_owned()
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Opens `authorize_url` with `params`, answers the page with `answer` (plus the page's
/// request id) and exchanges the code for tokens: the connect flow, as a browser and
/// Spendlens's callback would go through it.
pub async fn connect(
    authorize_url: &str,
    token_url: &str,
    params: &[(&str, &str)],
    answer: &[(&str, &str)],
) -> Value {
    let http = http();
    let mut query = vec![
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT_URI),
        ("state", "state-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    query.extend_from_slice(params);
    let page = http.get(authorize_url).query(&query).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let id = request_id(&page.text().await.unwrap());
    let mut form = vec![("request", id.as_str())];
    form.extend_from_slice(answer);
    let redirect = http.post(authorize_url).form(&form).send().await.unwrap();
    assert_eq!(redirect.status(), StatusCode::FOUND);
    let location = redirect.headers()[header::LOCATION].to_str().unwrap();
    let code = query_param(location, "code").expect("a code on the redirect");
    let tokens = http
        .post(token_url)
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .header(header::ACCEPT, "application/json")
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(tokens.status(), StatusCode::OK);
    tokens.json().await.unwrap()
}

/// What the credentials do when told a token was refused.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Renew {
    /// A `refresh_token` grant at the fake's token endpoint, as `connections` does.
    Refresh,
    /// Hands the refused token back (a connection whose renewal went wrong).
    Same,
}

/// A connection's tokens, renewed at the fake's token endpoint.
pub struct FakeCredentials {
    token_url: String,
    renew: Renew,
    tokens: Mutex<(AccessGrant, String)>,
    pub rejections: AtomicUsize,
}

impl FakeCredentials {
    pub fn new(token_url: String, tokens: &Value, tenant_id: &str, renew: Renew) -> Arc<Self> {
        Arc::new(Self {
            token_url,
            renew,
            tokens: Mutex::new((
                AccessGrant {
                    access_token: tokens["access_token"].as_str().unwrap().to_owned(),
                    tenant_id: tenant_id.to_owned(),
                },
                tokens["refresh_token"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )),
            rejections: AtomicUsize::new(0),
        })
    }

    pub fn rejections(&self) -> usize {
        self.rejections.load(Ordering::SeqCst)
    }

    async fn refresh(&self) -> Result<AccessGrant, FetchError> {
        let refresh_token = self.tokens.lock().unwrap().1.clone();
        let answer = http()
            .post(&self.token_url)
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .header(header::ACCEPT, "application/json")
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.as_str()),
            ])
            .send()
            .await
            .map_err(|_| FetchError::transient(ErrorCode::ProviderUnavailable, "token endpoint"))?;
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        if status == StatusCode::OK {
            let mut tokens = self.tokens.lock().unwrap();
            tokens.0.access_token = body["access_token"].as_str().unwrap().to_owned();
            tokens.1 = body["refresh_token"].as_str().unwrap().to_owned();
            return Ok(tokens.0.clone());
        }
        if body["error"] == "invalid_grant" {
            return Err(FetchError::permanent(
                ErrorCode::AccessRevoked,
                ErrorCode::AccessRevoked.default_message(),
            ));
        }
        Err(FetchError::transient(
            ErrorCode::ProviderUnavailable,
            "The token endpoint failed.",
        ))
    }
}

impl Credentials for FakeCredentials {
    fn grant(&self, company: CompanyId) -> GrantFuture<'_> {
        assert_eq!(company, CompanyId::from_uuid(COMPANY));
        Box::pin(async move { Ok(self.tokens.lock().unwrap().0.clone()) })
    }

    fn rejected<'a>(&'a self, company: CompanyId, rejected: &'a AccessGrant) -> GrantFuture<'a> {
        assert_eq!(company, CompanyId::from_uuid(COMPANY));
        Box::pin(async move {
            self.rejections.fetch_add(1, Ordering::SeqCst);
            match self.renew {
                Renew::Same => Ok(rejected.clone()),
                Renew::Refresh => self.refresh().await,
            }
        })
    }
}

/// Counts the turns taken, by tenant.
#[derive(Default)]
pub struct CountingPacer {
    pub turns: Mutex<Vec<String>>,
}

impl TenantPacer for CountingPacer {
    fn wait_turn<'a>(
        &'a self,
        tenant: &'a str,
    ) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        Box::pin(async move { self.turns.lock().unwrap().push(tenant.to_owned()) })
    }
}

pub async fn fetch(
    provider: &dyn Provider,
    data_type: DataType,
    as_of: DateTime<Utc>,
) -> Result<Vec<FetchedReport>, FetchError> {
    provider
        .fetch(FetchRequest {
            company: CompanyId::from_uuid(COMPANY),
            company_name: "Acme Ltd".to_owned(),
            data_type,
            as_of,
        })
        .await
}

pub fn assert_fails(
    result: Result<Vec<FetchedReport>, FetchError>,
    retry: Retry,
    code: ErrorCode,
) -> FetchError {
    let error = result.expect_err("the fetch should fail");
    assert_eq!((error.retry, error.code), (retry, code), "{error}");
    error
}

/// Cents as the stored reports write amounts.
pub fn units(cents: i64) -> f64 {
    cents as f64 / 100.0
}

pub fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}
