//! How long a failed attempt waits before the next one: the one backoff every queue uses.

use std::time::Duration;

/// The longest any retry waits, however many attempts went before.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(3600);

/// The delay before retrying after failed attempt number `attempt` (1 after the first):
/// exponential backoff with jitter. The ceiling is `base × 2^(attempt-1)`, at most
/// [`MAX_RETRY_DELAY`]; the delay lies between half the ceiling and the ceiling, where
/// `jitter` (a random draw in `0.0..=1.0`, the caller's: this crate has no randomness)
/// puts it.
///
/// Rationale: the jitter keeps jobs that failed together from retrying in lockstep; the
/// floor of half the ceiling keeps each step a real step back.
pub fn retry_delay(base: Duration, attempt: u32, jitter: f64) -> Duration {
    let ceiling = base
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(MAX_RETRY_DELAY);
    let floor = ceiling / 2;
    let share = if jitter.is_nan() {
        0.0
    } else {
        jitter.clamp(0.0, 1.0)
    };
    floor + (ceiling - floor).mul_f64(share)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_doubles_within_its_jitter_and_stops_at_the_cap() {
        let base = Duration::from_secs(2);
        assert_eq!(retry_delay(base, 1, 0.0), Duration::from_secs(1));
        assert_eq!(retry_delay(base, 1, 1.0), base);
        assert_eq!(retry_delay(base, 3, 0.5), Duration::from_secs(6));
        for attempt in 1..=40 {
            let ceiling = (base * (1 << (attempt - 1).min(16))).min(MAX_RETRY_DELAY);
            for jitter in [0.0, 0.25, 0.999, 1.0, -1.0, 7.0, f64::NAN] {
                let delay = retry_delay(base, attempt, jitter);
                assert!(
                    delay >= ceiling / 2 && delay <= ceiling,
                    "{attempt} {jitter}"
                );
            }
        }
        assert_eq!(retry_delay(base, 40, 1.0), MAX_RETRY_DELAY);
        assert_eq!(
            retry_delay(Duration::from_secs(10), 12, 1.0),
            MAX_RETRY_DELAY
        );
        assert_eq!(retry_delay(Duration::ZERO, 5, 1.0), Duration::ZERO);
    }
}
