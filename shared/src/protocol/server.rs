//! What the server sends, and how clients read it.

use serde::{Deserialize, Serialize};

use crate::domain::*;
use crate::lucky_bag::{BagId, LuckyBag};

use super::codes::{ErrorCode, Refusal};

/// What the server sends.
///
/// Only `Serialize` is derived: [`ServerMsg::parse`] reads frames (see there for why).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// First frame on every connection.
    Welcome {
        /// The server's [`PROTOCOL_VERSION`].
        protocol: u32,
        /// The server's clock, so the client can correct countdowns for its own clock's offset.
        server_time: UtcMillis,
    },
    /// Answer to `SignIn` or `Resume`.
    SignedIn {
        /// What this connection may now do.
        role: Role,
        /// The resident's id (residents only).
        resident: Option<ResidentId>,
        /// Display name.
        nickname: String,
        /// A new session token to keep for `Resume` (only after `SignIn`).
        token: Option<String>,
        /// The show a host or moderator token is for (show tokens from before staff accounts).
        show: Option<ShowId>,
        /// Every role a staff person holds in their community (`role` is the first of them); just
        /// `role` for residents and show tokens.
        roles: Vec<Role>,
        /// A staff person's community.
        community: Option<crate::CommunityId>,
    },
    /// Answer to `SignIn` when the phone number must be proven: a 6-digit code was sent to it by
    /// text message (or one sent a moment ago still holds). Send `SignIn` again with `code`.
    CodeSent {
        /// The number it went to, masked for the screen: `138****8000`.
        phone: String,
        /// When the code stops being accepted.
        expires_at: UtcMillis,
        /// From when a new code may be asked for (by sending `SignIn` without a code).
        resend_at: UtcMillis,
    },
    /// Answer to `SignOut`: this connection is signed out and its session token revoked.
    SignedOut,
    /// Answer to `Rename`: the name now shown.
    Renamed {
        /// The new name, trimmed.
        nickname: String,
    },
    /// The catalogue of the joined show: sent on `Join`, and again to every viewer when the host
    /// changes it.
    ShowInfo {
        /// The show.
        show: Show,
        /// The catalogue's version: grows with every change (see `Join`'s `catalogue`).
        catalogue: u64,
        /// Products that can be put on sale.
        products: Vec<Product>,
        /// Where residents can collect.
        pickup_points: Vec<PickupPoint>,
    },
    /// The live state of the joined show's room. Sent on `Join` and whenever it changes
    /// (stock changes are coalesced). A higher `version` replaces a lower one.
    Room(RoomState),
    /// A purchase was accepted and is durably stored.
    OrderAccepted {
        /// The purchase-intent key from `PlaceOrder`.
        key: String,
        /// The stored order.
        order: Order,
    },
    /// A purchase was decided and refused.
    OrderRefused {
        /// The purchase-intent key from `PlaceOrder`.
        key: String,
        /// Why.
        reason: Refusal,
        /// Units left in the deal when decided.
        remaining: i64,
        /// Units this resident already holds in the deal (orders not cancelled), so a refusal for
        /// the per-resident limit can say how many more they may buy.
        #[serde(default)]
        held: i64,
    },
    /// Answer to `CancelOrder`: the order, now cancelled.
    OrderCancelled {
        /// The order.
        order: Order,
    },
    /// Moderators and hosts: an order of the joined show changed (cancelled, fewer units, another
    /// pickup point). The resident whose order staff changed (not cancelled) receives it too.
    OrderUpdated {
        /// The order as it is now.
        order: Order,
    },
    /// Answer to the host's `LaunchDeal`.
    DealLaunched {
        /// The new deal.
        deal: Deal,
    },
    /// Answer to the host's `Restock`.
    DealRestocked {
        /// The deal, with its new stock.
        deal: Deal,
    },
    /// Answer to the host's `PinDeal`.
    DealPinned {
        /// The pinned deal, or `null` for none.
        deal: Option<DealId>,
    },
    /// Answer to the host's `ExtendDeal`.
    DealUpdated {
        /// The deal, with its new closing time.
        deal: Deal,
    },
    /// Answer to the host's `SaveProduct`.
    ProductSaved {
        /// The product as stored (with its id, if new).
        product: Product,
    },
    /// Answer to the host's `RemoveProduct`.
    ProductRemoved {
        /// The product's id.
        product: ProductId,
    },
    /// Answer to the host's `SavePickup`.
    PickupSaved {
        /// The pickup point as stored (with its id, if new).
        pickup: PickupPoint,
    },
    /// Answer to the host's `RemovePickup`.
    PickupRemoved {
        /// The pickup point's id.
        pickup: PickupId,
    },
    /// A resident's own orders in the joined show (after sign-in and join, and on reconnect).
    MyOrders {
        /// Newest first.
        orders: Vec<Order>,
    },
    /// Moderators and hosts: the show's orders so far, newest first (after sign-in and join).
    Orders {
        /// Newest first.
        orders: Vec<Order>,
    },
    /// Moderators and hosts: an order was just accepted in the joined show.
    OrderPlaced {
        /// The order.
        order: Order,
    },
    /// Moderators, hosts and managers: the show's control-room figures, about once a second while
    /// they follow it (and at once on joining).
    Pulse {
        /// The figures.
        pulse: crate::pulse::Pulse,
    },
    /// Something that happened in the joined room (a deal launched or ended), in order: `seq` grows
    /// by one per event. The `Room` state that follows already includes it. A client that misses
    /// events (it fell behind, or reconnected) is sent the current `Room` state instead.
    Event {
        /// This event's number in the room.
        seq: u64,
        /// What happened.
        event: RoomEvent,
    },
    /// Answer to the host's `OpenBag`.
    BagOpened {
        /// The new bag.
        bag: LuckyBag,
    },
    /// Answer to the host's `CloseBag`: the bag as drawn (also when it was drawn already: closing
    /// twice draws once).
    BagDrawn {
        /// The drawn bag, with its winners and revealed seed.
        bag: LuckyBag,
    },
    /// Answer to `EnterBag`: the entry is stored.
    BagEntered {
        /// The bag.
        bag: BagId,
    },
    /// To a winner only (at the draw, and on joining later): how to claim the prize.
    BagWon {
        /// The bag.
        bag: BagId,
        /// What was won.
        prize: String,
        /// Where to collect it.
        pickup: PickupId,
        /// The code to show there.
        claim_code: String,
    },
    /// Answer to `Ping`.
    Pong {
        /// The client's `t`, echoed.
        t: UtcMillis,
        /// The server's clock when answering.
        server_time: UtcMillis,
    },
    /// The last frame could not be acted on. The connection stays open.
    Error {
        /// Stable machine-readable code.
        code: ErrorCode,
        /// Human-readable detail (English).
        message: String,
        /// The `key` of the request this error answers (a purchase's, or a host action's), so a
        /// client with several requests in flight knows which one failed; absent for requests
        /// without a key.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
    },
}

