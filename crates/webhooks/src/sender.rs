//! Sending one signed message: a POST with the Standard Webhooks headers, through a
//! client that follows no redirects, uses no proxy, gives up after a timeout, connects
//! only to addresses the SSRF guard allowed, and reads no more of the answer than a
//! small cap.

use std::time::{Duration, Instant};

use reqwest::{Url, header};

use crate::{
    Secret,
    signature::signature_header,
    ssrf::{GuardedResolver, check_endpoint_url},
};

/// How the sender behaves.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// The whole request, connection to the end of what is read of the answer.
    pub timeout: Duration,
    /// Allow private, loopback and link-local addresses, and plain `http`.
    pub allow_private: bool,
    /// Bytes of the answer's body kept for the delivery log.
    pub response_cap: usize,
}

impl Default for SenderConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            allow_private: false,
            response_cap: 1024,
        }
    }
}

/// One message to send.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub url: &'a str,
    /// `webhook-id`.
    pub id: &'a str,
    /// `webhook-timestamp`: seconds since the epoch, when it is sent.
    pub timestamp: i64,
    pub body: &'a str,
    /// The current secret first; during a rotation, the previous one too.
    pub secrets: &'a [Secret],
}

/// What came of sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The answer's status; `None` when there was no answer.
    pub status: Option<u16>,
    /// The start of the answer's body.
    pub body: Option<String>,
    /// Why it failed before an answer (refused address, timeout, connection).
    pub error: Option<String>,
    pub duration: Duration,
}

impl Sent {
    /// 2xx.
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// 410 Gone: the receiver wants no more messages.
    pub fn gone(&self) -> bool {
        self.status == Some(410)
    }
}

pub struct Sender {
    client: reqwest::Client,
    config: SenderConfig,
}

impl Sender {
    pub fn new(config: SenderConfig) -> Result<Self, reqwest::Error> {
        // reqwest is built without a TLS provider of its own (the root Cargo.toml).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .https_only(!config.allow_private)
            .user_agent(concat!("Spendlens-Webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(GuardedResolver {
                allow_private: config.allow_private,
            })
            .build()?;
        Ok(Self { client, config })
    }

    pub async fn send(&self, message: &Message<'_>) -> Sent {
        let started = Instant::now();
        let failed = |error: String| Sent {
            status: None,
            body: None,
            error: Some(error),
            duration: started.elapsed(),
        };
        let url = match Url::parse(message.url) {
            Ok(url) => url,
            Err(err) => return failed(format!("The URL is not valid: {err}.")),
        };
        // Checked again at every delivery: the name may resolve elsewhere by now.
        if let Err(refused) = check_endpoint_url(&url, self.config.allow_private).await {
            return failed(format!("Refused: {refused}."));
        }
        let signature =
            signature_header(message.secrets, message.id, message.timestamp, message.body);
        let request = self
            .client
            .post(url)
            .header(header::CONTENT_TYPE, "application/json")
            .header("webhook-id", message.id)
            .header("webhook-timestamp", message.timestamp.to_string())
            .header("webhook-signature", signature)
            .body(message.body.to_owned());
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(err) => return failed(describe(&err)),
        };
        let status = response.status().as_u16();
        let mut body = Vec::new();
        // Read only the start; dropping the response closes the connection.
        while body.len() < self.config.response_cap {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        body.truncate(self.config.response_cap);
        Sent {
            status: Some(status),
            body: (!body.is_empty()).then(|| String::from_utf8_lossy(&body).into_owned()),
            error: None,
            duration: started.elapsed(),
        }
    }
}

/// A transport error with its causes, for the delivery log.
fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "No answer within the timeout.".to_owned();
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
