//! A community's shows over the manager's HTTP API: scheduled → live → ended (or cancelled),
//! viewers told at once, a show's deals and lucky bag closed with it, bad input refused with a
//! code and nothing written.

use mulin_shared::{ClientMsg, DealStatus, Eligibility, ErrorCode, ServerMsg, ShowStatus};
use mulin_tests::TestServer;
use mulin_tests::staff::{api, demo_manager, show_host};
use serde_json::json;

const HOUR: i64 = 3_600_000;

#[tokio::test]
async fn a_manager_schedules_starts_and_ends_a_show_and_viewers_see_it() {
    let ts = TestServer::start().await;
    let (community, manager) = demo_manager(&ts).await;
    let addr = ts.addr();
    let shows = format!("/api/communities/{community}/shows");
    let tomorrow = mulin_backend::now_ms() + 24 * HOUR;
    let draft = json!({ "title": " 周日丰收集市 ", "starts_at": tomorrow, "stream_url": "https://live.example/7" });
    let (status, made) = api(addr, "POST", &shows, Some(&manager), Some(&draft)).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["status"], "scheduled");
    assert_eq!(made["title"], "周日丰收集市");
    let show = made["id"].as_i64().expect("id");

    // Anyone sees the community's shows (the community page), no token needed.
    let (status, listed) = api(addr, "GET", &shows, None, None).await;
    assert_eq!(status, 200);
    assert!(
        listed["shows"]
            .as_array()
            .expect("shows")
            .iter()
            .any(|s| s["id"] == json!(show))
    );
    assert_eq!(listed["community"]["id"], json!(community));

    // A viewer waiting on the scheduled show sees its status change when it starts.
    let mut viewer = ts.client().await;
    viewer
        .send(&ClientMsg::Join {
            show,
            since: None,
            catalogue: None,
        })
        .await;
    let first = viewer
        .recv_until(|m| match m {
            ServerMsg::ShowInfo { show, .. } => Some(show.clone()),
            _ => None,
        })
        .await;
    assert_eq!(first.status, ShowStatus::Scheduled);
    assert_eq!(first.starts_at, tomorrow);
    assert_eq!(first.stream_url, "https://live.example/7");

    // Edit the title (start kept), then start.
    let edit = json!({ "title": "周日丰收集市（加场）", "starts_at": tomorrow, "stream_url": "" });
    let (status, edited) = api(
        addr,
        "PUT",
        &format!("{shows}/{show}"),
        Some(&manager),
        Some(&edit),
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["stream_url"], "");
    let renamed = viewer
        .recv_until(|m| match m {
            ServerMsg::ShowInfo { show, .. } => Some(show.clone()),
            _ => None,
        })
        .await;
    assert_eq!(renamed.title, "周日丰收集市（加场）");
    let (status, started) = api(
        addr,
        "POST",
        &format!("{shows}/{show}/start"),
        Some(&manager),
        None,
    )
    .await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(started["status"], "live");
    assert!(started["started_at"].is_i64());
    let live = viewer
        .recv_until(|m| match m {
            ServerMsg::ShowInfo { show, .. } if show.status == ShowStatus::Live => {
                Some(show.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(live.id, show);
    // A live show's start is history.
    let moved = json!({ "title": "x", "starts_at": tomorrow + HOUR });
    let (status, answer) = api(
        addr,
        "PUT",
        &format!("{shows}/{show}"),
        Some(&manager),
        Some(&moved),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (422, Some("invalid_show"))
    );

    // The demo host token is the demo show's only; in the new show a deal and a bag are run by a
    // show token made for it.
    let store = ts.server.store().clone();
    let mut host = show_host(&ts, show).await;
    let deal = host.launch_deal(1, 990, 50, 2).await;
    host.send(&ClientMsg::OpenBag {
        prize: "花生油".into(),
        winners: 1,
        closes_at: mulin_backend::now_ms() + HOUR,
        eligibility: Eligibility::Everyone,
        pickup: 1,
    })
    .await;
    let bag = host
        .recv_until(|m| match m {
            ServerMsg::BagOpened { bag } => Some(bag.id),
            _ => None,
        })
        .await;

    // Ending the show ends its deal and draws its bag; nothing more is launched in it.
    let (status, ended) = api(
        addr,
        "POST",
        &format!("{shows}/{show}/end"),
        Some(&manager),
        None,
    )
    .await;
    assert_eq!(status, 200, "{ended}");
    assert_eq!(ended["status"], "ended");
    let deals = store.deals(show).await.expect("deals");
    assert_eq!(
        deals.iter().find(|d| d.id == deal.id).map(|d| d.status),
        Some(DealStatus::Ended)
    );
    let drawn = store.bag(bag).await.expect("bag").expect("stored");
    assert_eq!(drawn.bag.phase, mulin_shared::BagPhase::Drawn);
    host.send(&ClientMsg::LaunchDeal {
        product: 1,
        price: 100,
        stock: 5,
        per_resident_limit: 1,
        starts_at: None,
        ends_at: mulin_backend::now_ms() + HOUR,
    })
    .await;
    assert_eq!(host.next_error().await.0, ErrorCode::ShowClosed);
    let (status, answer) = api(
        addr,
        "POST",
        &format!("{shows}/{show}/start"),
        Some(&manager),
        None,
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (409, Some("invalid_status_change"))
    );
    let (status, answer) = api(
        addr,
        "PUT",
        &format!("{shows}/{show}"),
        Some(&manager),
        Some(&edit),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (409, Some("show_closed"))
    );

    // The log has every step, by the manager.
    let (_, log) = api(
        addr,
        "GET",
        &format!("/api/communities/{community}/audit?show={show}"),
        Some(&manager),
        None,
    )
    .await;
    let actions: Vec<&str> = log
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["action"].as_str())
        .collect();
    for wanted in [
        "show_created",
        "show_edited",
        "show_started",
        "deal_launched",
        "bag_opened",
        "deal_ended",
        "bag_closed",
        "show_ended",
    ] {
        assert!(actions.contains(&wanted), "{wanted} in {actions:?}");
    }
}

#[tokio::test]
async fn show_bad_input_gets_a_code_and_changes_nothing() {
    let ts = TestServer::start().await;
    let (community, manager) = demo_manager(&ts).await;
    let addr = ts.addr();
    let shows = format!("/api/communities/{community}/shows");
    let now = mulin_backend::now_ms();
    let store = ts.server.store().clone();
    let before = store.shows_of(community).await.expect("shows");
    let log_before = store
        .audit_log(community, &Default::default())
        .await
        .expect("log");
    let cases = [
        (
            json!({ "title": "t", "starts_at": now - 2 * HOUR }),
            422,
            "invalid_show",
        ),
        (
            json!({ "title": "t", "starts_at": now + 400 * 24 * HOUR }),
            422,
            "invalid_show",
        ),
        (
            json!({ "title": "  ", "starts_at": now + HOUR }),
            422,
            "invalid_show",
        ),
        (
            json!({ "title": "t", "starts_at": now + HOUR, "stream_url": "javascript:alert(1)" }),
            422,
            "invalid_show",
        ),
        (json!({ "title": "t" }), 400, "invalid_message"),
        (
            json!({ "title": "t", "starts_at": "tomorrow" }),
            400,
            "invalid_message",
        ),
        (
            json!({ "title": "t", "starts_at": now + HOUR, "status": "live" }),
            400,
            "invalid_message",
        ),
    ];
    for (body, status, code) in cases {
        let (got, answer) = api(addr, "POST", &shows, Some(&manager), Some(&body)).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(code)),
            "{body}"
        );
    }
    // Steps a show cannot take, shows that are not this community's, steps that do not exist.
    let other = store
        .create_show("别处", "别的街道·别的社区", now)
        .await
        .expect("show");
    for (path, status, code) in [
        (
            format!("{shows}/{}/end", ts.show + 1000),
            404,
            "unknown_show",
        ),
        (format!("{shows}/{other}/end"), 404, "unknown_show"),
        (format!("{shows}/x/end"), 404, "unknown_show"),
        (
            format!("{shows}/{}/start", ts.show),
            409,
            "invalid_status_change",
        ),
        (
            format!("{shows}/{}/cancel", ts.show),
            409,
            "invalid_status_change",
        ),
        (format!("{shows}/{}/explode", ts.show), 404, "not_found"),
    ] {
        let (got, answer) = api(addr, "POST", &path, Some(&manager), None).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(code)),
            "{path}"
        );
    }
    let (status, answer) = api(addr, "GET", "/api/communities/99999/shows", None, None).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("unknown_community"))
    );
    assert_eq!(store.shows_of(community).await.expect("shows"), before);
    assert_eq!(
        store
            .audit_log(community, &Default::default())
            .await
            .expect("log"),
        log_before
    );

    // A scheduled show can be called off; then it cannot start.
    let draft = json!({ "title": "下周集市", "starts_at": now + 7 * 24 * HOUR });
    let (_, made) = api(addr, "POST", &shows, Some(&manager), Some(&draft)).await;
    let id = made["id"].as_i64().expect("id");
    let (status, cancelled) = api(
        addr,
        "POST",
        &format!("{shows}/{id}/cancel"),
        Some(&manager),
        None,
    )
    .await;
    assert_eq!(
        (status, cancelled["status"].as_str()),
        (200, Some("cancelled"))
    );
    let (status, _) = api(
        addr,
        "POST",
        &format!("{shows}/{id}/start"),
        Some(&manager),
        None,
    )
    .await;
    assert_eq!(status, 409);
}

