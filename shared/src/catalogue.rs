//! What a host may put in a show's catalogue, checked by one set of rules: the console uses them to
//! answer at once in the host's language, the server because it trusts no client.

use crate::domain::{Fen, PickupPoint, Product};
use crate::sign_in::clean_text;

/// Longest product name, in characters.
pub const MAX_NAME_CHARS: usize = 40;
/// Longest product description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 300;
/// Longest origin, selling unit or batch code, in characters.
pub const MAX_SHORT_CHARS: usize = 40;
/// Longest pickup point address, in characters.
pub const MAX_ADDRESS_CHARS: usize = 120;
/// Longest opening hours of a pickup point, in characters.
pub const MAX_HOURS_CHARS: usize = 60;
/// Longest picture URL, in bytes.
pub const MAX_PICTURE_URL: usize = 500;
/// Highest everyday price, in fen (1 million yuan).
pub const MAX_NORMAL_PRICE: Fen = 100_000_000;
/// Largest picture a host may upload, in bytes. The console shrinks photos to well below it.
pub const MAX_PICTURE_BYTES: usize = 2 * 1024 * 1024;

/// Which field of a product or pickup point is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueProblem {
    /// Empty, too long, or holding control characters.
    #[error("a name must be 1–{MAX_NAME_CHARS} visible characters")]
    Name,
    /// Too long, or holding control characters other than line breaks.
    #[error("a description must be at most {MAX_DESCRIPTION_CHARS} characters")]
    Description,
    /// Empty, too long, or holding control characters.
    #[error("an origin must be 1–{MAX_SHORT_CHARS} visible characters")]
    Origin,
    /// Empty, too long, or holding control characters.
    #[error("a selling unit must be 1–{MAX_SHORT_CHARS} visible characters")]
    Unit,
    /// Too long, or holding control characters.
    #[error("a batch code must be at most {MAX_SHORT_CHARS} visible characters")]
    Batch,
    /// Negative or above the highest price.
    #[error("the everyday price must be 0–1,000,000 yuan")]
    Price,
    /// Not an `https://` or `http://` address, nor a path on this server.
    #[error(
        "a picture must be an http(s) address or a path on this server, at most {MAX_PICTURE_URL} bytes"
    )]
    Picture,
    /// Empty, too long, or holding control characters.
    #[error("an address must be 1–{MAX_ADDRESS_CHARS} visible characters")]
    Address,
    /// Too long, or holding control characters.
    #[error("opening hours must be at most {MAX_HOURS_CHARS} visible characters")]
    Hours,
}

/// Checks and cleans a product a host submits (its `id` is kept as given); the first field that
/// fails is reported.
pub fn check_product(p: &Product) -> Result<Product, CatalogueProblem> {
    use CatalogueProblem as P;
    let description = p.description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS
        || description
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r')
    {
        return Err(P::Description);
    }
    Ok(Product {
        id: p.id,
        name: clean_text(&p.name, MAX_NAME_CHARS).ok_or(P::Name)?,
        description: description.to_owned(),
        origin: clean_text(&p.origin, MAX_SHORT_CHARS).ok_or(P::Origin)?,
        unit: clean_text(&p.unit, MAX_SHORT_CHARS).ok_or(P::Unit)?,
        normal_price: Some(p.normal_price)
            .filter(|f| (0..=MAX_NORMAL_PRICE).contains(f))
            .ok_or(P::Price)?,
        batch: optional(&p.batch, MAX_SHORT_CHARS)
            .ok_or(P::Batch)?
            .unwrap_or_default(),
        picture: match p.picture.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) => Some(check_picture_url(url).ok_or(P::Picture)?),
        },
    })
}

/// Checks and cleans a pickup point a host submits (its `id` is kept as given).
pub fn check_pickup(p: &PickupPoint) -> Result<PickupPoint, CatalogueProblem> {
    Ok(PickupPoint {
        id: p.id,
        name: clean_text(&p.name, MAX_NAME_CHARS).ok_or(CatalogueProblem::Name)?,
        address: clean_text(&p.address, MAX_ADDRESS_CHARS).ok_or(CatalogueProblem::Address)?,
        hours: optional(&p.hours, MAX_HOURS_CHARS)
            .ok_or(CatalogueProblem::Hours)?
            .unwrap_or_default(),
    })
}

