//! Mulin Live's wire protocol and domain types.
//!
//! This crate does no I/O and depends on nothing of ours, so the server, the widget (wasm32) and the
//! test tools all speak exactly the same language. Money is integer fen; times are UTC milliseconds.

#[macro_use]
mod wire;

pub mod catalogue;
pub mod community;
pub mod control;
pub mod domain;
pub mod lucky_bag;
pub mod pickup;
pub mod protocol;
pub mod pulse;
pub mod report;
pub mod sign_in;

pub use catalogue::CatalogueProblem;
pub use community::{CommunityId, ShowStatus, StaffId};
pub use domain::*;

/// Text made safe to place in HTML, between tags or in a quoted attribute: names typed by hosts and
/// residents never become markup. The server's demo page and the widget's lean lists both use it.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
pub use lucky_bag::{BagId, BagPhase, Eligibility, LuckyBag, Prize, Winner};
pub use protocol::*;
pub use sign_in::{SignInForm, SignInProblem};

#[cfg(test)]
mod tests {
    use super::escape_html;

    #[test]
    fn names_cannot_open_tags() {
        assert_eq!(
            escape_html(r#"<script>"玉米" & 'eggs'</script>"#),
            "&lt;script&gt;&quot;玉米&quot; &amp; &#39;eggs&#39;&lt;/script&gt;"
        );
        assert_eq!(escape_html("王阿姨"), "王阿姨");
    }
}
