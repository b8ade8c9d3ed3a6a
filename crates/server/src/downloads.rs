//! Heavy downloads — report files and the audit log's CSV export — are bounded per
//! process (`SPENDLENS_DOWNLOAD_CONCURRENCY`): each holds a permit from before it reads
//! the database until its body has been handed to the connection, and a download
//! past the bound is answered at once with 429 and `Retry-After`, so a burst of large
//! files cannot take all the memory and blocking threads while the API waits.
//!
//! A download does not hold a pooled database connection while its file is written:
//! the handler reads what it needs, then ends the request's scope
//! ([`crate::request_scope::release`]).

use std::{
    convert::Infallible,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use actix_web::{
    body::{BodySize, MessageBody},
    web::Bytes,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;

/// Seconds a refused download is told to wait: about what writing a large file takes.
pub const RETRY_AFTER_SECONDS: u64 = 2;

/// The default bound: twice the processor count, at least 4.
pub fn default_concurrency() -> u32 {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    u32::try_from(cores.saturating_mul(2))
        .unwrap_or(u32::MAX)
        .max(4)
}

/// The downloads being made now, at most `limit`.
#[derive(Debug)]
pub struct Downloads {
    permits: Arc<Semaphore>,
    limit: usize,
    gate: Option<Arc<DownloadGate>>,
}

impl Downloads {
    pub fn new(limit: usize, gate: Option<Arc<DownloadGate>>) -> Self {
        let limit = limit.max(1);
        Self {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
            gate,
        }
    }

    /// A permit for one download, or 429 when `limit` are being made.
    pub fn start(&self) -> Result<DownloadPermit, ApiError> {
        match self.permits.clone().try_acquire_owned() {
            Ok(permit) => Ok(DownloadPermit { _permit: permit }),
            Err(_) => Err(ApiError::TooManyRequests {
                retry_after: RETRY_AFTER_SECONDS,
                detail: format!(
                    "{} downloads are being made at once, the most this server makes; retry after {RETRY_AFTER_SECONDS} seconds.",
                    self.limit
                ),
            }),
        }
    }

    /// Between reading the database and writing the file: waits at the test gate, if
    /// there is one; otherwise returns at once.
    pub async fn before_writing(&self) {
        if let Some(gate) = &self.gate {
            gate.pass().await;
        }
    }
}

/// One download's share of the bound, given back when its body is done.
#[derive(Debug)]
pub struct DownloadPermit {
    _permit: OwnedSemaphorePermit,
}

impl DownloadPermit {
    /// `bytes` as a response body that keeps this permit until it has been sent (or the
    /// client has gone).
    pub fn body(self, bytes: Vec<u8>) -> impl MessageBody + 'static {
        PermitBody {
            bytes: Some(Bytes::from(bytes)),
            _permit: self,
        }
    }
}

/// A body of known bytes that holds a [`DownloadPermit`] until it is dropped.
struct PermitBody {
    bytes: Option<Bytes>,
    _permit: DownloadPermit,
}

impl MessageBody for PermitBody {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.bytes.as_ref().map_or(0, |b| b.len() as u64))
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Infallible>>> {
        Poll::Ready(self.get_mut().bytes.take().map(Ok))
    }
}

/// For tests: holds every download after it has read the database and before it
/// writes its file, until the test lets it go, so a test can look at what a download
/// in progress holds. `None` in every real configuration.
#[derive(Debug)]
pub struct DownloadGate {
    /// A permit for each download that has reached the gate.
    arrived: Semaphore,
    /// Permits the test gives: each lets one download through.
    open: Semaphore,
}

impl Default for DownloadGate {
    fn default() -> Self {
        Self {
            arrived: Semaphore::new(0),
            open: Semaphore::new(0),
        }
    }
}

impl DownloadGate {
    async fn pass(&self) {
        self.arrived.add_permits(1);
        if let Ok(permit) = self.open.acquire().await {
            permit.forget();
        }
    }

    /// Waits until `count` more downloads are held at the gate.
    pub async fn held(&self, count: u32) {
        if let Ok(permits) = self.arrived.acquire_many(count).await {
            permits.forget();
        }
    }

    /// Lets `count` downloads through (those held now, or the next ones).
    pub fn release(&self, count: usize) {
        self.open.add_permits(count);
    }
}
