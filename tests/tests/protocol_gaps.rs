//! What a client written from docs/PROTOCOL.md alone found the server doing otherwise: close codes,
//! HTTP errors that were not JSON, request bodies without bounds, answers that told apart what
//! another show or resident has, error frames that did not say which request they answer, repeats
//! that were not no-ops, and names made only of invisible characters.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use mulin_shared::{ClientMsg, ErrorCode, Product, RoomEvent, ServerMsg};
use mulin_tests::wire::{HttpResponse, http_request};
use mulin_tests::{Client, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The close frame a raw connection receives after sending `frame`.
async fn close_after(ts: &TestServer, frame: Message) -> (CloseCode, String) {
    let (mut ws, _) = tokio_tungstenite::connect_async(ts.ws_url())
        .await
        .expect("connects");
    ws.send(frame).await.expect("sent");
    let deadline = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(message) = ws.next().await {
            match message {
                Ok(Message::Close(Some(close))) => {
                    return Some((close.code, close.reason.to_string()));
                }
                Ok(Message::Close(None)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
        None
    });
    deadline
        .await
        .expect("answered within 10 s")
        .expect("a close frame with a code, not a dropped connection")
}

#[tokio::test]
async fn frames_the_websocket_cannot_take_are_closed_with_the_documented_codes() {
    let ts = TestServer::start().await;
    // Over 64 KiB: 1009.
    let huge = format!(
        r#"{{"type":"ping","t":1,"pad":"{}"}}"#,
        "x".repeat(70 * 1024)
    );
    let (code, reason) = close_after(&ts, Message::text(huge)).await;
    assert_eq!(code, CloseCode::Size, "{reason}");
    // A text frame that is not UTF-8: 1007.
    let bad = Message::Frame(
        tokio_tungstenite::tungstenite::protocol::frame::Frame::message(
            vec![b'{', 0xff, 0xfe, b'}'],
            tokio_tungstenite::tungstenite::protocol::frame::coding::OpCode::Data(
                tokio_tungstenite::tungstenite::protocol::frame::coding::Data::Text,
            ),
            true,
        ),
    );
    let (code, reason) = close_after(&ts, bad).await;
    assert_eq!(code, CloseCode::Invalid, "{reason}");
    // Between 16 and 64 KiB the frame is answered and the connection stays.
    let mut c = ts.client().await;
    c.send_raw(&format!(
        r#"{{"type":"ping","t":1,"pad":"{}"}}"#,
        "x".repeat(20 * 1024)
    ))
    .await;
    assert_eq!(c.next_error().await.0, ErrorCode::FrameTooLarge);
    c.ping().await;
}

/// Sends raw bytes and reads the whole answer.
async fn raw(ts: &TestServer, request: &[u8]) -> HttpResponse {
    let mut stream = TcpStream::connect(ts.addr()).await.expect("connects");
    // The server may answer (and close) before reading all of a request it refuses.
    let _ = stream.write_all(request).await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head: {:?}", String::from_utf8_lossy(&response)));
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    HttpResponse {
        status,
        head,
        body: response[split + 4..].to_vec(),
    }
}

fn assert_json_error(r: &HttpResponse, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.head);
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{}",
        r.head
    );
    let body = r.json();
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn every_http_error_is_json_with_a_code() {
    let ts = TestServer::start().await;
    let addr = ts.addr();
    // A route that exists, with the wrong method.
    let r = http_request(addr, "POST", "/api/health", &[], b"")
        .await
        .expect("answered");
    assert_json_error(&r, 405, "method_not_allowed");
    let r = http_request(addr, "DELETE", "/ws", &[], b"")
        .await
        .expect("answered");
    assert_json_error(&r, 405, "method_not_allowed");
    // /ws without a WebSocket handshake.
    let r = http_request(addr, "GET", "/ws", &[], b"")
        .await
        .expect("answered");
    assert_json_error(&r, 400, "bad_request");
    // Refused by the HTTP parser itself: an address over its limit, header fields past its
    // buffer, a request that is not HTTP.
    let long = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70 * 1024));
    assert_json_error(&raw(&ts, long.as_bytes()).await, 414, "uri_too_long");
    let mut big = String::from("GET /api/health HTTP/1.1\r\nHost: x\r\n");
    for i in 0..120 {
        big.push_str(&format!("X-Filler-{i}: {}\r\n", "v".repeat(4000)));
    }
    big.push_str("\r\n");
    assert_json_error(&raw(&ts, big.as_bytes()).await, 431, "headers_too_large");
    assert_json_error(
        &raw(&ts, b"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n").await,
        400,
        "bad_request",
    );
    // The server still serves.
    let ok = http_request(addr, "GET", "/api/health", &[], b"")
        .await
        .expect("answered");
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn a_picture_upload_is_bounded_in_size_before_and_in_time_while_reading() {
    let ts = TestServer::start_with_header_timeout(Duration::from_secs(1)).await;
    let path = format!("/api/shows/{}/pictures", ts.show);
    let auth = format!("Bearer {}", ts.host_token);
    // 100 MiB declared: refused before a byte of it is sent.
    let mut stream = TcpStream::connect(ts.addr()).await.expect("connects");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Length: {}\r\n\r\n",
        100 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.expect("head sent");
    let mut answer = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("answered without waiting for the body")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("picture_too_large"), "{answer}");
    // A body that stalls after its first bytes is cut off at the deadline, with 408.
    let mut stream = TcpStream::connect(ts.addr()).await.expect("connects");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Length: 5000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("head sent");
    stream
        .write_all(&[0x89, b'P', b'N', b'G'])
        .await
        .expect("a few bytes");
    let started = Instant::now();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("cut off well within 10 s")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "not before the deadline"
    );
}

