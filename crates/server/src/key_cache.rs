//! API keys recently found valid, so an integrator's every request need not read
//! `api_keys`.

use std::{collections::HashMap, sync::Mutex, time::Duration, time::Instant};

use store::entities::api_keys;
use uuid::Uuid;

/// API keys recently found valid, by hash, for a few seconds.
///
/// An entry is only ever made from a lookup that read the key unrevoked and its creator
/// active, in one query (`Store::use_api_key`). Revoking a key, or deactivating the user
/// who created it, drops it here at once; other replicas (several `serve` processes on
/// one PostgreSQL database) stop accepting it within [`KeyCache::TTL`] of the change's
/// commit. Refusals are not cached: a reactivated user's keys work again at the next
/// request.
#[derive(Default)]
pub struct KeyCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    keys: HashMap<String, (api_keys::Model, Instant)>,
    /// Keys revoked and users deactivated by this process within the last TTL. Their
    /// keys are read from the database at every request, not cached: a lookup that
    /// raced the change (it read the row before the change committed) cannot put the
    /// key back for another TTL.
    revoked: HashMap<String, Instant>,
    deactivated: HashMap<Uuid, Instant>,
}

impl Inner {
    fn stopped_lately(&mut self, hash: &str, key: &api_keys::Model) -> bool {
        self.revoked.retain(|_, at| at.elapsed() < KeyCache::TTL);
        self.deactivated
            .retain(|_, at| at.elapsed() < KeyCache::TTL);
        self.revoked.contains_key(hash)
            || key
                .created_by
                .is_some_and(|user| self.deactivated.contains_key(&user))
    }
}

impl KeyCache {
    pub const TTL: Duration = Duration::from_secs(5);
    /// Entries kept at most (a flood of distinct keys cannot grow it without bound).
    const CAPACITY: usize = 10_000;

    pub(crate) fn get(&self, hash: &str) -> Option<api_keys::Model> {
        let inner = self.inner.lock().ok()?;
        let (key, at) = inner.keys.get(hash)?;
        (at.elapsed() < Self::TTL).then(|| key.clone())
    }

    pub(crate) fn put(&self, hash: String, key: api_keys::Model) {
        if let Ok(mut inner) = self.inner.lock() {
            if inner.stopped_lately(&hash, &key) {
                return;
            }
            if inner.keys.len() >= Self::CAPACITY {
                inner.keys.retain(|_, (_, at)| at.elapsed() < Self::TTL);
            }
            if inner.keys.len() < Self::CAPACITY {
                inner.keys.insert(hash, (key, Instant::now()));
            }
        }
    }

    /// Forgets a key at once (it was revoked).
    pub fn forget(&self, hash: &str) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.keys.remove(hash);
            inner.revoked.insert(hash.to_owned(), Instant::now());
        }
    }

    /// Forgets at once every key `user` created (they were deactivated).
    pub fn forget_created_by(&self, user: Uuid) {
        if let Ok(mut inner) = self.inner.lock() {
            inner
                .keys
                .retain(|_, (key, _)| key.created_by != Some(user));
            inner.deactivated.insert(user, Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(created_by: Option<Uuid>) -> api_keys::Model {
        api_keys::Model {
            id: Uuid::now_v7(),
            organization_id: Uuid::now_v7(),
            name: "Loan origination system".to_owned(),
            prefix: "slk_abcd".to_owned(),
            key_hash: "hash".to_owned(),
            created_by,
            created_at: chrono::Utc::now(),
            last_used_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn a_deactivated_users_keys_are_forgotten_and_not_cached_again_for_a_while() {
        let cache = KeyCache::default();
        let (ada, bea) = (Uuid::now_v7(), Uuid::now_v7());
        cache.put("a".to_owned(), key(Some(ada)));
        cache.put("b".to_owned(), key(Some(bea)));
        cache.put("cli".to_owned(), key(None));
        cache.forget_created_by(ada);
        assert!(cache.get("a").is_none());
        assert!(cache.get("b").is_some());
        assert!(cache.get("cli").is_some());
        // A lookup that read the key before the deactivation committed does not put it
        // back.
        cache.put("a".to_owned(), key(Some(ada)));
        assert!(cache.get("a").is_none());
    }

    #[test]
    fn a_revoked_key_is_forgotten_and_not_cached_again_for_a_while() {
        let cache = KeyCache::default();
        cache.put("a".to_owned(), key(None));
        cache.forget("a");
        assert!(cache.get("a").is_none());
        cache.put("a".to_owned(), key(None));
        assert!(cache.get("a").is_none());
    }
}
