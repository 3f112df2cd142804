//! The value a pickup QR code carries: the order's number and a tag only this deployment can make
//! (HMAC-SHA256 under a key kept in the store), so a code cannot be made up from an order number or
//! altered into another one. `MLP1-1234-7Q2K…`: uppercase letters, digits and `-` only, which a QR
//! code packs in its compact alphanumeric mode.

use hmac::{Hmac, Mac};
use mulin_shared::pickup::QR_PREFIX;
use mulin_shared::{Order, OrderId};
use sha2::Sha256;

/// The name of the key in the store's secrets.
pub const KEY_NAME: &str = "pickup_seal";

/// Bytes of the tag kept (80 bits: guessing one takes about 10^24 tries).
const TAG_BYTES: usize = 10;

/// Why a scanned value is not a pickup code of this deployment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not shaped like one (another QR code, or a misread).
    #[error("this is not a Mulin pickup code")]
    NotACode,
    /// Shaped like one, but its tag does not match its order: altered or made up.
    #[error("this pickup code was altered or made up")]
    Forged,
}

/// Seals and opens pickup values.
#[derive(Clone)]
pub struct PickupSeal {
    /// HMAC keyed once: each seal clones it rather than hashing the key again (one seal per
    /// order acknowledged, so per-order work counts).
    keyed: Hmac<Sha256>,
}

impl std::fmt::Debug for PickupSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.write_str("PickupSeal")
    }
}

impl PickupSeal {
    /// A seal with `key`.
    pub fn new(key: [u8; 32]) -> PickupSeal {
        PickupSeal {
            keyed: <Hmac<Sha256> as Mac>::new_from_slice(&key)
                .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length")),
        }
    }

    fn tag(&self, order: OrderId) -> String {
        let mut mac = self.keyed.clone();
        mac.update(b"pickup:");
        mac.update(order.to_string().as_bytes());
        base32(&mac.finalize().into_bytes()[..TAG_BYTES])
    }

    /// The value for order `order`'s QR code.
    pub fn seal(&self, order: OrderId) -> String {
        format!("{QR_PREFIX}{order}-{}", self.tag(order))
    }

    /// `order` with its QR value, for its resident.
    pub fn sealed(&self, mut order: Order) -> Order {
        order.pickup_qr = Some(self.seal(order.id));
        order
    }

    /// The order a scanned value names, if this deployment made it. Surrounding spaces and
    /// lowercase (a typed value) are forgiven.
    pub fn open(&self, text: &str) -> Result<OrderId, SealError> {
        let text = text.trim().to_ascii_uppercase();
        let rest = text.strip_prefix(QR_PREFIX).ok_or(SealError::NotACode)?;
        let (id, tag) = rest.split_once('-').ok_or(SealError::NotACode)?;
        let order: OrderId = id.parse().map_err(|_| SealError::NotACode)?;
        if order <= 0 || tag.len() != TAG_BYTES * 8 / 5 {
            return Err(SealError::NotACode);
        }
        // Compared in constant time: a tag cannot be found a character at a time.
        let want = self.tag(order);
        let same = want
            .bytes()
            .zip(tag.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b));
        if same == 0 {
            Ok(order)
        } else {
            Err(SealError::Forged)
        }
    }
}

/// RFC 4648 base32 without padding (the input is a multiple of 5 bytes).
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len() * 8 / 5);
    for chunk in bytes.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let bits = block.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
        for i in (0..8).rev() {
            out.push(char::from(ALPHABET[((bits >> (i * 5)) & 31) as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_to_its_order_and_nothing_else_does() {
        let seal = PickupSeal::new([7; 32]);
        let value = seal.seal(1234);
        assert!(value.starts_with("MLP1-1234-"), "{value}");
        assert_eq!(value.len(), "MLP1-1234-".len() + 16);
        assert_eq!(seal.open(&value), Ok(1234));
        assert_eq!(seal.open(&format!("  {} ", value.to_lowercase())), Ok(1234));
        // Another order's number with this tag, a changed tag, another key's value.
        let tag = value.rsplit('-').next().unwrap_or_default();
        assert_eq!(
            seal.open(&format!("MLP1-1235-{tag}")),
            Err(SealError::Forged)
        );
        let mut altered = value.clone();
        let last = if altered.ends_with('A') { 'B' } else { 'A' };
        altered.pop();
        altered.push(last);
        assert_eq!(seal.open(&altered), Err(SealError::Forged));
        assert_eq!(
            PickupSeal::new([8; 32]).open(&value),
            Err(SealError::Forged)
        );
        for junk in [
            "",
            "123456",
            "https://example.com",
            "MLP1-",
            "MLP1-x-AAAA",
            "MLP1-0-AAAAAAAAAAAAAAAA",
            "MLP1-12-AAAA",
        ] {
            assert_eq!(seal.open(junk), Err(SealError::NotACode), "{junk}");
        }
    }

    #[test]
    fn base32_matches_the_rfc() {
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(base32(b"\0\0\0\0\0"), "AAAAAAAA");
    }
}
