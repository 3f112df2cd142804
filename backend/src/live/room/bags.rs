//! The room's lucky bags: opening one (its seed drawn and committed), entries, closing and the
//! draw, and what a resident won. Each open bag has a task of its own (`live::bag`) that stores
//! entries and draws at the close.

use std::collections::HashSet;

use mulin_shared::lucky_bag;
use mulin_shared::{
    BagId, BagPhase, Eligibility, LuckyBag, PickupId, Prize, ResidentId, RoomEvent, ServerMsg,
    UtcMillis,
};
use tokio::sync::{mpsc, oneshot};

use super::Room;
use crate::live::LiveError;
use crate::live::bag::{self, BagCmd};
use crate::now_ms;
use crate::store::{Actor, DrawnWinner};

/// What a host asks for when opening a lucky bag.
#[derive(Debug, Clone)]
pub struct BagSpec {
    /// What is won.
    pub prize: String,
    /// How many win.
    pub winners: u32,
    /// When entries close.
    pub closes_at: UtcMillis,
    /// Who may enter.
    pub eligibility: Eligibility,
    /// Where winners collect.
    pub pickup: PickupId,
}

/// Shortest and longest time a bag may take entries.
const MIN_BAG_MS: i64 = 10_000;
const MAX_BAG_MS: i64 = 24 * 60 * 60 * 1000;

impl Room {
    /// Opens a lucky bag: draws its secret seed, publishes the commitment, and starts taking entries.
    pub async fn open_bag(&self, spec: BagSpec, by: &Actor) -> Result<LuckyBag, LiveError> {
        let now = now_ms();
        self.refuse_if_closed()?;
        let prize = mulin_shared::sign_in::clean_text(&spec.prize, lucky_bag::MAX_PRIZE_CHARS)
            .ok_or_else(|| {
                LiveError::InvalidBag(format!(
                    "the prize must be 1–{} characters",
                    lucky_bag::MAX_PRIZE_CHARS
                ))
            })?;
        if !(1..=lucky_bag::MAX_WINNERS).contains(&spec.winners) {
            return Err(LiveError::InvalidBag(format!(
                "winners must be 1–{}",
                lucky_bag::MAX_WINNERS
            )));
        }
        if spec.closes_at < now + MIN_BAG_MS || spec.closes_at > now + MAX_BAG_MS {
            return Err(LiveError::InvalidBag(
                "entries must close between 10 seconds and 24 hours from now".into(),
            ));
        }
        if !self.lock().catalogue.has_pickup(spec.pickup) {
            return Err(LiveError::UnknownPickup(spec.pickup));
        }
        if self.lock().bag_task.is_some() {
            return Err(LiveError::BagAlreadyOpen);
        }
        let seed: [u8; lucky_bag::SEED_LEN] = rand::random();
        let mut bag = LuckyBag {
            id: 0,
            show: self.show,
            prize,
            winners_wanted: spec.winners,
            eligibility: spec.eligibility,
            pickup: spec.pickup,
            opened_at: now,
            closes_at: spec.closes_at,
            phase: BagPhase::Open,
            commitment: lucky_bag::commitment(&seed),
            entrants: 0,
            entries_hash: None,
            winners: Vec::new(),
            seed: None,
        };
        bag.id = self.store.insert_bag(&bag, &seed, by).await?;
        let task = bag::start(
            self.me.clone(),
            self.store.clone(),
            bag.clone(),
            seed,
            HashSet::new(),
        );
        self.tally().bag_opened(bag.id, bag.opened_at);
        self.emit_with(|inner| {
            inner.bag = Some(bag.clone());
            inner.bag_task = Some(task);
            RoomEvent::BagOpened { bag: bag.clone() }
        });
        Ok(bag)
    }

    /// Enters `resident` into the open bag; returns once the entry is stored.
    pub async fn enter_bag(&self, bag: BagId, resident: ResidentId) -> Result<(), LiveError> {
        let (task, eligibility) = self.bag_task(bag)?;
        if eligibility == Eligibility::Buyers
            && !self.store.has_ordered(self.show, resident).await?
        {
            return Err(LiveError::NotEligible);
        }
        let (reply, answer) = oneshot::channel();
        task.send(BagCmd::Enter { resident, reply })
            .await
            .map_err(|_| LiveError::BagClosed)?;
        answer.await.map_err(|_| LiveError::BagClosed)?
    }

