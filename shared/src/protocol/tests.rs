//! The protocol's own checks: every message round-trips, and bad frames get precise codes.

use super::*;
use crate::domain::*;
use crate::lucky_bag::{BagPhase, Eligibility, LuckyBag, Winner};

#[test]
fn client_messages_round_trip() {
    let msg = ClientMsg::PlaceOrder {
        deal: 7,
        qty: 2,
        pickup: 3,
        key: "k-1".into(),
    };
    let text = msg.to_json();
    assert_eq!(
        text,
        r#"{"type":"place_order","deal":7,"qty":2,"pickup":3,"key":"k-1"}"#
    );
    assert_eq!(ClientMsg::parse(&text), Ok(msg));
}

#[test]
fn every_listed_type_is_a_real_variant() {
    for kind in ClientMsg::TYPES {
        let err = ClientMsg::parse(&format!(r#"{{"type":"{kind}"}}"#));
        // Either it parses (no fields needed) or its fields are what is wrong, never its type.
        if let Err(e) = err {
            assert_eq!(e.code, ErrorCode::InvalidMessage, "{kind}: {}", e.message);
        }
    }
}

#[test]
fn bad_frames_get_precise_codes() {
    let code = |t: &str| ClientMsg::parse(t).unwrap_err().code;
    assert_eq!(code("not json"), ErrorCode::MalformedFrame);
    assert_eq!(code("[1,2]"), ErrorCode::MalformedFrame);
    assert_eq!(code(r#"{"type":"teleport"}"#), ErrorCode::UnknownMessage);
    assert_eq!(
        code(r#"{"type":"join","show":"x"}"#),
        ErrorCode::InvalidMessage
    );
    assert_eq!(
        code(r#"{"type":"join","show":1,"extra":2}"#),
        ErrorCode::InvalidMessage
    );
    let huge = format!(
        r#"{{"type":"sign_in","nickname":"{}","phone":"13800138000","community":"c"}}"#,
        "a".repeat(MAX_FRAME_BYTES)
    );
    assert_eq!(code(&huge), ErrorCode::FrameTooLarge);
}

/// Its tag, by an exhaustive match: a new variant does not compile here until it has a sample
/// below, so [`ServerMsg::parse`] cannot silently miss it.
fn tag(m: &ServerMsg) -> &'static str {
    match m {
        ServerMsg::Welcome { .. } => "welcome",
        ServerMsg::SignedIn { .. } => "signed_in",
        ServerMsg::CodeSent { .. } => "code_sent",
        ServerMsg::SignedOut => "signed_out",
        ServerMsg::Renamed { .. } => "renamed",
        ServerMsg::ShowInfo { .. } => "show_info",
        ServerMsg::Room(_) => "room",
        ServerMsg::OrderAccepted { .. } => "order_accepted",
        ServerMsg::OrderRefused { .. } => "order_refused",
        ServerMsg::OrderCancelled { .. } => "order_cancelled",
        ServerMsg::OrderUpdated { .. } => "order_updated",
        ServerMsg::DealLaunched { .. } => "deal_launched",
        ServerMsg::DealRestocked { .. } => "deal_restocked",
        ServerMsg::DealPinned { .. } => "deal_pinned",
        ServerMsg::DealUpdated { .. } => "deal_updated",
        ServerMsg::ProductSaved { .. } => "product_saved",
        ServerMsg::ProductRemoved { .. } => "product_removed",
        ServerMsg::PickupSaved { .. } => "pickup_saved",
        ServerMsg::PickupRemoved { .. } => "pickup_removed",
        ServerMsg::MyOrders { .. } => "my_orders",
        ServerMsg::Orders { .. } => "orders",
        ServerMsg::OrderPlaced { .. } => "order_placed",
        ServerMsg::Pulse { .. } => "pulse",
        ServerMsg::Event { .. } => "event",
        ServerMsg::BagOpened { .. } => "bag_opened",
        ServerMsg::BagDrawn { .. } => "bag_drawn",
        ServerMsg::BagEntered { .. } => "bag_entered",
        ServerMsg::BagWon { .. } => "bag_won",
        ServerMsg::Pong { .. } => "pong",
        ServerMsg::Error { .. } => "error",
    }
}

#[test]
fn every_server_message_round_trips_through_parse() {
    let deal = Deal {
        id: 7,
        show: 1,
        product: 2,
        price: 990,
        stock: 10,
        sold: 3,
        per_resident_limit: 2,
        starts_at: 1,
        ends_at: 2,
        status: DealStatus::Live,
    };
    let order = Order {
        id: 9,
        deal: 7,
        resident: 4,
        nickname: "王阿姨".into(),
        qty: 2,
        unit_price: 990,
        pickup: 3,
        pickup_code: "K7Q2".into(),
        status: OrderStatus::Accepted,
        created_at: 5,
        cancel_reason: None,
        product: 2,
        show: 1,
        placed_by: None,
        collect_by: None,
        handed: 0,
        pickup_qr: None,
    };
    let bag = LuckyBag {
        id: 3,
        show: 1,
        prize: "5 kg 五常大米".into(),
        winners_wanted: 1,
        eligibility: Eligibility::Everyone,
        pickup: 1,
        opened_at: 1,
        closes_at: 2,
        phase: BagPhase::Drawn,
        commitment: "ab".into(),
        entrants: 2,
        entries_hash: Some("cd".into()),
        winners: vec![Winner {
            resident: 4,
            nickname: "王阿姨".into(),
        }],
        seed: Some("ef".into()),
    };
    let samples = [
        ServerMsg::Welcome {
            protocol: 1,
            server_time: 5,
        },
        ServerMsg::SignedIn {
            role: Role::Resident,
            resident: Some(4),
            nickname: "王阿姨".into(),
            token: None,
            show: None,
            roles: vec![Role::Resident],
            community: None,
        },
        ServerMsg::SignedIn {
            role: Role::Manager,
            resident: None,
            nickname: "张敏".into(),
            token: Some("s.1".into()),
            show: None,
            roles: vec![Role::Manager, Role::Host],
            community: Some(2),
        },
        ServerMsg::CodeSent {
            phone: "138****8000".into(),
            expires_at: 9,
            resend_at: 8,
        },
        ServerMsg::SignedOut,
        ServerMsg::Renamed {
            nickname: "王姨".into(),
        },
        ServerMsg::ShowInfo {
            show: Show {
                id: 1,
                title: "t".into(),
                community: "c".into(),
                status: crate::ShowStatus::Scheduled,
                starts_at: 7,
                stream_url: "https://live.example/1".into(),
            },
            catalogue: 3,
            products: vec![],
            pickup_points: vec![PickupPoint {
                id: 3,
                name: "n".into(),
                address: "a".into(),
                hours: String::new(),
            }],
        },
        ServerMsg::Room(RoomState {
            show: 1,
            version: 2,
            seq: 1,
            deals: vec![deal.clone()],
            pinned: Some(7),
            viewers: 3,
            bag: None,
            catalogue: 0,
            server_time: 5,
        }),
        ServerMsg::OrderAccepted {
            key: "k".into(),
            order: order.clone(),
        },
        ServerMsg::OrderRefused {
            key: "k".into(),
            reason: Refusal::LimitReached,
            remaining: 4,
            held: 2,
        },
        ServerMsg::OrderCancelled {
            order: order.clone(),
        },
        ServerMsg::OrderUpdated {
            order: order.clone(),
        },
        ServerMsg::DealLaunched { deal: deal.clone() },
        ServerMsg::DealRestocked { deal: deal.clone() },
        ServerMsg::DealPinned { deal: None },
        ServerMsg::DealUpdated { deal: deal.clone() },
        ServerMsg::ProductSaved {
            product: Product {
                id: 2,
                name: "玉米".into(),
                description: "甜".into(),
                origin: "吉林".into(),
                unit: "5 根".into(),
                normal_price: 1990,
                batch: String::new(),
                picture: None,
            },
        },
        ServerMsg::ProductRemoved { product: 2 },
        ServerMsg::PickupSaved {
            pickup: PickupPoint {
                id: 3,
                name: "n".into(),
                address: "a".into(),
                hours: String::new(),
            },
        },
        ServerMsg::PickupRemoved { pickup: 3 },
        ServerMsg::MyOrders {
            orders: vec![order.clone()],
        },
        ServerMsg::Orders { orders: vec![] },
        ServerMsg::OrderPlaced { order },
        ServerMsg::Pulse {
            pulse: crate::pulse::Pulse {
                at: 60_000,
                minutes: vec![crate::pulse::Minute {
                    at: 60_000,
                    orders: 1,
                    units: 2,
                    sales: 1980,
                    refused: 3,
                }],
                marks: vec![crate::pulse::Mark::DealLaunched { at: 1, deal: 7 }],
                deals: vec![crate::pulse::DealPulse {
                    deal: 7,
                    product: 2,
                    stock: 10,
                    sold: 3,
                    last_minute: 1,
                    minute_before: 0,
                    sold_out_at: None,
                    starts_at: 1,
                    open: true,
                }],
                pickups: vec![crate::pulse::PickupPulse {
                    pickup: 3,
                    orders: 1,
                    units: 2,
                }],
                orders: 1,
                units: 2,
                sales: 1980,
                viewers: 5,
                peak: 8,
                buyers: 1,
                alerts: vec![crate::pulse::Alert::Refusals {
                    count: 30,
                    reason: Refusal::SoldOut,
                }],
            },
        },
        ServerMsg::Event {
            seq: 4,
            event: RoomEvent::BagDrawn {
                bag: bag.clone(),
                entries: vec![4, 9],
            },
        },
        ServerMsg::BagOpened { bag: bag.clone() },
        ServerMsg::BagDrawn { bag: bag.clone() },
        ServerMsg::BagEntered { bag: 3 },
        ServerMsg::BagWon {
            bag: 3,
            prize: "大米".into(),
            pickup: 1,
            claim_code: "482913".into(),
        },
        ServerMsg::Pong {
            t: 1,
            server_time: 2,
        },
        ServerMsg::error(ErrorCode::Forbidden, "no"),
        ServerMsg::error_for(Some("k1".into()), ErrorCode::InvalidQuantity, "no"),
    ];
    let mut tags: Vec<&str> = samples.iter().map(tag).collect();
    tags.dedup();
    assert_eq!(tags, ServerMsg::TYPES);
    for msg in samples {
        let text = msg.to_json();
        assert_eq!(ServerMsg::parse(&text).ok(), Some(msg), "{text}");
    }
    // The tag need not come first, and unknown or missing tags are errors, not panics.
    assert_eq!(
        ServerMsg::parse(r#"{"t":1,"server_time":2,"type":"pong"}"#).ok(),
        Some(ServerMsg::Pong {
            t: 1,
            server_time: 2
        })
    );
    assert!(ServerMsg::parse(r#"{"type":"teleport"}"#).is_err());
    assert!(ServerMsg::parse(r#"{"t":1}"#).is_err());
    assert!(ServerMsg::parse(r#"{"type":"pong","t":"x","server_time":2}"#).is_err());
    assert!(ServerMsg::parse(r#"{"type":"event","seq":1,"event":{"kind":"x"}}"#).is_err());
}

#[test]
fn server_room_frame_is_flat() {
    let msg = ServerMsg::Room(RoomState {
        show: 1,
        version: 4,
        seq: 3,
        deals: vec![],
        pinned: None,
        viewers: 2,
        bag: None,
        catalogue: 0,
        server_time: 5,
    });
    let text = msg.to_json();
    assert!(
        text.starts_with(r#"{"type":"room","show":1,"version":4"#),
        "{text}"
    );
    assert_eq!(ServerMsg::parse(&text).ok(), Some(msg));
}

#[test]
fn a_request_key_rides_beside_any_message_and_comes_back_out() {
    let end = ClientMsg::EndDeal { deal: 7 };
    let text = end.to_json_with_key("r-1");
    assert_eq!(
        ClientMsg::parse_request(&text),
        Ok((end.clone(), Some("r-1".into())))
    );
    assert_eq!(ClientMsg::parse(&text), Ok(end.clone()));
    assert_eq!(ClientMsg::parse_request(&end.to_json()), Ok((end, None)));
    // A purchase's key is its own field, not a request key.
    let buy = r#"{"type":"place_order","deal":7,"qty":1,"pickup":1,"key":"k"}"#;
    assert!(matches!(
        ClientMsg::parse_request(buy),
        Ok((ClientMsg::PlaceOrder { .. }, None))
    ));
    // A key that is not 1–64 bytes of text is refused; other unknown fields still are.
    for bad in [
        r#"{"type":"end_deal","deal":7,"key":""}"#,
        r#"{"type":"end_deal","deal":7,"key":5}"#,
    ] {
        assert_eq!(
            ClientMsg::parse_request(bad).map_err(|e| e.code),
            Err(ErrorCode::InvalidKey),
            "{bad}"
        );
    }
    let extra = r#"{"type":"end_deal","deal":7,"key":"r-2","colour":"red"}"#;
    let refused = ClientMsg::parse_request(extra).expect_err("unknown field");
    assert_eq!(
        (refused.code, refused.key),
        (ErrorCode::InvalidMessage, Some("r-2".into()))
    );
}

#[test]
fn the_widgets_hand_written_json_is_serdes() {
    let odd = "王\"阿姨\"\\ \n\t\u{1}😀</script>".to_string();
    let resident = [
        ClientMsg::Join {
            show: 7,
            since: None,
            catalogue: None,
        },
        ClientMsg::Join {
            show: 7,
            since: Some(u64::MAX),
            catalogue: Some(0),
        },
        ClientMsg::SignIn {
            nickname: odd.clone(),
            phone: "+86 138-0013-8000".into(),
            community: "和平里".into(),
            code: None,
        },
        ClientMsg::SignIn {
            nickname: "张".into(),
            phone: "13800138000".into(),
            community: odd.clone(),
            code: Some("012345".into()),
        },
        ClientMsg::SignOut,
        ClientMsg::Rename {
            nickname: odd.clone(),
        },
        ClientMsg::Resume {
            token: "r_1.abc".into(),
        },
        ClientMsg::PlaceOrder {
            deal: i64::MAX,
            qty: -1,
            pickup: 3,
            key: odd.clone(),
        },
        ClientMsg::CancelOrder {
            order: 9,
            reason: None,
        },
        ClientMsg::CancelOrder {
            order: 9,
            reason: Some(odd.clone()),
        },
        ClientMsg::EnterBag { bag: 4 },
        ClientMsg::Ping { t: i64::MIN },
    ];
    for msg in &resident {
        assert_eq!(msg.to_resident_json().as_deref(), Some(&*msg.to_json()));
        assert_eq!(&ClientMsg::parse(&msg.to_json()).unwrap(), msg);
    }
    assert_eq!(
        ClientMsg::add_key(ClientMsg::SignOut.to_resident_json().unwrap(), "k\"1"),
        r#"{"type":"sign_out","key":"k\"1"}"#
    );
    // Staff messages are serde's alone.
    assert_eq!(ClientMsg::EndDeal { deal: 1 }.to_resident_json(), None);
    assert_eq!(ClientMsg::CloseBag { bag: 1 }.to_resident_json(), None);
}
