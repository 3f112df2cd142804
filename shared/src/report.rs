//! A show's report: orders, units, sales and buyers, in all and per deal, product and pickup
//! point, minute by minute, with its lucky bags. Live while the show runs, final after it ends.
//!
//! An order counts when it was not cancelled (accepted, or picked up); cancellations are counted
//! apart. The minutes count every order placed in them, cancelled later or not: they show the
//! show's pace.

use serde::{Deserialize, Serialize};

use crate::community::ShowSummary;
use crate::domain::{DealId, DealStatus, Fen, PickupId, ProductId, UtcMillis};
use crate::lucky_bag::{BagId, BagPhase};

/// Figures of a set of orders.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// Orders not cancelled.
    pub orders: i64,
    /// Units in them.
    pub units: i64,
    /// What they come to, in fen.
    pub sales: Fen,
    /// Residents with at least one of them.
    pub buyers: i64,
    /// Orders cancelled.
    pub cancelled: i64,
}

/// The whole show's figures, with its peaks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Orders, units, sales, buyers, cancellations.
    #[serde(flatten)]
    pub figures: Figures,
    /// Most residents watching at once.
    pub peak_viewers: i64,
    /// Most orders placed in one minute.
    pub peak_orders_per_minute: i64,
}

/// Orders placed in one minute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Minute {
    /// The minute's start.
    pub at: UtcMillis,
    /// Orders placed in it (cancelled later or not).
    pub orders: i64,
    /// Units in them.
    pub units: i64,
}

/// One deal's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealLine {
    /// The deal.
    pub deal: DealId,
    /// Its product.
    pub product: ProductId,
    /// The product's name.
    pub name: String,
    /// Deal price of one unit.
    pub price: Fen,
    /// Units put on sale.
    pub stock: i64,
    /// Live or ended.
    pub status: DealStatus,
    /// Its orders.
    #[serde(flatten)]
    pub figures: Figures,
}

/// One product's or pickup point's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// The product or pickup point.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its orders.
    #[serde(flatten)]
    pub figures: Figures,
}

/// A lucky bag of the show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BagLine {
    /// The bag.
    pub bag: BagId,
    /// What was won.
    pub prize: String,
    /// Open or drawn.
    pub phase: BagPhase,
    /// Residents who entered.
    pub entrants: i64,
    /// The winners' names as shown, in the order drawn.
    pub winners: Vec<String>,
    /// Where winners collect.
    pub pickup: PickupId,
}

/// A show's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowReport {
    /// The show.
    pub show: ShowSummary,
    /// When these figures were read.
    pub generated_at: UtcMillis,
    /// Whether the show is over (ended or cancelled): the figures no longer change but for
    /// cancellations.
    pub is_final: bool,
    /// The whole show.
    pub totals: Totals,
    /// Orders placed per minute, from the first order's minute to the last's (quiet minutes as 0).
    pub minutes: Vec<Minute>,
    /// Every deal, first launched first.
    pub deals: Vec<DealLine>,
    /// Products that sold (or were cancelled) in the show.
    pub products: Vec<Line>,
    /// Every pickup point of the community.
    pub pickups: Vec<Line>,
    /// The show's lucky bags.
    pub bags: Vec<BagLine>,
}