/// The residents' community page: the show on air, the shows coming with the deals already
/// scheduled in them, past shows, pickup points; in Chinese or English; names never become markup.
#[tokio::test]
async fn the_community_page_tells_residents_what_is_on_and_when_to_come_back() {
    use mulin_tests::wire::http_request;
    let ts = TestServer::start().await;
    let (community, manager) = demo_manager(&ts).await;
    let addr = ts.addr();
    let next = ts.demo.next_show;
    // A deal scheduled in tomorrow's show, by a show token made for it.
    let store = ts.server.store().clone();
    let starts = store
        .show(next)
        .await
        .expect("read")
        .expect("show")
        .starts_at;
    let mut host = show_host(&ts, next).await;
    host.send(&ClientMsg::LaunchDeal {
        product: 2,
        price: 3290,
        stock: 80,
        per_resident_limit: 2,
        starts_at: Some(starts + 15 * 60_000),
        ends_at: starts + 75 * 60_000,
    })
    .await;
    host.recv_until(|m| matches!(m, ServerMsg::DealLaunched { .. }).then_some(()))
        .await;
    // A past show with a title that tries to be markup.
    let draft = json!({ "title": "<b>旧</b>集市", "starts_at": mulin_backend::now_ms() + HOUR });
    let shows = format!("/api/communities/{community}/shows");
    let (_, old) = api(addr, "POST", &shows, Some(&manager), Some(&draft)).await;
    let old = old["id"].as_i64().expect("id");
    api(
        addr,
        "POST",
        &format!("{shows}/{old}/cancel"),
        Some(&manager),
        None,
    )
    .await;

    let page = |path: String, lang: &'static str| async move {
        let r = http_request(addr, "GET", &path, &[("Accept-Language", lang)], &[])
            .await
            .expect("answered");
        (
            r.status,
            String::from_utf8_lossy(&r.decoded().expect("decoded")).into_owned(),
        )
    };
    let (status, zh) = page(format!("/c/{community}"), "zh-CN,zh;q=0.9").await;
    assert_eq!(status, 200);
    assert!(zh.contains("<html lang=\"zh-CN\">"));
    let on_air =
        &zh[zh.find("id=\"on-air\"").expect("on air")..zh.find("id=\"coming\"").expect("coming")];
    assert!(
        on_air.contains("周日丰收集市") && on_air.contains(&format!("href=\"/show/{}\"", ts.show)),
        "{on_air}"
    );
    let coming = &zh[zh.find("id=\"coming\"").expect("coming")..];
    assert!(coming.contains("明日邻里早市"), "{coming}");
    assert!(
        coming.contains("北部湾海鸭蛋 · ¥32.90"),
        "the scheduled deal: {coming}"
    );
    assert!(coming.contains("开抢"));
    assert!(zh.contains("&lt;b&gt;旧&lt;/b&gt;集市"), "escaped");
    assert!(!zh.contains("<b>旧"), "never markup");
    assert!(zh.contains("已取消"));
    assert!(zh.contains("老百姓大药房（和平路店）"));
    // How to buy and collect, and whom to ask, for someone here the first time.
    let how = &zh[zh.find("id=\"how\"").expect("how it works")..];
    assert!(how.contains("取货码") && how.contains("网格员"), "{how}");
    let (_, en) = page(format!("/c/{community}?lang=en"), "zh-CN").await;
    assert!(en.contains("Coming up") && en.contains("On air now") && en.contains("called off"));
    assert!(en.contains("How to buy and collect"));
    let (_, browser_en) = page(format!("/c/{community}"), "en-GB,en;q=0.8").await;
    assert!(browser_en.contains("<html lang=\"en\">"));
    for bad in ["/c/99999", "/c/abc"] {
        let (status, body) = page(bad.to_string(), "zh").await;
        assert_eq!(status, 404, "{bad}");
        assert!(body.contains("unknown_community"), "{body}");
    }
}
