//! The page's language: Chinese (zh-CN) unless the person chose English on this device (or the
//! embedding page asked for it with `?lang=en`). Texts live in `locales/*/app.yml` (made into a
//! table at build time by `build.rs`) and are read with [`tr!`](crate::tr); every text that a view
//! shows through `tr!` follows a switch at once.

use leptos::prelude::*;
use mulin_shared::ErrorCode;

use crate::socket::{recall, remember};

/// Where the chosen language is remembered on this device.
const LANG_KEY: &str = "mulin.lang";

/// A language the widget speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese, the default.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Its BCP 47 tag, as used in `locales/app.yml` and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language a tag names (`zh`, `zh-CN`, `en`, `en-GB`…), if it is one the widget speaks.
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other one (the switch toggles between two).
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
}

thread_local! {
    // Reference-counted rather than owned by a component: the language outlives every view.
    static LANG: ArcRwSignal<Lang> = ArcRwSignal::new(Lang::Zh);
}

/// The current language; inside a view's closure this subscribes it to switches.
pub fn lang() -> Lang {
    LANG.with(|l| l.get())
}

/// Switches the language, remembers the choice on this device, and tells assistive technology.
pub fn set_lang(lang: Lang) {
    remember(LANG_KEY, lang.code());
    apply(lang);
}

/// Picks the language before the first paint: the remembered choice, else `?lang=`, else Chinese.
pub fn init() {
    let asked = || {
        let search = window().location().search().ok()?;
        let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
        Lang::from_code(&params.get("lang")?)
    };
    let lang = recall(LANG_KEY)
        .and_then(|c| Lang::from_code(&c))
        .or_else(asked)
        .unwrap_or(Lang::Zh);
    apply(lang);
}

fn apply(lang: Lang) {
    if let Some(root) = document().document_element() {
        // Screen readers pick their voice by this attribute.
        let _ = root.set_attribute("lang", lang.code());
    }
    LANG.with(|l| l.set(lang));
}

/// The texts of `locales/*/app.yml`, made into tables by `build.rs`. The console's table is read
/// only in the console's build and by the tests.
#[cfg_attr(not(any(feature = "console", test)), allow(dead_code))]
mod table {
    include!(concat!(env!("OUT_DIR"), "/texts.rs"));
}

/// The text for `key` in `lang`, if there is one: the widget's texts, and in the staff console's
/// build (feature `console`) the console's too.
pub fn lookup(key: &str, lang: Lang) -> Option<&'static str> {
    let found = find(table::WIDGET_TEXTS, key);
    #[cfg(feature = "console")]
    let found = found.or_else(|| find(table::CONSOLE_TEXTS, key));
    let (_, zh, en) = found?;
    Some(match lang {
        Lang::Zh => zh,
        Lang::En => en,
    })
}

/// A text table's row for `key`.
fn find(
    texts: &'static [(&'static str, &'static str, &'static str)],
    key: &str,
) -> Option<(&'static str, &'static str, &'static str)> {
    let at = texts.binary_search_by(|(k, _, _)| (*k).cmp(key)).ok()?;
    Some(texts[at])
}

/// The text for `key` in the current language, with each `%{name}` replaced by its value. Inside a
/// view's closure it follows language switches. A key without a text shows as itself (a unit test
/// makes sure none is missing).
pub fn text(key: &str, args: &[(&str, String)]) -> String {
    let mut out = lookup(key, lang()).unwrap_or(key).to_owned();
    for (name, value) in args {
        out = out.replace(&format!("%{{{name}}}"), value);
    }
    out
}

/// A text that follows the language, as a view child or an attribute value. Every call returns the
/// same type, so the view code that renders it exists once in the widget, not once per text.
pub fn txt(key: &'static str) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    move || text(key, &[])
}

/// [`text`] with named values: `tr!("deal.limit", n = 5)`.
#[macro_export]
macro_rules! tr {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::i18n::text($key, &[$((stringify!($name), ($value).to_string())),*])
    };
}

