//! One resident per phone number: signing in again with a number (another phone, a cleared
//! browser) proves the phone with a texted code and comes back to the same resident, with their
//! orders, limits and lucky-bag entry. Codes expire, are used once, and are limited per number and
//! per connection. The codes are read from the server's log, where the development provider writes
//! them, or from the file an `--sms-command` writes, as an operator's gateway would get them.

use mulin_shared::{ClientMsg, ErrorCode, Refusal, ServerMsg};
use mulin_tests::{Client, Options, TestServer, fresh_phone, sms_log};

async fn code_sent(c: &mut Client, name: &str, phone: &str) -> (String, i64, i64) {
    match c.sign_in_with(name, phone, None).await {
        ServerMsg::CodeSent {
            phone,
            expires_at,
            resend_at,
        } => (phone, expires_at, resend_at),
        other => panic!("expected a code to be sent, got {other:?}"),
    }
}

async fn signed_in(c: &mut Client, name: &str, phone: &str, code: &str) -> (i64, String) {
    match c.sign_in_with(name, phone, Some(code)).await {
        ServerMsg::SignedIn {
            resident: Some(id),
            token: Some(token),
            nickname,
            ..
        } => {
            assert_eq!(nickname, name);
            (id, token)
        }
        other => panic!("expected a sign-in, got {other:?}"),
    }
}

async fn error(c: &mut Client, name: &str, phone: &str, code: Option<&str>) -> ErrorCode {
    match c.sign_in_with(name, phone, code).await {
        ServerMsg::Error { code, .. } => code,
        other => panic!("expected an error, got {other:?}"),
    }
}

async fn buy(c: &mut Client, deal: i64, qty: i64, key: &str) -> ServerMsg {
    c.order(deal, qty, key).await
}

#[tokio::test]
async fn a_number_signed_in_again_proves_the_phone_and_finds_its_resident() {
    // The demo's rule: new numbers need no code, known ones do.
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let deal = host.launch_deal(1, 990, 100, 5).await;
    let phone = fresh_phone();

    let mut first = ts.client().await;
    first.join(ts.show).await;
    let (id, _) = match first.sign_in_with("王阿姨", &phone, None).await {
        ServerMsg::SignedIn {
            resident: Some(id),
            token: Some(t),
            ..
        } => (id, t),
        other => panic!("a new number signs in at once under --demo: {other:?}"),
    };
    assert!(matches!(
        buy(&mut first, deal.id, 2, "p1").await,
        ServerMsg::OrderAccepted { .. }
    ));
    let bag = host.open_bag("大米").await;
    first.send(&ClientMsg::EnterBag { bag }).await;
    first
        .recv_until(|m| matches!(m, ServerMsg::BagEntered { .. }).then_some(()))
        .await;

    // Another device: the number must be proven; the masked number says where the code went.
    let mut second = ts.client().await;
    second.join(ts.show).await;
    let sent_before = sms_log::count(&phone);
    let (masked, expires_at, resend_at) = code_sent(&mut second, "王姨", &phone).await;
    assert_eq!(masked, format!("{}****{}", &phone[..3], &phone[7..]));
    assert!(expires_at > resend_at && resend_at > mulin_backend::now_ms());
    let code = sms_log::latest(&phone).await;
    assert_eq!(sms_log::count(&phone), sent_before + 1);
    assert_eq!(code.len(), 6);
    // Asking again within the minute sends nothing new and says the same.
    assert_eq!(
        code_sent(&mut second, "王姨", &phone).await,
        (masked.clone(), expires_at, resend_at)
    );
    assert_eq!(sms_log::count(&phone), sent_before + 1);
    // A wrong code is refused and nothing is signed in.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(
        error(&mut second, "王姨", &phone, Some(wrong)).await,
        ErrorCode::WrongCode
    );
    let (again, _) = signed_in(&mut second, "王姨", &phone, &code).await;
    assert_eq!(again, id, "the same resident, not a new one");
    // Their orders are here, and the per-resident limit counts them: 2 held, 3 more allowed.
    let mine = second
        .recv_until(|m| match m {
            ServerMsg::MyOrders { orders } => Some(orders.clone()),
            _ => None,
        })
        .await;
    assert_eq!(mine.len(), 1);
    assert!(matches!(
        buy(&mut second, deal.id, 4, "p2").await,
        ServerMsg::OrderRefused {
            reason: Refusal::LimitReached,
            ..
        }
    ));
    assert!(matches!(
        buy(&mut second, deal.id, 3, "p3").await,
        ServerMsg::OrderAccepted { .. }
    ));
    // One entry in the bag, whichever device enters.
    second.send(&ClientMsg::EnterBag { bag }).await;
    second
        .recv_until(|m| matches!(m, ServerMsg::BagEntered { .. }).then_some(()))
        .await;
    host.send(&ClientMsg::CloseBag { bag }).await;
    let entries = host
        .recv_until(|m| match m {
            ServerMsg::Event {
                event: mulin_shared::RoomEvent::BagDrawn { entries, .. },
                ..
            } => Some(entries.clone()),
            _ => None,
        })
        .await;
    assert_eq!(entries, [id], "one entry for the one resident");
    // A code is used once.
    let mut third = ts.client().await;
    third.join(ts.show).await;
    assert_eq!(
        error(&mut third, "王姨", &phone, Some(&code)).await,
        ErrorCode::CodeExpired
    );
}

