//! The provably fair lucky-bag (福袋) draw: who wins is a pure function of a secret seed, committed
//! to before anyone enters, and the frozen list of entries. The server and the widget (wasm) both
//! run this one implementation, so any viewer can re-run a draw from the published data alone.
//! docs/FAIRNESS.md specifies it byte for byte, with a worked example.

use hmac_sha256::Hash;
use serde::{Deserialize, Serialize};

use crate::domain::{PickupId, ResidentId, ShowId, UtcMillis};

/// Identifies a lucky bag.
pub type BagId = i64;

/// Most winners one bag may have.
pub const MAX_WINNERS: u32 = 1_000;
/// Longest prize description, in characters.
pub const MAX_PRIZE_CHARS: usize = 60;

wire_enum! {
    /// Who may enter a bag.
    pub enum Eligibility {
        /// Every signed-in resident following the show: no purchase needed (many places require this
        /// for a giveaway).
        Everyone = "everyone",
        /// Residents with an order (not cancelled) in this show.
        Buyers = "buyers",
    }
}

wire_enum! {
    /// Where a bag is in its life.
    pub enum BagPhase {
        /// Taking entries until `closes_at`.
        Open = "open",
        /// Closed, drawn, and the seed revealed.
        Drawn = "drawn",
    }
}

/// A winner as announced to every viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Winner {
    /// The resident (as in the entry list).
    pub resident: ResidentId,
    /// The name they chose to be called.
    pub nickname: String,
}

/// A prize a resident won, and how to claim it: for the winner alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prize {
    /// The bag.
    pub bag: BagId,
    /// What was won.
    pub prize: String,
    /// Where to collect it.
    pub pickup: PickupId,
    /// The code to show there.
    pub claim_code: String,
}

/// A lucky bag as every viewer sees it (in the room state and its events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LuckyBag {
    /// The bag's id.
    pub id: BagId,
    /// The show it belongs to.
    pub show: ShowId,
    /// What is won, e.g. "5 kg 五常大米".
    pub prize: String,
    /// How many residents win.
    pub winners_wanted: u32,
    /// Who may enter.
    pub eligibility: Eligibility,
    /// Where winners collect the prize.
    pub pickup: PickupId,
    /// When it opened.
    pub opened_at: UtcMillis,
    /// When entries close and the draw happens.
    pub closes_at: UtcMillis,
    /// Open or drawn.
    pub phase: BagPhase,
    /// SHA-256 of the secret seed, lowercase hex: published at opening.
    pub commitment: String,
    /// Residents who entered so far.
    pub entrants: u64,
    /// SHA-256 of the frozen entry list (see [`entries_hash`]): once drawn.
    pub entries_hash: Option<String>,
    /// The winners in the order drawn: once drawn.
    pub winners: Vec<Winner>,
    /// The seed, lowercase hex: revealed once drawn.
    pub seed: Option<String>,
}

impl LuckyBag {
    /// Checks the draw from what was published (see [`verify`]), given the frozen entry list.
    pub fn verify(&self, entries: &[ResidentId]) -> Result<(), Unverified> {
        let (Some(hash), Some(seed)) = (&self.entries_hash, &self.seed) else {
            return Err(Unverified::BadSeed);
        };
        let winners: Vec<ResidentId> = self.winners.iter().map(|w| w.resident).collect();
        verify(
            &self.commitment,
            entries,
            hash,
            seed,
            &winners,
            self.winners_wanted as usize,
        )
    }
}

/// Length of a draw's secret seed, in bytes.
pub const SEED_LEN: usize = 32;

/// Domain separator for the random stream, so these hashes cannot be mistaken for any other use.
const STREAM_TAG: &[u8] = b"mulin-lucky-bag-v1";

/// The commitment published when a bag opens: SHA-256 of the seed, as lowercase hex.
pub fn commitment(seed: &[u8; SEED_LEN]) -> String {
    hex::encode(Hash::hash(seed))
}

/// The entry list in its canonical form: ascending, each resident once.
pub fn canonical_entries(entries: &[ResidentId]) -> Vec<ResidentId> {
    let mut list = entries.to_vec();
    list.sort_unstable();
    list.dedup();
    list
}

/// SHA-256, as lowercase hex, of the canonical entry list: each resident id as 8 bytes, big-endian
/// two's complement, one after the other (no separators, no length prefix).
pub fn entries_hash(entries: &[ResidentId]) -> String {
    hex::encode(entries_digest(&canonical_entries(entries)))
}

fn entries_digest(canonical: &[ResidentId]) -> [u8; 32] {
    let mut h = Hash::new();
    for id in canonical {
        h.update(id.to_be_bytes());
    }
    h.finalize()
}

