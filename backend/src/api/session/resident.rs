//! What residents ask for: buying, cancelling, and entering lucky bags.

use mulin_shared::ErrorCode;

use super::Session;
use crate::auth::permissions::{self, Action};
use crate::live::{AnswerTo, Buyer, Canceller};
use mulin_shared::ServerMsg;

impl Session {
    /// The signed-in resident, if they may do `action` (see [`permissions`]); otherwise an error
    /// frame: `forbidden` (signed in as staff) or `not signed in`, each with its message.
    pub(super) async fn resident_or_refuse(
        &self,
        key: Option<&str>,
        action: Action,
        forbidden: &str,
        not_signed_in: &str,
    ) -> Option<Buyer> {
        let refused = match permissions::resident(self.principal.as_deref(), action) {
            Ok(resident) => {
                let nickname = self
                    .principal
                    .as_ref()
                    .map(|p| p.nickname.clone())
                    .unwrap_or_default();
                return Some(Buyer {
                    resident,
                    nickname,
                    placed_by: None,
                });
            }
            Err(refused) => refused,
        };
        let message = match refused {
            permissions::Refused::Forbidden => forbidden,
            permissions::Refused::NotSignedIn => not_signed_in,
        };
        self.send(&ServerMsg::error_for(
            key.map(str::to_owned),
            refused.code(),
            message,
        ))
        .await;
        None
    }

    /// Whether `resident` is muted in `community` now; if so (or if that cannot be told), they are
    /// sent why, with `key`.
    async fn refused_as_muted(
        &self,
        key: Option<&str>,
        community: mulin_shared::CommunityId,
        resident: mulin_shared::ResidentId,
    ) -> bool {
        match self
            .state
            .live
            .muted(community, resident, crate::now_ms())
            .await
        {
            Ok(None) => false,
            Ok(Some(mute)) => {
                // The message is the staff's reason alone: the widget puts it in its own words.
                self.send(&ServerMsg::error_for(
                    key.map(str::to_owned),
                    ErrorCode::Muted,
                    &mute.reason,
                ))
                .await;
                true
            }
            Err(e) => {
                self.live_error_for(key.map(str::to_owned), e).await;
                true
            }
        }
    }

    pub(super) async fn enter_bag(&self, bag: i64) {
        let Some(Buyer { resident, .. }) = self
            .resident_or_refuse(
                None,
                Action::EnterBag,
                "only residents can enter a lucky bag",
                "sign in before entering",
            )
            .await
        else {
            return;
        };
        let Some(room) = self.joined().await else {
            return;
        };
        if self
            .refused_as_muted(None, room.community(), resident)
            .await
        {
            return;
        }
        match room.enter_bag(bag, resident).await {
            Ok(()) => self.send(&ServerMsg::BagEntered { bag }).await,
            Err(e) => self.live_error(e).await,
        }
    }

    pub(super) async fn cancel_order(&self, order: i64, reason: Option<String>) {
        let Some(principal) = &self.principal else {
            return self
                .error(ErrorCode::NotSignedIn, "sign in before cancelling")
                .await;
        };
        let Some(room) = self.joined().await else {
            return;
        };
        let by = if principal.may(Action::CancelAnyOrder, room.scope()) {
            Canceller::Staff(principal.actor())
        } else if let Some(resident) = principal
            .resident
            .filter(|_| principal.may(Action::CancelOwnOrder, room.scope()))
        {
            Canceller::Resident(resident)
        } else {
            return self
                .error(
                    ErrorCode::Forbidden,
                    "only the buyer or the show's staff may cancel",
                )
                .await;
        };
        match room.cancel_order(order, by, reason).await {
            Ok(order) => {
                let order = room.sealed(order);
                self.send(&ServerMsg::OrderCancelled { order }).await
            }
            Err(e) => self.live_error(e).await,
        }
    }

    pub(super) async fn place_order(&self, deal: i64, qty: i64, pickup: i64, key: String) {
        let Some(buyer) = self
            .resident_or_refuse(
                Some(&key),
                Action::Buy,
                "only residents can buy; sign in as a resident",
                "sign in before ordering",
            )
            .await
        else {
            return;
        };
        let Some(room) = self.room.clone() else {
            let refusal =
                ServerMsg::error_for(Some(key), ErrorCode::NotJoined, "join the show first");
            return self.send(&refusal).await;
        };
        if self
            .refused_as_muted(Some(&key), room.community(), buyer.resident)
            .await
        {
            return;
        }
        // Waiting here for a free slot stops reading this socket: a flood pushes back on its sender.
        let Ok(slot) = self.slots.clone().acquire_owned().await else {
            return;
        };
        let reply = AnswerTo::new(self.answer_to.clone(), slot);
        // Refusals before the desk (a bad quantity or key, an unknown deal) name the purchase too.
        let kept = key.clone();
        if let Err(e) = room
            .submit_order(buyer, deal, qty, pickup, key, reply)
            .await
        {
            self.live_error_for(Some(kept), e).await;
        }
    }
}