#[tokio::test]
async fn codes_are_limited_per_number_and_per_connection() {
    let ts = TestServer::start_with_options(Options {
        new_numbers_need_code: true,
        ..Options::default()
    })
    .await;
    // A new number must prove itself too with this setting.
    let phone = fresh_phone();
    let mut c = ts.client().await;
    code_sent(&mut c, "李叔", &phone).await;
    // Five wrong tries void the code; a new one is only sent a minute after the last.
    let code = sms_log::latest(&phone).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        assert_eq!(
            error(&mut c, "李叔", &phone, Some(wrong)).await,
            ErrorCode::WrongCode
        );
    }
    assert_eq!(
        error(&mut c, "李叔", &phone, Some(wrong)).await,
        ErrorCode::CodeExpired
    );
    assert_eq!(
        error(&mut c, "李叔", &phone, Some(&code)).await,
        ErrorCode::CodeExpired,
        "voided: even the right code no longer works"
    );
    let mut other = ts.client().await;
    assert_eq!(
        error(&mut other, "李叔", &phone, None).await,
        ErrorCode::TooManyRequests
    );
    // One connection gets five codes (five numbers), then no more.
    let mut flood = ts.client().await;
    for _ in 0..5 {
        code_sent(&mut flood, "张", &fresh_phone()).await;
    }
    assert_eq!(
        error(&mut flood, "张", &fresh_phone(), None).await,
        ErrorCode::TooManyRequests
    );
    // And ten wrong codes in all. (The sixth number above got nothing: its code is not waiting.)
    let mut guesser = ts.client().await;
    let target = fresh_phone();
    code_sent(&mut guesser, "赵", &target).await;
    let mut refused = Vec::new();
    for i in 0..11 {
        // Fresh numbers have no code waiting: each try is wrong (code_expired) without voiding
        // the target's code.
        let number = if i < 10 {
            fresh_phone()
        } else {
            target.clone()
        };
        refused.push(error(&mut guesser, "赵", &number, Some("123456")).await);
    }
    assert!(
        refused[..10].iter().all(|c| *c == ErrorCode::CodeExpired),
        "{refused:?}"
    );
    assert_eq!(refused[10], ErrorCode::TooManyRequests);
    // The right code still works from another connection: the flood spent nothing of it.
    let code = sms_log::latest(&target).await;
    let mut owner = ts.client().await;
    signed_in(&mut owner, "赵", &target, &code).await;
}

