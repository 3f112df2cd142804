//! What staff see of residents' orders while the show runs (the moderators' control room): an
//! order found by its pickup code, the buyer's name or the last four digits of their phone, with
//! the phone masked — staff never receive a resident's whole number unless they typed it.

use serde::{Deserialize, Serialize};

use crate::domain::{Order, PickupId, ResidentId, UtcMillis};
use crate::sign_in::clean_text;

/// An order as staff find it: the order, and its buyer's phone masked (`138****8000`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundOrder {
    /// The order.
    pub order: Order,
    /// The buyer's phone as staff may see it (see [`mask_phone`]); empty if they gave none.
    pub phone: String,
    /// For an order placed by staff for the resident (代客下单): who placed it, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placed_by_name: Option<String>,
}

/// Most characters of a mute's reason (the resident is shown it).
pub const MAX_MUTE_REASON_CHARS: usize = 60;

/// The longest a mute lasts when given a time: 90 days (beyond, it is "until lifted").
pub const MAX_MUTE_MINUTES: i64 = 90 * 24 * 60;

/// A resident stopped from ordering and entering lucky bags in a community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mute {
    /// Its id.
    pub id: i64,
    /// Who.
    pub resident: ResidentId,
    /// Their name as shown.
    pub nickname: String,
    /// Why, in staff's words (the resident is shown it).
    pub reason: String,
    /// Until when; none: until lifted.
    pub until: Option<UtcMillis>,
    /// Who muted them (a name at the time).
    pub by: String,
    /// When.
    pub created_at: UtcMillis,
}

/// Staff's request to mute a resident: who, why, and for how many minutes (none: until lifted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MuteDraft {
    /// Who.
    pub resident: ResidentId,
    /// Why (1–60 characters, on one line).
    pub reason: String,
    /// For how long, in minutes (1 to 90 days); none: until lifted.
    #[serde(default)]
    pub minutes: Option<i64>,
}

impl MuteDraft {
    /// The draft with its reason cleaned, or what is wrong with it.
    pub fn check(&self) -> Result<MuteDraft, &'static str> {
        let reason = clean_text(&self.reason, MAX_MUTE_REASON_CHARS)
            .ok_or("a reason must be 1–60 characters on one line")?;
        if self
            .minutes
            .is_some_and(|m| !(1..=MAX_MUTE_MINUTES).contains(&m))
        {
            return Err("a mute lasts from 1 minute to 90 days, or until lifted");
        }
        Ok(MuteDraft {
            reason,
            ..self.clone()
        })
    }
}

/// Staff's fix of an accepted order: fewer units, another pickup point, or both. `was_qty` and
/// `was_pickup` are what the page showed: if the order changed meanwhile, nothing is done
/// (`order_changed`) and the page looks again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderChange {
    /// Units from now on: at least 1, and no more than it had.
    pub qty: i64,
    /// Where it is collected from now on.
    pub pickup: PickupId,
    /// Units the page showed.
    pub was_qty: i64,
    /// Pickup point the page showed.
    pub was_pickup: PickupId,
    /// Why, for the audit log (up to 100 characters); may be left out.
    #[serde(default)]
    pub reason: Option<String>,
}

impl OrderChange {
    /// The change with its reason cleaned (an empty one is none), or what is wrong with it.
    pub fn check(&self) -> Result<OrderChange, &'static str> {
        if self.qty < 1 || self.qty > self.was_qty {
            return Err("the quantity can only be reduced, to 1 or more");
        }
        if self.qty == self.was_qty && self.pickup == self.was_pickup {
            return Err("nothing to change: give fewer units or another pickup point");
        }
        let reason = match self.reason.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                clean_text(text, MAX_CHANGE_REASON_CHARS)
                    .ok_or("a reason must be at most 100 characters on one line")?,
            ),
        };
        Ok(OrderChange {
            reason,
            ..self.clone()
        })
    }
}

/// Most characters of a neighbour's building and unit (`3 栋 2 单元 501`).
pub const MAX_BUILDING_CHARS: usize = 30;

/// A resident as a grid worker or moderator finds them by typing their whole phone number. The
/// number comes back whole: it is the one they typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Neighbour {
    /// Their id.
    pub resident: ResidentId,
    /// Their name as shown.
    pub nickname: String,
    /// Their phone number, as typed.
    pub phone: String,
    /// Building and unit, if given.
    pub building: String,
}

/// Staff registering a neighbour who has no account yet (name, phone, optional building/unit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeighbourDraft {
    /// Name as shown (1–24 characters).
    pub nickname: String,
    /// Mainland mobile number (11 digits).
    pub phone: String,
    /// Building and unit (up to 30 characters), if given.
    #[serde(default)]
    pub building: String,
}

impl NeighbourDraft {
    /// The draft cleaned (full-width digits and spaces in the number accepted), or what is wrong.
    pub fn check(&self) -> Result<NeighbourDraft, crate::ErrorCode> {
        let nickname = clean_text(&self.nickname, crate::sign_in::MAX_NICKNAME_CHARS)
            .ok_or(crate::ErrorCode::InvalidNickname)?;
        let phone =
            crate::sign_in::clean_phone(&self.phone).ok_or(crate::ErrorCode::InvalidPhone)?;
        let building = match self.building.trim() {
            "" => String::new(),
            text => clean_text(text, MAX_BUILDING_CHARS).ok_or(crate::ErrorCode::InvalidMessage)?,
        };
        Ok(NeighbourDraft {
            nickname,
            phone,
            building,
        })
    }
}

/// Staff ordering a live deal for a neighbour (代客下单): the same desk, limit and idempotency as
/// the resident's own Buy. `key` is one per intent, sent again on every retry of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyOrder {
    /// Whose order it is.
    pub resident: ResidentId,
    /// The deal.
    pub deal: crate::DealId,
    /// Units.
    pub qty: i64,
    /// Where they collect it.
    pub pickup: PickupId,
    /// The purchase intent's key (1–64 bytes).
    pub key: String,
}

/// What a resident holds of one deal: the units counted against its per-resident limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    /// The deal.
    pub deal: crate::DealId,
    /// Units held.
    pub units: i64,
}

/// An order a member of staff placed for a neighbour, for their list of the day and the slips.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacedOrder {
    /// The order (its `nickname` is the neighbour's).
    pub order: Order,
    /// The neighbour's building and unit, if known.
    pub building: String,
}

/// Most characters of the reason for an order's change.
pub const MAX_CHANGE_REASON_CHARS: usize = 100;

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
