//! The things a community livestream sells and the people involved, as they travel on the wire.

use serde::{Deserialize, Serialize};

/// Money in fen (1 yuan = 100 fen). Integer so sums never drift.
pub type Fen = i64;

/// A point in time: milliseconds since the Unix epoch, UTC.
pub type UtcMillis = i64;

/// Identifies a show (one livestream session of a community).
pub type ShowId = i64;
/// Identifies a product in a show's catalogue.
pub type ProductId = i64;
/// Identifies a flash deal.
pub type DealId = i64;
/// Identifies an order.
pub type OrderId = i64;
/// Identifies a pickup point (a store where residents collect their goods).
pub type PickupId = i64;
/// Identifies a resident (a signed-in buyer).
pub type ResidentId = i64;

/// Formats fen as yuan with two decimals, e.g. `1990` → `"19.90"`.
pub fn format_yuan(fen: Fen) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Parses a yuan amount typed by a person (`"12"`, `"12.5"`, `"12.50"`, `"¥12.50"`) into fen.
/// Refuses negatives, more than two decimals, and anything that is not a number.
pub fn parse_yuan(text: &str) -> Option<Fen> {
    // A Chinese keyboard's full-width digits and point (１９．９) read as what they are.
    let t: String = text
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' | '。' => '.',
            c => c,
        })
        .collect();
    let t = t.trim().trim_start_matches(['¥', '￥']).trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || !digits(frac) || frac.len() > 2 || whole.len() > 9 {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    Some(whole * 100 + frac)
}

/// One livestream of a community: what is sold in it and where it can be picked up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Show {
    /// The show's id.
    pub id: ShowId,
    /// Title shown above the widget, e.g. "Sunday harvest market".
    pub title: String,
    /// The community running the show, e.g. "公园街道·小西湖社区".
    pub community: String,
    /// Where the show is in its life (scheduled, live, ended, cancelled).
    #[serde(default = "live")]
    pub status: crate::community::ShowStatus,
    /// When it is (or was) to start.
    #[serde(default)]
    pub starts_at: UtcMillis,
    /// Where its livestream plays (`https://…`); empty if elsewhere.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stream_url: String,
}

fn live() -> crate::community::ShowStatus {
    crate::community::ShowStatus::Live
}

/// Something a host can put on sale. In `save_product`, id 0 adds a new product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    /// The product's id.
    pub id: ProductId,
    /// Name as residents know it, e.g. "Sweet waxy corn".
    pub name: String,
    /// A few words on what it is and why it is good (may be empty; may hold line breaks).
    #[serde(default)]
    pub description: String,
    /// Where it comes from (traceability), e.g. "Yushu, Jilin".
    pub origin: String,
    /// Selling unit, e.g. "5 ears".
    pub unit: String,
    /// Everyday price of one unit, in fen.
    pub normal_price: Fen,
    /// The batch (lot) on sale, for traceability, e.g. "YS-1118-03"; empty if not recorded.
    #[serde(default)]
    pub batch: String,
    /// A picture of the product: a URL, absolute or on this server.
    #[serde(default)]
    pub picture: Option<String>,
}

/// A store where residents collect what they bought. In `save_pickup`, id 0 adds a new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PickupPoint {
    /// The pickup point's id.
    pub id: PickupId,
    /// Store name, e.g. "Kangning Pharmacy, Heping Rd branch".
    pub name: String,
    /// Street address.
    pub address: String,
    /// When it is open, as the host writes it (e.g. 每天 8:00–21:00); may be empty.
    #[serde(default)]
    pub hours: String,
}

// Read by hand (see `read_object!`): every viewer reads the catalogue.
read_object! { Product, "a product", {
    id, name, description = default, origin, unit, normal_price, batch = default,
    picture = default,
} }
read_object! { PickupPoint, "a pickup point", { id, name, address, hours = default } }

wire_enum! {
    /// Where a deal is in its life.
    pub enum DealStatus {
        /// Not ended: on sale from `starts_at` (a scheduled deal starts later) until `ends_at` or
        /// sold out.
        Live = "live",
        /// Over: its time ran out or the host ended it.
        Ended = "ended",
    }
}

