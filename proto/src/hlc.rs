//! Hybrid logical clock: 48 bits of wall-clock milliseconds and a 16-bit counter
//! in one `u64`, so that stamps order like time but never go backwards, even when a
//! node's clock does or when it has seen a stamp from a faster clock.
//!
//! A stamp from elsewhere that lies further ahead of this clock's wall time than
//! the allowed skew is refused ([`HlcClock::observe`] says so): one rogue or broken
//! region must not push every later stamp of the federation into the future, where
//! no honest edit (a consent withdrawal among them) could ever win again. At the
//! top of its range the clock saturates rather than wrapping to zero.

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

    /// The largest instant there is.
    pub const MAX: Hlc = Hlc(u64::MAX);

    /// The next instant after `self`, taking the wall clock `now_millis` into account;
    /// [`Hlc::MAX`] stays there rather than wrapping to zero.
    fn tick(self, now_millis: u64) -> Hlc {
        if now_millis > self.millis() {
            Hlc::new(now_millis.min(MILLIS_MASK), 0)
        } else if self.counter() < u16::MAX {
            Hlc(self.0 + 1)
        } else if self.millis() < MILLIS_MASK {
            Hlc::new(self.millis() + 1, 0)
        } else {
            Hlc::MAX
        }
    }
}

/// How far ahead of the wall clock a stamp from elsewhere may lie unless a server
/// is configured otherwise: five minutes.
pub const DEFAULT_MAX_SKEW_MS: u64 = 5 * 60 * 1000;

/// A stamp that lies too far in the future to be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "stamp {} ms after the epoch lies {} ms beyond this server's clock, more than the allowed skew of {max_skew_ms} ms",
    stamp.millis(),
    stamp.millis().saturating_sub(*now_millis)
)]
pub struct FutureStamp {
    pub stamp: Hlc,
    pub now_millis: u64,
    pub max_skew_ms: u64,
}

/// Whether `stamp` lies no further than `max_skew_ms` beyond the wall clock
/// `wall_millis`: what a server that receives stamps accepts.
pub fn check_stamp(stamp: Hlc, wall_millis: u64, max_skew_ms: u64) -> Result<(), FutureStamp> {
    if stamp.millis() > wall_millis.saturating_add(max_skew_ms) {
        return Err(FutureStamp {
            stamp,
            now_millis: wall_millis,
            max_skew_ms,
        });
    }
    Ok(())
}

/// The first stamp of `state` (a field's, or its erasure's) that lies beyond the
/// wall clock plus the skew, named by its field.
pub fn future_stamp_in(
    state: &crate::v1::ProfileState,
    wall_millis: u64,
    max_skew_ms: u64,
) -> Option<(String, FutureStamp)> {
    let fields = state
        .stamps
        .iter()
        .map(|(field, stamp)| (format!("stamps.{field}"), stamp));
    let erased = state
        .erased
        .iter()
        .map(|stamp| ("erased".to_owned(), stamp));
    fields.chain(erased).find_map(|(field, stamp)| {
        check_stamp(Hlc::from_u64(stamp.hlc), wall_millis, max_skew_ms)
            .err()
            .map(|refused| (field, refused))
    })
}

/// When `state` was last written, in wall-clock milliseconds: its newest stamp
/// (a field's or its erasure's); None for a notice that carries no stamp.
pub fn written_millis(state: &crate::v1::ProfileState) -> Option<u64> {
    let fields = state.stamps.values();
    fields
        .chain(state.erased.iter())
        .map(|stamp| Hlc::from_u64(stamp.hlc).millis())
        .max()
}

/// A node's clock: hands out strictly increasing stamps.
#[derive(Debug)]
pub struct HlcClock {
    last: Mutex<Hlc>,
    max_skew_ms: u64,
}

impl Default for HlcClock {
    fn default() -> Self {
        HlcClock::with_max_skew(DEFAULT_MAX_SKEW_MS)
    }
}

impl HlcClock {
    /// A clock that refuses stamps more than `max_skew_ms` ahead of its wall clock.
    pub fn with_max_skew(max_skew_ms: u64) -> Self {
        HlcClock {
            last: Mutex::new(Hlc::default()),
            max_skew_ms,
        }
    }

    /// The skew this clock allows.
    pub fn max_skew_ms(&self) -> u64 {
        self.max_skew_ms
    }

    /// Whether `stamp` is acceptable now: not beyond the wall clock plus the skew.
    pub fn check(&self, stamp: Hlc) -> Result<(), FutureStamp> {
        self.check_at(stamp, wall_millis())
    }

