//! Frames for one resident alone: their orders cancelled elsewhere (by staff, or in another tab)
//! and their lucky-bag prizes. Each connection of a signed-in resident that follows the room holds
//! an [`Inbox`]; a frame goes to that resident's inboxes only.
//!
//! A broadcast to every resident's connection, each keeping its own, cost a pass over every viewer
//! per frame, and its backlog of 256 lost frames when a draw named more winners than that at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use mulin_shared::ResidentId;
use tokio::sync::mpsc;

use crate::live::Frame;

/// Frames one connection may have waiting: a resident gets a handful per show. A connection that
/// lets this many pile up unread gets the rest when it joins again (its orders and prizes are sent
/// whole then).
const INBOX: usize = 64;

/// Each resident's connections: an inbox's number and where its frames go.
type Inboxes = HashMap<ResidentId, Vec<(u64, mpsc::Sender<Frame>)>>;

/// Where each signed-in resident's connections in a room are reached.
#[derive(Debug, Default)]
pub(super) struct Residents {
    next: AtomicU64,
    inboxes: Mutex<Inboxes>,
}

impl Residents {
    fn lock(&self) -> MutexGuard<'_, Inboxes> {
        // Every change is a single insert or removal: the map stays whole even if a holder panicked.
        self.inboxes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new inbox for one of `resident`'s connections; it stops receiving when dropped.
    pub(super) fn inbox(self: &Arc<Self>, resident: ResidentId) -> Inbox {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(INBOX);
        self.lock().entry(resident).or_default().push((id, tx));
        Inbox {
            rx,
            id,
            resident,
            residents: self.clone(),
        }
    }

    /// Whether `resident` has a connection here (so building their frame is worth it).
    pub(super) fn listening(&self, resident: ResidentId) -> bool {
        self.lock().contains_key(&resident)
    }

    /// Hands `frame` to every connection of `resident`.
    pub(super) fn tell(&self, resident: ResidentId, frame: Frame) {
        if let Some(inboxes) = self.lock().get(&resident) {
            for (_, tx) in inboxes {
                // A full inbox belongs to a connection that stopped reading: it is sent its orders
                // and prizes whole when it joins again.
                let _ = tx.try_send(frame.clone());
            }
        }
    }
}

/// One connection's frames from a room, for the resident signed in on it.
#[derive(Debug)]
pub struct Inbox {
    rx: mpsc::Receiver<Frame>,
    id: u64,
    resident: ResidentId,
    residents: Arc<Residents>,
}

impl Inbox {
    /// The next frame for this resident.
    pub async fn recv(&mut self) -> Option<Frame> {
        self.rx.recv().await
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        let mut map = self.residents.lock();
        if let Some(list) = map.get_mut(&self.resident) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                map.remove(&self.resident);
            }
        }
    }
}
