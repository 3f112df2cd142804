//! The host's actions: deals, lucky bags and a product added during the show; and the managers'
//! changes to the catalogue over the socket. Everyone else is refused before anything happens.

use std::sync::Arc;

use mulin_shared::{ClientMsg, ErrorCode, ServerMsg};

use super::writer::Outgoing;
use super::{Session, frame};
use crate::auth::permissions::Action;
use crate::live::{BagSpec, DealSpec, LiveError, Room};
use crate::store::Actor;

impl Session {
    /// Acts on a host's message (any other message is handled in `Session::handle`).
    pub(super) async fn host_action(&self, msg: ClientMsg) {
        match msg {
            ClientMsg::LaunchDeal {
                product,
                price,
                stock,
                per_resident_limit,
                starts_at,
                ends_at,
            } => {
                let spec = DealSpec {
                    product,
                    price,
                    stock,
                    per_resident_limit,
                    starts_at,
                    ends_at,
                };
                Box::pin(self.host(
                    |room, by| async move { room.launch_deal(spec, &by).await },
                    |deal| ServerMsg::DealLaunched { deal },
                ))
                .await
            }
            ClientMsg::Restock { deal, units } => {
                Box::pin(self.host(
                    |room, by| async move { room.restock(deal, units, &by).await },
                    |deal| ServerMsg::DealRestocked { deal },
                ))
                .await
            }
            // Every viewer also receives a `deal_ended` event (once: ending twice ends once).
            ClientMsg::EndDeal { deal } => {
                Box::pin(self.host(
                    |room, by| async move { room.end_deal(deal, &by).await },
                    |deal| ServerMsg::DealUpdated { deal },
                ))
                .await
            }
            ClientMsg::PinDeal { deal } => {
                Box::pin(self.host(
                    |room, by| async move { room.pin_deal(deal, &by).await },
                    |deal| ServerMsg::DealPinned { deal },
                ))
                .await
            }
            ClientMsg::ExtendDeal { deal, ends_at } => {
                Box::pin(self.host(
                    |room, by| async move { room.extend_deal(deal, ends_at, &by).await },
                    |deal| ServerMsg::DealUpdated { deal },
                ))
                .await
            }
            // A host adds a product during the show; changing the catalogue is the managers' work.
            ClientMsg::SaveProduct { product } => {
                let may: &[Action] = if product.id == 0 {
                    &[Action::RunShow, Action::ManageCatalogue]
                } else {
                    &[Action::ManageCatalogue]
                };
                Box::pin(self.catalogue(
                    may,
                    |room, by| async move { room.save_product(&product, &by).await },
                    |product| ServerMsg::ProductSaved { product },
                ))
                .await
            }
            ClientMsg::RemoveProduct { product } => {
                Box::pin(self.catalogue(
                    &[Action::ManageCatalogue],
                    |room, by| async move { room.remove_product(product, &by).await },
                    |()| ServerMsg::ProductRemoved { product },
                ))
                .await
            }
            ClientMsg::SavePickup { pickup } => {
                Box::pin(self.catalogue(
                    &[Action::ManageCatalogue],
                    |room, by| async move { room.save_pickup(&pickup, &by).await },
                    |pickup| ServerMsg::PickupSaved { pickup },
                ))
                .await
            }
            ClientMsg::RemovePickup { pickup } => {
                Box::pin(self.catalogue(
                    &[Action::ManageCatalogue],
                    |room, by| async move { room.remove_pickup(pickup, &by).await },
                    |()| ServerMsg::PickupRemoved { pickup },
                ))
                .await
            }
            ClientMsg::OpenBag {
                prize,
                winners,
                closes_at,
                eligibility,
                pickup,
            } => {
                let spec = BagSpec {
                    prize,
                    winners,
                    closes_at,
                    eligibility,
                    pickup,
                };
                Box::pin(self.host(
                    |room, by| async move { room.open_bag(spec, &by).await },
                    |bag| ServerMsg::BagOpened { bag },
                ))
                .await
            }
            // Every viewer also receives the `bag_drawn` event (once: closing twice draws once).
            ClientMsg::CloseBag { bag } => {
                Box::pin(self.host(
                    |room, by| async move { room.close_bag(bag, &by).await },
                    |bag| ServerMsg::BagDrawn { bag },
                ))
                .await
            }
            // Everyone's messages are handled in `Session::handle`.
            ClientMsg::Join { .. }
            | ClientMsg::SignIn { .. }
            | ClientMsg::Resume { .. }
            | ClientMsg::SignOut
            | ClientMsg::Rename { .. }
            | ClientMsg::PlaceOrder { .. }
            | ClientMsg::CancelOrder { .. }
            | ClientMsg::EnterBag { .. }
            | ClientMsg::Ping { .. } => {}
        }
    }

    /// Runs a host action on the joined room and sends its answer (if it has one of its own), or
    /// why it was not done. Everyone but the show's host is refused before anything happens.
    /// A request key makes the action happen once: the same key again gets the first answer.
    async fn host<T, F>(
        &self,
        act: impl FnOnce(Arc<Room>, Actor) -> F,
        answer: impl FnOnce(T) -> ServerMsg,
    ) where
        F: Future<Output = Result<T, LiveError>>,
    {
        self.run(&[Action::RunShow], act, answer).await
    }

    /// [`Session::host`] for an action one of `may` allows.
    async fn run<T, F>(
        &self,
        may: &[Action],
        act: impl FnOnce(Arc<Room>, Actor) -> F,
        answer: impl FnOnce(T) -> ServerMsg,
    ) where
        F: Future<Output = Result<T, LiveError>>,
    {
        let Some((room, by)) = self.room_for(may).await else {
            return;
        };
        let acting = room.clone();
        let done = room
            .once(self.request_key.as_deref(), || async move {
                act(acting, by).await.map(|t| frame(&answer(t)))
            })
            .await;
        match done {
            Ok(answer) => {
                let _ = self.out.send(Outgoing::Frame(answer)).await;
            }
            Err(e) => self.live_error(e).await,
        }
    }

    /// A change to the catalogue (which one of `may` allows), done as [`Session::host`] does any host
    /// action; then the community's other open rooms on this node read it again (the shows of a
    /// community share it).
    async fn catalogue<T, F>(
        &self,
        may: &[Action],
        act: impl FnOnce(Arc<Room>, Actor) -> F,
        answer: impl FnOnce(T) -> ServerMsg,
    ) where
        F: Future<Output = Result<T, LiveError>>,
    {
        let live = self.state.live.clone();
        self.run(
            may,
            |room, by| async move {
                let done = act(room.clone(), by).await?;
                live.share_catalogue(room.community(), Some(room.show()))
                    .await;
                Ok(done)
            },
            answer,
        )
        .await
    }

    /// The joined room and who acts in it, if the signed-in person may do one of `may` there
    /// (host it, or keep its community's catalogue); otherwise answers with the reason.
    async fn room_for(&self, may: &[Action]) -> Option<(Arc<Room>, Actor)> {
        let Some(principal) = &self.principal else {
            self.error(ErrorCode::NotSignedIn, "sign in with a host token first")
                .await;
            return None;
        };
        let room = self.joined().await?;
        if !may
            .iter()
            .any(|&action| principal.may(action, room.scope()))
        {
            let why = if may == [Action::ManageCatalogue] {
                "only the community's managers change its catalogue"
            } else {
                "only the show's host may do this"
            };
            self.error(ErrorCode::Forbidden, why).await;
            return None;
        }
        Some((room, principal.actor()))
    }
}