    /// [`check`](Self::check) with the wall clock given, for tests.
    pub fn check_at(&self, stamp: Hlc, wall_millis: u64) -> Result<(), FutureStamp> {
        check_stamp(stamp, wall_millis, self.max_skew_ms)
    }

    /// Starts the clock after the stamps already stored (at start-up), so that no
    /// new stamp undercuts one. Stamps beyond the wall clock plus the skew are left
    /// out and returned, for the caller to report.
    pub fn seed(&self, stored: impl IntoIterator<Item = Hlc>) -> Vec<Hlc> {
        let now = wall_millis();
        let mut refused = Vec::new();
        for stamp in stored {
            match self.check_at(stamp, now) {
                Ok(()) => self.advance_to(stamp),
                Err(_) => refused.push(stamp),
            }
        }
        refused
    }

    /// A stamp for an edit of a field whose present stamp is `current`: later than
    /// every instant this clock has given or seen, and never lower than `current`.
    pub fn now_after(&self, current: Hlc) -> Hlc {
        self.advance_to(current);
        self.now()
    }

    fn advance_to(&self, stamp: Hlc) {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if stamp > *last {
            *last = stamp;
        }
    }
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

    /// Takes note of an instant from another region, so later local stamps follow
    /// it; refuses (and ignores) one beyond the wall clock plus the allowed skew.
    pub fn observe(&self, remote: Hlc) -> Result<(), FutureStamp> {
        self.check(remote)?;
        self.advance_to(remote);
        Ok(())
    }
}

/// The wall clock, in milliseconds since the Unix epoch.
pub fn wall_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_state_was_written_at_its_newest_stamp_an_erasure_included() {
        use crate::v1::{ProfileState, Stamp};
        let stamp = |millis| Stamp {
            hlc: Hlc::new(millis, 3).as_u64(),
            ..Default::default()
        };
        let mut state = ProfileState::default();
        assert_eq!(written_millis(&state), None, "a notice carries no stamp");
        state.stamps.insert("skills".into(), stamp(1_000));
        state.stamps.insert("profession".into(), stamp(2_500));
        assert_eq!(written_millis(&state), Some(2_500));
        state.erased = Some(stamp(4_000));
        assert_eq!(written_millis(&state), Some(4_000));
    }

    #[test]
    fn a_stamp_from_far_in_the_future_is_refused_and_leaves_the_clock_alone() {
        let clock = HlcClock::with_max_skew(300_000);
        let before = clock.now();
        let rogue = Hlc::from_u64(u64::MAX);
        let refused = clock.observe(rogue).unwrap_err();
        assert_eq!(refused.stamp, rogue);
        assert!(refused.to_string().contains("allowed skew of 300000 ms"));
        let after = clock.now();
        assert!(after > before && after.millis() <= wall_millis() + 1);
        // Within the skew is fine.
        let ahead = Hlc::new(wall_millis() + 60_000, 0);
        clock.observe(ahead).unwrap();
        assert!(clock.now() > ahead);
    }

    #[test]
    fn the_clock_saturates_at_its_top_instead_of_wrapping_to_zero() {
        assert_eq!(Hlc::MAX.tick(0), Hlc::MAX);
        assert_eq!(Hlc::new(MILLIS_MASK, u16::MAX).tick(5), Hlc::MAX);
        assert_eq!(Hlc::new(1_000, 0).tick(u64::MAX).millis(), MILLIS_MASK);
    }

    #[test]
    fn start_up_seeds_from_stored_stamps_but_not_from_future_ones() {
        let clock = HlcClock::default();
        let stored = Hlc::new(wall_millis() + 1_000, 9);
        let poisoned = Hlc::from_u64(u64::MAX);
        assert_eq!(clock.seed([stored, poisoned]), vec![poisoned]);
        let next = clock.now();
        assert!(next > stored && next < poisoned);
    }

    #[test]
    fn an_edit_is_never_stamped_below_the_fields_present_stamp() {
        let clock = HlcClock::default();
        let present = Hlc::new(wall_millis() + 2_000, 4);
        assert!(clock.now_after(present) > present);
    }

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
        clock.observe(remote).unwrap();
        assert!(clock.now_at(1_000) > remote);
    }

    #[test]
    fn a_full_counter_rolls_into_the_next_millisecond() {
        let clock = HlcClock::default();
        clock.observe(Hlc::new(10, u16::MAX)).unwrap();
        assert_eq!(clock.now_at(10), Hlc::new(11, 0));
        assert_eq!(Hlc::from_u64(Hlc::new(10, 3).as_u64()), Hlc::new(10, 3));
    }
}
