//! Messages between the widget and the server: JSON text frames over one WebSocket (`/ws`).
//!
//! Every frame is an object with a `"type"` field naming the message. The server speaks first with
//! [`ServerMsg::Welcome`], which carries [`PROTOCOL_VERSION`] and the server clock. docs/PROTOCOL.md shows
//! every message with an example.

use serde::{Deserialize, Serialize};

use crate::domain::*;
use crate::lucky_bag::{BagId, Eligibility, LuckyBag};

/// Version of this protocol; bumped on any incompatible change.
pub const PROTOCOL_VERSION: u32 = 2;

/// Longest text frame the server accepts, in bytes. Every client message is far smaller.
pub const MAX_FRAME_BYTES: usize = 16 * 1024;

/// Longest purchase-intent key, in bytes.
pub const MAX_KEY_LEN: usize = 64;

/// Reads a JSON object's fields into one struct variant of an enum (the tag field, read before,
/// is skipped as an unknown field). The variant's field list is checked by the compiler.
macro_rules! body {
    ($text:expr, $Enum:ident :: $Variant:ident { $($field:ident : $ty:ty),* $(,)? }) => {{
        #[derive(Deserialize)]
        struct Body {
            $($field: $ty),*
        }
        let b: Body = serde_json::from_str($text)?;
        $Enum::$Variant { $($field: b.$field),* }
    }};
}

