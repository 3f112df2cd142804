//! The connection's watchman: heartbeat pings, closing a silent connection, and closing every
//! connection when the server shuts down.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior, interval};

use super::writer::Outgoing;
use super::{IDLE_TIMEOUT, PING_EVERY};

/// When the reader last heard the client, for the watchman to judge idleness.
pub(super) struct Heard {
    since: Instant,
    /// Milliseconds after `since`.
    at: AtomicU64,
}

impl Heard {
    pub(super) fn new() -> Heard {
        Heard {
            since: Instant::now(),
            at: AtomicU64::new(0),
        }
    }

    pub(super) fn now(&self) {
        self.at
            .store(self.since.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    pub(super) fn silent_for(&self) -> Duration {
        self.since
            .elapsed()
            .saturating_sub(Duration::from_millis(self.at.load(Ordering::Relaxed)))
    }
}

/// Aborts a helper task when the connection it serves ends.
pub(super) struct AbortOnDrop(pub(super) tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Pings every [`PING_EVERY`], closes a connection silent for [`IDLE_TIMEOUT`], and closes every
/// connection when the server shuts down.
pub(super) async fn watchman(
    out: mpsc::Sender<Outgoing>,
    heard: Arc<Heard>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut heartbeat = interval(PING_EVERY);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    heartbeat.reset();
    loop {
        let next = tokio::select! {
            _ = shutdown.wait_for(|down| *down) => Outgoing::Close,
            _ = heartbeat.tick() => if heard.silent_for() >= IDLE_TIMEOUT {
                Outgoing::Close
            } else {
                Outgoing::Ping
            },
        };
        let last = matches!(next, Outgoing::Close);
        if out.send(next).await.is_err() || last {
            return;
        }
    }
}

/// Ends the connection of staff person `staff` when they or one of their roles are revoked: an
/// `Error` frame with `session_revoked`, then a close frame (4001). A revocation missed because
/// many came at once ends the connection too: it may have been this person's.
pub(super) async fn end_on_revocation(
    mut revocations: tokio::sync::broadcast::Receiver<mulin_shared::StaffId>,
    staff: mulin_shared::StaffId,
    out: mpsc::Sender<Outgoing>,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        match revocations.recv().await {
            Ok(id) if id != staff => continue,
            Ok(_) | Err(RecvError::Lagged(_)) => break,
            Err(RecvError::Closed) => return,
        }
    }
    let revoked = mulin_shared::ServerMsg::Error {
        code: mulin_shared::ErrorCode::SessionRevoked,
        message: "your access was changed or revoked by a manager; sign in again".into(),
        key: None,
    };
    let _ = out.send(Outgoing::Frame(revoked.to_json().into())).await;
    let _ = out.send(Outgoing::Refuse(4001, "session revoked")).await;
}
