//! The answers of `GET /api/v1/company-statuses`, kept in this process while nothing
//! they show has changed, so that a poll that finds nothing new (the portal's usual
//! `304`) costs no round trip to the database.
//!
//! On PostgreSQL, triggers send a notification naming the organization whenever a
//! change touches a polled status (migration `m20261201_000013_status_notifications`),
//! whichever process or statement makes it. [`listen`] follows them, and an answer is
//! served from memory only while all of these hold:
//! - the `LISTEN` connection has been up since before the answer was read from the
//!   database (a lost connection forgets every answer, and none is kept until it is
//!   back);
//! - no change of its organization was reported after its read started (a change
//!   committed before the read is in the answer; one committed after it is reported
//!   after it, since a notification is sent only once its transaction commits);
//! - it is younger than [`StatusCache::MAX_AGE`], a bound on the damage of a connection
//!   that died without a word.
//!
//! A write this process answers marks its organization changed as soon as it commits
//! (`request_scope::end_scope`), so the caller's next poll here never waits for the
//! notification. On SQLite nothing is kept: every poll reads the database.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, Weak},
    time::{Duration, Instant},
};

use actix_web::web::Bytes;
use domain::{CompanyId, OrganizationId};
use store::{StatusSignal, Store};

/// One answer: its entity tag and its JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub etag: String,
    pub body: Bytes,
}

/// When a read of the database started, on the cache's clock.
#[derive(Debug, Clone, Copy)]
pub struct Stamp(u64);

#[derive(Default)]
pub struct StatusCache {
    inner: Mutex<Inner>,
}

type Key = (OrganizationId, Vec<CompanyId>);

#[derive(Default)]
struct Inner {
    /// The `LISTEN` connection is up: changes are being reported.
    live: bool,
    /// Counts events; a stamp is its value when a read started.
    clock: u64,
    /// Answers read before this are void (connection lost, or a change of any
    /// organization).
    floor: u64,
    /// Each organization's last reported change.
    changed: HashMap<OrganizationId, u64>,
    entries: HashMap<Key, Entry>,
    /// The entries' body sizes together.
    bytes: usize,
}

struct Entry {
    answer: Answer,
    stamp: u64,
    at: Instant,
}

impl Inner {
    fn valid(&self, organization: OrganizationId, stamp: u64, at: Instant) -> bool {
        self.live
            && stamp >= self.floor
            && self
                .changed
                .get(&organization)
                .is_none_or(|&changed| changed <= stamp)
            && at.elapsed() < StatusCache::MAX_AGE
    }

    fn forget_all(&mut self) {
        self.clock += 1;
        self.floor = self.clock;
        self.changed.clear();
        self.entries.clear();
        self.bytes = 0;
    }
}

impl StatusCache {
    /// The longest an answer is kept, even with no change reported.
    pub const MAX_AGE: Duration = Duration::from_secs(10);
    /// Answers kept at most, and their bodies' size together: past either, the cache
    /// starts again empty.
    const MAX_ENTRIES: usize = 10_000;
    const MAX_BYTES: usize = 32 << 20;

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The state is a cache: after a panic elsewhere, start again from nothing.
        self.inner.lock().unwrap_or_else(|poisoned| {
            let mut inner = poisoned.into_inner();
            inner.forget_all();
            inner.live = false;
            inner
        })
    }

    /// The kept answer for these companies, in this order, if nothing it shows can
    /// have changed.
    pub fn get(&self, organization: OrganizationId, ids: &[CompanyId]) -> Option<Answer> {
        let inner = self.lock();
        let entry = inner.entries.get(&(organization, ids.to_vec()))?;
        inner
            .valid(organization, entry.stamp, entry.at)
            .then(|| entry.answer.clone())
    }

    /// The stamp of a read starting now, or `None` when changes are not being followed
    /// (SQLite; the connection is down): then the answer is not kept.
    pub fn stamp(&self) -> Option<Stamp> {
        let inner = self.lock();
        inner.live.then_some(Stamp(inner.clock))
    }

    /// Keeps the answer of a read that started at `stamp`, unless a change was reported
    /// since.
    pub fn put(
        &self,
        organization: OrganizationId,
        ids: Vec<CompanyId>,
        stamp: Stamp,
        answer: Answer,
    ) {
        let mut inner = self.lock();
        let at = Instant::now();
        if !inner.valid(organization, stamp.0, at) {
            return;
        }
        if inner.entries.len() >= Self::MAX_ENTRIES
            || inner.bytes + answer.body.len() > Self::MAX_BYTES
        {
            inner.entries.retain(|_, e| e.at.elapsed() < Self::MAX_AGE);
            inner.bytes = inner.entries.values().map(|e| e.answer.body.len()).sum();
            if inner.entries.len() >= Self::MAX_ENTRIES
                || inner.bytes + answer.body.len() > Self::MAX_BYTES
            {
                inner.entries.clear();
                inner.bytes = 0;
            }
        }
        inner.bytes += answer.body.len();
        let entry = Entry {
            answer,
            stamp: stamp.0,
            at,
        };
        if let Some(old) = inner.entries.insert((organization, ids), entry) {
            inner.bytes -= old.answer.body.len();
        }
    }

    /// Something the organization's polls show may have changed (`None`: any
    /// organization's).
    pub fn changed(&self, organization: Option<OrganizationId>) {
        let mut inner = self.lock();
        match organization {
            Some(organization) => {
                inner.clock += 1;
                let now = inner.clock;
                // Its entries are void from now on; `put` sweeps them out in time.
                inner.changed.insert(organization, now);
            }
            None => inner.forget_all(),
        }
    }

    fn signal(&self, signal: StatusSignal) {
        match signal {
            StatusSignal::Changed(organization) => self.changed(organization),
            StatusSignal::Listening => {
                let mut inner = self.lock();
                inner.forget_all();
                inner.live = true;
            }
            StatusSignal::Lost => {
                let mut inner = self.lock();
                inner.forget_all();
                inner.live = false;
            }
        }
    }
}

/// Follows the store's status notifications for `cache` until the cache is dropped.
/// Returns at once on SQLite.
pub async fn listen(store: Store, cache: Weak<StatusCache>) {
    store
        .listen_for_statuses(|signal| match cache.upgrade() {
            Some(cache) => {
                cache.signal(signal);
                true
            }
            None => false,
        })
        .await;
}

/// Stops the listening task when the application is dropped (a test's server, say).
pub struct Listening(pub tokio::task::JoinHandle<()>);

impl Drop for Listening {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A cache following `store`'s notifications from a task of the current runtime.
pub fn spawn(store: &Store) -> (Arc<StatusCache>, Listening) {
    let cache = Arc::new(StatusCache::default());
    let task = tokio::spawn(listen(store.clone(), Arc::downgrade(&cache)));
    (cache, Listening(task))
}
