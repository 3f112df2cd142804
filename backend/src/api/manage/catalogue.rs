//! A community's catalogue kept from the manager's console: products and pickup points, read,
//! added, changed and removed over HTTP. Every change is checked by the rules the console applies
//! (`mulin_shared::catalogue`), written with its audit-log line in one transaction, and reaches
//! the viewers of the community's open shows at once.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use mulin_shared::catalogue::{CatalogueProblem, check_pickup, check_product};
use mulin_shared::community::CommunityCatalogue;
use mulin_shared::{ErrorCode, PickupPoint, Product};

use super::{ApiError, AppState, Signed, body, community, store_error};
use crate::auth::permissions::Action;
use crate::store::{CatalogueChange, CatalogueOf};

/// `GET /api/communities/{c}/catalogue`: the products and pickup points.
pub(super) async fn read(
    State(state): State<AppState>,
    Path(community_id): Path<String>,
    who: Signed,
) -> Result<Json<CommunityCatalogue>, ApiError> {
    let community = community(&state, &who, &community_id, Action::ManageCatalogue).await?;
    let failed = |e: crate::store::StoreError| store_error(&e);
    Ok(Json(CommunityCatalogue {
        products: state
            .store
            .products_of(community.id)
            .await
            .map_err(failed)?,
        pickup_points: state
            .store
            .pickup_points_of(community.id)
            .await
            .map_err(failed)?,
    }))
}

/// What the catalogue routes act on, and how they name it in errors.
#[derive(Clone, Copy)]
enum Item {
    Product,
    Pickup,
}

impl Item {
    fn unknown(self, id: impl std::fmt::Display) -> ApiError {
        let (code, what) = match self {
            Item::Product => (ErrorCode::UnknownProduct, "product"),
            Item::Pickup => (ErrorCode::UnknownPickup, "pickup point"),
        };
        ApiError::new(
            StatusCode::NOT_FOUND,
            code,
            format!("no {what} {id} in this community"),
        )
    }

    fn invalid(self, problem: CatalogueProblem) -> ApiError {
        let code = match self {
            Item::Product => ErrorCode::InvalidProduct,
            Item::Pickup => ErrorCode::InvalidPickup,
        };
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, problem.to_string())
    }

    /// The item id in the path (0, a new one, if there is none), or `404` naming it.
    fn id(self, text: Option<&str>) -> Result<i64, ApiError> {
        let Some(text) = text else { return Ok(0) };
        text.parse::<i64>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| self.unknown(format!("{text:?}")))
    }

    /// The answer to a stored change of item `id` (0 for a new one).
    fn answer<T>(self, id: i64, change: CatalogueChange<T>) -> Result<T, ApiError> {
        match change {
            CatalogueChange::Done(done, _) => Ok(done),
            CatalogueChange::NotFound => Err(self.unknown(id)),
            CatalogueChange::InUse => {
                let why = match self {
                    Item::Product => "this product has been on sale; it stays in the catalogue",
                    Item::Pickup => {
                        "orders, a lucky bag or a clerk name this pickup point; it stays"
                    }
                };
                Err(ApiError::new(StatusCode::CONFLICT, ErrorCode::InUse, why))
            }
        }
    }
}

/// `POST /api/communities/{c}/products` (`201`, new) or `PUT …/products/{item}`: the product saved.
pub(super) async fn save_product(
    State(state): State<AppState>,
    Path(path): Path<Vec<(String, String)>>,
    who: Signed,
    product: Result<Json<Product>, JsonRejection>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    let (of, id) = at(&state, &who, &path, Item::Product).await?;
    let clean = check_product(&Product {
        id,
        ..body(product)?
    })
    .map_err(|p| Item::Product.invalid(p))?;
    let change = state.store.save_product(of, &clean, &who.0.actor()).await;
    let saved = done(&state, of, Item::Product, id, change).await?;
    Ok((created_or_ok(id), Json(saved)))
}

/// `POST /api/communities/{c}/pickups` (`201`, new) or `PUT …/pickups/{item}`: the pickup point
/// saved.
pub(super) async fn save_pickup(
    State(state): State<AppState>,
    Path(path): Path<Vec<(String, String)>>,
    who: Signed,
    pickup: Result<Json<PickupPoint>, JsonRejection>,
) -> Result<(StatusCode, Json<PickupPoint>), ApiError> {
    let (of, id) = at(&state, &who, &path, Item::Pickup).await?;
    let clean = check_pickup(&PickupPoint {
        id,
        ..body(pickup)?
    })
    .map_err(|p| Item::Pickup.invalid(p))?;
    let change = state.store.save_pickup(of, &clean, &who.0.actor()).await;
    let saved = done(&state, of, Item::Pickup, id, change).await?;
    Ok((created_or_ok(id), Json(saved)))
}

/// `DELETE /api/communities/{c}/products/{item}`: `204`; a product that has been on sale stays
/// (`409 in_use`).
pub(super) async fn remove_product(
    State(state): State<AppState>,
    Path(path): Path<Vec<(String, String)>>,
    who: Signed,
) -> Result<StatusCode, ApiError> {
    let (of, id) = at(&state, &who, &path, Item::Product).await?;
    let change = state.store.remove_product(of, id, &who.0.actor()).await;
    done(&state, of, Item::Product, id, change).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/communities/{c}/pickups/{item}`: `204`; a pickup point that orders, a lucky bag or
/// a clerk name stays (`409 in_use`).
pub(super) async fn remove_pickup(
    State(state): State<AppState>,
    Path(path): Path<Vec<(String, String)>>,
    who: Signed,
) -> Result<StatusCode, ApiError> {
    let (of, id) = at(&state, &who, &path, Item::Pickup).await?;
    let change = state.store.remove_pickup(of, id, &who.0.actor()).await;
    done(&state, of, Item::Pickup, id, change).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whose catalogue a route changes, once `who` may keep it, and the item's id from the path (0
/// when the path names none: a new one).
async fn at(
    state: &AppState,
    who: &Signed,
    path: &[(String, String)],
    item: Item,
) -> Result<(CatalogueOf, i64), ApiError> {
    let get = |name: &str| {
        path.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let community_id = get("community").unwrap_or_default();
    let community = community(state, who, community_id, Action::ManageCatalogue).await?;
    let id = item.id(get("item"))?;
    let of = CatalogueOf {
        community: community.id,
        show: None,
    };
    Ok((of, id))
}

/// After the store's answer: the saved item, or why not; when done, the community's open shows
/// on this node read the catalogue again and tell their viewers.
async fn done<T>(
    state: &AppState,
    of: CatalogueOf,
    item: Item,
    id: i64,
    change: Result<CatalogueChange<T>, crate::store::StoreError>,
) -> Result<T, ApiError> {
    let change = change.map_err(|e| store_error(&e))?;
    let done = item.answer(id, change)?;
    state.live.share_catalogue(of.community, None).await;
    Ok(done)
}

fn created_or_ok(id: i64) -> StatusCode {
    if id == 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}