/// A flash deal: limited stock of one product at a deal price, for a limited time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deal {
    /// The deal's id.
    pub id: DealId,
    /// The show it belongs to.
    pub show: ShowId,
    /// The product on sale.
    pub product: ProductId,
    /// Deal price of one unit, in fen.
    pub price: Fen,
    /// Units put on sale.
    pub stock: i64,
    /// Units sold so far (accepted, not cancelled orders).
    pub sold: i64,
    /// Most units one resident may buy in this deal.
    pub per_resident_limit: i64,
    /// When the deal opened.
    pub starts_at: UtcMillis,
    /// When the deal closes.
    pub ends_at: UtcMillis,
    /// Live or ended.
    pub status: DealStatus,
}

// Read by hand (see `read_object!`): the widget reads deals in every state it is sent.
read_object! { Deal, "a deal", {
    id, show, product, price, stock, sold, per_resident_limit, starts_at, ends_at, status,
} }

impl Deal {
    /// Units still for sale.
    pub fn remaining(&self) -> i64 {
        (self.stock - self.sold).max(0)
    }

    /// Whether a resident could buy at `now`.
    pub fn is_open_at(&self, now: UtcMillis) -> bool {
        self.status == DealStatus::Live && now >= self.starts_at && now < self.ends_at
    }
}

wire_enum! {
    /// Where an order is in its life.
    pub enum OrderStatus {
        /// Accepted (paid for at pickup); the goods are on their way to the pickup point.
        Accepted = "accepted",
        /// Cancelled; its units went back to the deal.
        Cancelled = "cancelled",
        /// Collected by the resident (every unit handed over).
        PickedUp = "picked_up",
        /// The pickup point has the goods: the resident may collect it until `collect_by`.
        Ready = "ready",
        /// Not collected within the pickup window.
        NotCollected = "not_collected",
    }
}

/// An accepted purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    /// The order's id.
    pub id: OrderId,
    /// The deal it was bought in.
    pub deal: DealId,
    /// Who bought it.
    pub resident: ResidentId,
    /// The buyer's nickname, for pickup lists.
    pub nickname: String,
    /// Units bought.
    pub qty: i64,
    /// Price of one unit when bought, in fen.
    pub unit_price: Fen,
    /// Where it will be collected.
    pub pickup: PickupId,
    /// Short code the resident shows at the pickup point.
    pub pickup_code: String,
    /// Where the order is in its life.
    pub status: OrderStatus,
    /// When it was accepted.
    pub created_at: UtcMillis,
    /// Why staff cancelled it, in their words, for the resident (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
    /// The product bought (its deal's): a resident's orders from other shows of the community
    /// name what they are without that show's deals.
    #[serde(default)]
    pub product: ProductId,
    /// The show it was bought in.
    #[serde(default)]
    pub show: ShowId,
    /// The member of staff who placed it for the resident (a grid worker's 代客下单), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placed_by: Option<crate::community::StaffId>,
    /// The end of its pickup window, once its pickup point has the goods: not collected by then,
    /// it is `not_collected`. (When it became ready and was picked up are the store's: the
    /// widget has no use for them, and each field costs the resident's download.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collect_by: Option<UtcMillis>,
    /// Units handed over so far (fewer than `qty` while it is ready: a partial hand-over).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub handed: i64,
    /// The signed value its pickup QR code carries (only in frames to its resident): the clerk's
    /// scan is checked against it, so a code cannot be made up from an order number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup_qr: Option<String>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

// Read by hand (see `read_object!`): the widget reads orders in every frame.
read_object! { Order, "an order", {
    id, deal, resident, nickname, qty, unit_price, pickup, pickup_code, status, created_at,
    cancel_reason = default, product = default, show = default, placed_by = default,
    collect_by = default, handed = default, pickup_qr = default,
} }

#[cfg(test)]
mod reading_tests {
    use super::{Order, OrderStatus};

