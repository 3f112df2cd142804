//! Publishing the room's state: building and versioning it when a push is due (at most every
//! [`PUSH_INTERVAL`](super::PUSH_INTERVAL), the viewer count every [`COUNT_INTERVAL`](super::COUNT_INTERVAL)), handing it to the viewers shard by
//! shard, and the publisher task that pushes changes which were not due when they happened.

use std::sync::{Arc, MutexGuard, Weak};

use mulin_shared::{RoomState, ServerMsg};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use super::{Change, Room, Screen, Screens};
use crate::live::Snapshot;
use crate::now_ms;

impl Room {
    /// Marks the state changed and publishes it now if the last push is at least [`PUSH_INTERVAL`](super::PUSH_INTERVAL)
    /// old; otherwise the publisher does when the interval has passed.
    pub(super) fn changed(&self) {
        if let Some(snapshot) = self.prepare_change() {
            self.release(snapshot);
        }
    }

    /// Marks the viewer count changed: pushed with the next change, or by itself within
    /// [`COUNT_INTERVAL`](super::COUNT_INTERVAL).
    pub(super) fn count_changed(&self) {
        match self.prepare(Change::Count, false) {
            Some(snapshot) => self.release(snapshot),
            None => self.dirty.notify_one(),
        }
    }

    /// Marks the state changed and prepares it if a push is due; otherwise leaves it to the
    /// publisher.
    pub(super) fn prepare_change(&self) -> Option<Snapshot> {
        let snapshot = self.prepare(Change::State, false);
        if snapshot.is_none() {
            self.dirty.notify_one();
        }
        snapshot
    }

    /// Publishes the state if anything changed (`change` says what just did) and, unless `now`,
    /// only if a push is due; whether it did.
    pub(super) fn publish(&self, change: Change, now: bool) -> bool {
        self.prepare(change, now)
            .map(|snapshot| self.release(snapshot))
            .is_some()
    }

    /// Builds and versions the next state if anything changed (`change` says what just did) and,
    /// unless `now`, only if a push is due. Viewers see it once it is [released](Room::release).
    pub(super) fn prepare(&self, change: Change, now: bool) -> Option<Snapshot> {
        let mut inner = self.lock();
        match change {
            Change::Nothing => {}
            Change::Count => inner.count_dirty = true,
            Change::State => inner.dirty = true,
        }
        let due = inner.due()?;
        if !now && Instant::now() < due {
            return None;
        }
        inner.dirty = false;
        inner.count_dirty = false;
        inner.published_at = Instant::now();
        inner.version += 1;
        let state = RoomState {
            show: self.show,
            version: inner.version,
            seq: inner.seq,
            deals: inner.deals.values().rev().cloned().collect(),
            pinned: inner.pinned,
            viewers: inner.viewers,
            bag: inner.bag.clone(),
            catalogue: inner.catalogue.version,
            server_time: now_ms(),
        };
        let snapshot = Snapshot {
            show: self.show,
            version: inner.version,
            catalogue: inner.catalogue.version,
            frame: ServerMsg::Room(state).to_json().into(),
        };
        Some(snapshot)
    }

    /// Hands a prepared state to the viewers, unless a newer one went out meanwhile (it contains
    /// this one's changes, since versions are assigned under the lock): versions only move forward.
    pub(super) fn release(&self, snapshot: Snapshot) {
        advance(&self.newest, snapshot);
    }
}

/// Replaces `channel`'s state with `snapshot` if that is newer; versions only move forward.
pub(super) fn advance(channel: &watch::Sender<Snapshot>, snapshot: Snapshot) -> bool {
    channel.send_if_modified(|current| {
        let newer = snapshot.version > current.version;
        if newer {
            *current = snapshot;
        }
        newer
    })
}

/// Hands each new state to one shard's viewers. A state published while this runs is picked up by
/// the next round (`changed` sees it), and a viewer that missed one (its socket was busy) is sent
/// the newest by its own writer. Ends when the room is dropped.
pub(super) async fn deliver(
    mut newest: watch::Receiver<Snapshot>,
    screens: Arc<[Screens]>,
    shard: usize,
) {
    while newest.changed().await.is_ok() {
        let snapshot = newest.borrow_and_update().clone();
        // Offered outside the lock: viewers joining this shard meanwhile do not wait for the writes.
        let viewers = lock_screens(&screens[shard]).clone();
        let gone: Vec<usize> = (viewers.iter().enumerate())
            .filter(|(_, viewer)| !viewer.upgrade().is_some_and(|v| v.offer(&snapshot)))
            .map(|(i, _)| i)
            .collect();
        if !gone.is_empty() {
            // Forget closed connections and those now following another show. Only this task
            // removes from the list and others only append, so the indexes still hold; going
            // from the highest down, a swapped-in last entry is never one still to remove.
            let mut list = lock_screens(&screens[shard]);
            for i in gone.into_iter().rev() {
                list.swap_remove(i);
            }
        }
        // Outside the cooperative budget (see where this task is spawned), a round never makes
        // the task give way by itself: states published back to back must not hold its thread.
        tokio::task::yield_now().await;
    }
}

pub(super) fn lock_screens(screens: &Screens) -> MutexGuard<'_, Vec<Weak<dyn Screen>>> {
    // The list is only pushed to and filtered: it stays whole even if a holder panicked.
    screens.lock().unwrap_or_else(|e| e.into_inner())
}

/// Publishes changes that were not due when they happened, once they are ([`PUSH_INTERVAL`](super::PUSH_INTERVAL) or
/// [`COUNT_INTERVAL`](super::COUNT_INTERVAL) after the last push). Every change that it did not publish itself leaves a
/// permit on `dirty`, which makes this look again: a stock change while it waits for a count's
/// due time brings that time forward.
pub(super) async fn publisher(room: Weak<Room>, dirty: Arc<Notify>) {
    loop {
        let Some(due) = room.upgrade().map(|r| r.lock().due()) else {
            return;
        };
        match due {
            None => dirty.notified().await,
            Some(due) if Instant::now() < due => {
                tokio::select! {
                    () = tokio::time::sleep_until(due) => {}
                    () = dirty.notified() => {}
                }
            }
            Some(_) => {
                let Some(room) = room.upgrade() else { return };
                room.publish(Change::Nothing, false);
            }
        }
    }
}
