//! `cargo run --release -p mulin-tests --example ws_deflate`: whether WebSocket compression
//! (permessage-deflate, RFC 7692) would pay for the room states the fan-out sends, measured on real
//! ones: a server, a viewer, and a resident buying one unit at a time, each purchase a new state.
//!
//! Two ways a server could deflate a state, both measured per state:
//! - **shared**: without context takeover (`server_no_context_takeover`), each state is compressed
//!   on its own, so one compression serves every viewer;
//! - **per viewer**: with context takeover, each viewer's stream has its own compressor that
//!   remembers the previous states (smaller frames), so every state is compressed once per viewer.
//!
//! Prints one JSON line: bytes per state (raw, shared, per viewer) and CPU per compression (µs).

use std::error::Error;
use std::time::Instant;

use flate2::{Compress, Compression, FlushCompress};
use mulin_shared::ServerMsg;
use mulin_tests::TestServer;

/// How many states to collect.
const STATES: usize = 200;
/// How many times each measurement is repeated, for stable timings.
const ROUNDS: usize = 50;

/// `frame` deflated as permessage-deflate sends it: raw DEFLATE, sync-flushed, without the flush's
/// trailing `00 00 ff ff`.
fn deflate(c: &mut Compress, frame: &[u8], out: &mut Vec<u8>) -> usize {
    out.clear();
    out.reserve(frame.len() + 64);
    let before = c.total_out();
    // A Vec with room for the input plus the flush never runs out of space here.
    let _ = c.compress_vec(frame, out, FlushCompress::Sync);
    (c.total_out() - before) as usize - 4
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let ts = TestServer::start().await;
    let mut viewer = ts.client().await;
    viewer.join(ts.show).await;
    let mut host = ts.host().await;
    let deal = host.launch_deal(1, 990, 1_000_000, 1_000_000).await;
    let mut buyer = ts.resident("买家").await;
    let mut states: Vec<String> = Vec::with_capacity(STATES);
    let mut key = 0;
    while states.len() < STATES {
        key += 1;
        buyer.order(deal.id, 1, &format!("deflate-{key}")).await;
        // The state after this purchase, as the server sent it.
        let room = viewer
            .recv_until(|m| matches!(m, ServerMsg::Room { .. }).then(|| m.clone()))
            .await;
        states.push(serde_json::to_string(&room)?);
    }
    let raw: usize = states.iter().map(String::len).sum();

    let mut out = Vec::new();
    // Shared: a fresh compressor per state (as one without context takeover behaves).
    let mut shared_bytes = 0;
    let started = Instant::now();
    for round in 0..ROUNDS {
        for s in &states {
            let mut c = Compress::new(Compression::new(6), false);
            let n = deflate(&mut c, s.as_bytes(), &mut out);
            if round == 0 {
                shared_bytes += n;
            }
        }
    }
    let shared_us = started.elapsed().as_secs_f64() * 1e6 / (ROUNDS * STATES) as f64;

    // Per viewer: one compressor through the whole stream of states.
    let mut viewer_bytes = 0;
    let started = Instant::now();
    for round in 0..ROUNDS {
        let mut c = Compress::new(Compression::new(6), false);
        for s in &states {
            let n = deflate(&mut c, s.as_bytes(), &mut out);
            if round == 0 {
                viewer_bytes += n;
            }
        }
    }
    let viewer_us = started.elapsed().as_secs_f64() * 1e6 / (ROUNDS * STATES) as f64;

    let per = |total: usize| total as f64 / STATES as f64;
    println!(
        "{}",
        serde_json::json!({
            "states": STATES,
            "raw_bytes": per(raw).round(),
            "shared_bytes": per(shared_bytes).round(),
            "shared_us": (shared_us * 10.0).round() / 10.0,
            "per_viewer_bytes": per(viewer_bytes).round(),
            "per_viewer_us": (viewer_us * 10.0).round() / 10.0,
            // zlib's deflate state at its defaults (windowBits 15, memLevel 8), per compressor:
            // 2^(15+2) + 2^(8+9) bytes (zconf.h).
            "per_viewer_state_kib": ((1u64 << 17) + (1u64 << 17)) / 1024,
        })
    );
    Ok(())
}
