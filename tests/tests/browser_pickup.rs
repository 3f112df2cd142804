//! Pickup day in real headless Chromium: a resident's order shows its QR code; the clerk's counter
//! marks the goods received (the resident's page says where to collect), takes the code typed in
//! and from a photo of the QR code (the decoder in the page), and hands the orders over; the
//! resident's page shows them picked up. A manager's picking list, drawn for print, is
//! screenshotted as paper would show it. Screenshots go to target/screenshots/.

use std::path::PathBuf;

use mulin_shared::{Role, ServerMsg};
use mulin_tests::TestServer;
use mulin_tests::browser::{Browser, dist_is_built};
use mulin_tests::staff::{accept, demo_link, demo_manager};

/// `value` as a QR code in a 24-bit BMP (8 pixels a module, a quiet zone of 4), as a phone's
/// photo of a screen would hold it, written to a file in `dir`.
fn qr_picture(value: &str, dir: &std::path::Path) -> PathBuf {
    let code = qrcode::QrCode::new(value.as_bytes()).expect("encodable");
    let modules = code.width();
    let colors = code.to_colors();
    let (scale, quiet) = (8usize, 4usize);
    let side = (modules + 2 * quiet) * scale;
    let row_bytes = (side * 3).div_ceil(4) * 4;
    let mut pixels = vec![0u8; row_bytes * side];
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = (
                (x / scale) as isize - quiet as isize,
                (y / scale) as isize - quiet as isize,
            );
            let dark = mx >= 0
                && my >= 0
                && (mx as usize) < modules
                && (my as usize) < modules
                && colors[my as usize * modules + mx as usize] == qrcode::Color::Dark;
            let v = if dark { 0 } else { 255 };
            // BMP rows run bottom to top.
            let at = (side - 1 - y) * row_bytes + x * 3;
            pixels[at..at + 3].copy_from_slice(&[v, v, v]);
        }
    }
    let mut bmp = Vec::with_capacity(54 + pixels.len());
    let size = (54 + pixels.len()) as u32;
    bmp.extend_from_slice(b"BM");
    bmp.extend_from_slice(&size.to_le_bytes());
    bmp.extend_from_slice(&[0; 4]);
    bmp.extend_from_slice(&54u32.to_le_bytes());
    bmp.extend_from_slice(&40u32.to_le_bytes());
    bmp.extend_from_slice(&(side as i32).to_le_bytes());
    bmp.extend_from_slice(&(side as i32).to_le_bytes());
    bmp.extend_from_slice(&1u16.to_le_bytes());
    bmp.extend_from_slice(&24u16.to_le_bytes());
    bmp.extend_from_slice(&[0; 4]);
    bmp.extend_from_slice(&(pixels.len() as u32).to_le_bytes());
    bmp.extend_from_slice(&[0; 16]);
    bmp.extend_from_slice(&pixels);
    let path = dir.join("qr.bmp");
    std::fs::write(&path, bmp).expect("picture written");
    path
}