/// What a client (widget, host console, moderator dashboard, test tool) sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMsg {
    /// Follow a show's room: the server answers with [`ServerMsg::ShowInfo`] and [`ServerMsg::Room`]
    /// and keeps pushing the room as it changes.
    Join {
        /// The show to follow.
        show: ShowId,
        /// When rejoining: the `seq` of the last room state or event this client applied. The
        /// server then skips the catalogue (`ShowInfo`) and sends only the current `Room` state,
        /// which is all a client needs to be current again: state, never a replay of events.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<u64>,
        /// When rejoining: the `catalogue` version of the `ShowInfo` this client holds. If the
        /// catalogue changed meanwhile, the server sends the new `ShowInfo` after all.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        catalogue: Option<u64>,
    },
    /// Sign in as a resident: one resident per phone number. The answer is [`ServerMsg::SignedIn`]
    /// with a signed session token to `Resume` with later, or, when the number must be proven
    /// first (it has a resident already, or the server asks every new number), [`ServerMsg::CodeSent`]:
    /// send `SignIn` again with the code from the text message. The fields are checked by
    /// [`crate::SignInForm::check`]; a bad one gets `invalid_nickname`, `invalid_phone` or
    /// `invalid_community`.
    SignIn {
        /// How the resident wants to be called (1–24 characters).
        nickname: String,
        /// Mainland China mobile number (11 digits; spaces, dashes and `+86` are accepted).
        phone: String,
        /// The resident's community (1–40 characters), for aggregate statistics only.
        community: String,
        /// The 6-digit code sent to the phone, once asked for (`CodeSent`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
    },
    /// Sign out on this device: the session token this connection signed in with stops working.
    /// Answered [`ServerMsg::SignedOut`].
    SignOut,
    /// Residents: change the name shown with their orders. Answered [`ServerMsg::Renamed`].
    Rename {
        /// The new name (1–24 visible characters).
        nickname: String,
    },
    /// Sign in with a token: a resident's session token, or a host's or moderator's token.
    Resume {
        /// The token.
        token: String,
    },
    /// Buy units of a live deal. Needs a resident sign-in.
    PlaceOrder {
        /// The deal.
        deal: DealId,
        /// Units wanted, at least 1.
        qty: i64,
        /// Where the resident will pick it up.
        pickup: PickupId,
        /// A fresh id per purchase intent, reused on every retry of that intent (1–64 bytes).
        key: String,
    },
    /// Cancel an order before pickup: residents their own, hosts and moderators any in their show.
    /// Its units go back on sale.
    CancelOrder {
        /// The order.
        order: OrderId,
    },
    /// Host only: open a flash deal in the joined show, now or at `starts_at`. A deal launched now
    /// is pinned; a scheduled one is pinned when it starts if no deal on sale is pinned then.
    LaunchDeal {
        /// The product to sell.
        product: ProductId,
        /// Deal price of one unit, in fen.
        price: Fen,
        /// Units on sale.
        stock: i64,
        /// Most units one resident may buy.
        per_resident_limit: i64,
        /// When the deal opens (within 7 days); absent or past means now.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        starts_at: Option<UtcMillis>,
        /// When the deal closes (at most 7 days after it opens).
        ends_at: UtcMillis,
    },
    /// Host only: add units to a live deal's stock; answered with [`ServerMsg::DealRestocked`].
    Restock {
        /// The deal.
        deal: DealId,
        /// Units to add (at least 1).
        units: i64,
    },
    /// Host only: close a deal before its time (a scheduled one is called off).
    EndDeal {
        /// The deal.
        deal: DealId,
    },
    /// Host only: choose the deal residents see first (any deal not ended), or none; answered
    /// with [`ServerMsg::DealPinned`].
    PinDeal {
        /// The deal, or `null` to pin none.
        deal: Option<DealId>,
    },
    /// Host only: give a deal that has not ended a later closing time; answered with
    /// [`ServerMsg::DealUpdated`].
    ExtendDeal {
        /// The deal.
        deal: DealId,
        /// The new closing time: later than the current one, at most 7 days after the deal opened.
        ends_at: UtcMillis,
    },
    /// Host only: add a product to the show's catalogue (`id` 0) or change one; answered with
    /// [`ServerMsg::ProductSaved`]. Fields are checked by [`crate::catalogue::check_product`].
    /// Every viewer receives the new `ShowInfo`.
    SaveProduct {
        /// The product.
        product: Product,
    },
    /// Host only: take a product that was never on sale out of the catalogue (one with deals is
    /// refused with `in_use`); answered with [`ServerMsg::ProductRemoved`].
    RemoveProduct {
        /// The product.
        product: ProductId,
    },
    /// Host only: add a pickup point (`id` 0) or change one; answered with
    /// [`ServerMsg::PickupSaved`]. Fields are checked by [`crate::catalogue::check_pickup`].
    SavePickup {
        /// The pickup point.
        pickup: PickupPoint,
    },
    /// Host only: remove a pickup point no order or lucky bag names (otherwise `in_use`); answered
    /// with [`ServerMsg::PickupRemoved`].
    RemovePickup {
        /// The pickup point.
        pickup: PickupId,
    },
    /// Host only: open a lucky bag (one at a time per show); answered with
    /// [`ServerMsg::BagOpened`]. Every viewer sees it, with the draw's commitment, in the room state.
    OpenBag {
        /// What is won (1–60 characters).
        prize: String,
        /// How many residents win (1–1,000).
        winners: u32,
        /// When entries close and the draw happens (within 24 hours).
        closes_at: UtcMillis,
        /// Who may enter.
        eligibility: Eligibility,
        /// Where winners collect the prize.
        pickup: PickupId,
    },
    /// Residents: enter the open bag; answered with [`ServerMsg::BagEntered`] once the entry is
    /// stored (entering again changes nothing and gets the same answer).
    EnterBag {
        /// The bag.
        bag: BagId,
    },
    /// Host only: close the bag now and draw.
    CloseBag {
        /// The bag.
        bag: BagId,
    },
    /// Measure round trip and clock offset; answered with [`ServerMsg::Pong`].
    Ping {
        /// The client's own clock when sent, echoed back.
        t: UtcMillis,
    },
}

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
        /// The show a host or moderator token is for.
        show: Option<ShowId>,
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
    },
    /// Answer to `CancelOrder`: the order, now cancelled.
    OrderCancelled {
        /// The order.
        order: Order,
    },
    /// Moderators and hosts: an order of the joined show changed (e.g. was cancelled).
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

/// Why a purchase was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// No units left.
    SoldOut,
    /// Fewer units left than asked for (`remaining` says how many).
    NotEnoughStock,
    /// The resident would pass the per-resident limit.
    LimitReached,
    /// The deal is not on sale (ended or out of its time window).
    DealClosed,
}

