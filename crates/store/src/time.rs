//! The time as Spendlens reads it: every "now" of the store and of the workers comes
//! from the [`Clock`] of a [`Store`](crate::Store), so tests move time forward instead
//! of sleeping.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use chrono::{DateTime, Duration, SubsecRound, Utc};

/// The system clock, or (for tests) the system clock moved forward by hand.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// How far this clock is ahead of the system's, in microseconds; `None` for the
    /// system clock itself.
    ahead: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that runs with the system's and that [`Clock::advance`] moves forward;
    /// its clones move with it.
    pub fn adjustable() -> Self {
        Self {
            ahead: Some(Arc::new(AtomicI64::new(0))),
        }
    }

    /// The current time at the precision both backends store (microseconds), so a
    /// value read back equals the value written.
    pub fn now(&self) -> DateTime<Utc> {
        let ahead = self
            .ahead
            .as_ref()
            .map_or(0, |ahead| ahead.load(Ordering::Relaxed));
        (Utc::now() + Duration::microseconds(ahead)).trunc_subsecs(6)
    }

    /// Moves an adjustable clock forward by `by`, as if that much time had passed.
    ///
    /// # Panics
    /// On the system clock, which nothing may move.
    pub fn advance(&self, by: Duration) {
        let ahead = self
            .ahead
            .as_ref()
            .expect("only an adjustable clock can be moved");
        let micros = by
            .num_microseconds()
            .expect("a duration of under 292,000 years");
        ahead.fetch_add(micros, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adjustable_clock_and_its_clones_move_forward_together() {
        let clock = Clock::adjustable();
        let clone = clock.clone();
        let before = clock.now();
        clone.advance(Duration::hours(2));
        let after = clock.now();
        assert!(after - before >= Duration::hours(2), "{before} -> {after}");
        assert!(after - before < Duration::hours(2) + Duration::seconds(5));
    }

    #[test]
    #[should_panic(expected = "only an adjustable clock")]
    fn the_system_clock_cannot_be_moved() {
        Clock::system().advance(Duration::seconds(1));
    }
}
