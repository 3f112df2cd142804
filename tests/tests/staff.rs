//! A community's staff over the manager's HTTP API and the socket: invite links that work once,
//! roles that add up, revocation that ends open sessions at once, the last manager kept, and every
//! change in the audit log.

use mulin_shared::{ClientMsg, ErrorCode, Role, ServerMsg};
use mulin_tests::TestServer;
use mulin_tests::staff::{accept, api, demo_manager, invite, staff_member};
use serde_json::json;

#[tokio::test]
async fn invite_links_work_once_and_become_sessions_with_the_persons_roles() {
    let ts = TestServer::start().await;
    let (community, manager) = demo_manager(&ts).await;
    let addr = ts.addr();
    let (status, made) = invite(
        addr,
        community,
        &manager,
        "张敏",
        &[Role::Host, Role::Moderator],
        &[],
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["staff"]["roles"], json!(["host", "moderator"]));
    assert_eq!(made["staff"]["joined"], json!(false));
    let path = made["path"].as_str().expect("path").to_owned();
    assert!(path.starts_with("/invite/"), "{path}");
    let token = accept(addr, &path).await;

    // The link works once; a made-up one was never made here.
    let code = path.trim_start_matches("/invite/");
    let (status, again) = api(addr, "POST", &format!("/api/invites/{code}"), None, None).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (410, Some("invite_used"))
    );
    for junk in [
        "0123456789abcdef0123456789abcdef",
        "short",
        "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
    ] {
        let (status, answer) = api(addr, "POST", &format!("/api/invites/{junk}"), None, None).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (404, Some("unknown_invite")),
            "{junk}"
        );
    }

    // `/api/me` and the socket both know who it is.
    let (status, me) = api(addr, "GET", "/api/me", Some(&token), None).await;
    assert_eq!(status, 200);
    assert_eq!(me["name"], "张敏");
    assert_eq!(me["roles"], json!(["host", "moderator"]));
    assert_eq!(me["community"], json!(community));
    let mut host = ts.client().await;
    host.join(ts.show).await;
    match host.resume(&token).await {
        ServerMsg::SignedIn {
            role,
            roles,
            community: signed_community,
            nickname,
            ..
        } => {
            assert_eq!(role, Role::Host);
            assert_eq!(roles, vec![Role::Host, Role::Moderator]);
            assert_eq!(signed_community, Some(community));
            assert_eq!(nickname, "张敏");
        }
        other => panic!("signed in: {other:?}"),
    }
    // As host of every show of the community, they launch a deal; the log says it was them.
    let deal = host.launch_deal(1, 990, 20, 2).await;
    let (_, log) = api(
        addr,
        "GET",
        &format!("/api/communities/{community}/audit?action=deal_launched"),
        Some(&manager),
        None,
    )
    .await;
    let lines = log.as_array().expect("lines");
    assert_eq!(lines.len(), 1, "{log}");
    assert_eq!(lines[0]["actor"], "张敏");
    assert_eq!(lines[0]["subject"], format!("deal {}", deal.id));
    assert_eq!(lines[0]["show"], json!(ts.show));
    assert_eq!(
        lines[0]["after"]
            .as_str()
            .map(|a| a.contains("\"stock\":20")),
        Some(true)
    );

    // The manager's own invites and the host's are in the log with who did them.
    let (_, invited) = api(
        addr,
        "GET",
        &format!("/api/communities/{community}/audit?action=staff_invited"),
        Some(&manager),
        None,
    )
    .await;
    let actors: Vec<&str> = invited
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["actor"].as_str())
        .collect();
    assert_eq!(actors.first(), Some(&"周主任"), "{actors:?}");
    assert!(
        actors[1..].iter().all(|a| *a == "command line"),
        "the demo's people were invited from the command line: {actors:?}"
    );
}

