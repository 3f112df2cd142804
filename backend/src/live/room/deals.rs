//! The host's hand on the room's deals: launch now or at a set time, pin, extend, restock, end.
//! Stock and closing time belong to each deal's desk, so changes to them go through it; what
//! residents see first (the pin) belongs to the room.

use std::time::Duration;

use mulin_shared::{Deal, DealId, DealStatus, RoomEvent, UtcMillis};

use super::{Change, DealSpec, MAX_DEAL_MS, MAX_PRICE, MAX_UNITS, Room, ended};
use crate::live::LiveError;
use crate::live::desk::DeskCmd;
use crate::now_ms;
use crate::store::{Actor, NewDeal};

impl Room {
    /// Opens a new deal now (and pins it) or at its start time, and starts its desk.
    pub async fn launch_deal(&self, spec: DealSpec, by: &Actor) -> Result<Deal, LiveError> {
        let now = now_ms();
        self.refuse_if_closed()?;
        if !self.lock().catalogue.has_product(spec.product) {
            return Err(LiveError::UnknownProduct(spec.product));
        }
        if !(0..=MAX_PRICE).contains(&spec.price) {
            return Err(LiveError::InvalidDeal(format!(
                "price must be 0–{MAX_PRICE} fen"
            )));
        }
        if !(1..=MAX_UNITS).contains(&spec.stock) {
            return Err(LiveError::InvalidDeal(format!(
                "stock must be 1–{MAX_UNITS} units"
            )));
        }
        if !(1..=spec.stock).contains(&spec.per_resident_limit) {
            return Err(LiveError::InvalidDeal(
                "the per-resident limit must be between 1 and the stock".into(),
            ));
        }
        let starts_at = spec.starts_at.filter(|&t| t > now).unwrap_or(now);
        if starts_at > now + MAX_DEAL_MS {
            return Err(LiveError::InvalidDeal(
                "a deal can be scheduled at most 7 days ahead".into(),
            ));
        }
        if spec.ends_at <= starts_at || spec.ends_at > starts_at + MAX_DEAL_MS {
            return Err(LiveError::InvalidDeal(
                "the end time must be after the start, and within 7 days of it".into(),
            ));
        }
        let deal = self
            .store
            .insert_deal(
                &NewDeal {
                    show: self.show,
                    product: spec.product,
                    price: spec.price,
                    stock: spec.stock,
                    per_resident_limit: spec.per_resident_limit,
                    starts_at,
                    ends_at: spec.ends_at,
                },
                Some(by),
            )
            .await?;
        self.open_desk(deal.clone()).await?;
        if starts_at == now {
            self.remember_pin(Some(deal.id), None).await;
        } else {
            self.at_start(&deal);
        }
        self.emit(&deal, |deal| RoomEvent::DealLaunched { deal });
        Ok(deal)
    }

    /// Pins a deal that has not ended (on sale or coming up), or none.
    pub async fn pin_deal(
        &self,
        deal: Option<DealId>,
        by: &Actor,
    ) -> Result<Option<DealId>, LiveError> {
        if let Some(id) = deal {
            let now = now_ms();
            match self.lock().deals.get(&id) {
                None => return Err(LiveError::UnknownDeal(id)),
                Some(d) if ended(d, now) => {
                    return Err(LiveError::InvalidDeal(format!(
                        "deal {id} has ended; pin one on sale or coming up"
                    )));
                }
                Some(_) => {}
            }
        }
        self.remember_pin(deal, Some(by)).await;
        self.publish(Change::State, true);
        Ok(deal)
    }

    /// Pins `deal` in the room and in the store, in turn with other host changes so both agree on
    /// the last one. A store failure is logged: the pin holds until a restart, which is better than
    /// refusing the host.
    async fn remember_pin(&self, deal: Option<DealId>, by: Option<&Actor>) {
        let _turn = self.host_gate.lock().await;
        if let Err(e) = self.store.set_pinned_deal(self.show, deal, by).await {
            tracing::error!(show = self.show, error = %e, "pin not stored");
        }
        self.lock().pinned = deal;
    }

    /// Gives a deal that has not ended a later closing time, through its desk.
    pub async fn extend_deal(
        &self,
        deal: DealId,
        ends_at: UtcMillis,
        by: &Actor,
    ) -> Result<Deal, LiveError> {
        let by = by.clone();
        self.ask(deal, |reply| DeskCmd::Extend { ends_at, by, reply })
            .await
    }

    /// Adds units to a live deal through its desk (which owns the stock, so it checks the amount),
    /// after the orders queued before.
    pub async fn restock(&self, deal: DealId, units: i64, by: &Actor) -> Result<Deal, LiveError> {
        let by = by.clone();
        self.ask(deal, |reply| DeskCmd::Restock { units, by, reply })
            .await
    }

    /// Closes a deal through its desk, so orders queued before the close are still decided.
    pub async fn end_deal(&self, deal: DealId, by: &Actor) -> Result<Deal, LiveError> {
        let by = by.clone();
        self.ask(deal, |reply| DeskCmd::End { by, reply }).await
    }

    /// After the show ended or was cancelled: every deal not ended yet ends (through its desk,
    /// so orders queued before are still decided), logged as `by`'s.
    pub async fn end_all_deals(&self, by: &Actor) {
        let now = now_ms();
        let open: Vec<DealId> = self
            .lock()
            .deals
            .values()
            .filter(|d| !ended(d, now))
            .map(|d| d.id)
            .collect();
        for deal in open {
            if let Err(e) = self.end_deal(deal, by).await {
                tracing::error!(show = self.show, deal, error = %e, "deal not ended with its show");
            }
        }
    }

    /// After the show ended or was cancelled: its deals end and its open bag is drawn.
    pub async fn close(&self, by: &Actor) {
        self.end_all_deals(by).await;
        self.close_open_bag(by).await;
    }

    /// Refuses a change to a show that ended or was cancelled.
    pub(super) fn refuse_if_closed(&self) -> Result<(), LiveError> {
        let status = self.lock().catalogue.show().status;
        if status.is_open() {
            Ok(())
        } else {
            Err(LiveError::ShowClosed(self.show))
        }
    }

    /// When a scheduled deal opens, it is pinned unless the pinned deal is still on sale, and
    /// every viewer gets a fresh state.
    pub(super) fn at_start(&self, deal: &Deal) {
        let (id, starts_at) = (deal.id, deal.starts_at);
        let room = self.me.clone();
        tokio::spawn(async move {
            let wait = (starts_at - now_ms()).max(0) as u64;
            tokio::time::sleep(Duration::from_millis(wait)).await;
            let Some(room) = room.upgrade() else { return };
            let now = now_ms();
            let take_pin = {
                let inner = room.lock();
                let opened = inner
                    .deals
                    .get(&id)
                    .is_some_and(|d| d.status == DealStatus::Live && d.is_open_at(now));
                let pinned_on_sale = inner
                    .pinned
                    .and_then(|p| inner.deals.get(&p))
                    .is_some_and(|d| d.is_open_at(now) && d.remaining() > 0);
                opened && !pinned_on_sale
            };
            if take_pin {
                room.remember_pin(Some(id), None).await;
            }
            room.publish(Change::State, true);
        });
    }
}