#[tokio::test]
async fn names_of_nothing_visible_or_that_reorder_text_are_refused() {
    let ts = TestServer::start().await;
    let mut c = ts.client().await;
    c.join(ts.show).await;
    for nickname in [
        "\u{200b}\u{200b}",
        "\u{3164}",
        "王\u{202e}姨",
        "\u{2066}李\u{2069}",
    ] {
        c.send(&ClientMsg::SignIn {
            nickname: nickname.into(),
            phone: mulin_tests::TEST_PHONE.into(),
            community: mulin_tests::TEST_COMMUNITY.into(),
            code: None,
        })
        .await;
        assert_eq!(
            c.next_error().await.0,
            ErrorCode::InvalidNickname,
            "{nickname:?}"
        );
    }
}

/// The next frame that is an answer or an error (room states and events skipped).
async fn answer(c: &mut Client) -> ServerMsg {
    c.recv_until(|m| match m {
        ServerMsg::Room(_) | ServerMsg::Event { .. } | ServerMsg::ShowInfo { .. } => None,
        other => Some(other.clone()),
    })
    .await
}

#[tokio::test]
async fn ending_a_deal_or_closing_a_bag_twice_is_answered_twice_and_happens_once() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let mut viewer = ts.client().await;
    viewer.join(ts.show).await;
    let deal = host.launch_deal(1, 990, 10, 2).await;
    for _ in 0..2 {
        host.send(&ClientMsg::EndDeal { deal: deal.id }).await;
        match answer(&mut host).await {
            ServerMsg::DealUpdated { deal: ended } => {
                assert_eq!(ended.id, deal.id);
                assert_eq!(ended.status, mulin_shared::DealStatus::Ended);
            }
            other => panic!("end_deal answered {other:?}"),
        }
    }
    // Viewers hear of the end once.
    let mut ended_events = 0;
    let mut last_seq = 0;
    while let Ok(m) = tokio::time::timeout(Duration::from_millis(800), viewer.recv()).await {
        match m {
            ServerMsg::Event {
                event: RoomEvent::DealEnded { deal: d },
                seq,
            } if d.id == deal.id => {
                ended_events += 1;
                last_seq = seq;
            }
            _ => {}
        }
    }
    assert_eq!(ended_events, 1, "one deal_ended (seq {last_seq})");

    host.send(&ClientMsg::OpenBag {
        prize: "大米".into(),
        winners: 1,
        closes_at: mulin_backend::now_ms() + 600_000,
        eligibility: mulin_shared::Eligibility::Everyone,
        pickup: 1,
    })
    .await;
    let bag = match answer(&mut host).await {
        ServerMsg::BagOpened { bag } => bag,
        other => panic!("open_bag answered {other:?}"),
    };
    let mut drawn = Vec::new();
    for _ in 0..2 {
        host.send(&ClientMsg::CloseBag { bag: bag.id }).await;
        match answer(&mut host).await {
            ServerMsg::BagDrawn { bag } => drawn.push(bag),
            other => panic!("close_bag answered {other:?}"),
        }
    }
    assert_eq!(drawn[0], drawn[1], "the second close draws nothing new");
    assert_eq!(drawn[0].phase, mulin_shared::BagPhase::Drawn);
}

