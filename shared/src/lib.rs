//! Mulin Live's wire protocol and domain types.
//!
//! This crate does no I/O and depends on nothing of ours, so the server, the widget (wasm32) and the
//! test tools all speak exactly the same language. Money is integer fen; times are UTC milliseconds.

pub mod domain;
pub mod lucky_bag;
pub mod protocol;
pub mod sign_in;

pub use domain::*;
pub use lucky_bag::{BagId, BagPhase, Eligibility, LuckyBag, Winner};
pub use protocol::*;
pub use sign_in::{SignInForm, SignInProblem};
