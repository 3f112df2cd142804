//! Privacy by role: no frame or HTTP answer staff receive carries a resident's whole phone number.
//! A resident with a known number buys, is found, muted and cancelled; every frame the host's and a
//! moderator's sockets receive meanwhile, and every staff HTTP answer about it, is scanned for it.

use mulin_shared::{ClientMsg, Role, ServerMsg};
use mulin_tests::TestServer;
use mulin_tests::staff::{api, demo_manager, staff_member};
use mulin_tests::wire::http_request;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

const PHONE: &str = "13600136000";

#[tokio::test]
async fn no_staff_frame_or_answer_carries_a_whole_phone_number() {
    let ts = TestServer::start().await;
    let addr = ts.addr();
    let (community, manager) = demo_manager(&ts).await;
    let (_, moderator_token) = staff_member(
        addr,
        community,
        &manager,
        "场控小林",
        &[Role::Moderator],
        &[],
    )
    .await;
    let mut moderator = ts.client().await;
    moderator.join(ts.show).await;
    moderator.resume(&moderator_token).await;
    let mut host = ts.host().await;

    let mut resident = ts.client().await;
    let deal = resident.join_pinned(ts.show).await;
    let id = resident.sign_in_as("周阿姨", PHONE).await;
    let ServerMsg::OrderAccepted { order, .. } = resident.order(deal, 1, "privacy-1").await else {
        panic!("the order");
    };
    moderator
        .send(&ClientMsg::CancelOrder {
            order: order.id,
            reason: Some("测试".into()),
        })
        .await;

    // Every frame both staff sockets got, up to the cancellation's news.
    for (who, client) in [("moderator", &mut moderator), ("host", &mut host)] {
        loop {
            let Message::Text(text) = client.recv_message().await else {
                continue;
            };
            assert!(!text.contains(PHONE), "{who} was sent {text}");
            if text.contains("order_updated") && text.contains(&format!("\"id\":{}", order.id)) {
                break;
            }
        }
    }

    // Every staff HTTP answer about the show, the resident and the community.
    let mute = json!({ "resident": id, "reason": "测试" });
    let (status, _) = api(
        addr,
        "POST",
        &format!("/api/communities/{community}/mutes"),
        Some(&manager),
        Some(&mute),
    )
    .await;
    assert_eq!(status, 201);
    let show = ts.show;
    for path in [
        format!("/api/shows/{show}/orders?q=6000"),
        format!("/api/shows/{show}/orders"),
        format!("/api/shows/{show}/report"),
        format!("/api/shows/{show}/report.csv"),
        format!("/api/communities/{community}/mutes"),
        format!("/api/communities/{community}/audit"),
        format!("/api/communities/{community}/staff"),
        "/api/me".to_owned(),
    ] {
        let auth = format!("Bearer {manager}");
        let answer = http_request(addr, "GET", &path, &[("Authorization", &auth)], b"")
            .await
            .expect("answered");
        assert_eq!(answer.status, 200, "{path}");
        let text = String::from_utf8_lossy(&answer.body);
        assert!(!text.contains(PHONE), "{path} answered {text}");
    }
    // What staff see instead: the number masked.
    let (_, found) = api(
        addr,
        "GET",
        &format!("/api/shows/{show}/orders?q=6000"),
        Some(&manager),
        None,
    )
    .await;
    assert_eq!(found[0]["phone"], json!("136****6000"));
}
