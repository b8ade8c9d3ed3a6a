//! Fakes of the services Spendlens connects to — Xero, QuickBooks Online and the data
//! partner (an accounting-data API in the public shape of Codat's) — serving on loopback
//! what their public documentation describes. Xero and QuickBooks: the OAuth 2.0
//! authorization code flow with PKCE (a consent page, the token endpoint with expiry,
//! rotation and revocation), tenants, the accounting data Spendlens reads with its paging.
//! The data partner: API-key authentication, integrations, companies and connections,
//! the hosted link with its redirect back to the client, and the company's accounting
//! data once linked. All three: rate limits with their headers and `429`s, and error
//! answers in each service's shape. Realistic, deterministic books per organisation
//! ([`books::Books`]) back the data, and tests read the same books to compare with what a
//! client made of it.
//!
//! Tests drive time with [`Clock::advance`], queue failures with `inject`, and read what
//! happened with `counters`. Each fake is one actix-web server on `127.0.0.1`, spawned on
//! the current tokio runtime; it stops when its handle is dropped.

// Renderers answer `Result<Value, HttpResponse>`: the error is the answer itself, built
// once per request, so its size does not matter.
#![allow(clippy::result_large_err)]

pub mod books;
mod clock;
mod faults;
mod limits;
mod oauth;
pub mod partner;
pub mod quickbooks;
pub mod xero;

pub use clock::Clock;
pub use faults::{Fault, FaultTarget};
pub use partner::{ConnectionStatus, FakePartner, PartnerConfig};
pub use quickbooks::{FakeQuickBooks, QuickBooksConfig};
pub use xero::{FakeXero, XeroConfig};

use std::net::TcpListener;

use actix_web::dev::{Server, ServerHandle};

/// A fake's server, spawned on the current tokio runtime.
#[derive(Debug)]
pub(crate) struct Running {
    base_url: String,
    handle: ServerHandle,
}

impl Running {
    /// Binds `127.0.0.1:port` (0: any free port) and spawns what `build` makes of it.
    pub(crate) fn spawn(
        port: u16,
        build: impl FnOnce(TcpListener) -> std::io::Result<Server>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let base_url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
        let server = build(listener)?;
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self { base_url, handle })
    }

    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Sends the stop command at once; the returned future only waits for it.
        drop(self.handle.stop(false));
    }
}
