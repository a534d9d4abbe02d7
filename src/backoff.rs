//! Retry delays, one rule for every retry in pilah: the first delay, doubled at each failure
//! up to a cap, with jitter where many retries could fall together.
//!
//! Used by the daemon (a mailbox that cannot be reached) and the outbox (a send that
//! failed). Pure arithmetic and the clock for jitter: no state, no I/O.

use std::time::Duration;

/// The delay before retry `failures + 1`: `first`, twice that, four times, … at most `cap`.
pub fn doubling(first: Duration, failures: u32, cap: Duration) -> Duration {
    // 2^31 times any first delay of a second or more is past every cap in use.
    let factor = 1u32 << failures.min(31);
    first.saturating_mul(factor).min(cap)
}

/// `delay` plus up to half of it, so that retries of many clients do not fall together.
pub fn with_jitter(delay: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    delay + delay / 2 * (nanos % 1000) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubling_grows_and_is_capped() {
        let hour = Duration::from_secs(3600);
        let b = |n| doubling(Duration::from_secs(30), n, hour);
        assert_eq!(b(0), Duration::from_secs(30));
        assert_eq!(b(1), Duration::from_secs(60));
        assert_eq!(b(6), Duration::from_secs(1920));
        assert_eq!(b(7), hour);
        assert_eq!(b(u32::MAX), hour);
    }

    #[test]
    fn jitter_adds_at_most_half() {
        for _ in 0..100 {
            let d = with_jitter(Duration::from_secs(8));
            assert!(
                d >= Duration::from_secs(8) && d < Duration::from_secs(12),
                "{d:?}"
            );
        }
    }
}
