//! Helpers for the manager's HTTP API: JSON requests with a bearer token, a community's first
//! manager, invites accepted the way a person's browser does.

use std::net::SocketAddr;

use mulin_shared::{CommunityId, Role};
use serde_json::{Value, json};

use crate::TestServer;
use crate::wire::http_request;

/// `method path` with `token` as the bearer and `body` as JSON: the status and the JSON answer
/// (`null` if the body is not JSON).
pub async fn api(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(auth) = &auth {
        headers.push(("Authorization", auth.as_str()));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let answer = http_request(addr, method, path, &headers, body.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    (answer.status, answer.json())
}

/// Uses the invite link at `path` (`/invite/{code}`) and returns the session token.
pub async fn accept(addr: SocketAddr, path: &str) -> String {
    let code = path.trim_start_matches("/invite/");
    let (status, answer) = api(addr, "POST", &format!("/api/invites/{code}"), None, None).await;
    assert_eq!(status, 200, "accepting {path}: {answer}");
    answer["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a token in {answer}"))
        .to_owned()
}

/// The demo show's community and its manager (周主任, its only one) signed in through the link
/// the server made at start: the community's id and the manager's token.
pub async fn demo_manager(ts: &TestServer) -> (CommunityId, String) {
    (
        ts.demo.community,
        accept(ts.addr(), &demo_link(ts, Role::Manager)).await,
    )
}

/// The demo staff person with `role`'s one-time sign-in link.
pub fn demo_link(ts: &TestServer, role: Role) -> String {
    ts.demo
        .staff_links
        .iter()
        .find(|(r, _, _)| *r == role)
        .map(|(_, _, path)| path.clone())
        .unwrap_or_else(|| panic!("a demo {role:?}"))
}

/// Invites `name` with `roles` (and `pickups`) as the manager holding `token`: the status and the
/// answer (an `Invite` when 201).
pub async fn invite(
    addr: SocketAddr,
    community: CommunityId,
    token: &str,
    name: &str,
    roles: &[Role],
    pickups: &[i64],
) -> (u16, Value) {
    let body = json!({ "name": name, "roles": roles, "pickups": pickups });
    api(
        addr,
        "POST",
        &format!("/api/communities/{community}/staff"),
        Some(token),
        Some(&body),
    )
    .await
}

/// Invites `name` with `roles` and signs them in: their staff id and token.
pub async fn staff_member(
    addr: SocketAddr,
    community: CommunityId,
    manager: &str,
    name: &str,
    roles: &[Role],
    pickups: &[i64],
) -> (i64, String) {
    let (status, invite) = invite(addr, community, manager, name, roles, pickups).await;
    assert_eq!(status, 201, "inviting {name}: {invite}");
    let id = invite["staff"]["id"].as_i64().expect("an id");
    let path = invite["path"].as_str().expect("a path").to_owned();
    (id, accept(addr, &path).await)
}

/// A connection joined to `show` and signed in with a host's show token made for it (as
/// `mulin show` makes them).
pub async fn show_host(ts: &TestServer, show: mulin_shared::ShowId) -> crate::Client {
    let sessions = mulin_backend::auth::Sessions::open(ts.server.store().clone())
        .await
        .expect("sessions");
    let token = sessions
        .mint_staff_token(Role::Host, show, mulin_backend::now_ms())
        .await
        .expect("token");
    let mut host = ts.client().await;
    host.join(show).await;
    host.resume(&token).await;
    host
}

/// A connection joined to the demo show and signed in as its community's manager (周主任), who
/// keeps the catalogue: the connection and the manager's token.
pub async fn manager_in_show(ts: &TestServer) -> (crate::Client, String) {
    let (_, token) = demo_manager(ts).await;
    let mut manager = ts.client().await;
    manager.join(ts.show).await;
    manager.resume(&token).await;
    (manager, token)
}