#[tokio::test]
async fn errors_name_the_purchase_they_answer() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let deal = host.launch_deal(1, 990, 10, 2).await;
    let mut c = ts.client().await;
    c.join(ts.show).await;
    // Not signed in yet.
    c.send(&ClientMsg::PlaceOrder {
        deal: deal.id,
        qty: 1,
        pickup: 1,
        key: "k-unsigned".into(),
    })
    .await;
    let keyed = |m: &ServerMsg| match m {
        ServerMsg::Error { code, key, .. } => Some((*code, key.clone())),
        _ => None,
    };
    assert_eq!(
        c.recv_until(keyed).await,
        (ErrorCode::NotSignedIn, Some("k-unsigned".into()))
    );
    c.sign_in("王阿姨").await;
    for (key, deal, qty, code) in [
        ("k-qty", deal.id, 0, ErrorCode::InvalidQuantity),
        ("k-deal", 999_999, 1, ErrorCode::UnknownDeal),
    ] {
        c.send(&ClientMsg::PlaceOrder {
            deal,
            qty,
            pickup: 1,
            key: key.into(),
        })
        .await;
        assert_eq!(c.recv_until(keyed).await, (code, Some(key.into())));
    }
    // A malformed purchase still names its key when it has a usable one.
    c.send_raw(r#"{"type":"place_order","deal":"seven","qty":1,"pickup":1,"key":"k-bad"}"#)
        .await;
    assert_eq!(
        c.recv_until(keyed).await,
        (ErrorCode::InvalidMessage, Some("k-bad".into()))
    );
    // Errors of requests without a key carry none.
    c.send(&ClientMsg::CancelOrder {
        order: 424_242,
        reason: None,
    })
    .await;
    assert_eq!(c.recv_until(keyed).await, (ErrorCode::UnknownOrder, None));
}

#[tokio::test]
async fn refusals_do_not_tell_what_another_show_or_resident_has() {
    let ts = TestServer::start().await;
    // A second show on the same server, with a product that has been on sale there.
    let store = mulin_backend::store::Store::open(&ts.db)
        .await
        .expect("store");
    let other = store
        .create_show("另一场", "幸福里社区", mulin_backend::now_ms())
        .await
        .expect("show");
    let sessions = mulin_backend::auth::Sessions::open(store)
        .await
        .expect("sessions");
    let other_token = sessions
        .mint_staff_token(mulin_shared::Role::Host, other, mulin_backend::now_ms())
        .await
        .expect("token");
    let mut other_host = ts.client().await;
    other_host.join(other).await;
    other_host.resume(&other_token).await;
    other_host
        .send(&ClientMsg::SaveProduct {
            product: Product {
                id: 0,
                name: "红薯".into(),
                description: String::new(),
                origin: "山东".into(),
                unit: "5 kg".into(),
                normal_price: 2990,
                batch: String::new(),
                picture: None,
            },
        })
        .await;
    let theirs = other_host
        .recv_until(|m| match m {
            ServerMsg::ProductSaved { product } => Some(product.id),
            _ => None,
        })
        .await;
    other_host.launch_deal(theirs, 1990, 5, 1).await;
    // This community's manager cannot tell it from a product that never was.
    let (mut manager, _) = mulin_tests::staff::manager_in_show(&ts).await;
    for product in [theirs, 987_654] {
        manager.send(&ClientMsg::RemoveProduct { product }).await;
        assert_eq!(manager.next_error().await.0, ErrorCode::UnknownProduct);
    }
    let mut host = ts.host().await;
    // A resident cannot tell another's order from one that never was.
    let deal = host.launch_deal(1, 990, 10, 2).await;
    let mut a = ts.client().await;
    a.join(ts.show).await;
    a.sign_in("阿一").await;
    a.send(&ClientMsg::PlaceOrder {
        deal: deal.id,
        qty: 1,
        pickup: 1,
        key: "a1".into(),
    })
    .await;
    let order = a
        .recv_until(|m| match m {
            ServerMsg::OrderAccepted { order, .. } => Some(order.id),
            _ => None,
        })
        .await;
    let mut b = ts.client().await;
    b.join(ts.show).await;
    b.sign_in("阿二").await;
    for order in [order, 999_999] {
        b.send(&ClientMsg::CancelOrder {
            order,
            reason: None,
        })
        .await;
        assert_eq!(b.next_error().await.0, ErrorCode::UnknownOrder);
    }
}