/// The live state of a show's room, as every viewer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomState {
    /// The show.
    pub show: ShowId,
    /// Grows by one on every change.
    pub version: u64,
    /// The last room [`ServerMsg::Event`] this state includes.
    pub seq: u64,
    /// Deals of the show, newest first, with their live sold counts.
    pub deals: Vec<Deal>,
    /// The deal residents should see first, if any.
    pub pinned: Option<DealId>,
    /// Connections following the room.
    pub viewers: u64,
    /// The show's latest lucky bag, open or drawn, if any.
    #[serde(default)]
    pub bag: Option<LuckyBag>,
    /// The catalogue's version; a client holding an older `ShowInfo` is sent the new one first.
    #[serde(default)]
    pub catalogue: u64,
    /// The server's clock when this state was published.
    pub server_time: UtcMillis,
}

impl RoomState {
    /// The pinned deal, if any.
    pub fn pinned_deal(&self) -> Option<&Deal> {
        let id = self.pinned?;
        self.deals.iter().find(|d| d.id == id)
    }
}

/// A moment in a room that viewers are told about as it happens.
///
/// Read with [`RoomEvent::parse`], like [`ServerMsg`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RoomEvent {
    /// The host opened a flash deal.
    DealLaunched {
        /// The deal.
        deal: Deal,
    },
    /// A deal was closed by the host before its time.
    DealEnded {
        /// The deal.
        deal: Deal,
    },
    /// The host opened a lucky bag; its commitment is public from now on.
    BagOpened {
        /// The bag.
        bag: LuckyBag,
    },
    /// A bag closed and was drawn: the frozen entry list, its hash, the winners and the seed are
    /// public, so anyone can re-run the draw (docs/FAIRNESS.md).
    BagDrawn {
        /// The bag, drawn.
        bag: LuckyBag,
        /// The frozen entry list, ascending.
        entries: Vec<ResidentId>,
    },
}

