//! API keys recently found valid, so an integrator's every request need not read
//! `api_keys`.

use std::{collections::HashMap, sync::Mutex, time::Duration, time::Instant};

use store::entities::api_keys;

/// API keys recently found valid, by hash, for a few seconds. Revoking a key drops it
/// here at once; other replicas stop accepting it within [`KeyCache::TTL`].
#[derive(Default)]
pub struct KeyCache {
    keys: Mutex<HashMap<String, (api_keys::Model, Instant)>>,
}

impl KeyCache {
    pub const TTL: Duration = Duration::from_secs(5);
    /// Entries kept at most (a flood of distinct keys cannot grow it without bound).
    const CAPACITY: usize = 10_000;

    pub(crate) fn get(&self, hash: &str) -> Option<api_keys::Model> {
        let keys = self.keys.lock().ok()?;
        let (key, at) = keys.get(hash)?;
        (at.elapsed() < Self::TTL).then(|| key.clone())
    }

    pub(crate) fn put(&self, hash: String, key: api_keys::Model) {
        if let Ok(mut keys) = self.keys.lock() {
            if keys.len() >= Self::CAPACITY {
                keys.retain(|_, (_, at)| at.elapsed() < Self::TTL);
            }
            if keys.len() < Self::CAPACITY {
                keys.insert(hash, (key, Instant::now()));
            }
        }
    }

    /// Forgets a key at once (it was revoked).
    pub fn forget(&self, hash: &str) {
        if let Ok(mut keys) = self.keys.lock() {
            keys.remove(hash);
        }
    }
}