/// Empty is fine (`Some(None)`); otherwise the text must pass [`clean_text`].
fn optional(raw: &str, max: usize) -> Option<Option<String>> {
    if raw.trim().is_empty() {
        Some(None)
    } else {
        clean_text(raw, max).map(Some)
    }
}

/// A picture address the widget may put in an `<img src>`: `https://` or `http://` with a host, or
/// an absolute path on this server (not `//host`, which would leave it). Nothing that a browser
/// would run (`javascript:`) or that carries the data itself (`data:`).
pub fn check_picture_url(url: &str) -> Option<String> {
    if url.is_empty()
        || url.len() > MAX_PICTURE_URL
        || url
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '"' | '<' | '>' | '\\'))
    {
        return None;
    }
    let lower = url.to_ascii_lowercase();
    let remote = ["https://", "http://"]
        .iter()
        .find_map(|scheme| lower.strip_prefix(scheme))
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    let local = url.starts_with('/') && !url.starts_with("//");
    (remote || local).then(|| url.to_owned())
}

/// The kinds of picture a host may upload, told by their first bytes (never by what the sender
/// claims): PNG, JPEG, WebP and GIF. SVG is refused: it can carry script.
pub fn picture_kind(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(("image/webp", "webp"))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(("image/gif", "gif"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product() -> Product {
        Product {
            id: 0,
            name: "  甜糯玉米 ".into(),
            description: "当天现摘\n蒸 20 分钟".into(),
            origin: "吉林榆树".into(),
            unit: "5 根".into(),
            normal_price: 1990,
            batch: " ".into(),
            picture: Some(" https://example.com/corn.jpg ".into()),
        }
    }

    #[test]
    fn a_good_product_is_cleaned() {
        let p = check_product(&product()).unwrap();
        assert_eq!(p.name, "甜糯玉米");
        assert_eq!(p.batch, "");
        assert_eq!(p.description, "当天现摘\n蒸 20 分钟");
        assert_eq!(p.picture.as_deref(), Some("https://example.com/corn.jpg"));
    }

    #[test]
    fn each_bad_field_is_named() {
        fn bad(f: impl Fn(&mut Product)) -> CatalogueProblem {
            let mut p = product();
            f(&mut p);
            check_product(&p).unwrap_err()
        }
        assert_eq!(bad(|p| p.name = " ".into()), CatalogueProblem::Name);
        assert_eq!(bad(|p| p.name = "玉".repeat(41)), CatalogueProblem::Name);
        assert_eq!(
            bad(|p| p.description = "x".repeat(301)),
            CatalogueProblem::Description
        );
        assert_eq!(bad(|p| p.origin = "".into()), CatalogueProblem::Origin);
        assert_eq!(bad(|p| p.unit = "\u{7}".into()), CatalogueProblem::Unit);
        assert_eq!(bad(|p| p.batch = "a\tb".into()), CatalogueProblem::Batch);
        assert_eq!(bad(|p| p.normal_price = -1), CatalogueProblem::Price);
        for url in [
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "//evil.example/x.png",
            "https://",
            "ftp://example.com/a.png",
            "https://example.com/a b.png",
            "https://example.com/\"onerror=x",
        ] {
            assert_eq!(
                bad(|p| p.picture = Some(url.into())),
                CatalogueProblem::Picture,
                "{url}"
            );
        }
    }

    #[test]
    fn pictures_are_told_by_their_bytes() {
        assert_eq!(
            picture_kind(b"\x89PNG\r\n\x1a\n...").map(|k| k.0),
            Some("image/png")
        );
        assert_eq!(
            picture_kind(&[0xFF, 0xD8, 0xFF, 0xE0]).map(|k| k.1),
            Some("jpg")
        );
        assert_eq!(
            picture_kind(b"RIFF\0\0\0\0WEBPVP8 ").map(|k| k.1),
            Some("webp")
        );
        assert_eq!(picture_kind(b"<svg xmlns=").map(|k| k.1), None);
        assert_eq!(picture_kind(b"").map(|k| k.1), None);
    }

    #[test]
    fn pickup_points_need_name_and_address() {
        let p = PickupPoint {
            id: 0,
            name: "康宁大药房".into(),
            address: " ".into(),
            hours: String::new(),
        };
        assert_eq!(check_pickup(&p), Err(CatalogueProblem::Address));
    }
}
