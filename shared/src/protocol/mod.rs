//! Messages between the widget and the server: JSON text frames over one WebSocket (`/ws`).
//!
//! Every frame is an object with a `"type"` field naming the message. The server speaks first with
//! [`ServerMsg::Welcome`], which carries [`PROTOCOL_VERSION`] and the server clock. docs/PROTOCOL.md shows
//! every message with an example.
//!
//! `client` is what clients send, `server` what the server sends (and how clients read it), `codes`
//! why a purchase is refused or a request fails.

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

mod client;
mod codes;
mod server;
#[cfg(test)]
mod tests;

pub use client::{ClientMsg, FrameError};
pub use codes::{ErrorCode, Refusal};
pub use server::{RoomEvent, RoomState, ServerMsg};
