//! What the control room counts per second without the room: the desks' refusals and failures
//! (atomics they add to as they decide), and rolling per-second counts over the last two minutes.

use std::sync::atomic::{AtomicU64, Ordering};

use mulin_shared::Refusal;

/// Seconds the rolling counts remember: the last minute and the one before, for the trend.
const RING: usize = 120;

/// What the desks count as they decide, without the room: refusals by reason, and purchases that
/// met a store error.
#[derive(Debug, Default)]
pub struct Refusals {
    by_reason: [AtomicU64; 4],
    errors: AtomicU64,
}

impl Refusals {
    /// One purchase refused.
    pub(in crate::live) fn refused(&self, reason: Refusal) {
        let i = Refusal::ALL.iter().position(|r| *r == reason).unwrap_or(0);
        self.by_reason[i].fetch_add(1, Ordering::Relaxed);
    }

    /// `n` purchases that could not be stored.
    pub(in crate::live) fn failed(&self, n: u64) {
        self.errors.fetch_add(n, Ordering::Relaxed);
    }

    pub(super) fn read(&self) -> [u64; 5] {
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let b = &self.by_reason;
        [r(&b[0]), r(&b[1]), r(&b[2]), r(&b[3]), r(&self.errors)]
    }
}

/// Counts per second over the last [`RING`] seconds.
#[derive(Debug, Clone)]
pub(super) struct Ring(Vec<(i64, u64)>);

impl Default for Ring {
    fn default() -> Ring {
        Ring(vec![(i64::MIN, 0); RING])
    }
}

impl Ring {
    /// Adds `n` (or takes it away, if negative) at second `sec`; older than the ring: ignored.
    pub(super) fn add(&mut self, sec: i64, n: i64) {
        let slot = &mut self.0[sec.rem_euclid(RING as i64) as usize];
        if slot.0 > sec {
            return;
        }
        if slot.0 < sec {
            *slot = (sec, 0);
        }
        slot.1 = slot.1.saturating_add_signed(n);
    }

    /// The sum over seconds `from..=to`.
    pub(super) fn sum(&self, from: i64, to: i64) -> u64 {
        self.0
            .iter()
            .filter(|(s, _)| (from..=to).contains(s))
            .map(|(_, n)| n)
            .sum()
    }
}