    #[test]
    fn an_order_reads_as_the_derive_would() {
        let full = Order {
            id: 9,
            deal: 7,
            resident: 4,
            nickname: "王\"阿姨".into(),
            qty: 3,
            unit_price: 990,
            pickup: 2,
            pickup_code: "482913".into(),
            status: OrderStatus::Ready,
            created_at: 5,
            cancel_reason: Some("缺货".into()),
            product: 1,
            show: 6,
            placed_by: Some(8),
            collect_by: Some(11),
            handed: 2,
            pickup_qr: Some("MLP1-9-X".into()),
        };
        let json = serde_json::to_string(&full).unwrap_or_default();
        assert_eq!(
            serde_json::from_str::<Order>(&json).ok(),
            Some(full.clone())
        );
        // Optional fields may be absent or null; unknown ones are skipped.
        let lean = r#"{"id":9,"deal":7,"resident":4,"nickname":"n","qty":1,"unit_price":1,
                "pickup":2,"pickup_code":"1","status":"accepted","created_at":5,"placed_by":null,
                "later":{"x":[1,2]}}"#;
        let read: Order = serde_json::from_str(lean).expect("a lean order");
        assert_eq!(
            (read.handed, read.pickup_qr, read.placed_by),
            (0, None, None)
        );
        // A required field missing, or of the wrong kind, is named.
        let missing =
            serde_json::from_str::<Order>(&lean.replace(r#""qty":1,"#, "")).expect_err("no qty");
        assert!(
            missing.to_string().contains("missing field `qty`"),
            "{missing}"
        );
        let wrong = serde_json::from_str::<Order>(&lean.replace(r#""qty":1"#, r#""qty":"x""#))
            .expect_err("a text qty");
        assert!(wrong.to_string().contains("invalid type"), "{wrong}");
        assert!(serde_json::from_str::<Order>("[9,7]").is_err());
    }
}

impl Order {
    /// Whether the resident may still come for it (accepted or ready, units still to hand over).
    pub fn to_collect(&self) -> bool {
        matches!(self.status, OrderStatus::Accepted | OrderStatus::Ready)
    }
}

wire_enum! {
    /// What a signed-in person may do.
    pub enum Role {
        /// Buys in the show.
        Resident = "resident",
        /// Runs the show: launches and ends deals.
        Host = "host",
        /// Watches sales, fixes orders, prepares pickup lists.
        Moderator = "moderator",
        /// Runs a community: its shows, staff, catalogue and pickup points.
        Manager = "manager",
        /// Community worker (网格员) who orders for neighbours who cannot.
        GridWorker = "grid_worker",
        /// Hands orders over at the pickup points they serve.
        PickupClerk = "pickup_clerk",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_formatting() {
        assert_eq!(format_yuan(1990), "19.90");
        assert_eq!(format_yuan(5), "0.05");
        assert_eq!(format_yuan(0), "0.00");
        assert_eq!(format_yuan(-250), "-2.50");
    }

    #[test]
    fn yuan_parsing() {
        assert_eq!(parse_yuan("12"), Some(1200));
        assert_eq!(parse_yuan("１９．９"), Some(1990));
        assert_eq!(parse_yuan("￥２０。５"), Some(2050));
        assert_eq!(parse_yuan(" ¥12.5 "), Some(1250));
        assert_eq!(parse_yuan("0.05"), Some(5));
        assert_eq!(parse_yuan(".5"), Some(50));
        assert_eq!(parse_yuan("12.345"), None);
        assert_eq!(parse_yuan("-1"), None);
        assert_eq!(parse_yuan("abc"), None);
        assert_eq!(parse_yuan(""), None);
        assert_eq!(parse_yuan("."), None);
        assert_eq!(parse_yuan("9999999999"), None);
    }

    #[test]
    fn deal_window() {
        let deal = Deal {
            id: 1,
            show: 1,
            product: 1,
            price: 100,
            stock: 10,
            sold: 12,
            per_resident_limit: 2,
            starts_at: 1_000,
            ends_at: 2_000,
            status: DealStatus::Live,
        };
        assert_eq!(deal.remaining(), 0);
        assert!(!deal.is_open_at(999));
        assert!(deal.is_open_at(1_000));
        assert!(!deal.is_open_at(2_000));
    }
}