/// What to tell a person about an error the server reported, in their language.
pub fn error_text(code: ErrorCode) -> String {
    match code {
        ErrorCode::InvalidNickname => crate::tr!("error.invalid_nickname"),
        ErrorCode::InvalidPhone => crate::tr!("error.invalid_phone"),
        ErrorCode::InvalidCommunity => crate::tr!("error.invalid_community"),
        ErrorCode::InvalidQuantity => crate::tr!("error.invalid_quantity"),
        ErrorCode::NotCancellable => crate::tr!("error.not_cancellable"),
        ErrorCode::Unavailable => crate::tr!("error.unavailable"),
        ErrorCode::StoreUnavailable => crate::tr!("error.store_unavailable"),
        ErrorCode::InvalidDeal => crate::tr!("error.invalid_deal"),
        ErrorCode::Forbidden => crate::tr!("error.forbidden"),
        ErrorCode::NotEligible => crate::tr!("error.not_eligible"),
        ErrorCode::BagClosed => crate::tr!("error.bag_closed"),
        ErrorCode::InvalidBag => crate::tr!("error.invalid_bag"),
        ErrorCode::BagAlreadyOpen => crate::tr!("error.bag_already_open"),
        ErrorCode::WrongCode => crate::tr!("error.wrong_code"),
        ErrorCode::CodeExpired => crate::tr!("error.code_expired"),
        ErrorCode::TooManyRequests => crate::tr!("error.too_many_requests"),
        ErrorCode::SmsFailed => crate::tr!("error.sms_failed"),
        ErrorCode::Muted => crate::tr!("error.muted"),
        other => crate::tr!("error.other", code = code_name(other)),
    }
}

/// The wire name of an error code (`"unknown_deal"`), shown so a resident can quote it for help.
pub fn code_name(code: ErrorCode) -> &'static str {
    code.as_str()
}

/// The other language's name, in that language: a button that switches to it.
#[component]
pub fn LangSwitch() -> impl IntoView {
    view! {
        <button type="button" id="lang" class="secondary small"
            lang=move || lang().other().code()
            aria-label=txt("tools.other_language_label")
            on:click=move |_| set_lang(lang().other())>
            {txt("tools.other_language")}
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_understood() {
        assert_eq!(Lang::from_code("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::from_code("zh"), Some(Lang::Zh));
        assert_eq!(Lang::from_code("EN-gb"), Some(Lang::En));
        assert_eq!(Lang::from_code("en_US"), Some(Lang::En));
        assert_eq!(Lang::from_code("fr"), None);
        assert_eq!(Lang::from_code(""), None);
    }

    /// Every key given to `tr!`, `txt` or `text` in the sources has a text (each in both
    /// languages: `build.rs` refuses a line without either), every text in the locale files is
    /// used, and the resident widget's code (everything but the staff pages) uses only the
    /// widget's texts: the console's are not in the widget's download. A missing text fails here,
    /// not in front of a resident.
    #[test]
    fn every_key_in_the_code_has_both_languages_and_none_is_unused() {
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut used = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(src)];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("src readable") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).expect("source readable");
                    // `tr!(` with its key on the next line (as rustfmt writes long calls) counts.
                    let mut text = text;
                    while let Some(at) = text.find("(\n") {
                        let rest = text[at + 2..].trim_start();
                        text = format!("{}({}", &text[..at], rest);
                    }
                    let shown = path.display().to_string();
                    let staff_only = shown.contains("/pages/host")
                        || shown.contains("/pages/moderator")
                        || shown.contains("/pages/manager")
                        || shown.contains("/pages/invite")
                        || shown.contains("/pages/report")
                        || shown.contains("/pages/neighbours")
                        || shown.contains("/pages/counter")
                        || shown.contains("/pages/picking")
                        || shown.ends_with("/pages/catalogue.rs")
                        || shown.ends_with("/pages/control_room.rs")
                        || shown.ends_with("/src/api.rs")
                        || shown.ends_with("/bin/mulin-console.rs");
                    for opening in ["tr!(\"", "txt(\"", "text(\""] {
                        let pieces: Vec<&str> = text.split(opening).collect();
                        for pair in pieces.windows(2) {
                            // Skip longer names that merely end the same way (include_str!).
                            let glued = pair[0]
                                .chars()
                                .last()
                                .is_some_and(|c| c.is_alphanumeric() || c == '_');
                            if !glued {
                                let key = pair[1].split('"').next().unwrap_or_default();
                                used.push((key.to_owned(), staff_only, shown.clone()));
                            }
                        }
                    }
                }
            }
        }
        assert!(used.len() > 50, "found only {} keys", used.len());
        for (key, staff_only, file) in &used {
            let widget = find(table::WIDGET_TEXTS, key).is_some();
            let console = find(table::CONSOLE_TEXTS, key).is_some();
            assert!(
                widget || console,
                "{key} (in {file}) has no text in locales/"
            );
            assert!(
                widget || *staff_only,
                "{key} (in {file}) is shown to residents but its text is in locales/console/"
            );
        }
        let used: Vec<String> = used.into_iter().map(|(k, _, _)| k).collect();
        for file in [
            include_str!("../locales/widget/app.yml"),
            include_str!("../locales/console/app.yml"),
        ] {
            for line in file.lines() {
                if let Some((key, _)) = line.split_once(": {") {
                    assert!(
                        used.iter().any(|u| u == key),
                        "{key} in locales/ is used nowhere"
                    );
                }
            }
        }
    }

    #[test]
    fn error_codes_have_names() {
        assert_eq!(code_name(ErrorCode::UnknownDeal), "unknown_deal");
    }
}
