//! When a failed delivery is tried again: the Standard Webhooks schedule by default.

use std::{str::FromStr, time::Duration};

/// The delay before each attempt, the first included: attempt `n` (from 1) runs
/// `delays[n - 1]` after the previous one failed (the first, after the event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl RetrySchedule {
    /// Immediately, then 5 seconds, 5 minutes, 30 minutes, 2 hours, 5 hours, 10 hours
    /// and 10 hours after each failure: 8 attempts over about 28 hours.
    pub fn standard() -> Self {
        Self(
            [0, 5, 300, 1800, 7200, 18_000, 36_000, 36_000]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
        )
    }

    /// A schedule of these delays (at least one: the first attempt).
    pub fn new(delays: Vec<Duration>) -> Option<Self> {
        (!delays.is_empty()).then_some(Self(delays))
    }

    pub fn attempts(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }

    /// How long to wait after attempt `attempt` (from 1) failed; `None` after the last.
    pub fn delay_after(&self, attempt: u32) -> Option<Duration> {
        self.0.get(usize::try_from(attempt).ok()?).copied()
    }
}

impl Default for RetrySchedule {
    fn default() -> Self {
        Self::standard()
    }
}

/// Seconds, comma-separated: `0,5,300,1800,7200,18000,36000,36000`.
impl FromStr for RetrySchedule {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let delays = text
            .split(',')
            .map(|part| {
                part.trim()
                    .parse::<u64>()
                    .map(Duration::from_secs)
                    .map_err(|_| format!("{part:?} is not a number of seconds"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if delays.len() > 50 {
            return Err("at most 50 attempts".to_owned());
        }
        Self::new(delays).ok_or_else(|| "give at least one delay".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_schedule_has_eight_attempts() {
        let schedule = RetrySchedule::standard();
        assert_eq!(schedule.attempts(), 8);
        assert_eq!(schedule.delay_after(1), Some(Duration::from_secs(5)));
        assert_eq!(schedule.delay_after(2), Some(Duration::from_secs(300)));
        assert_eq!(schedule.delay_after(7), Some(Duration::from_secs(36_000)));
        assert_eq!(schedule.delay_after(8), None);
    }

    #[test]
    fn parses_seconds() {
        assert_eq!(
            "0, 5,300,1800,7200,18000,36000,36000".parse::<RetrySchedule>(),
            Ok(RetrySchedule::standard())
        );
        assert!("".parse::<RetrySchedule>().is_err());
        assert!("0,soon".parse::<RetrySchedule>().is_err());
    }
}
