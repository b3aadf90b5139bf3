//! An instant in 8 bytes, for the dates a million leads hold.
//!
//! `DateTime<Utc>` takes 12 bytes and its `Option` as many; a lead holds a dozen of them.
//! Vendors date in milliseconds (HubSpot, Salesforce) or seconds (Marketo), so
//! milliseconds since the epoch lose nothing they say.

use std::num::NonZeroU64;

use chrono::{DateTime, Utc};

/// Milliseconds since the epoch, kept with the sign bit flipped: the order of the stored
/// bits is the order of time, and the one value no date reaches (`i64::MIN`) becomes the
/// zero that lets `Option<Moment>` take 8 bytes too.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Moment(NonZeroU64);

const FLIP: u64 = 1 << 63;

impl Moment {
    /// The instant `ms` milliseconds after the epoch; `None` only for `i64::MIN`, which no
    /// date reaches.
    pub fn from_millis(ms: i64) -> Option<Moment> {
        NonZeroU64::new((ms as u64) ^ FLIP).map(Moment)
    }

    pub fn millis(self) -> i64 {
        (self.0.get() ^ FLIP) as i64
    }

    /// The stored bits: nonzero, and ordered as the instants are.
    pub fn bits(self) -> u64 {
        self.0.get()
    }

    pub fn from_bits(bits: u64) -> Option<Moment> {
        NonZeroU64::new(bits).map(Moment)
    }

    /// The instant as chrono's type, for arithmetic and display.
    pub fn at(self) -> DateTime<Utc> {
        // Every Moment came from a DateTime, whose range is narrower than i64 milliseconds.
        DateTime::from_timestamp_millis(self.millis()).unwrap_or_default()
    }

    /// The instant `secs` and `nanos` after the epoch, to the millisecond below it, as a
    /// cache body stores it: `None` outside chrono's range, as `DateTime` would refuse it.
    pub fn from_parts(secs: i64, nanos: u32) -> Option<Moment> {
        if nanos >= 2_000_000_000 {
            return None;
        }
        // A leap second's nanoseconds run past a second; the instant is the same second.
        let ms = secs
            .checked_mul(1000)?
            .checked_add(i64::from(nanos.min(999_999_999) / 1_000_000))?;
        let range = DateTime::<Utc>::MIN_UTC.timestamp_millis()
            ..=DateTime::<Utc>::MAX_UTC.timestamp_millis();
        if !range.contains(&ms) {
            return None;
        }
        Moment::from_millis(ms)
    }

    /// `t` to the millisecond below it.
    pub fn of(t: DateTime<Utc>) -> Moment {
        // chrono's range in milliseconds stays far from i64::MIN.
        Moment::from_millis(t.timestamp_millis()).unwrap_or(Moment(NonZeroU64::MIN))
    }
}

impl From<DateTime<Utc>> for Moment {
    fn from(t: DateTime<Utc>) -> Moment {
        Moment::of(t)
    }
}

impl std::fmt::Debug for Moment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.at())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_optional_moment_takes_eight_bytes() {
        assert_eq!(std::mem::size_of::<Option<Moment>>(), 8);
    }

    proptest! {
        /// Any millisecond chrono can hold comes back as itself, and moments order as
        /// their instants do (the flipped sign bit must not invert negative times).
        #[test]
        fn round_trips_and_keeps_order(a in -8_000_000_000_000_000i64..8_000_000_000_000_000,
                                       b in -8_000_000_000_000_000i64..8_000_000_000_000_000) {
            let (ta, tb) = (DateTime::from_timestamp_millis(a), DateTime::from_timestamp_millis(b));
            prop_assume!(ta.is_some() && tb.is_some());
            let (ta, tb) = (ta.unwrap(), tb.unwrap());
            let (ma, mb) = (Moment::of(ta), Moment::of(tb));
            prop_assert_eq!(ma.at(), ta);
            prop_assert_eq!(ma.cmp(&mb), ta.cmp(&tb));
        }
    }

    proptest! {
        /// Seconds and nanoseconds make the moment chrono would, or none where it would
        /// refuse them.
        #[test]
        fn parts_agree_with_chrono(secs in proptest::num::i64::ANY, nanos in 0u32..1_000_000_000,
                                   near in -20_000_000_000_000i64..20_000_000_000_000) {
            for secs in [secs, near] {
                let want = DateTime::from_timestamp(secs, nanos).map(Moment::of);
                prop_assert_eq!(Moment::from_parts(secs, nanos), want);
            }
        }
    }

    #[test]
    fn the_epoch_and_times_before_it_are_dates() {
        let epoch = DateTime::from_timestamp_millis(0).unwrap();
        assert_eq!(Moment::of(epoch).at(), epoch);
        let before = DateTime::from_timestamp_millis(-1).unwrap();
        assert!(Moment::of(before) < Moment::of(epoch));
        // Below a millisecond is dropped, to the millisecond before.
        let t = DateTime::from_timestamp(5, 999_999).unwrap();
        assert_eq!(Moment::of(t).millis(), 5_000);
    }
}
