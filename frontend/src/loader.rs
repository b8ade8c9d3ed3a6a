//! Values loaded by an async call and kept in a signal: what the pages need of
//! `LocalResource`, in a fraction of the wasm.
//!
//! Rationale: every `LocalResource<T>` instantiates leptos's async-derived machinery
//! (subscribers, wakers, scoped futures) for its `T`, about 10 KB of code per type
//! before compression; the portal has seven. A [`Loader`] is an effect, a counter and
//! two signals.

use std::future::Future;

use crate::reactive::effect;
use leptos::{prelude::*, task::spawn_local};

/// The latest value of an async call; loads again when a signal the call reads
/// changes, or on [`Loader::refetch`]. While it loads again, the last value stays.
pub struct Loader<T: Send + Sync + 'static> {
    value: RwSignal<Option<T>>,
    loading: RwSignal<bool>,
    version: RwSignal<u64>,
}

impl<T: Send + Sync + 'static> Clone for Loader<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Loader<T> {}

impl<T: Send + Sync + 'static> Loader<T> {
    /// `fetch` reads the signals it depends on, then answers the future that loads.
    pub fn new<Fut>(fetch: impl Fn() -> Fut + 'static) -> Self
    where
        Fut: Future<Output = T> + 'static,
    {
        let value = RwSignal::new(None);
        let loading = RwSignal::new(true);
        let version = RwSignal::new(0_u64);
        let latest = StoredValue::new(0_u64);
        effect(move || {
            version.track();
            let future = fetch();
            latest.update_value(|latest| *latest += 1);
            let serial = latest.get_value();
            loading.set(true);
            spawn_local(async move {
                let loaded = future.await;
                // A newer load has started (its answer wins), or the page is gone.
                if latest.try_get_value() == Some(serial) {
                    let _ = value.try_set(Some(loaded));
                    let _ = loading.try_set(false);
                }
            });
        });
        Self {
            value,
            loading,
            version,
        }
    }

    /// Loads again with the same inputs.
    pub fn refetch(&self) {
        self.version.update(|version| *version += 1);
    }

    /// Whether a load is under way (the first, or a later one).
    pub fn loading(&self) -> bool {
        self.loading.get()
    }
}

impl<T: Clone + Send + Sync + 'static> Loader<T> {
    /// The last value loaded, `None` before the first answer.
    pub fn get(&self) -> Option<T> {
        self.value.get()
    }
}