#[tokio::test]
async fn a_clerk_hands_over_by_typed_code_and_by_photo_and_the_resident_sees_it_picked_up() {
    dist_is_built();
    let ts = TestServer::start().await;
    let c = ts.demo.community;
    let clerk_token = accept(ts.addr(), &demo_link(&ts, Role::PickupClerk)).await;

    // The resident buys twice at the first store (the widget's default pickup point is asked).
    let resident = Browser::resident(&ts, 360, 800).await;
    resident.sign_in("王阿姨").await;
    resident.click("#buy").await;
    resident
        .wait_attr("#purchase", "data-state", |s| s == "accepted")
        .await;
    let orders = ts
        .server
        .store()
        .show_orders(ts.show, 10)
        .await
        .expect("orders");
    let first = orders[0].clone();
    // A second order, of another deal, through the protocol as the same resident would.
    let mut host = ts.host().await;
    let rice = host.launch_deal(4, 5990, 20, 2).await;
    let token = resident
        .client
        .execute("return localStorage.getItem('mulin.token')", vec![])
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned));
    let mut wire = ts.client().await;
    wire.join(ts.show).await;
    let second = match token {
        Some(token) if !token.is_empty() => {
            wire.resume(&token).await;
            match wire.order(rice.id, 2, "second").await {
                ServerMsg::OrderAccepted { order, .. } => order,
                other => panic!("a second order: {other:?}"),
            }
        }
        _ => panic!("the widget keeps its session"),
    };
    assert_eq!(second.resident, first.resident);

    // The order at the counter: its QR code, drawn by the server, beside the digits.
    resident
        .wait_text(&format!(".my-order[data-order='{}']", first.id), |t| {
            t.contains("待到货")
        })
        .await;
    resident
        .click(&format!("[data-counter='o{}']", first.id))
        .await;
    resident
        .wait_text("#counter-code", |t| t == first.pickup_code)
        .await;
    let loaded = resident
        .client
        .execute(
            "const i = document.querySelector('img.counter-qr'); \
             return !!i && i.complete && i.naturalWidth > 100 && i.src.includes('/api/pickup-qr/MLP1-');",
            vec![],
        )
        .await
        .expect("read");
    assert_eq!(loaded.as_bool(), Some(true), "the QR code is drawn");
    resident.screenshot("pickup-qr-360").await;
    resident.click("#counter-close").await;

    // The clerk's counter, on a phone: goods received first.
    let clerk = Browser::start(360, 800).await;
    clerk
        .open(&format!(
            "{}/c/{c}/counter?token={clerk_token}",
            ts.http_url()
        ))
        .await;
    clerk
        .wait_text("#counter-store-name", |t| t.contains("和平路店"))
        .await;
    let receive = format!(
        ".goods-line[data-product='{}'] [data-receive]",
        first.product
    );
    clerk.wait_attr(&receive, "data-receive", |_| true).await;
    clerk.screenshot("counter-goods-360").await;
    clerk.click(&receive).await;
    clerk
        .client
        .accept_alert()
        .await
        .expect("a confirm to accept");
    clerk
        .wait_text("#counter-said", |t| t.contains("可以取货"))
        .await;
    // The resident's page says where and by when, at once.
    resident
        .wait_text(
            &format!(".my-order[data-order='{}'] .ready", first.id),
            |t| t.contains("已到货") && t.contains("和平路店"),
        )
        .await;

    // Typed: found, named, handed over.
    clerk.type_into("#counter-code", &first.pickup_code).await;
    clerk.click("#counter-find").await;
    let card = format!(".found-order[data-order='{}']", first.id);
    let shown = clerk.wait_text(&card, |t| t.contains("王阿姨")).await;
    assert!(
        !shown.contains("1380"),
        "no more of the phone than its tail: {shown}"
    );
    clerk.screenshot("counter-found-360").await;
    clerk
        .click(&format!("[data-hand-over='{}']", first.id))
        .await;
    clerk
        .wait_text("#counter-said", |t| t.contains("已交付"))
        .await;
    clerk
        .wait_attr(&card, "data-status", |s| s == "picked_up")
        .await;
    resident
        .wait_attr(
            &format!(".my-order[data-order='{}']", first.id),
            "data-status",
            |s| s == "picked_up",
        )
        .await;
    resident
        .wait_text(&format!(".my-order[data-order='{}']", first.id), |t| {
            t.contains("已取货")
        })
        .await;

    // Typed again: it says it was handed over, when and by whom, and offers nothing to hand.
    clerk.click("#counter-find").await;
    clerk
        .wait_text(&card, |t| t.contains("已取货") && t.contains("刘店员 交付"))
        .await;
    assert_eq!(
        clerk
            .attr(
                &format!("[data-hand-over='{}']", first.id),
                "data-hand-over"
            )
            .await,
        None
    );

    // From a photo of the second order's QR code: the page's decoder reads it.
    let dir = tempfile::tempdir().expect("a folder");
    let qr = second
        .pickup_qr
        .clone()
        .expect("the resident's copy carries its QR value");
    let picture = qr_picture(&qr, dir.path());
    clerk.choose_file("#counter-photo", &picture).await;
    let card = format!(".found-order[data-order='{}']", second.id);
    clerk.wait_text(&card, |t| t.contains("五常")).await;
    clerk
        .click(&format!("[data-hand-over='{}']", second.id))
        .await;
    clerk
        .wait_text("#counter-said", |t| t.contains("已交付"))
        .await;
    resident
        .wait_attr(
            &format!(".my-order[data-order='{}']", second.id),
            "data-status",
            |s| s == "picked_up",
        )
        .await;
    resident.screenshot("pickup-done-360").await;
    assert!(!clerk.scrolls_sideways().await, "the counter fits a phone");
    clerk.close().await;
    resident.close().await;
}

#[tokio::test]
async fn a_picking_list_prints_each_store_on_its_own_pages() {
    dist_is_built();
    let ts = TestServer::start().await;
    let (c, manager) = demo_manager(&ts).await;
    let mut host = ts.host().await;
    let eggs = host.launch_deal(3, 2990, 200, 4).await;
    for (i, pickup) in [1, 2, 3, 1, 2, 1].into_iter().enumerate() {
        let mut r = ts.client().await;
        r.join(ts.show).await;
        r.sign_in(&format!("邻居{i}")).await;
        r.send(&mulin_shared::ClientMsg::PlaceOrder {
            deal: eggs.id,
            qty: 1 + i as i64 % 3,
            pickup,
            key: format!("k{i}"),
        })
        .await;
        r.recv_until(|m| matches!(m, ServerMsg::OrderAccepted { .. }).then_some(()))
            .await;
    }
    let page = Browser::start(1280, 900).await;
    page.open(&format!(
        "{}/c/{c}/picking?shows={}&token={manager}",
        ts.http_url(),
        ts.show
    ))
    .await;
    page.wait_text("#pick-totals", |t| t.contains("散养土鸡蛋"))
        .await;
    page.wait_text("#pick-list", |t| {
        t.contains("光明街店") && t.contains("邻居5")
    })
    .await;
    page.screenshot("picking-desktop").await;
    assert!(!page.scrolls_sideways().await);
    // As paper shows it: A4 width, controls gone, each store on its own page.
    let _ = page.client.set_window_size(794, 1123).await;
    page.emulate_print().await;
    let hidden = page
        .client
        .execute(
            "return getComputedStyle(document.querySelector('.no-print')).display === 'none' \
             && getComputedStyle(document.querySelector('.pick-store')).breakBefore === 'page';",
            vec![],
        )
        .await
        .expect("read");
    assert_eq!(hidden.as_bool(), Some(true), "the print stylesheet applies");
    page.screenshot("picking-print-a4").await;
    let phone = Browser::start(360, 800).await;
    phone
        .open(&format!(
            "{}/c/{c}/picking?shows={}&token={manager}",
            ts.http_url(),
            ts.show
        ))
        .await;
    phone.wait_text("#pick-list", |t| t.contains("邻居5")).await;
    phone.screenshot("picking-360").await;
    assert!(!phone.scrolls_sideways().await, "the list fits a phone");
    phone.close().await;
    page.close().await;
}
