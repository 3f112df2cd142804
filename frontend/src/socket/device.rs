//! This device's side of the connection: the server's address, fresh purchase keys, and what is
//! remembered in the browser's local storage.

use leptos::prelude::window;

/// `ws://host/ws` or `wss://host/ws`, matching how the page was loaded.
pub(super) fn socket_url() -> String {
    let location = window().location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss",
        _ => "ws",
    };
    let host = location.host().unwrap_or_else(|_| "127.0.0.1:3000".into());
    format!("{scheme}://{host}/ws")
}

/// A fresh random purchase-intent key (128 bits from the browser's CSPRNG, as hex).
pub fn new_key() -> String {
    let mut bytes = [0u8; 16];
    let filled = window()
        .crypto()
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes))
        .is_ok();
    if !filled {
        for b in bytes.iter_mut() {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

pub(super) fn storage_get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

pub(super) fn storage_set(key: &str, value: &str) {
    if let Some(s) = storage() {
        // Private browsing may refuse storage; the session then lasts as long as the page.
        let _ = s.set_item(key, value);
    }
}

pub(super) fn storage_remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

/// Remembers a small preference on this device.
pub fn remember(key: &str, value: &str) {
    storage_set(key, value);
}

/// Reads a small preference remembered on this device.
pub fn recall(key: &str) -> Option<String> {
    storage_get(key)
}
