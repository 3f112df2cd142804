//! What clients send, and how the server reads it.

use serde::{Deserialize, Serialize};

use crate::domain::*;
use crate::lucky_bag::{BagId, Eligibility};

use super::codes::ErrorCode;
use super::{MAX_FRAME_BYTES, MAX_KEY_LEN};

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
        /// Staff: why, in words the resident is shown (1–100 characters); residents send none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
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
    /// gets a precise [`ErrorCode`]. A request key beside the message's fields is dropped; see
    /// [`ClientMsg::parse_request`].
    pub fn parse(text: &str) -> Result<ClientMsg, FrameError> {
        Self::parse_request(text).map(|(msg, _)| msg)
    }

    /// Parses one text frame and the request's `key`, if it carries one beside the message's own
    /// fields. Any request may: errors answering it carry it back, and a host action with a key is
    /// done once, however often it is sent (`place_order` has its own `key`, returned inside).
    pub fn parse_request(text: &str) -> Result<(ClientMsg, Option<String>), FrameError> {
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
        // The common case (a purchase, a join, a ping) costs one parse; a frame with a request key
        // or one that fails is parsed again.
        if let Ok(msg) = serde_json::from_str::<ClientMsg>(text) {
            return Ok((msg, None));
        }
        let mut value: serde_json::Value = serde_json::from_str(text).map_err(|e| FrameError {
            code: ErrorCode::MalformedFrame,
            message: format!("not JSON: {e}"),
            key: None,
        })?;
        let Some(kind) = value
            .get("type")
            .and_then(|t| t.as_str())
            .map(str::to_owned)
        else {
            return Err(FrameError {
                code: ErrorCode::MalformedFrame,
                message: "expected a JSON object with a string field \"type\"".into(),
                key: None,
            });
        };
        let raw_key = value.get("key").cloned();
        let key = raw_key
            .as_ref()
            .and_then(|k| k.as_str())
            .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LEN)
            .map(str::to_owned);
        if !Self::TYPES.contains(&kind.as_str()) {
            return Err(FrameError {
                code: ErrorCode::UnknownMessage,
                message: format!("unknown message type {kind:?}"),
                key,
            });
        }
        // `place_order`'s key is one of its fields; any other message's is the request's.
        let request_key = kind != "place_order" && raw_key.is_some();
        if request_key {
            if key.is_none() {
                return Err(FrameError {
                    code: ErrorCode::InvalidKey,
                    message: format!("a request key must be a string of 1–{MAX_KEY_LEN} bytes"),
                    key: None,
                });
            }
            if let Some(fields) = value.as_object_mut() {
                fields.remove("key");
            }
        }
        match serde_json::from_value(value) {
            Ok(msg) => Ok((msg, key.filter(|_| request_key))),
            Err(e) => Err(FrameError {
                code: ErrorCode::InvalidMessage,
                message: format!("invalid {kind}: {e}"),
                key,
            }),
        }
    }

    /// This message as a JSON text frame carrying the request key `key` (see
    /// [`ClientMsg::parse_request`]).
    pub fn to_json_with_key(&self, key: &str) -> String {
        Self::add_key(self.to_json(), key)
    }

    /// A message's JSON object with the request key `key` added.
    pub fn add_key(mut json: String, key: &str) -> String {
        // The message is a JSON object: the key goes in before its closing brace.
        if json.pop() != Some('}') {
            return json;
        }
        if !json.ends_with('{') {
            json.push(',');
        }
        json.push_str("\"key\":");
        json.push_str(&serde_json::to_string(key).unwrap_or_default());
        json.push('}');
        json
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

    /// The same text as [`ClientMsg::to_json`] for the messages a resident's widget sends (join,
    /// sign-in and out, rename, resume, orders, cancelling, entering a bag, ping), or `None` for
    /// the staff's. Written by hand for the widget: serde's writer for every message, staff ones
    /// included, cost it about 3 KB gzipped of its 200 KB budget.
    pub fn to_resident_json(&self) -> Option<String> {
        use ClientMsg as M;
        let o = Obj::new;
        Some(
            match self {
                M::Join {
                    show,
                    since,
                    catalogue,
                } => o("join")
                    .num("show", show)
                    .num_opt("since", since)
                    .num_opt("catalogue", catalogue),
                M::SignIn {
                    nickname,
                    phone,
                    community,
                    code,
                } => o("sign_in")
                    .text("nickname", nickname)
                    .text("phone", phone)
                    .text("community", community)
                    .text_opt("code", code),
                M::SignOut => o("sign_out"),
                M::Rename { nickname } => o("rename").text("nickname", nickname),
                M::Resume { token } => o("resume").text("token", token),
                M::PlaceOrder {
                    deal,
                    qty,
                    pickup,
                    key,
                } => o("place_order")
                    .num("deal", deal)
                    .num("qty", qty)
                    .num("pickup", pickup)
                    .text("key", key),
                M::CancelOrder { order, reason } => o("cancel_order")
                    .num("order", order)
                    .text_opt("reason", reason),
                M::EnterBag { bag } => o("enter_bag").num("bag", bag),
                M::Ping { t } => o("ping").num("t", t),
                _ => return None,
            }
            .0 + "}",
        )
    }
}

/// A JSON object being written, fields in order (as serde writes them).
struct Obj(String);

impl Obj {
    fn new(kind: &str) -> Obj {
        Obj(format!("{{\"type\":\"{kind}\""))
    }

    fn num(mut self, name: &str, value: impl std::fmt::Display) -> Obj {
        self.0.push_str(&format!(",\"{name}\":{value}"));
        self
    }

    fn num_opt(self, name: &str, value: &Option<impl std::fmt::Display>) -> Obj {
        match value {
            Some(v) => self.num(name, v),
            None => self,
        }
    }

    fn text(mut self, name: &str, value: &str) -> Obj {
        // A string's JSON cannot fail to write.
        let value = serde_json::to_string(value).unwrap_or_default();
        self.0.push_str(&format!(",\"{name}\":{value}"));
        self
    }

    fn text_opt(self, name: &str, value: &Option<String>) -> Obj {
        match value {
            Some(v) => self.text(name, v),
            None => self,
        }
    }
}
