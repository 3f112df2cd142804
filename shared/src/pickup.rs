//! Pickup day: what the pickup clerk's counter and the picking lists say over HTTP.
//!
//! An order's life after it is accepted: its store receives the goods (`ready`), a clerk hands it
//! over (`picked_up`; fewer units than bought is a partial hand-over and it stays ready for the
//! rest), or the pickup window runs out (`not_collected`). The counter finds an order by the
//! signed value of its QR code or by its six-digit code typed in.

use serde::{Deserialize, Serialize};

use crate::{Order, OrderId, PickupId, ProductId, ShowId, UtcMillis};

/// How long after a hand-over a moderator may still undo it, in milliseconds (an hour).
pub const UNDO_WINDOW_MS: i64 = 60 * 60 * 1000;

/// The first characters of every signed pickup value: a scan of something else (a shop's QR code,
/// a web address) is told apart at once.
pub const QR_PREFIX: &str = "MLP1-";

/// The shortest and longest pickup window a community may set, in days.
pub const PICKUP_DAYS: std::ops::RangeInclusive<i64> = 1..=30;

/// One hand-over at a counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandOverRecord {
    /// Its number.
    pub id: i64,
    /// Units handed over.
    pub units: i64,
    /// When.
    pub at: UtcMillis,
    /// The clerk's (or moderator's) name.
    pub by: String,
    /// When it was undone, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undone_at: Option<UtcMillis>,
    /// Who undid it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undone_by: Option<String>,
}

/// An order as the counter sees it: enough to hand over the right bag to the right person, and no
/// more of the resident than the last four digits of their phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterOrder {
    /// The order (its status, units, units handed, code).
    pub order: Order,
    /// The product's name.
    pub product_name: String,
    /// Its pickup point's name.
    pub pickup_name: String,
    /// The show it was bought in.
    pub show_title: String,
    /// The last four digits of the buyer's phone (`尾号 8000`).
    pub phone_tail: String,
    /// Its hand-overs, oldest first (undone ones too).
    pub handovers: Vec<HandOverRecord>,
}

/// `POST /api/orders/{order}/hand-over`: hand over `units`, if the order still has `was_handed`
/// units handed (what the clerk's screen showed), so two clerks tapping at once hand it over once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandOver {
    /// Units handed over now (all that are left, or fewer: a partial hand-over).
    pub units: i64,
    /// Units already handed over as the screen showed it.
    pub was_handed: i64,
}

/// `POST /api/pickups/{pickup}/received`: the store has the goods of a product for a show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoodsReceived {
    /// The show.
    pub show: ShowId,
    /// The product.
    pub product: ProductId,
}

/// What marking goods received did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedOutcome {
    /// Orders that became ready now.
    pub ready: i64,
    /// When the goods were marked received (the first time, if marked before).
    pub at: UtcMillis,
}

/// `PUT /api/shows/{show}/cutoff`: when the show's picking list freezes (`None`: not set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cutoff {
    /// The moment, in the future.
    pub at: Option<UtcMillis>,
}

/// A product as the lists name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickProduct {
    /// Its id.
    pub id: ProductId,
    /// Its name.
    pub name: String,
    /// Its pack size (`5 根装`).
    pub unit: String,
}

/// Units of a product to have at a store (or across all of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductLine {
    /// The product.
    pub product: ProductId,
    /// Units of it in orders not cancelled.
    pub units: i64,
    /// Orders with it.
    pub orders: i64,
    /// Units at the cut-off, once the list is frozen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen_units: Option<i64>,
    /// When the store marked it received (store lines only; for several shows, the latest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<UtcMillis>,
    /// Units handed over so far.
    #[serde(default)]
    pub handed: i64,
}

/// One order on a resident's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickItem {
    /// The order.
    pub order: OrderId,
    /// Its pickup code.
    pub code: String,
    /// The product.
    pub product: ProductId,
    /// Units.
    pub qty: i64,
    /// Units handed over.
    #[serde(default)]
    pub handed: i64,
    /// Where it is in its life.
    pub status: crate::OrderStatus,
    /// Placed by staff for the resident (代客下单).
    #[serde(default)]
    pub by_staff: bool,
}

/// A resident's orders to collect at one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentLine {
    /// Their name as shown.
    pub name: String,
    /// Their phone, masked (`138****8000`).
    pub phone: String,
    /// Their orders at this store, oldest first.
    pub items: Vec<PickItem>,
}

