//! What a resident tells us when signing in, checked by one set of rules: the widget uses them to
//! answer at once in the resident's language, the server uses them because it trusts no client.

/// Longest nickname, in characters.
pub const MAX_NICKNAME_CHARS: usize = 24;
/// Longest community name, in characters.
pub const MAX_COMMUNITY_CHARS: usize = 40;

/// Which field of a sign-in is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignInProblem {
    /// Empty, too long, or holding control characters.
    #[error("a nickname must be 1–{MAX_NICKNAME_CHARS} visible characters")]
    Nickname,
    /// Not a mainland China mobile number (11 digits starting 13–19).
    #[error("a phone number must be an 11-digit mobile number starting with 13–19")]
    Phone,
    /// Empty, too long, or holding control characters.
    #[error("a community must be 1–{MAX_COMMUNITY_CHARS} visible characters")]
    Community,
}

/// A sign-in whose fields passed the rules, in their cleaned form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInForm {
    /// Trimmed nickname.
    pub nickname: String,
    /// 11 ASCII digits.
    pub phone: String,
    /// Trimmed community name.
    pub community: String,
}

impl SignInForm {
    /// Checks and cleans the three fields; the first field that fails is reported.
    pub fn check(
        nickname: &str,
        phone: &str,
        community: &str,
    ) -> Result<SignInForm, SignInProblem> {
        Ok(SignInForm {
            nickname: clean_text(nickname, MAX_NICKNAME_CHARS).ok_or(SignInProblem::Nickname)?,
            phone: clean_phone(phone).ok_or(SignInProblem::Phone)?,
            community: clean_text(community, MAX_COMMUNITY_CHARS)
                .ok_or(SignInProblem::Community)?,
        })
    }
}

impl SignInForm {
    /// Every field that fails, in the form's order (empty when all pass): a form shows them all at
    /// once instead of one per try.
    pub fn problems(nickname: &str, phone: &str, community: &str) -> Vec<SignInProblem> {
        let mut problems = Vec::new();
        if clean_text(nickname, MAX_NICKNAME_CHARS).is_none() {
            problems.push(SignInProblem::Nickname);
        }
        if clean_phone(phone).is_none() {
            problems.push(SignInProblem::Phone);
        }
        if clean_text(community, MAX_COMMUNITY_CHARS).is_none() {
            problems.push(SignInProblem::Community);
        }
        problems
    }
}

/// Trims `raw` and accepts it if it is 1–`max` characters, at least one of them visible, with no
/// control characters, no characters that reorder text around them (bidirectional overrides,
/// embeddings, isolates and marks: a name could otherwise show as something else, or turn the text
/// after it backwards), and no line breaks or odd spaces.
pub fn clean_text(raw: &str, max: usize) -> Option<String> {
    let text = raw.trim();
    let chars = text.chars().count();
    let acceptable = |c: char| {
        !c.is_control()
            && !is_bidi_control(c)
            && (!c.is_whitespace() || matches!(c, ' ' | '\u{a0}' | '\u{3000}'))
    };
    (chars > 0
        && chars <= max
        && text.chars().all(acceptable)
        && text.chars().any(|c| !is_invisible(c)))
    .then(|| text.to_owned())
}

/// Characters that change the direction text is shown in.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show as nothing on their own: spaces, zero-width characters and joiners, soft
/// hyphens, fillers, variation selectors and tags. A name may hold some (an emoji joined by
/// U+200D), but not only these.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{ad}'
                | '\u{34f}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e0fff}'
        )
}