#[tokio::test]
async fn revoking_a_person_or_a_role_ends_their_open_sessions_at_once() {
    let ts = TestServer::start().await;
    let (community, manager) = demo_manager(&ts).await;
    let addr = ts.addr();
    let (host_id, host_token) = staff_member(
        addr,
        community,
        &manager,
        "孙主播",
        &[Role::Host, Role::Moderator],
        &[],
    )
    .await;
    let mut host = ts.client().await;
    host.join(ts.show).await;
    host.resume(&host_token).await;

    // Taking the host role away ends the session; signing in again gives what is left.
    let change = json!({ "name": "孙主播", "roles": ["moderator"] });
    let (status, changed) = api(
        addr,
        "PUT",
        &format!("/api/communities/{community}/staff/{host_id}"),
        Some(&manager),
        Some(&change),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(host.next_error().await.0, ErrorCode::SessionRevoked);
    assert!(host.is_closed().await, "the connection closes");
    let mut again = ts.client().await;
    again.join(ts.show).await;
    match again.resume(&host_token).await {
        ServerMsg::SignedIn { roles, .. } => assert_eq!(roles, vec![Role::Moderator]),
        other => panic!("signed in again: {other:?}"),
    }
    again.send(&ClientMsg::EndDeal { deal: 1 }).await;
    assert_eq!(again.next_error().await.0, ErrorCode::Forbidden);

    // Revoking the person: the open session ends, the token is dead on the socket and over HTTP.
    let (status, revoked) = api(
        addr,
        "POST",
        &format!("/api/communities/{community}/staff/{host_id}/revoke"),
        Some(&manager),
        None,
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    assert!(revoked["revoked_at"].is_i64());
    assert_eq!(revoked["roles"], json!([]));
    assert_eq!(again.next_error().await.0, ErrorCode::SessionRevoked);
    assert!(again.is_closed().await);
    let mut third = ts.client().await;
    third.join(ts.show).await;
    third
        .send(&ClientMsg::Resume {
            token: host_token.clone(),
        })
        .await;
    assert_eq!(third.next_error().await.0, ErrorCode::InvalidToken);
    let (status, answer) = api(addr, "GET", "/api/me", Some(&host_token), None).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (401, Some("invalid_token"))
    );

    // Another person's sessions are untouched by all this.
    let (_, mod_token) =
        staff_member(addr, community, &manager, "王网格", &[Role::Moderator], &[]).await;
    let mut moderator = ts.client().await;
    moderator.join(ts.show).await;
    moderator.resume(&mod_token).await;
    let (_, _) = api(
        addr,
        "POST",
        &format!("/api/communities/{community}/staff/{host_id}/revoke"),
        Some(&manager),
        None,
    )
    .await;
    moderator.ping().await;
}

#[tokio::test]
async fn staff_bad_input_gets_a_code_and_changes_nothing() {
    let ts = TestServer::start().await;
    let (community, manager) = demo_manager(&ts).await;
    let addr = ts.addr();
    let base = format!("/api/communities/{community}/staff");
    let store = ts.server.store().clone();
    let staff_before = store.staff_of(community).await.expect("staff");
    let log_before = store
        .audit_log(community, &Default::default())
        .await
        .expect("log");
    let cases = [
        (
            json!({ "name": "周主任", "roles": ["host"] }),
            409,
            "duplicate_name",
        ),
        (
            json!({ "name": "", "roles": ["host"] }),
            422,
            "invalid_staff",
        ),
        (json!({ "name": "a", "roles": [] }), 422, "invalid_staff"),
        (
            json!({ "name": "a", "roles": ["resident"] }),
            422,
            "invalid_staff",
        ),
        (
            json!({ "name": "a", "roles": ["pickup_clerk"] }),
            422,
            "invalid_staff",
        ),
        (
            json!({ "name": "a", "roles": ["host"], "pickups": [1] }),
            422,
            "invalid_staff",
        ),
        (
            json!({ "name": "a", "roles": ["pickup_clerk"], "pickups": [99999] }),
            422,
            "unknown_pickup",
        ),
        (
            json!({ "name": "a", "roles": ["boss"] }),
            400,
            "invalid_message",
        ),
        (
            json!({ "name": "a", "roles": ["host"], "admin": true }),
            400,
            "invalid_message",
        ),
        (json!("not an object"), 400, "invalid_message"),
    ];
    for (body, status, code) in cases {
        let (got, answer) = api(addr, "POST", &base, Some(&manager), Some(&body)).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(code)),
            "{body}"
        );
        assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // The last manager can neither revoke themselves nor give up the role.
    let (_, me) = api(addr, "GET", "/api/me", Some(&manager), None).await;
    let my_id = me["staff"].as_i64().expect("staff id");
    let (status, answer) = api(
        addr,
        "POST",
        &format!("{base}/{my_id}/revoke"),
        Some(&manager),
        None,
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (409, Some("last_manager"))
    );
    let (status, answer) = api(
        addr,
        "PUT",
        &format!("{base}/{my_id}"),
        Some(&manager),
        Some(&json!({ "name": "周主任", "roles": ["host"] })),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (409, Some("last_manager"))
    );
    // Unknown people, and ids that are not ids.
    for path in [format!("{base}/99999/revoke"), format!("{base}/x/revoke")] {
        let (status, answer) = api(addr, "POST", &path, Some(&manager), None).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (404, Some("unknown_staff")),
            "{path}"
        );
    }
    assert_eq!(
        store.staff_of(community).await.expect("staff"),
        staff_before
    );
    assert_eq!(
        store
            .audit_log(community, &Default::default())
            .await
            .expect("log"),
        log_before,
        "nothing refused is logged, nothing half-written stays"
    );

    // With a second manager, the first may step down.
    let (_, second) =
        staff_member(addr, community, &manager, "吴副主任", &[Role::Manager], &[]).await;
    let (status, _) = api(
        addr,
        "POST",
        &format!("{base}/{my_id}/revoke"),
        Some(&second),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = api(addr, "GET", &base, Some(&manager), None).await;
    assert_eq!(status, 401, "the revoked manager's token is dead");
}

#[tokio::test]
async fn a_pickup_clerk_serves_the_communitys_pickup_points() {
    let ts = TestServer::start().await;
    let (community, manager) = demo_manager(&ts).await;
    let addr = ts.addr();
    let (status, made) = invite(
        addr,
        community,
        &manager,
        "药店小刘",
        &[Role::PickupClerk],
        &[2, 1, 2],
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["staff"]["pickups"], json!([1, 2]));
    // A pickup point a clerk serves stays: removing it is `in_use`.
    let path = format!("/api/communities/{community}/pickups/2");
    let (status, refused) = api(addr, "DELETE", &path, Some(&manager), None).await;
    assert_eq!((status, &refused["error"]), (409, &json!("in_use")));
}

/// The demo's staff are invited once per start (the links `make run` prints): one log line each,
/// by the command line, not one for making them and another for their link.
#[tokio::test]
async fn the_demo_staff_are_invited_once_per_start() {
    let ts = TestServer::start().await;
    let lines = ts
        .server
        .store()
        .audit_log(ts.demo.community, &Default::default())
        .await
        .expect("log");
    let invited: Vec<&str> = lines
        .iter()
        .filter(|l| l.action == mulin_shared::community::AuditAction::StaffInvited)
        .map(|l| l.actor.as_str())
        .collect();
    assert_eq!(invited, vec!["command line"; ts.demo.staff_links.len()]);
    assert_eq!(ts.demo.staff_links.len(), 5, "one person per role");
}