/// One pickup point's list: what it must receive, then who collects what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointList {
    /// The pickup point.
    pub pickup: PickupId,
    /// Its name.
    pub name: String,
    /// Its address.
    pub address: String,
    /// Units per product.
    pub products: Vec<ProductLine>,
    /// Residents, by name.
    pub residents: Vec<ResidentLine>,
}

/// A show on a picking list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickShow {
    /// Its id.
    pub id: ShowId,
    /// Its title.
    pub title: String,
    /// Its start.
    pub starts_at: UtcMillis,
    /// When its list freezes, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cutoff_at: Option<UtcMillis>,
    /// When it froze.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen_at: Option<UtcMillis>,
}

/// An order that differs from the frozen list: cancelled, changed or placed after the cut-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// The order.
    pub order: OrderId,
    /// Its show.
    pub show: ShowId,
    /// Its pickup point at the cut-off (or now, if placed after it).
    pub pickup: PickupId,
    /// Its pickup point now.
    pub pickup_now: PickupId,
    /// The product.
    pub product: ProductId,
    /// The resident's name.
    pub name: String,
    /// The pickup code.
    pub code: String,
    /// Units at the cut-off (0: placed after it).
    pub frozen_qty: i64,
    /// Units now (0: cancelled).
    pub qty_now: i64,
}

/// A picking list for one show or several shows of a day: per store, then across all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickingList {
    /// The shows it covers.
    pub shows: Vec<PickShow>,
    /// When it was made.
    pub made_at: UtcMillis,
    /// Whether every show on it is frozen.
    pub frozen: bool,
    /// The products named on it.
    pub products: Vec<PickProduct>,
    /// Units per product across every store: what to order from the suppliers.
    pub totals: Vec<ProductLine>,
    /// Each store's list, in the community's order of its pickup points.
    pub points: Vec<PointList>,
    /// Orders that differ from the frozen lists.
    pub differences: Vec<Difference>,
}

impl PickingList {
    /// The product's name and pack size, if named on the list.
    pub fn product(&self, id: ProductId) -> Option<&PickProduct> {
        self.products.iter().find(|p| p.id == id)
    }

    /// The name of a pickup point on the list (`#id` if it has none here).
    pub fn point_name(&self, id: PickupId) -> String {
        self.points
            .iter()
            .find(|p| p.pickup == id)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| format!("#{id}"))
    }
}

/// A store's shows with orders still to collect, for its clerk's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreDay {
    /// The pickup point.
    pub pickup: PickupId,
    /// Its name.
    pub name: String,
    /// Its address.
    pub address: String,
    /// Shows with orders here not yet all collected, or from the last week; newest first.
    pub shows: Vec<StoreShow>,
}

/// A show at one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreShow {
    /// The show.
    pub show: PickShow,
    /// Its products here.
    pub products: Vec<StoreProduct>,
}

/// One product of a show at one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreProduct {
    /// The product.
    pub product: PickProduct,
    /// Units in orders not cancelled.
    pub units: i64,
    /// Orders not cancelled.
    pub orders: i64,
    /// Orders waiting for the goods.
    pub waiting: i64,
    /// Orders ready to collect.
    pub ready: i64,
    /// Orders picked up.
    pub picked_up: i64,
    /// When marked received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<UtcMillis>,
}

/// A code as typed at the counter, cleaned: spaces dropped and full-width digits (a Chinese
/// keyboard's) made ASCII. The server and the clerk's page read typed codes the same way.
pub fn typed_code(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            c => c,
        })
        .collect()
}

/// Whether `code` (cleaned) is digits but not six of them: a mistyped code, not a forged one.
pub fn short_code(code: &str) -> bool {
    !code.is_empty() && code.len() != 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// The last four digits of a phone as a clerk sees it (`8000`); shorter numbers are masked whole.
pub fn phone_tail(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    if digits.len() < 8 {
        return "*".repeat(digits.len());
    }
    digits[digits.len() - 4..].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::{phone_tail, short_code, typed_code};

    #[test]
    fn typed_codes_forgive_spaces_and_full_width_digits() {
        assert_eq!(typed_code(" 123 456 "), "123456");
        assert_eq!(typed_code("１２３４５６"), "123456");
        assert!(short_code("12345") && !short_code("123456") && !short_code("MLP1-1-X"));
    }

    #[test]
    fn a_clerk_sees_four_digits_at_most() {
        assert_eq!(phone_tail("13800138000"), "8000");
        assert_eq!(phone_tail("123"), "***");
        assert_eq!(phone_tail(""), "");
    }
}
