//! Hybrid logical clock: 48 bits of wall-clock milliseconds and a 16-bit counter
//! in one `u64`, so that stamps order like time but never go backwards, even when a
//! node's clock does or when it has seen a stamp from a faster clock.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// One instant of a hybrid logical clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hlc(u64);

const COUNTER_BITS: u32 = 16;
const COUNTER_MASK: u64 = (1 << COUNTER_BITS) - 1;
const MILLIS_MASK: u64 = (1 << 48) - 1;

impl Hlc {
    /// The instant `millis` (since the Unix epoch, 48 bits kept) and `counter`.
    pub fn new(millis: u64, counter: u16) -> Self {
        Hlc(((millis & MILLIS_MASK) << COUNTER_BITS) | u64::from(counter))
    }

    /// From its wire form.
    pub fn from_u64(value: u64) -> Self {
        Hlc(value)
    }

    /// Its wire form.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    pub fn millis(self) -> u64 {
        self.0 >> COUNTER_BITS
    }

    pub fn counter(self) -> u16 {
        (self.0 & COUNTER_MASK) as u16
    }

    /// The next instant after `self`, taking the wall clock `now_millis` into account.
    fn tick(self, now_millis: u64) -> Hlc {
        if now_millis > self.millis() {
            Hlc::new(now_millis, 0)
        } else if self.counter() == u16::MAX {
            Hlc::new(self.millis() + 1, 0)
        } else {
            Hlc(self.0 + 1)
        }
    }
}

/// A node's clock: hands out strictly increasing stamps.
#[derive(Debug, Default)]
pub struct HlcClock {
    last: Mutex<Hlc>,
}

impl HlcClock {
    /// A new instant, later than every instant this clock has given or seen.
    pub fn now(&self) -> Hlc {
        self.now_at(wall_millis())
    }

    /// [`now`](Self::now) with the wall clock given, for tests.
    pub fn now_at(&self, wall_millis: u64) -> Hlc {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        *last = last.tick(wall_millis);
        *last
    }

    /// Takes note of an instant from another region, so later local stamps follow it.
    pub fn observe(&self, remote: Hlc) {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if remote > *last {
            *last = remote;
        }
    }
}

fn wall_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_keep_increasing_when_the_wall_clock_stalls_or_goes_back() {
        let clock = HlcClock::default();
        let first = clock.now_at(1_000);
        let same_ms = clock.now_at(1_000);
        let clock_went_back = clock.now_at(900);
        let later = clock.now_at(1_001);
        assert!(first < same_ms && same_ms < clock_went_back && clock_went_back < later);
        assert_eq!((later.millis(), later.counter()), (1_001, 0));
    }

    #[test]
    fn a_stamp_seen_from_a_faster_clock_is_never_undercut() {
        let clock = HlcClock::default();
        let remote = Hlc::new(5_000, 7);
        clock.observe(remote);
        assert!(clock.now_at(1_000) > remote);
    }

    #[test]
    fn a_full_counter_rolls_into_the_next_millisecond() {
        let clock = HlcClock::default();
        clock.observe(Hlc::new(10, u16::MAX));
        assert_eq!(clock.now_at(10), Hlc::new(11, 0));
        assert_eq!(Hlc::from_u64(Hlc::new(10, 3).as_u64()), Hlc::new(10, 3));
    }
}