/// Stable error codes in [`ServerMsg::Error`] frames and HTTP error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not JSON, or not a JSON object, or binary.
    MalformedFrame,
    /// The frame's `type` is not a message this server knows.
    UnknownMessage,
    /// A known message with missing, extra or mistyped fields.
    InvalidMessage,
    /// The frame is larger than [`MAX_FRAME_BYTES`].
    FrameTooLarge,
    /// The action needs a sign-in first.
    NotSignedIn,
    /// The signed-in role may not do this.
    Forbidden,
    /// The token is unknown or revoked.
    InvalidToken,
    /// The action needs a `Join` first.
    NotJoined,
    /// No such HTTP route.
    NotFound,
    /// No such show.
    UnknownShow,
    /// No such deal in the joined show.
    UnknownDeal,
    /// No such product in the joined show.
    UnknownProduct,
    /// No such pickup point for the joined show.
    UnknownPickup,
    /// No such order in the joined show.
    UnknownOrder,
    /// The order was already cancelled or picked up.
    NotCancellable,
    /// Quantity must be at least 1.
    InvalidQuantity,
    /// The purchase key is empty or too long.
    InvalidKey,
    /// A nickname must be 1–24 characters.
    InvalidNickname,
    /// A phone number must be a mainland China mobile number.
    InvalidPhone,
    /// A community must be 1–40 characters.
    InvalidCommunity,
    /// Deal fields out of range (price, stock, limit, start or end time), or the deal has ended.
    InvalidDeal,
    /// A product field is not acceptable (the message names it).
    InvalidProduct,
    /// A pickup point field is not acceptable (the message names it).
    InvalidPickup,
    /// The product or pickup point is still used by a deal, an order or a lucky bag.
    InUse,
    /// An uploaded picture is not a PNG, JPEG, WebP or GIF image.
    InvalidPicture,
    /// An uploaded picture is larger than [`crate::catalogue::MAX_PICTURE_BYTES`].
    PictureTooLarge,
    /// Lucky-bag fields out of range (prize, winners, closing time, pickup point).
    InvalidBag,
    /// No such lucky bag in the joined show.
    UnknownBag,
    /// The show already has an open lucky bag.
    BagAlreadyOpen,
    /// The bag no longer takes entries.
    BagClosed,
    /// This resident may not enter this bag (it is for residents who ordered in this show).
    NotEligible,
    /// The server is shutting down or overloaded; retry shortly.
    Unavailable,
    /// Something failed on the server; the request was not carried out.
    Internal,
    /// The sign-in code is not the one sent (the message says how many tries are left).
    WrongCode,
    /// No code is waiting for this number: it expired, was used, took too many wrong tries, or was
    /// never asked for. Sign in again without a code to get a new one.
    CodeExpired,
    /// Too many codes or tries, for this number or on this connection; the message says when to try
    /// again.
    TooManyRequests,
    /// The text message with the code could not be sent; try again shortly.
    SmsFailed,
    /// (HTTP only) The request is not a well-formed HTTP request, or not a WebSocket handshake at
    /// a WebSocket address.
    BadRequest,
    /// (HTTP only) The route exists, but not for this method.
    MethodNotAllowed,
    /// (HTTP only) The request's body did not arrive in time.
    RequestTimeout,
    /// (HTTP only) The request's address is too long.
    UriTooLong,
    /// (HTTP only) The request's header fields are too large.
    HeadersTooLarge,
}

/// A text frame that could not be turned into a [`ClientMsg`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    /// Which kind of problem.
    pub code: ErrorCode,
    /// Detail for the sender.
    pub message: String,
    /// The frame's `key`, if it is an object with a usable one: its error then says which request
    /// it answers.
    pub key: Option<String>,
}