/// Unsigned 64-bit numbers from SHA-256(tag ‖ seed ‖ entries digest ‖ block number as 8 bytes
/// big-endian), four per block, each 8 bytes big-endian, blocks numbered from 0.
struct Stream {
    prefix: Hash,
    block: u64,
    buffered: [u8; 32],
    used: usize,
}

impl Stream {
    fn new(seed: &[u8; SEED_LEN], entries: &[u8; 32]) -> Stream {
        let mut prefix = Hash::new();
        prefix.update(STREAM_TAG);
        prefix.update(seed);
        prefix.update(entries);
        Stream {
            prefix,
            block: 0,
            buffered: [0; 32],
            used: 32,
        }
    }

    fn next_u64(&mut self) -> u64 {
        if self.used == 32 {
            let mut h = self.prefix;
            h.update(self.block.to_be_bytes());
            self.buffered = h.finalize();
            self.block += 1;
            self.used = 0;
        }
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.buffered[self.used..self.used + 8]);
        self.used += 8;
        u64::from_be_bytes(word)
    }

    /// A number in `0..n` with no bias: values in the incomplete last stretch are thrown away.
    fn below(&mut self, n: u64) -> u64 {
        // The largest multiple of n that fits in 2^64: `zone` numbers map evenly onto 0..n.
        let zone = u64::MAX - (u64::MAX % n + 1) % n;
        loop {
            let v = self.next_u64();
            if v <= zone {
                return v % n;
            }
        }
    }
}

/// The winners of a draw, in the order drawn: a partial Fisher–Yates shuffle of the canonical
/// entry list driven by the seed's stream. At most `winners` residents; fewer if fewer entered.
pub fn draw(seed: &[u8; SEED_LEN], entries: &[ResidentId], winners: usize) -> Vec<ResidentId> {
    draw_canonical(seed, &canonical_entries(entries), winners)
}

/// [`draw`] over a list already in canonical form (ascending, no repeats).
fn draw_canonical(
    seed: &[u8; SEED_LEN],
    canonical: &[ResidentId],
    winners: usize,
) -> Vec<ResidentId> {
    let mut pool = canonical.to_vec();
    let mut stream = Stream::new(seed, &entries_digest(&pool));
    let k = winners.min(pool.len());
    for i in 0..k {
        let left = (pool.len() - i) as u64;
        let j = i + stream.below(left) as usize;
        pool.swap(i, j);
    }
    pool.truncate(k);
    pool
}

/// Why a published draw does not hold up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unverified {
    /// The seed is not 32 bytes of hex.
    #[error("the revealed seed is not 64 hex digits")]
    BadSeed,
    /// SHA-256 of the revealed seed is not the commitment published at opening.
    #[error("the seed does not match the commitment published when the bag opened")]
    Commitment,
    /// The published entry list does not hash to the published entries hash.
    #[error("the entry list does not match its published hash")]
    Entries,
    /// Re-running the draw gives other winners.
    #[error("re-running the draw gives other winners")]
    Winners,
}

/// Checks a finished draw from what was published: the commitment (at opening), the entry list
/// and its hash (at closing), the seed (revealed after the draw) and the announced winners.
///
/// The published entry list is canonical (ascending, no repeats); one that is not does not verify.
/// Checking that instead of sorting keeps a sort out of the widget, which runs this in every phone.
pub fn verify(
    commitment_hex: &str,
    entries: &[ResidentId],
    entries_hash_hex: &str,
    seed_hex: &str,
    winners: &[ResidentId],
    winners_wanted: usize,
) -> Result<(), Unverified> {
    let seed = from_hex(seed_hex).ok_or(Unverified::BadSeed)?;
    if from_hex(commitment_hex) != Some(Hash::hash(&seed)) {
        return Err(Unverified::Commitment);
    }
    let canonical = entries.windows(2).all(|w| w[0] < w[1]);
    if !canonical || from_hex(entries_hash_hex) != Some(entries_digest(entries)) {
        return Err(Unverified::Entries);
    }
    if draw_canonical(&seed, entries, winners_wanted) != winners {
        return Err(Unverified::Winners);
    }
    Ok(())
}