#[tokio::test]
async fn one_connection_creates_at_most_three_residents() {
    let ts = TestServer::start().await;
    let mut c = ts.client().await;
    for i in 0..3 {
        assert!(matches!(
            c.sign_in_with(&format!("居民{i}"), &fresh_phone(), None)
                .await,
            ServerMsg::SignedIn { .. }
        ));
    }
    assert_eq!(
        error(&mut c, "第四位", &fresh_phone(), None).await,
        ErrorCode::TooManyRequests
    );
}

#[tokio::test]
async fn a_gateway_command_gets_the_code_and_its_failure_is_told() {
    let dir = tempfile::tempdir().expect("temp dir");
    let outbox = dir.path().join("sms.txt");
    let command = format!(
        r#"printf '%s %s %s\n' "$MULIN_SMS_PHONE" "$MULIN_SMS_CODE" "$MULIN_SMS_TEXT" >> '{}'; case "$MULIN_SMS_PHONE" in 150*) exit 1;; esac"#,
        outbox.display()
    );
    let ts = TestServer::start_with_options(Options {
        new_numbers_need_code: true,
        sms_command: Some(command),
        ..Options::default()
    })
    .await;
    let phone = "13912345678";
    let mut c = ts.client().await;
    c.join(ts.show).await;
    code_sent(&mut c, "孙奶奶", phone).await;
    let line = std::fs::read_to_string(&outbox).expect("the command ran");
    let mut parts = line.split_whitespace();
    assert_eq!(parts.next(), Some(phone));
    let code = parts.next().expect("a code").to_owned();
    assert!(line.contains(&code) && line.contains("验证码"), "{line}");
    assert_eq!(
        sms_log::count(phone),
        0,
        "a configured gateway does not write codes to the log"
    );
    signed_in(&mut c, "孙奶奶", phone, &code).await;
    // A gateway that fails: the resident is told, and may try again later.
    let mut d = ts.client().await;
    assert_eq!(
        error(&mut d, "周", "15000000001", None).await,
        ErrorCode::SmsFailed
    );
}

#[tokio::test]
async fn signing_out_ends_the_session_and_a_name_can_change() {
    let ts = TestServer::start().await;
    let mut c = ts.client().await;
    c.join(ts.show).await;
    let (_, token) = c.sign_in("钱阿姨").await;
    c.send(&ClientMsg::Rename {
        nickname: "  钱姨  ".into(),
    })
    .await;
    let renamed = c
        .recv_until(|m| match m {
            ServerMsg::Renamed { nickname } => Some(nickname.clone()),
            _ => None,
        })
        .await;
    assert_eq!(renamed, "钱姨");
    c.send(&ClientMsg::Rename {
        nickname: "\u{200b}".into(),
    })
    .await;
    assert_eq!(c.next_error().await.0, ErrorCode::InvalidNickname);
    // Resumed elsewhere, the new name shows.
    let mut other = ts.client().await;
    other.join(ts.show).await;
    assert!(matches!(
        other.resume(&token).await,
        ServerMsg::SignedIn { nickname, .. } if nickname == "钱姨"
    ));
    c.send(&ClientMsg::SignOut).await;
    c.recv_until(|m| matches!(m, ServerMsg::SignedOut).then_some(()))
        .await;
    // Signed out here: buying asks for a sign-in; the token no longer resumes anywhere.
    c.send(&ClientMsg::PlaceOrder {
        deal: 1,
        qty: 1,
        pickup: 1,
        key: "after".into(),
    })
    .await;
    assert_eq!(c.next_error().await.0, ErrorCode::NotSignedIn);
    let mut later = ts.client().await;
    assert!(matches!(
        later.resume(&token).await,
        ServerMsg::Error {
            code: ErrorCode::InvalidToken,
            ..
        }
    ));
    // Only residents have a name to change.
    let mut host = ts.host().await;
    host.send(&ClientMsg::Rename {
        nickname: "主播".into(),
    })
    .await;
    assert_eq!(host.next_error().await.0, ErrorCode::Forbidden);
}