impl RoomEvent {
    /// Parses an event object (see [`ServerMsg::parse`] for why this is not derived).
    pub fn parse(text: &str) -> Result<RoomEvent, serde_json::Error> {
        Self::parse_as(text, true)?
            .ok_or_else(|| serde::de::Error::custom("every event is read for staff"))
    }

    /// Residents act on a drawn bag only; the room state carries every other change.
    #[inline(always)]
    fn parse_as(text: &str, staff: bool) -> Result<Option<RoomEvent>, serde_json::Error> {
        #[derive(Deserialize)]
        struct Tag {
            kind: String,
        }
        let Tag { kind } = serde_json::from_str(text)?;
        use RoomEvent as E;
        Ok(Some(match kind.as_str() {
            "deal_launched" | "deal_ended" | "bag_opened" if !staff => return Ok(None),
            "deal_launched" => body!(text, E::DealLaunched { deal: Deal }),
            "deal_ended" => body!(text, E::DealEnded { deal: Deal }),
            "bag_opened" => body!(text, E::BagOpened { bag: LuckyBag }),
            "bag_drawn" => body!(text, E::BagDrawn {
                bag: LuckyBag,
                entries: Vec<ResidentId>,
            }),
            other => {
                return Err(serde::de::Error::unknown_variant(
                    other,
                    &["deal_launched", "deal_ended", "bag_opened", "bag_drawn"],
                ));
            }
        }))
    }
}

impl ServerMsg {
    /// This message as a JSON text frame.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses a server frame (used by the widget and the test tools).
    ///
    /// Serde's derived reader for an internally tagged enum buffers every frame into a generic tree
    /// first, and costs the widget a third of its download (33 KB gzipped). Reading the tag, then
    /// the body as a plain struct, costs a fraction of that and accepts exactly the same frames.
    pub fn parse(text: &str) -> Result<ServerMsg, serde_json::Error> {
        Self::parse_as(text, true)?
            .ok_or_else(|| serde::de::Error::custom("every message is read for staff"))
    }

    /// [`ServerMsg::parse`] for the resident widget: messages only staff receive (and room events
    /// residents do not act on) are skipped unread, as `None`, so the widget carries no code to
    /// read them.
    pub fn parse_for_resident(text: &str) -> Result<Option<ServerMsg>, serde_json::Error> {
        Self::parse_as(text, false)
    }

