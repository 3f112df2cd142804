//! The restart run of the fan-out load: the server restarted under connected viewers, which come
//! back as the widget does, and how soon each has the room's state again.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mulin_shared::ClientMsg;
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, watch};

use super::{CONNECT_AT_ONCE, IDLE_PAUSE, SETTLE, Shards, Wire};

/// The summary line of a restart run.
#[derive(Debug, Clone, Serialize)]
pub struct RestartSummary {
    /// Viewers connected when the server was restarted.
    pub viewers: usize,
    /// How long the server took from the stop to listening again.
    pub server_down_ms: u64,
    /// From the stop until a viewer had the room state again (reconnected, rejoined, state read).
    pub current_p50_ms: f64,
    pub current_p99_ms: f64,
    /// Until the last viewer was current again.
    pub all_current_ms: f64,
    /// Viewers not current again within a minute.
    pub failed: usize,
    /// Connection attempts in all (first tries and retries).
    pub attempts: u64,
}

/// Longest a viewer keeps trying to come back after the restart.
const COME_BACK_WITHIN: Duration = Duration::from_secs(60);

/// Restarts the server under `viewers` connected viewers, which come back as the widget does
/// (jittered exponential backoff, then `join` with the last `seq` they saw), and measures how soon
/// each has the room's state again. Returns the summary and the restarted server.
pub async fn restart(
    server: crate::process::ServerProcess,
    db: &Path,
    viewers: usize,
) -> Result<(RestartSummary, crate::process::ServerProcess), String> {
    let url = server.ws_url();
    let show = server.show;
    let bind = server.addr.to_string();
    let shards = Shards::start()?;
    let (stopped_tx, stopped_rx) = watch::channel(None::<Instant>);
    let gate = Arc::new(Semaphore::new(CONNECT_AT_ONCE));
    let (joined_tx, mut joined_rx) = tokio::sync::mpsc::channel::<Result<(), String>>(1024);
    // Per viewer: how long until it had the state again (none: never), and its connection attempts.
    type CameBack = Result<(Option<Duration>, u64), String>;
    let mut tasks: Vec<tokio::task::JoinHandle<CameBack>> = Vec::with_capacity(viewers);
    for i in 0..viewers {
        let (url, gate, joined_tx, mut stopped_rx) = (
            url.clone(),
            gate.clone(),
            joined_tx.clone(),
            stopped_rx.clone(),
        );
        tasks.push(shards.handles[i % shards.handles.len()].spawn(async move {
            let permit = gate.acquire_owned().await.map_err(|e| e.to_string());
            let opened = async {
                let mut wire = Wire::open(&url, SETTLE).await?;
                wire.send(&ClientMsg::Join {
                    show,
                    since: None,
                    catalogue: None,
                })
                .await?;
                let seq = room_seq(&mut wire).await?;
                Ok::<_, String>((wire, seq))
            }
            .await;
            drop(permit);
            let _ = joined_tx
                .send(opened.as_ref().map(|_| ()).map_err(Clone::clone))
                .await;
            drop(joined_tx);
            let (mut wire, mut seq) = opened?;
            // Read (and keep the last seq) until the server goes away.
            while let Ok(text) = wire.next_text().await {
                if let Some(s) = seq_of(text.as_str()) {
                    seq = s;
                }
            }
            drop(wire);
            let stopped = stopped_rx
                .wait_for(Option::is_some)
                .await
                .map_err(|e| e.to_string())?
                .unwrap_or_else(Instant::now);
            let mut attempts = 0u64;
            let mut ceiling = 1_000.0_f64;
            while stopped.elapsed() < COME_BACK_WITHIN {
                // As the widget: a random wait between 0.5 s and a ceiling that doubles, at most 10 s.
                let wait = 500.0_f64.max(rand::random::<f64>() * ceiling);
                ceiling = (ceiling * 2.0).min(10_000.0);
                tokio::time::sleep(Duration::from_millis(wait as u64)).await;
                attempts += 1;
                let back = async {
                    let mut wire = Wire::open(&url, SETTLE).await?;
                    wire.send(&ClientMsg::Join {
                        show,
                        since: Some(seq),
                        catalogue: None,
                    })
                    .await?;
                    room_seq(&mut wire).await
                }
                .await;
                if back.is_ok() {
                    return Ok((Some(stopped.elapsed()), attempts));
                }
            }
            Ok((None, attempts))
        }));
    }
    drop(joined_tx);
    for _ in 0..viewers {
        joined_rx
            .recv()
            .await
            .ok_or("a viewer vanished before joining")??;
    }
    tokio::time::sleep(IDLE_PAUSE).await;
    let stopped = Instant::now();
    let _ = stopped_tx.send(Some(stopped));
    server.stop().await;
    let server = crate::process::ServerProcess::start_at(db, 4096, &bind).await?;
    let server_down_ms = stopped.elapsed().as_millis() as u64;
    let mut times = Vec::with_capacity(viewers);
    let (mut failed, mut attempts) = (0, 0);
    for task in tasks {
        let (came_back, tries) = task.await.map_err(|e| e.to_string())??;
        attempts += tries;
        match came_back {
            Some(t) => times.push(t.as_secs_f64() * 1000.0),
            None => failed += 1,
        }
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| -> f64 {
        if times.is_empty() {
            return 0.0;
        }
        let i = ((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1;
        times[i].round()
    };
    Ok((
        RestartSummary {
            viewers,
            server_down_ms,
            current_p50_ms: pct(0.50),
            current_p99_ms: pct(0.99),
            all_current_ms: times.last().copied().unwrap_or(0.0).round(),
            failed,
            attempts,
        },
        server,
    ))
}

/// Reads until a `room` frame and returns its `seq`.
async fn room_seq(wire: &mut Wire) -> Result<u64, String> {
    let wait = tokio::time::sleep(SETTLE);
    tokio::pin!(wait);
    loop {
        tokio::select! {
            text = wire.next_text() => {
                if let Some(seq) = seq_of(text?.as_str()) {
                    return Ok(seq);
                }
            }
            () = &mut wait => return Err("no room state in time".into()),
        }
    }
}

/// The `seq` of a `room` frame.
fn seq_of(text: &str) -> Option<u64> {
    #[derive(Deserialize)]
    struct Seq {
        #[serde(rename = "type")]
        kind: String,
        seq: u64,
    }
    if !text.starts_with(r#"{"type":"room""#) {
        return None;
    }
    serde_json::from_str::<Seq>(text)
        .ok()
        .filter(|s| s.kind == "room")
        .map(|s| s.seq)
}
