//! What staff see of residents' orders while the show runs (the moderators' control room): an
//! order found by its pickup code, the buyer's name or the last four digits of their phone, with
//! the phone masked — staff never receive a resident's whole number unless they typed it.

use serde::{Deserialize, Serialize};

use crate::domain::Order;

/// An order as staff find it: the order, and its buyer's phone masked (`138****8000`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundOrder {
    /// The order.
    pub order: Order,
    /// The buyer's phone as staff may see it (see [`mask_phone`]); empty if they gave none.
    pub phone: String,
}

/// A phone number as staff may see it: the first three and the last four digits, the rest as
/// `*` (`13800138000` → `138****8000`). Anything shorter than eight characters is all stars.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let n = chars.len();
    if n == 0 {
        return String::new();
    }
    if n < 8 {
        return "*".repeat(n);
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[n - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(n - 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked_but_their_ends() {
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone(""), "");
        assert_eq!(mask_phone("12345"), "*****");
        assert_eq!(mask_phone("12345678"), "123*5678");
    }
}