    // Inlined into both callers: with `staff` a constant, the arms one caller never takes drop out.
    #[inline(always)]
    fn parse_as(text: &str, staff: bool) -> Result<Option<ServerMsg>, serde_json::Error> {
        #[derive(Deserialize)]
        struct Tag {
            #[serde(rename = "type")]
            kind: String,
        }
        let Tag { kind } = serde_json::from_str(text)?;
        use ServerMsg as M;
        Ok(Some(match kind.as_str() {
            "orders" | "order_placed" | "deal_launched" | "deal_restocked" | "deal_pinned"
            | "deal_updated" | "product_saved" | "product_removed" | "pickup_saved"
            | "pickup_removed" | "bag_opened" | "bag_drawn" | "pulse"
                if !staff =>
            {
                return Ok(None);
            }
            "welcome" => body!(
                text,
                M::Welcome {
                    protocol: u32,
                    server_time: UtcMillis
                }
            ),
            "signed_in" => {
                // `roles` and `community` came with staff accounts (protocol 2 servers before them
                // send neither): a tool may still talk to such a server.
                #[derive(Deserialize)]
                struct Body {
                    role: Role,
                    resident: Option<ResidentId>,
                    nickname: String,
                    token: Option<String>,
                    show: Option<ShowId>,
                    #[serde(default)]
                    roles: Vec<Role>,
                    #[serde(default)]
                    community: Option<crate::CommunityId>,
                }
                let b: Body = serde_json::from_str(text)?;
                M::SignedIn {
                    roles: if b.roles.is_empty() {
                        vec![b.role]
                    } else {
                        b.roles
                    },
                    role: b.role,
                    resident: b.resident,
                    nickname: b.nickname,
                    token: b.token,
                    show: b.show,
                    community: b.community,
                }
            }
            "code_sent" => body!(
                text,
                M::CodeSent {
                    phone: String,
                    expires_at: UtcMillis,
                    resend_at: UtcMillis,
                }
            ),
            "signed_out" => M::SignedOut,
            "renamed" => body!(text, M::Renamed { nickname: String }),
            "show_info" => body!(text, M::ShowInfo {
                show: Show,
                catalogue: u64,
                products: Vec<Product>,
                pickup_points: Vec<PickupPoint>,
            }),
            "room" => M::Room(serde_json::from_str(text)?),
            "order_accepted" => body!(
                text,
                M::OrderAccepted {
                    key: String,
                    order: Order
                }
            ),
            "order_refused" => body!(
                text,
                M::OrderRefused {
                    key: String,
                    reason: Refusal,
                    remaining: i64,
                    held: i64,
                }
            ),
            "order_cancelled" => body!(text, M::OrderCancelled { order: Order }),
            "order_updated" => body!(text, M::OrderUpdated { order: Order }),
            "deal_launched" => body!(text, M::DealLaunched { deal: Deal }),
            "deal_restocked" => body!(text, M::DealRestocked { deal: Deal }),
            "deal_pinned" => body!(text, M::DealPinned { deal: Option<DealId> }),
            "deal_updated" => body!(text, M::DealUpdated { deal: Deal }),
            "product_saved" => body!(text, M::ProductSaved { product: Product }),
            "product_removed" => body!(text, M::ProductRemoved { product: ProductId }),
            "pickup_saved" => body!(
                text,
                M::PickupSaved {
                    pickup: PickupPoint
                }
            ),
            "pickup_removed" => body!(text, M::PickupRemoved { pickup: PickupId }),
            "my_orders" => body!(text, M::MyOrders { orders: Vec<Order> }),
            "orders" => body!(text, M::Orders { orders: Vec<Order> }),
            "order_placed" => body!(text, M::OrderPlaced { order: Order }),
            "pulse" => body!(
                text,
                M::Pulse {
                    pulse: crate::pulse::Pulse
                }
            ),
            "event" => {
                #[derive(Deserialize)]
                struct Body<'a> {
                    seq: u64,
                    #[serde(borrow)]
                    event: &'a serde_json::value::RawValue,
                }
                let b: Body = serde_json::from_str(text)?;
                let Some(event) = RoomEvent::parse_as(b.event.get(), staff)? else {
                    return Ok(None);
                };
                M::Event { seq: b.seq, event }
            }
            "bag_opened" => body!(text, M::BagOpened { bag: LuckyBag }),
            "bag_drawn" => body!(text, M::BagDrawn { bag: LuckyBag }),
            "bag_entered" => body!(text, M::BagEntered { bag: BagId }),
            "bag_won" => body!(
                text,
                M::BagWon {
                    bag: BagId,
                    prize: String,
                    pickup: PickupId,
                    claim_code: String,
                }
            ),
            "pong" => body!(
                text,
                M::Pong {
                    t: UtcMillis,
                    server_time: UtcMillis
                }
            ),
            "error" => body!(
                text,
                M::Error {
                    code: ErrorCode,
                    message: String,
                    key: Option<String>,
                }
            ),
            other => return Err(serde::de::Error::unknown_variant(other, Self::TYPES)),
        }))
    }

    /// Every `type` the server sends.
    pub const TYPES: &'static [&'static str] = &[
        "welcome",
        "signed_in",
        "code_sent",
        "signed_out",
        "renamed",
        "show_info",
        "room",
        "order_accepted",
        "order_refused",
        "order_cancelled",
        "order_updated",
        "deal_launched",
        "deal_restocked",
        "deal_pinned",
        "deal_updated",
        "product_saved",
        "product_removed",
        "pickup_saved",
        "pickup_removed",
        "my_orders",
        "orders",
        "order_placed",
        "pulse",
        "event",
        "bag_opened",
        "bag_drawn",
        "bag_entered",
        "bag_won",
        "pong",
        "error",
    ];

    /// Shorthand for an error frame.
    pub fn error(code: ErrorCode, message: impl Into<String>) -> ServerMsg {
        ServerMsg::Error {
            code,
            message: message.into(),
            key: None,
        }
    }

    /// An error frame answering the request with `key`.
    pub fn error_for(
        key: Option<String>,
        code: ErrorCode,
        message: impl Into<String>,
    ) -> ServerMsg {
        ServerMsg::Error {
            code,
            message: message.into(),
            key,
        }
    }
}
