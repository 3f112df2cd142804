//! The connection index.html opens while the widget is still downloading.
//!
//! A resident's page opens its WebSocket and sends `join` from a few lines of script in
//! index.html, before the widget's code has arrived; the frames that come back wait there. The
//! widget adopts that socket as its first connection and reads what waited, so the deal card is
//! drawn as soon as the widget starts instead of two or three round trips later.

use js_sys::{Array, Reflect};
use mulin_shared::ShowId;
use wasm_bindgen::{JsCast, JsValue};

/// Where index.html leaves the socket: `{ ws, show, frames: [[text, arrived ms], …] }`.
const EARLY: &str = "mulinEarly";

/// The early socket, if index.html opened one for `show` and it has not closed, with the frames
/// it received and when (this device's clock, for the clock offset). Taken once: index.html stops
/// keeping frames, and the widget's own listeners see every later one.
pub(super) fn adopt(show: ShowId) -> Option<(web_sys::WebSocket, Vec<(String, f64)>)> {
    let window: JsValue = web_sys::window()?.into();
    let early = Reflect::get(&window, &EARLY.into()).ok()?;
    if early.is_undefined() || early.is_null() {
        return None;
    }
    let _ = Reflect::delete_property(window.unchecked_ref::<js_sys::Object>(), &EARLY.into());
    let field = |name: &str| Reflect::get(&early, &name.into()).unwrap_or(JsValue::UNDEFINED);
    let ws: web_sys::WebSocket = field("ws").dyn_into().ok()?;
    let frames = field("frames");
    let _ = Reflect::set(&early, &"frames".into(), &JsValue::NULL);
    let for_show = field("show").as_f64() == Some(show as f64);
    if !for_show || ws.ready_state() > web_sys::WebSocket::OPEN {
        let _ = ws.close();
        return None;
    }
    let frames = frames
        .dyn_into::<Array>()
        .map(|frames| {
            frames
                .iter()
                .filter_map(|f| {
                    let f: Array = f.dyn_into().ok()?;
                    Some((f.get(0).as_string()?, f.get(1).as_f64()?))
                })
                .collect()
        })
        .unwrap_or_default();
    Some((ws, frames))
}
