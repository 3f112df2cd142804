//! Turns the texts in `locales/*/app.yml` into sorted tables compiled into the widget, read by
//! `i18n::text` with a binary search: the widget's own, and the staff console's (which only the
//! console's build, with feature `console`, looks in, so residents do not download them). A general i18n runtime (rust-i18n) built hash maps of every
//! text at start-up and cost the widget about 9 KB gzipped of its 200 KB budget for it.
//!
//! Each text is one line: `key: { zh-CN: …, en: … }`, each value plain or double-quoted (with `\"`
//! and `\\` escapes), as YAML flow mappings write them. Anything else that is not a comment, blank,
//! or `_version` fails the build, so a text cannot go missing silently.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    let mut out = String::new();
    let mut keys: Vec<String> = Vec::new();
    for (part, table) in [("widget", "WIDGET_TEXTS"), ("console", "CONSOLE_TEXTS")] {
        let mut texts: Vec<(String, String, String)> = Vec::new();
        let path = dir.join(part).join("app.yml");
        println!("cargo:rerun-if-changed={}", path.display());
        let file =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (n, line) in file.lines().enumerate() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') || line.starts_with("_version:") {
                continue;
            }
            let parsed = parse(line).unwrap_or_else(|| {
                panic!(
                    "{}:{}: not `key: {{ zh-CN: …, en: … }}`",
                    path.display(),
                    n + 1
                )
            });
            texts.push(parsed);
        }
        texts.sort();
        writeln!(
            out,
            "/// The {part}'s texts: (key, Chinese, English), sorted by key.\n\
             pub static {table}: &[(&str, &str, &str)] = &["
        )
        .expect("write to a string");
        for (key, zh, en) in &texts {
            writeln!(out, "    ({key:?}, {zh:?}, {en:?}),").expect("write to a string");
            keys.push(key.clone());
        }
        out.push_str("];\n");
    }
    keys.sort();
    for pair in keys.windows(2) {
        assert!(pair[0] != pair[1], "text {} is given twice", pair[0]);
    }
    let target = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("texts.rs");
    std::fs::write(&target, out).expect("texts.rs written");
}

/// `key: { zh-CN: …, en: … }` as (key, Chinese, English).
fn parse(line: &str) -> Option<(String, String, String)> {
    let (key, rest) = line.split_once(": { zh-CN: ")?;
    let (zh, rest) = value(rest, ", en: ")?;
    let (en, rest) = value(rest, " }")?;
    rest.is_empty().then(|| (key.to_owned(), zh, en))
}

/// A value at the start of `text`, ended by `end`: returns it and what follows `end`.
fn value<'a>(text: &'a str, end: &str) -> Option<(String, &'a str)> {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => out.push(chars.next()?.1),
                '"' => return Some((out, quoted[i + 1..].strip_prefix(end)?)),
                c => out.push(c),
            }
        }
        None
    } else {
        let at = text.find(end)?;
        Some((text[..at].trim().to_owned(), &text[at + end.len()..]))
    }
}
