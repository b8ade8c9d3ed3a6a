//! Rate limits as the platforms describe them: a number of calls in a rolling window
//! (measured on the fake's [`Clock`](crate::Clock)) and a number of calls in flight.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// At most `limit` calls in any rolling window of `length`.
#[derive(Debug)]
pub(crate) struct Window {
    limit: u32,
    length: chrono::Duration,
    hits: VecDeque<DateTime<Utc>>,
}

impl Window {
    pub(crate) fn new(limit: u32, length: Duration) -> Self {
        Self {
            limit,
            length: chrono::Duration::from_std(length).expect("window length"),
            hits: VecDeque::new(),
        }
    }

    fn prune(&mut self, now: DateTime<Utc>) {
        while self
            .hits
            .front()
            .is_some_and(|hit| *hit + self.length <= now)
        {
            self.hits.pop_front();
        }
    }

    /// Calls left in the window at `now`.
    pub(crate) fn remaining(&mut self, now: DateTime<Utc>) -> u32 {
        self.prune(now);
        self.limit.saturating_sub(self.hits.len() as u32)
    }

    /// Whole seconds (at least one) until a call leaves the window.
    pub(crate) fn retry_after(&mut self, now: DateTime<Utc>) -> u64 {
        self.prune(now);
        let Some(oldest) = self.hits.front() else {
            return 1;
        };
        let wait = (*oldest + self.length - now).num_milliseconds().max(0) as u64;
        wait.div_ceil(1000).max(1)
    }

    pub(crate) fn record(&mut self, now: DateTime<Utc>) {
        self.hits.push_back(now);
    }
}

/// Calls in progress, and the most ever seen at once.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    pub(crate) now: u32,
    pub(crate) max_seen: u32,
}

impl InFlight {
    pub(crate) fn enter(&mut self) {
        self.now += 1;
        self.max_seen = self.max_seen.max(self.now);
    }

    pub(crate) fn leave(&mut self) {
        self.now = self.now.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_forgets_calls_older_than_its_length() {
        let start = Utc::now();
        let mut window = Window::new(2, Duration::from_secs(60));
        window.record(start);
        window.record(start + chrono::Duration::seconds(10));
        assert_eq!(window.remaining(start + chrono::Duration::seconds(20)), 0);
        assert_eq!(
            window.retry_after(start + chrono::Duration::seconds(20)),
            40
        );
        assert_eq!(window.remaining(start + chrono::Duration::seconds(60)), 1);
    }
}