impl ClientMsg {
    /// Parses one text frame, telling apart "not JSON", "unknown type" and "bad fields" so the sender
    /// gets a precise [`ErrorCode`].
    pub fn parse(text: &str) -> Result<ClientMsg, FrameError> {
        if text.len() > MAX_FRAME_BYTES {
            return Err(FrameError {
                code: ErrorCode::FrameTooLarge,
                message: format!(
                    "frame is {} bytes; the limit is {MAX_FRAME_BYTES}",
                    text.len()
                ),
                key: None,
            });
        }
        // The common case costs one parse; only a frame that fails is parsed again to say why.
        if let Ok(msg) = serde_json::from_str::<ClientMsg>(text) {
            return Ok(msg);
        }
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| FrameError {
            code: ErrorCode::MalformedFrame,
            message: format!("not JSON: {e}"),
            key: None,
        })?;
        let Some(kind) = value.get("type").and_then(|t| t.as_str()) else {
            return Err(FrameError {
                code: ErrorCode::MalformedFrame,
                message: "expected a JSON object with a string field \"type\"".into(),
                key: None,
            });
        };
        let key = value
            .get("key")
            .and_then(|k| k.as_str())
            .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LEN)
            .map(str::to_owned);
        if !Self::TYPES.contains(&kind) {
            return Err(FrameError {
                code: ErrorCode::UnknownMessage,
                message: format!("unknown message type {kind:?}"),
                key,
            });
        }
        let kind = kind.to_owned();
        serde_json::from_value(value).map_err(|e| FrameError {
            code: ErrorCode::InvalidMessage,
            message: format!("invalid {kind}: {e}"),
            key,
        })
    }

    /// Every `type` a client may send.
    pub const TYPES: &'static [&'static str] = &[
        "join",
        "sign_in",
        "sign_out",
        "rename",
        "resume",
        "place_order",
        "cancel_order",
        "launch_deal",
        "restock",
        "end_deal",
        "pin_deal",
        "extend_deal",
        "save_product",
        "remove_product",
        "save_pickup",
        "remove_pickup",
        "open_bag",
        "enter_bag",
        "close_bag",
        "ping",
    ];

    /// This message as a JSON text frame.
    pub fn to_json(&self) -> String {
        // Serializing these plain enums cannot fail: every key is a string and every value is plain data.
        serde_json::to_string(self).unwrap_or_default()
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
            "orders" | "order_placed" | "order_updated" | "deal_launched" | "deal_restocked"
            | "deal_pinned" | "deal_updated" | "product_saved" | "product_removed"
            | "pickup_saved" | "pickup_removed" | "bag_opened" | "bag_drawn"
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
            "signed_in" => body!(text, M::SignedIn {
                role: Role,
                resident: Option<ResidentId>,
                nickname: String,
                token: Option<String>,
                show: Option<ShowId>,
            }),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lucky_bag::{BagPhase, Winner};

    #[test]
    fn client_messages_round_trip() {
        let msg = ClientMsg::PlaceOrder {
            deal: 7,
            qty: 2,
            pickup: 3,
            key: "k-1".into(),
        };
        let text = msg.to_json();
        assert_eq!(
            text,
            r#"{"type":"place_order","deal":7,"qty":2,"pickup":3,"key":"k-1"}"#
        );
        assert_eq!(ClientMsg::parse(&text), Ok(msg));
    }

    #[test]
    fn every_listed_type_is_a_real_variant() {
        for kind in ClientMsg::TYPES {
            let err = ClientMsg::parse(&format!(r#"{{"type":"{kind}"}}"#));
            // Either it parses (no fields needed) or its fields are what is wrong, never its type.
            if let Err(e) = err {
                assert_eq!(e.code, ErrorCode::InvalidMessage, "{kind}: {}", e.message);
            }
        }
    }

    #[test]
    fn bad_frames_get_precise_codes() {
        let code = |t: &str| ClientMsg::parse(t).unwrap_err().code;
        assert_eq!(code("not json"), ErrorCode::MalformedFrame);
        assert_eq!(code("[1,2]"), ErrorCode::MalformedFrame);
        assert_eq!(code(r#"{"type":"teleport"}"#), ErrorCode::UnknownMessage);
        assert_eq!(
            code(r#"{"type":"join","show":"x"}"#),
            ErrorCode::InvalidMessage
        );
        assert_eq!(
            code(r#"{"type":"join","show":1,"extra":2}"#),
            ErrorCode::InvalidMessage
        );
        let huge = format!(
            r#"{{"type":"sign_in","nickname":"{}","phone":"13800138000","community":"c"}}"#,
            "a".repeat(MAX_FRAME_BYTES)
        );
        assert_eq!(code(&huge), ErrorCode::FrameTooLarge);
    }

    /// Its tag, by an exhaustive match: a new variant does not compile here until it has a sample
    /// below, so [`ServerMsg::parse`] cannot silently miss it.
    fn tag(m: &ServerMsg) -> &'static str {
        match m {
            ServerMsg::Welcome { .. } => "welcome",
            ServerMsg::SignedIn { .. } => "signed_in",
            ServerMsg::CodeSent { .. } => "code_sent",
            ServerMsg::SignedOut => "signed_out",
            ServerMsg::Renamed { .. } => "renamed",
            ServerMsg::ShowInfo { .. } => "show_info",
            ServerMsg::Room(_) => "room",
            ServerMsg::OrderAccepted { .. } => "order_accepted",
            ServerMsg::OrderRefused { .. } => "order_refused",
            ServerMsg::OrderCancelled { .. } => "order_cancelled",
            ServerMsg::OrderUpdated { .. } => "order_updated",
            ServerMsg::DealLaunched { .. } => "deal_launched",
            ServerMsg::DealRestocked { .. } => "deal_restocked",
            ServerMsg::DealPinned { .. } => "deal_pinned",
            ServerMsg::DealUpdated { .. } => "deal_updated",
            ServerMsg::ProductSaved { .. } => "product_saved",
            ServerMsg::ProductRemoved { .. } => "product_removed",
            ServerMsg::PickupSaved { .. } => "pickup_saved",
            ServerMsg::PickupRemoved { .. } => "pickup_removed",
            ServerMsg::MyOrders { .. } => "my_orders",
            ServerMsg::Orders { .. } => "orders",
            ServerMsg::OrderPlaced { .. } => "order_placed",
            ServerMsg::Event { .. } => "event",
            ServerMsg::BagOpened { .. } => "bag_opened",
            ServerMsg::BagDrawn { .. } => "bag_drawn",
            ServerMsg::BagEntered { .. } => "bag_entered",
            ServerMsg::BagWon { .. } => "bag_won",
            ServerMsg::Pong { .. } => "pong",
            ServerMsg::Error { .. } => "error",
        }
    }

    #[test]
    fn every_server_message_round_trips_through_parse() {
        let deal = Deal {
            id: 7,
            show: 1,
            product: 2,
            price: 990,
            stock: 10,
            sold: 3,
            per_resident_limit: 2,
            starts_at: 1,
            ends_at: 2,
            status: DealStatus::Live,
        };
        let order = Order {
            id: 9,
            deal: 7,
            resident: 4,
            nickname: "王阿姨".into(),
            qty: 2,
            unit_price: 990,
            pickup: 3,
            pickup_code: "K7Q2".into(),
            status: OrderStatus::Accepted,
            created_at: 5,
        };
        let bag = LuckyBag {
            id: 3,
            show: 1,
            prize: "5 kg 五常大米".into(),
            winners_wanted: 1,
            eligibility: Eligibility::Everyone,
            pickup: 1,
            opened_at: 1,
            closes_at: 2,
            phase: BagPhase::Drawn,
            commitment: "ab".into(),
            entrants: 2,
            entries_hash: Some("cd".into()),
            winners: vec![Winner {
                resident: 4,
                nickname: "王阿姨".into(),
            }],
            seed: Some("ef".into()),
        };
        let samples = [
            ServerMsg::Welcome {
                protocol: 1,
                server_time: 5,
            },
            ServerMsg::SignedIn {
                role: Role::Resident,
                resident: Some(4),
                nickname: "王阿姨".into(),
                token: None,
                show: None,
            },
            ServerMsg::CodeSent {
                phone: "138****8000".into(),
                expires_at: 9,
                resend_at: 8,
            },
            ServerMsg::SignedOut,
            ServerMsg::Renamed {
                nickname: "王姨".into(),
            },
            ServerMsg::ShowInfo {
                show: Show {
                    id: 1,
                    title: "t".into(),
                    community: "c".into(),
                },
                catalogue: 3,
                products: vec![],
                pickup_points: vec![PickupPoint {
                    id: 3,
                    name: "n".into(),
                    address: "a".into(),
                }],
            },
            ServerMsg::Room(RoomState {
                show: 1,
                version: 2,
                seq: 1,
                deals: vec![deal.clone()],
                pinned: Some(7),
                viewers: 3,
                bag: None,
                catalogue: 0,
                server_time: 5,
            }),
            ServerMsg::OrderAccepted {
                key: "k".into(),
                order: order.clone(),
            },
            ServerMsg::OrderRefused {
                key: "k".into(),
                reason: Refusal::LimitReached,
                remaining: 4,
            },
            ServerMsg::OrderCancelled {
                order: order.clone(),
            },
            ServerMsg::OrderUpdated {
                order: order.clone(),
            },
            ServerMsg::DealLaunched { deal: deal.clone() },
            ServerMsg::DealRestocked { deal: deal.clone() },
            ServerMsg::DealPinned { deal: None },
            ServerMsg::DealUpdated { deal: deal.clone() },
            ServerMsg::ProductSaved {
                product: Product {
                    id: 2,
                    name: "玉米".into(),
                    description: "甜".into(),
                    origin: "吉林".into(),
                    unit: "5 根".into(),
                    normal_price: 1990,
                    batch: String::new(),
                    picture: None,
                },
            },
            ServerMsg::ProductRemoved { product: 2 },
            ServerMsg::PickupSaved {
                pickup: PickupPoint {
                    id: 3,
                    name: "n".into(),
                    address: "a".into(),
                },
            },
            ServerMsg::PickupRemoved { pickup: 3 },
            ServerMsg::MyOrders {
                orders: vec![order.clone()],
            },
            ServerMsg::Orders { orders: vec![] },
            ServerMsg::OrderPlaced { order },
            ServerMsg::Event {
                seq: 4,
                event: RoomEvent::BagDrawn {
                    bag: bag.clone(),
                    entries: vec![4, 9],
                },
            },
            ServerMsg::BagOpened { bag: bag.clone() },
            ServerMsg::BagDrawn { bag: bag.clone() },
            ServerMsg::BagEntered { bag: 3 },
            ServerMsg::BagWon {
                bag: 3,
                prize: "大米".into(),
                pickup: 1,
                claim_code: "482913".into(),
            },
            ServerMsg::Pong {
                t: 1,
                server_time: 2,
            },
            ServerMsg::error(ErrorCode::Forbidden, "no"),
            ServerMsg::error_for(Some("k1".into()), ErrorCode::InvalidQuantity, "no"),
        ];
        let mut tags: Vec<&str> = samples.iter().map(tag).collect();
        tags.dedup();
        assert_eq!(tags, ServerMsg::TYPES);
        for msg in samples {
            let text = msg.to_json();
            assert_eq!(ServerMsg::parse(&text).ok(), Some(msg), "{text}");
        }
        // The tag need not come first, and unknown or missing tags are errors, not panics.
        assert_eq!(
            ServerMsg::parse(r#"{"t":1,"server_time":2,"type":"pong"}"#).ok(),
            Some(ServerMsg::Pong {
                t: 1,
                server_time: 2
            })
        );
        assert!(ServerMsg::parse(r#"{"type":"teleport"}"#).is_err());
        assert!(ServerMsg::parse(r#"{"t":1}"#).is_err());
        assert!(ServerMsg::parse(r#"{"type":"pong","t":"x","server_time":2}"#).is_err());
        assert!(ServerMsg::parse(r#"{"type":"event","seq":1,"event":{"kind":"x"}}"#).is_err());
    }

    #[test]
    fn server_room_frame_is_flat() {
        let msg = ServerMsg::Room(RoomState {
            show: 1,
            version: 4,
            seq: 3,
            deals: vec![],
            pinned: None,
            viewers: 2,
            bag: None,
            catalogue: 0,
            server_time: 5,
        });
        let text = msg.to_json();
        assert!(
            text.starts_with(r#"{"type":"room","show":1,"version":4"#),
            "{text}"
        );
        assert_eq!(ServerMsg::parse(&text).ok(), Some(msg));
    }
}
