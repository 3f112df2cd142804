//! The connection itself: opening it (or taking over the one index.html opened), what it says on
//! opening, sending and receiving frames, and reconnecting with jittered exponential backoff.

use futures::channel::mpsc::UnboundedReceiver;
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::Message;
use gloo_net::websocket::futures::WebSocket;
use leptos::prelude::*;
use mulin_shared::{ClientMsg, ServerMsg, ShowId};

use super::device::socket_url;
use super::{Conn, Link, early};

/// Backoff bounds between reconnection attempts.
const RETRY_MIN_MS: f64 = 500.0;
const RETRY_MAX_MS: f64 = 10_000.0;

impl Conn {
    pub(super) async fn run(
        self,
        show: ShowId,
        staff: bool,
        read: fn(&str) -> Result<Option<ServerMsg>, serde_json::Error>,
        mut outbox: UnboundedReceiver<(ClientMsg, Option<String>)>,
    ) {
        let url = socket_url();
        let mut attempt: i32 = 0;
        // A resident's first connection is the one index.html opened (and joined on) while the
        // widget downloaded; what it received waits to be read. The widget takes it over in the
        // task after the one that drew the page, and reads one waiting frame per task: on a slow
        // phone no single task runs long enough to hold up a tap (Lighthouse's blocking time).
        let mut early = if staff {
            None
        } else {
            gloo_timers::future::TimeoutFuture::new(0).await;
            early::adopt(show)
        };
        loop {
            self.link.set(Link::Connecting);
            let (opened, waited, adopted) = match early.take() {
                Some((ws, frames)) => (WebSocket::try_from(ws), frames, true),
                None => (WebSocket::open(&url), Vec::new(), false),
            };
            if let Ok(ws) = opened {
                let mut replaying = waited.len();
                let (mut sink, stream) = ws.split();
                enum Event {
                    /// A frame and when it arrived (this device's clock).
                    In(String, f64),
                    Out((ClientMsg, Option<String>)),
                    Closed,
                }
                let waited = waited.into_iter().map(|(text, at)| Event::In(text, at));
                let incoming = futures::stream::iter(waited)
                    .chain(stream.map(|m| match m {
                        Ok(Message::Text(t)) => Event::In(t, js_sys::Date::now()),
                        Ok(Message::Bytes(_)) => Event::In(String::new(), js_sys::Date::now()),
                        Err(_) => Event::Closed,
                    }))
                    .chain(futures::stream::iter([Event::Closed]));
                let hello = self.hello(show, !adopted).into_iter().map(|m| (m, None));
                let outbox = futures::stream::iter(hello).chain(&mut outbox);
                let mut events = futures::stream::select(incoming, outbox.map(Event::Out));
                while let Some(event) = events.next().await {
                    if replaying > 0 && matches!(event, Event::In(..)) {
                        replaying -= 1;
                        gloo_timers::future::TimeoutFuture::new(0).await;
                    }
                    let outgoing = match event {
                        Event::Closed => break,
                        Event::Out(msg) => vec![msg],
                        Event::In(text, arrived) => match read(&text) {
                            Ok(Some(msg)) => {
                                if matches!(msg, ServerMsg::Welcome { .. }) {
                                    attempt = 0;
                                }
                                self.receive(msg, staff, arrived)
                                    .into_iter()
                                    .map(|m| (m, None))
                                    .collect()
                            }
                            Ok(None) | Err(_) => Vec::new(),
                        },
                    };
                    let mut failed = false;
                    for msg in outgoing {
                        let text = wire_text(&msg.0);
                        let text = match &msg.1 {
                            Some(key) => ClientMsg::add_key(text, key),
                            None => text,
                        };
                        if sink.send(Message::Text(text)).await.is_err() {
                            failed = true;
                        }
                    }
                    if failed {
                        break;
                    }
                }
            }
            self.link.set(Link::Offline);
            attempt = (attempt + 1).min(10);
            let ceiling = (RETRY_MIN_MS * 2f64.powi(attempt)).min(RETRY_MAX_MS);
            // Full jitter: thousands of phones coming back after a restart do not all knock at once.
            let wait = RETRY_MIN_MS.max(js_sys::Math::random() * ceiling);
            gloo_timers::future::TimeoutFuture::new(wait as u32).await;
        }
    }

    /// What a connection says as soon as it opens, without waiting for the server's welcome: the
    /// room state then arrives one round trip after the socket opens. Rejoining with what it has,
    /// the server sends only the current room state. `join` is false on the socket index.html
    /// opened, which has joined already.
    fn hello(&self, show: ShowId, join: bool) -> Vec<ClientMsg> {
        let catalogue = self
            .catalogue
            .with_untracked(|c| c.as_ref().map(|c| c.version));
        let since = catalogue.and_then(|_| self.room.with_untracked(|r| r.as_ref().map(|r| r.seq)));
        let mut hello = Vec::with_capacity(3);
        if join {
            hello.push(ClientMsg::Join {
                show,
                since,
                catalogue,
            });
        }
        hello.push(ClientMsg::Ping {
            t: js_sys::Date::now() as i64,
        });
        if let Some(token) = self.token.get_value() {
            hello.push(ClientMsg::Resume { token });
        }
        hello
    }
}

fn wire_text(msg: &ClientMsg) -> String {
    #[cfg(feature = "console")]
    return msg.to_json();
    #[cfg(not(feature = "console"))]
    msg.to_resident_json().unwrap_or_default()
}
