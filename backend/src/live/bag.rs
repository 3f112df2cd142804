//! The lucky bag's counter: one task per open bag owns who has entered, stores every batch of new
//! entries in one transaction (thousands entering in the same second cost a handful of commits),
//! answers each resident only once their entry is stored, and at closing time freezes the list,
//! draws with the shared code, records the result and hands it to the room.

use std::collections::HashSet;
use std::sync::Weak;
use std::time::Duration;

use mulin_shared::lucky_bag::{self, SEED_LEN};
use mulin_shared::{BagPhase, LuckyBag, ResidentId, Winner};
use tokio::sync::{mpsc, oneshot};

use super::LiveError;
use super::room::Room;
use crate::now_ms;
use crate::store::{Actor, DrawnWinner, Store};

/// Entries taken from the queue into one transaction at most.
const MAX_BATCH: usize = 4096;

/// What a bag's task is asked.
pub(super) enum BagCmd {
    /// A resident enters; the reply comes once the entry is stored (at once if it already was).
    Enter {
        resident: ResidentId,
        reply: oneshot::Sender<Result<(), LiveError>>,
    },
    /// Close now and draw; the reply carries the drawn bag.
    Close {
        /// Who closes it early, for the audit log.
        by: Actor,
        reply: oneshot::Sender<Result<LuckyBag, LiveError>>,
    },
}

/// Starts the task of an open bag, with the entries already stored (after a restart).
pub(super) fn start(
    room: Weak<Room>,
    store: Store,
    bag: LuckyBag,
    seed: [u8; SEED_LEN],
    entered: HashSet<ResidentId>,
) -> mpsc::Sender<BagCmd> {
    let (tx, rx) = mpsc::channel(MAX_BATCH);
    tokio::spawn(run(room, store, bag, seed, entered, rx));
    tx
}

async fn run(
    room: Weak<Room>,
    store: Store,
    mut bag: LuckyBag,
    seed: [u8; SEED_LEN],
    mut entered: HashSet<ResidentId>,
    mut rx: mpsc::Receiver<BagCmd>,
) {
    let left = Duration::from_millis(bag.closes_at.saturating_sub(now_ms()).max(0) as u64);
    let closing = tokio::time::sleep(left);
    tokio::pin!(closing);
    let mut asked_to_close = None;
    loop {
        let first = tokio::select! {
            biased;
            cmd = rx.recv() => match cmd {
                Some(cmd) => cmd,
                // The room is gone (shutting down): the bag is drawn when the show loads again.
                None => return,
            },
            () = &mut closing => break,
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(cmd) => batch.push(cmd),
                Err(_) => break,
            }
        }
        let mut fresh = Vec::new();
        let mut waiting = Vec::new();
        for cmd in batch {
            match cmd {
                BagCmd::Enter { resident, reply } if entered.contains(&resident) => {
                    let _ = reply.send(Ok(()));
                }
                BagCmd::Enter { resident, reply } => {
                    if !fresh.contains(&resident) {
                        fresh.push(resident);
                    }
                    waiting.push(reply);
                }
                BagCmd::Close { by, reply } => asked_to_close = Some((by, reply)),
            }
        }
        if !fresh.is_empty() {
            match store.add_bag_entries(bag.id, &fresh, now_ms()).await {
                Ok(()) => {
                    entered.extend(fresh);
                    for reply in waiting {
                        let _ = reply.send(Ok(()));
                    }
                    bag.entrants = entered.len() as u64;
                    if let Some(room) = room.upgrade() {
                        room.bag_entrants(bag.id, bag.entrants);
                    }
                }
                Err(e) => {
                    tracing::error!(bag = bag.id, error = %e, "entries not stored");
                    for reply in waiting {
                        let _ = reply.send(Err(LiveError::batch_failed(&e)));
                    }
                }
            }
        }
        if asked_to_close.is_some() {
            break;
        }
    }
    // Closed: anything still queued is too late.
    rx.close();
    let closed_by = asked_to_close.as_ref().map(|(by, _)| by.clone());
    let drawn = draw(&store, bag, &seed, closed_by.as_ref()).await;
    while let Ok(cmd) = rx.try_recv() {
        match cmd {
            BagCmd::Enter { reply, .. } => {
                let _ = reply.send(Err(LiveError::BagClosed));
            }
            BagCmd::Close { reply, .. } => {
                let _ = reply.send(Err(LiveError::BagClosed));
            }
        }
    }
    match drawn {
        Ok((bag, entries, codes)) => {
            if let Some(room) = room.upgrade() {
                room.bag_drawn(bag.clone(), entries, &codes);
            }
            if let Some((_, reply)) = asked_to_close {
                let _ = reply.send(Ok(bag));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "lucky bag not drawn; it is drawn when the show loads again");
            if let Some((_, reply)) = asked_to_close {
                let _ = reply.send(Err(e));
            }
        }
    }
}

/// Freezes the entry list as stored, draws, and records the result with a claim code per winner.
async fn draw(
    store: &Store,
    mut bag: LuckyBag,
    seed: &[u8; SEED_LEN],
    closed_by: Option<&Actor>,
) -> Result<(LuckyBag, Vec<ResidentId>, Vec<DrawnWinner>), LiveError> {
    let entries = store.bag_entries(bag.id).await?;
    let hash = lucky_bag::entries_hash(&entries);
    let won = lucky_bag::draw(seed, &entries, bag.winners_wanted as usize);
    // Codes are random, and 300 winners of six-digit codes share one about once in 22 draws:
    // drawn again until each winner's is their own, so a clerk can never hand one prize twice.
    let mut taken = std::collections::HashSet::new();
    let winners: Vec<DrawnWinner> = won
        .iter()
        .map(|&resident| DrawnWinner {
            resident,
            claim_code: std::iter::repeat_with(claim_code)
                .find(|code| taken.insert(code.clone()))
                .unwrap_or_default(),
        })
        .collect();
    store
        .record_draw(bag.id, &hash, now_ms(), &winners, closed_by)
        .await?;
    // Names as the store has them, in the order drawn.
    let named = store.bag(bag.id).await?.map(|b| b.bag.winners);
    bag.winners = named.unwrap_or_else(|| {
        won.iter()
            .map(|&resident| Winner {
                resident,
                nickname: String::new(),
            })
            .collect()
    });
    bag.phase = BagPhase::Drawn;
    bag.entrants = entries.len() as u64;
    bag.entries_hash = Some(hash);
    bag.seed = Some(hex::encode(seed));
    Ok((bag, entries, winners))
}

/// A six-digit code a winner shows at the pickup point.
fn claim_code() -> String {
    format!("{:06}", rand::random_range(0..1_000_000u32))
}
