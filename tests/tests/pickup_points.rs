//! Pickup points carry their opening hours, as the manager enters them, to every viewer.

use mulin_shared::{ClientMsg, ErrorCode, PickupPoint, ServerMsg};
use mulin_tests::TestServer;

#[tokio::test]
async fn a_pickup_points_hours_reach_every_viewer_and_bad_ones_are_named() {
    let ts = TestServer::start().await;
    let (mut host, _) = mulin_tests::staff::manager_in_show(&ts).await;
    let point = |hours: &str| ClientMsg::SavePickup {
        pickup: PickupPoint {
            id: 0,
            name: "老百姓大药房（春风路店）".into(),
            address: "春风路 6 号".into(),
            hours: hours.into(),
        },
    };
    host.send(&point(&"8".repeat(61))).await;
    assert_eq!(host.next_error().await.0, ErrorCode::InvalidPickup);
    host.send(&point("  每天 8:00–21:00 ")).await;
    let saved = host
        .recv_until(|m| match m {
            ServerMsg::PickupSaved { pickup } => Some(pickup.clone()),
            _ => None,
        })
        .await;
    assert_eq!(saved.hours, "每天 8:00–21:00");
    let mut viewer = ts.client().await;
    let (_, _, points) = viewer.catalogue(ts.show).await;
    let listed = points.iter().find(|p| p.id == saved.id).expect("listed");
    assert_eq!(listed.hours, "每天 8:00–21:00");
    // Without hours is fine too.
    host.send(&point("")).await;
    assert!(
        host.recv_until(|m| match m {
            ServerMsg::PickupSaved { pickup } => Some(pickup.hours.is_empty()),
            _ => None,
        })
        .await
    );
}
