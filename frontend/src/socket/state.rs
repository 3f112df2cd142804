//! What the connection knows, as the pages read it: the link, who is signed in, the catalogue, and
//! where a purchase or a host action stands.

use mulin_shared::{
    ClientMsg, DealId, ErrorCode, Order, PickupId, PickupPoint, Product, Refusal, ResidentId, Role,
    Show,
};

/// The connection as the person sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Opening (first time or again).
    Connecting,
    /// Connected and current.
    Online,
    /// Lost; trying again shortly.
    Offline,
}

/// Who is signed in on this connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Me {
    /// The first of `roles`.
    pub role: Role,
    /// Every role held: a resident's, or a staff person's (they add up).
    pub roles: Vec<Role>,
    /// The resident's id (residents only).
    pub resident: Option<ResidentId>,
    /// Display name.
    pub nickname: String,
}

/// The show's catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    /// The show.
    pub show: Show,
    /// The catalogue's version, told to the server when rejoining.
    pub version: u64,
    /// Its products.
    pub products: Vec<Product>,
    /// Its pickup points.
    pub pickup_points: Vec<PickupPoint>,
}

impl Catalogue {
    /// The product with this id.
    pub fn product(&self, id: i64) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }

    /// The pickup point with this id.
    pub fn pickup(&self, id: PickupId) -> Option<&PickupPoint> {
        self.pickup_points.iter().find(|p| p.id == id)
    }
}

/// A purchase intent and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purchase {
    /// Nothing asked yet.
    Idle,
    /// Sent (or waiting to be resent); no answer yet.
    Waiting {
        /// The deal.
        deal: DealId,
        /// Units.
        qty: i64,
        /// Pickup point.
        pickup: PickupId,
        /// The intent's key, reused on every retry.
        key: String,
    },
    /// Stored: the order and its pickup code.
    Accepted(Order),
    /// Refused by the desk.
    Refused {
        /// The deal it was for.
        deal: DealId,
        /// Why.
        reason: Refusal,
        /// Units left when decided.
        remaining: i64,
        /// Units this resident held in the deal when decided.
        held: i64,
    },
    /// Not answered with an order or a refusal; the code says why. The key is kept: tapping Buy
    /// again for the same deal, quantity and pickup point asks again with it, so if the first
    /// attempt did reach the store, the retry returns that order instead of making a second.
    Failed {
        /// Why.
        code: ErrorCode,
        /// The deal, quantity, pickup point and key of the attempt.
        tried: (DealId, i64, PickupId, String),
    },
}

/// A host action on its way: which button sent it, and what to send again after a reconnect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Working {
    /// The button's name, so it alone says "working…".
    pub tag: &'static str,
    /// The request key.
    pub key: String,
    /// The message.
    pub msg: ClientMsg,
}