    /// Closes the open bag now and draws.
    pub async fn close_bag(&self, bag: BagId, by: &Actor) -> Result<LuckyBag, LiveError> {
        let task = match self.bag_task(bag) {
            Ok((task, _)) => task,
            // Closed already (asked twice, or by its time): the drawn bag again, nothing redrawn.
            Err(LiveError::BagClosed | LiveError::UnknownBag(_)) => {
                let (stored, _) = self.bag_record(bag).await?;
                return match stored.phase {
                    BagPhase::Drawn => Ok(stored),
                    BagPhase::Open => Err(LiveError::BagClosed),
                };
            }
            Err(e) => return Err(e),
        };
        let (reply, answer) = oneshot::channel();
        let by = by.clone();
        task.send(BagCmd::Close { by, reply })
            .await
            .map_err(|_| LiveError::BagClosed)?;
        answer.await.map_err(|_| LiveError::BagClosed)?
    }

    /// After the show ended or was cancelled: the open bag, if any, closes and draws now.
    pub(super) async fn close_open_bag(&self, by: &Actor) {
        let open = {
            let inner = self.lock();
            match (&inner.bag, &inner.bag_task) {
                (Some(b), Some(_)) => Some(b.id),
                _ => None,
            }
        };
        if let Some(bag) = open
            && let Err(e) = self.close_bag(bag, by).await
        {
            tracing::error!(show = self.show, bag, error = %e, "bag not drawn with its show");
        }
    }

    /// The open bag's task, if `bag` is this show's bag and still open.
    fn bag_task(&self, bag: BagId) -> Result<(mpsc::Sender<BagCmd>, Eligibility), LiveError> {
        let inner = self.lock();
        match (&inner.bag, &inner.bag_task) {
            (Some(b), Some(task)) if b.id == bag => Ok((task.clone(), b.eligibility)),
            (Some(b), None) if b.id == bag => Err(LiveError::BagClosed),
            _ => Err(LiveError::UnknownBag(bag)),
        }
    }

    /// The show's latest bag, and if drawn, its frozen entry list (for anyone who checks a draw).
    pub async fn bag_record(
        &self,
        bag: BagId,
    ) -> Result<(LuckyBag, Option<Vec<ResidentId>>), LiveError> {
        let stored = self
            .store
            .bag(bag)
            .await?
            .filter(|b| b.bag.show == self.show)
            .ok_or(LiveError::UnknownBag(bag))?;
        let entries = match stored.bag.phase {
            BagPhase::Drawn => Some(self.store.bag_entries(bag).await?),
            BagPhase::Open => None,
        };
        Ok((stored.bag, entries))
    }

    /// The open bag, if `resident` has entered it (so a returning resident sees they are in).
    pub async fn entered_bag(&self, resident: ResidentId) -> Result<Option<BagId>, LiveError> {
        let open = self
            .lock()
            .bag
            .as_ref()
            .filter(|b| b.phase == BagPhase::Open)
            .map(|b| b.id);
        match open {
            Some(bag) if self.store.has_entered(bag, resident).await? => Ok(Some(bag)),
            _ => Ok(None),
        }
    }

    /// A resident's prizes in this show, as `BagWon` frames' contents.
    pub async fn prizes(&self, resident: ResidentId) -> Result<Vec<Prize>, LiveError> {
        Ok(self.store.prizes(self.show, resident).await?)
    }

    /// Called by a bag's task as entries are stored: viewers see the count move (coalesced).
    pub(in crate::live) fn bag_entrants(&self, bag: BagId, entrants: u64) {
        {
            let mut inner = self.lock();
            match inner.bag.as_mut() {
                Some(b) if b.id == bag => b.entrants = entrants,
                _ => return,
            }
        }
        self.changed();
    }

    /// Called by a bag's task after the draw: everyone hears the result with the entry list, and
    /// each winner alone hears how to claim.
    pub(in crate::live) fn bag_drawn(
        &self,
        bag: LuckyBag,
        entries: Vec<ResidentId>,
        codes: &[DrawnWinner],
    ) {
        self.tally().bag_drawn(bag.id, crate::now_ms());
        self.emit_with(|inner| {
            inner.bag = Some(bag.clone());
            inner.bag_task = None;
            RoomEvent::BagDrawn {
                bag: bag.clone(),
                entries,
            }
        });
        for w in codes {
            self.tell_resident(w.resident, || ServerMsg::BagWon {
                bag: bag.id,
                prize: bag.prize.clone(),
                pickup: bag.pickup,
                claim_code: w.claim_code.clone(),
            });
        }
    }
}
