//! The show's catalogue in its room: its community's products and pickup points as viewers receive
//! them, and the host's changes to them. Each change is stored first; the room then reads the catalogue back and
//! every viewer is sent the new `ShowInfo` before the next room state.

use std::sync::Arc;

use mulin_shared::catalogue::{check_pickup, check_product};
use mulin_shared::{PickupId, PickupPoint, Product, ProductId, ServerMsg, Show, ShowId};

use super::{Change, Room};
use crate::live::{Frame, LiveError};
use crate::store::{Actor, CatalogueChange, CatalogueOf, Store, StoredCatalogue};

/// The catalogue as the room holds it: the stored lists and their `ShowInfo` frame, made once.
#[derive(Debug)]
pub(super) struct Catalogue {
    pub(super) version: u64,
    about: Show,
    stored: StoredCatalogue,
    pub(super) frame: Frame,
}

impl Catalogue {
    /// Reads the show and its catalogue from the store.
    pub(super) async fn load(store: &Store, show: ShowId) -> Result<Catalogue, LiveError> {
        let stored = store.catalogue(show).await?;
        let about = stored.show.clone().ok_or(LiveError::UnknownShow(show))?;
        let frame = ServerMsg::ShowInfo {
            show: about.clone(),
            catalogue: stored.version,
            products: stored.products.clone(),
            pickup_points: stored.pickup_points.clone(),
        }
        .to_json()
        .into();
        Ok(Catalogue {
            version: stored.version,
            about,
            stored,
            frame,
        })
    }

    /// The show as of this catalogue (its title, status, start and stream).
    pub(super) fn show(&self) -> &Show {
        &self.about
    }

    pub(super) fn has_product(&self, id: ProductId) -> bool {
        self.stored.products.iter().any(|p| p.id == id)
    }

    pub(super) fn has_pickup(&self, id: PickupId) -> bool {
        self.stored.pickup_points.iter().any(|p| p.id == id)
    }
}

impl Room {
    /// Adds a product (`id` 0) or changes one.
    pub async fn save_product(&self, product: &Product, by: &Actor) -> Result<Product, LiveError> {
        let clean = check_product(product).map_err(LiveError::InvalidProduct)?;
        let _turn = self.host_gate.lock().await;
        let change = self
            .store
            .save_product(self.catalogue_of(), &clean, by)
            .await?;
        self.catalogue_changed(change, || LiveError::UnknownProduct(product.id), "")
            .await
    }

    /// Removes a product no deal has sold.
    pub async fn remove_product(&self, product: ProductId, by: &Actor) -> Result<(), LiveError> {
        let _turn = self.host_gate.lock().await;
        let change = self
            .store
            .remove_product(self.catalogue_of(), product, by)
            .await?;
        self.catalogue_changed(
            change,
            || LiveError::UnknownProduct(product),
            "this product has been on sale; it stays in the catalogue",
        )
        .await
    }

    /// Adds a pickup point (`id` 0) or changes one.
    pub async fn save_pickup(
        &self,
        pickup: &PickupPoint,
        by: &Actor,
    ) -> Result<PickupPoint, LiveError> {
        let clean = check_pickup(pickup).map_err(LiveError::InvalidPickup)?;
        let _turn = self.host_gate.lock().await;
        let change = self
            .store
            .save_pickup(self.catalogue_of(), &clean, by)
            .await?;
        self.catalogue_changed(change, || LiveError::UnknownPickup(pickup.id), "")
            .await
    }

    /// Removes a pickup point no order or lucky bag names.
    pub async fn remove_pickup(&self, pickup: PickupId, by: &Actor) -> Result<(), LiveError> {
        let _turn = self.host_gate.lock().await;
        let change = self
            .store
            .remove_pickup(self.catalogue_of(), pickup, by)
            .await?;
        self.catalogue_changed(
            change,
            || LiveError::UnknownPickup(pickup),
            "orders or a lucky bag name this pickup point; it stays",
        )
        .await
    }

    /// This room's community's catalogue, changed from this show.
    fn catalogue_of(&self) -> CatalogueOf {
        CatalogueOf {
            community: self.community(),
            show: Some(self.show),
        }
    }

    /// After a stored change: reads the catalogue back and publishes it with a new room state, so
    /// every viewer gets the new `ShowInfo` at once.
    async fn catalogue_changed<T>(
        &self,
        change: CatalogueChange<T>,
        not_found: impl FnOnce() -> LiveError,
        in_use: &str,
    ) -> Result<T, LiveError> {
        let done = match change {
            CatalogueChange::Done(done, _) => done,
            CatalogueChange::NotFound => return Err(not_found()),
            CatalogueChange::InUse => return Err(LiveError::InUse(in_use.to_owned())),
        };
        self.reload_catalogue().await?;
        Ok(done)
    }

    /// Reads the catalogue back from the store and, if it is newer than the one held, publishes it
    /// with a new room state: after this room's change, or another show's of the same community
    /// (they share the catalogue; see [`crate::live::Live::share_catalogue`]).
    pub async fn reload_catalogue(&self) -> Result<(), LiveError> {
        let fresh = Catalogue::load(&self.store, self.show).await?;
        {
            let mut inner = self.lock();
            if fresh.version > inner.catalogue.version {
                inner.catalogue = Arc::new(fresh);
            }
        }
        self.publish(Change::State, true);
        Ok(())
    }
}
