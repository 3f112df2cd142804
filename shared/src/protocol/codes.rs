//! Why a purchase was refused, and the codes of every error a request can get.

use serde::{Deserialize, Serialize};

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
    /// A cancellation's reason is over 100 characters or holds line breaks or control characters.
    InvalidReason,
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
