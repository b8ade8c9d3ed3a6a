//! The fakes' sense of time: the wall clock plus an offset a test moves forward, so token
//! lifetimes, refresh-token expiry and rate-limit windows pass without sleeping.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// Shared by every part of one fake; cloning shares the offset.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset: Arc<Mutex<Duration>>,
}

impl Clock {
    pub fn new() -> Self {
        Self::default()
    }

    /// The fake's present: the wall clock plus every [`Clock::advance`] so far.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.offset.lock().expect("clock lock")
    }

    /// Moves the fake's present forward by `by` (tokens expire, windows roll over).
    pub fn advance(&self, by: std::time::Duration) {
        let by = Duration::from_std(by).expect("a duration chrono can hold");
        *self.offset.lock().expect("clock lock") += by;
    }
}