/// A mainland China mobile number as 11 ASCII digits. Accepts what people type: spaces and dashes
/// between groups, a `+86`/`0086` prefix, and full-width digits from a Chinese keyboard.
pub fn clean_phone(raw: &str) -> Option<String> {
    let mut digits = String::with_capacity(16);
    let mut chars = raw.trim().chars().peekable();
    // With a `+`, the country code must follow: `+1 415 555 0100` is 11 digits, not a Chinese mobile.
    let international = chars.next_if(|c| matches!(c, '+' | '＋')).is_some();
    for c in chars {
        match c {
            '0'..='9' => digits.push(c),
            // Full-width digits (U+FF10–U+FF19).
            '０'..='９' => digits.push(char::from(b'0' + (c as u32 - '０' as u32) as u8)),
            ' ' | '-' | '\u{3000}' | '－' => {}
            _ => return None,
        }
    }
    let national = match digits.len() {
        11 if !international => digits.as_str(),
        13 if digits.starts_with("86") => &digits[2..],
        15 if digits.starts_with("0086") => &digits[4..],
        _ => return None,
    };
    let b = national.as_bytes();
    (b[0] == b'1' && (b'3'..=b'9').contains(&b[1])).then(|| national.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_people_type_are_understood() {
        for typed in [
            "13800138000",
            " 138 0013 8000 ",
            "138-0013-8000",
            "+86 138 0013 8000",
            "0086 13800138000",
            "８６１３８００１３８０００",
            "１３８　００１３　８０００",
        ] {
            assert_eq!(
                clean_phone(typed).as_deref(),
                Some("13800138000"),
                "{typed}"
            );
        }
    }

    #[test]
    fn what_is_not_a_mobile_number_is_refused() {
        for typed in [
            "",
            "1380013800",   // 10 digits
            "138001380000", // 12 digits
            "12800138000",  // no such prefix
            "23800138000",
            "1380013800a",
            "010-12345678", // a landline
            "+1 415 555 0100",
            "+14155550100",
            "86 12800138000",
            "١٣٨٠٠١٣٨٠٠٠", // other scripts' digits
        ] {
            assert_eq!(clean_phone(typed), None, "{typed}");
        }
    }

    #[test]
    fn the_first_bad_field_is_named() {
        let ok = SignInForm::check(" 王阿姨 ", "13800138000", " 幸福里社区 ");
        assert_eq!(
            ok,
            Ok(SignInForm {
                nickname: "王阿姨".into(),
                phone: "13800138000".into(),
                community: "幸福里社区".into(),
            })
        );
        let check = |n: &str, p: &str, c: &str| SignInForm::check(n, p, c).unwrap_err();
        assert_eq!(check("  ", "13800138000", "c"), SignInProblem::Nickname);
        assert_eq!(
            check(&"长".repeat(25), "13800138000", "c"),
            SignInProblem::Nickname
        );
        assert_eq!(
            check("a\u{7}b", "13800138000", "c"),
            SignInProblem::Nickname
        );
        // Nothing visible, or text that reorders what follows it.
        for hidden in [
            "\u{200b}",
            "\u{200b}\u{200c}\u{200d}",
            "\u{3164}\u{3164}",
            "\u{feff}\u{2060}",
            "\u{ad}",
            "a\u{202e}gnp.exe",
            "\u{2067}王\u{2069}",
            "王\u{200f}",
            "王\u{2028}李",
            "\u{3000}\u{200b}\u{3000}",
        ] {
            assert_eq!(
                check(hidden, "13800138000", "c"),
                SignInProblem::Nickname,
                "{hidden:?}"
            );
        }
        // An emoji joined by U+200D, and spaces inside a name, are fine.
        assert!(SignInForm::check("👨\u{200d}👩 李家", "13800138000", "c").is_ok());
        assert!(SignInForm::check("王\u{3000}阿姨", "13800138000", "c").is_ok());
        assert_eq!(check("王", "123", "c"), SignInProblem::Phone);
        assert_eq!(
            SignInForm::problems(" ", "123", ""),
            [
                SignInProblem::Nickname,
                SignInProblem::Phone,
                SignInProblem::Community
            ]
        );
        assert!(SignInForm::problems("王", "13800138000", "c").is_empty());
        assert_eq!(check("王", "13800138000", ""), SignInProblem::Community);
        assert_eq!(
            check("王", "13800138000", &"区".repeat(41)),
            SignInProblem::Community
        );
    }
}