/// 32 bytes from 64 hex digits (either case); `None` for anything else.
fn from_hex(text: &str) -> Option<[u8; 32]> {
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = nibble(digits[2 * i])? << 4 | nibble(digits[2 * i + 1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(byte: u8) -> [u8; SEED_LEN] {
        [byte; SEED_LEN]
    }

    #[test]
    fn the_draw_is_reproducible_and_independent_of_entry_order_and_repeats() {
        let entries = [42, 7, 1001, 15, 7, 300, 88];
        let a = draw(&seed(1), &entries, 3);
        let b = draw(&seed(1), &[300, 88, 15, 1001, 42, 7], 3);
        assert_eq!(a, b);
        assert_eq!(a.len(), 3);
        let mut distinct = a.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 3, "a resident wins at most once: {a:?}");
        assert!(a.iter().all(|w| entries.contains(w)));
    }

    #[test]
    fn fewer_entries_than_prizes_means_everyone_wins_and_none_means_nobody() {
        let mut all = draw(&seed(2), &[5, 9], 10);
        all.sort_unstable();
        assert_eq!(all, [5, 9]);
        assert!(draw(&seed(2), &[], 3).is_empty());
        assert!(draw(&seed(2), &[5, 9], 0).is_empty());
    }

    #[test]
    fn a_changed_seed_or_entry_list_fails_verification() {
        let s = seed(3);
        let entries: Vec<ResidentId> = (1..=50).collect();
        let won = draw(&s, &entries, 5);
        let (c, h, sx) = (commitment(&s), entries_hash(&entries), hex::encode(s));
        assert_eq!(verify(&c, &entries, &h, &sx, &won, 5), Ok(()));
        // Another seed: it does not open the commitment.
        let other = hex::encode(seed(4));
        assert_eq!(
            verify(&c, &entries, &h, &other, &won, 5),
            Err(Unverified::Commitment)
        );
        // An entry slipped in (or dropped) after closing: the list no longer matches its hash; nor
        // does a list out of its canonical order.
        let mut shuffled = entries.clone();
        shuffled.swap(0, 1);
        assert_eq!(
            verify(&c, &shuffled, &h, &sx, &won, 5),
            Err(Unverified::Entries)
        );
        assert_eq!(
            verify(&c, &entries, &h.to_uppercase(), &sx.to_uppercase(), &won, 5),
            Ok(()),
            "hex in either case"
        );
        let mut padded = entries.clone();
        padded.push(999);
        assert_eq!(
            verify(&c, &padded, &h, &sx, &won, 5),
            Err(Unverified::Entries)
        );
        // Someone else announced as a winner.
        let mut swapped = won.clone();
        swapped[0] = if won[0] == 1 { 2 } else { 1 };
        assert_eq!(
            verify(&c, &entries, &h, &sx, &swapped, 5),
            Err(Unverified::Winners)
        );
        assert_eq!(
            verify(&c, &entries, &h, "zz", &won, 5),
            Err(Unverified::BadSeed)
        );
    }

    #[test]
    fn every_entrant_has_the_same_chance() {
        // 6 entrants, 1 winner, 60,000 seeds: each should win about 10,000 times.
        let entries = [10, 20, 30, 40, 50, 60];
        let mut wins = [0u32; 6];
        for n in 0u32..60_000 {
            let mut s = [0u8; SEED_LEN];
            s[..4].copy_from_slice(&n.to_be_bytes());
            let w = draw(&s, &entries, 1)[0];
            wins[(w / 10 - 1) as usize] += 1;
        }
        // Five standard deviations (σ ≈ 91) either side.
        for (i, count) in wins.iter().enumerate() {
            assert!(
                (9_545..=10_455).contains(count),
                "entrant {i} won {count} times: {wins:?}"
            );
        }
    }

    #[test]
    fn unbiased_numbers_stay_in_range_for_awkward_sizes() {
        let mut s = Stream::new(&seed(5), &[0; 32]);
        for n in [1u64, 2, 3, 7, 1 << 63, (1 << 63) + 1, u64::MAX] {
            for _ in 0..100 {
                assert!(s.below(n) < n);
            }
        }
    }

    /// The worked example in docs/FAIRNESS.md: if this changes, the document is wrong.
    #[test]
    fn the_worked_example_in_the_fairness_document_holds() {
        let mut s = [0u8; SEED_LEN];
        for (i, b) in s.iter_mut().enumerate() {
            *b = i as u8;
        }
        let entries = [1042, 7, 318, 2024, 56];
        let doc = include_str!("../../docs/FAIRNESS.md");
        let expect = |label: &str, value: &str| {
            assert!(
                doc.contains(&format!("{label}{value}")),
                "FAIRNESS.md should say {label}{value}"
            );
        };
        expect("commitment = ", &commitment(&s));
        expect("entries hash = ", &entries_hash(&entries));
        expect("winners = ", &format!("{:?}", draw(&s, &entries, 2)));
    }
}
