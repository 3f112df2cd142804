//! The control room's figures for a show while it runs (moderators, hosts and managers): orders
//! and sales per minute with what happened when, each deal's and each pickup point's figures,
//! viewers and buyers, and what needs a human now. The server sends a [`Pulse`] about once a
//! second to the show's staff; every figure counts orders that are not cancelled, so at any moment
//! they add up to what the store holds.

use serde::{Deserialize, Serialize};

use crate::domain::{DealId, Fen, PickupId, ProductId, UtcMillis};
use crate::lucky_bag::BagId;
use crate::protocol::Refusal;

/// A deal with no more than this share of its stock left (in percent) is about to sell out.
pub const SELLING_OUT_PERCENT: i64 = 10;

/// A deal whose remaining units would go within this many seconds at the last minute's pace is
/// about to sell out too.
pub const SELLING_OUT_SECONDS: i64 = 120;

/// A deal on sale with no order for this long is quiet: the host may want to talk about it.
pub const QUIET_MS: i64 = 5 * 60 * 1000;

/// Refusals in the last minute from which they are a spike, if they also outnumber the orders.
pub const REFUSAL_SPIKE: u64 = 20;

/// The most minutes a pulse's series carries (the latest ones): four hours.
pub const MAX_MINUTES: usize = 240;

/// One minute of the show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Minute {
    /// Its start (UTC ms, a whole minute).
    pub at: UtcMillis,
    /// Orders placed in it that are not cancelled.
    pub orders: u64,
    /// Their units.
    pub units: i64,
    /// Their value in fen.
    pub sales: Fen,
    /// Purchases refused in it (sold out, over the limit, …).
    pub refused: u64,
}

/// Something that happened in the show, for the chart's markers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mark {
    /// A deal went on sale.
    DealLaunched {
        /// When.
        at: UtcMillis,
        /// The deal.
        deal: DealId,
    },
    /// A deal's last unit was sold.
    DealSoldOut {
        /// When.
        at: UtcMillis,
        /// The deal.
        deal: DealId,
    },
    /// A deal was ended by the host or its time ran out.
    DealEnded {
        /// When.
        at: UtcMillis,
        /// The deal.
        deal: DealId,
    },
    /// A lucky bag opened for entries.
    BagOpened {
        /// When.
        at: UtcMillis,
        /// The bag.
        bag: BagId,
    },
    /// A lucky bag's winners were drawn.
    BagDrawn {
        /// When.
        at: UtcMillis,
        /// The bag.
        bag: BagId,
    },
}

impl Mark {
    /// When it happened.
    pub fn at(&self) -> UtcMillis {
        match self {
            Mark::DealLaunched { at, .. }
            | Mark::DealSoldOut { at, .. }
            | Mark::DealEnded { at, .. }
            | Mark::BagOpened { at, .. }
            | Mark::BagDrawn { at, .. } => *at,
        }
    }
}

/// One deal's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealPulse {
    /// The deal.
    pub deal: DealId,
    /// Its product.
    pub product: ProductId,
    /// Units on sale in all (after restocks).
    pub stock: i64,
    /// Units sold and not cancelled.
    pub sold: i64,
    /// Orders (not cancelled) in the last 60 seconds.
    pub last_minute: u64,
    /// Orders (not cancelled) in the 60 seconds before those: with `last_minute`, the trend.
    pub minute_before: u64,
    /// When its last unit was sold, if it is sold out.
    pub sold_out_at: Option<UtcMillis>,
    /// When it went on sale.
    pub starts_at: UtcMillis,
    /// Whether it is on sale now.
    pub open: bool,
}

/// One pickup point's figures: what the store must prepare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickupPulse {
    /// The pickup point.
    pub pickup: PickupId,
    /// Orders (not cancelled) to collect there.
    pub orders: u64,
    /// Their units.
    pub units: i64,
}

/// What needs a human now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Alert {
    /// A deal will sell out soon: few units left, or at the last minute's pace within
    /// [`SELLING_OUT_SECONDS`].
    SellingOut {
        /// The deal.
        deal: DealId,
        /// Units left.
        left: i64,
    },
    /// A deal on sale has had no order for [`QUIET_MS`] or more.
    Quiet {
        /// The deal.
        deal: DealId,
        /// Its last order (or its start, if none).
        since: UtcMillis,
    },
    /// Many purchases were refused in the last minute, more than were accepted.
    Refusals {
        /// How many.
        count: u64,
        /// The most common reason.
        reason: Refusal,
    },
    /// Orders could not be stored in the last minute (residents were asked to retry).
    Errors {
        /// How many purchases met an error.
        count: u64,
    },
}

/// A show's figures at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pulse {
    /// When they were taken (server clock).
    pub at: UtcMillis,
    /// Every minute from the show's first activity to now, oldest first (the latest
    /// [`MAX_MINUTES`]).
    pub minutes: Vec<Minute>,
    /// What happened when, oldest first.
    pub marks: Vec<Mark>,
    /// Every deal of the show, newest first.
    pub deals: Vec<DealPulse>,
    /// Every pickup point with orders, by id.
    pub pickups: Vec<PickupPulse>,
    /// Orders (not cancelled) so far.
    pub orders: u64,
    /// Their units.
    pub units: i64,
    /// Their value in fen.
    pub sales: Fen,
    /// Viewers now.
    pub viewers: u64,
    /// Most viewers at once so far.
    pub peak: u64,
    /// Residents with at least one order that is not cancelled.
    pub buyers: u64,
    /// What needs a human now.
    pub alerts: Vec<Alert>,
}

impl Pulse {
    /// Buyers per hundred viewers at the peak, to one decimal (`None` before anyone watched).
    pub fn conversion_permille(&self) -> Option<u64> {
        (self.peak > 0).then(|| self.buyers * 1000 / self.peak)
    }
}
