//! The pickup counter: a clerk (or a moderator) finds an order by the value its QR code carries or
//! by its six-digit code typed in, hands it over (every unit, or some), and marks a store's goods
//! received; a moderator undoes a hand-over within the hour. A clerk acts only at the stores they
//! serve. Whatever moves an order reaches its resident's open pages at once.
//!
//! `GET /api/pickup-qr/{value}` draws a QR value as SVG, for the resident's widget (which then
//! carries no QR encoder); it draws only values this server sealed.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use mulin_shared::pickup::{
    CounterOrder, GoodsReceived, HandOver, QR_PREFIX, ReceivedOutcome, StoreDay,
};
use mulin_shared::{ErrorCode, PickupId};
use serde_json::json;

use super::{ApiError, AppState, Signed, body, id, query, store_error};
use crate::auth::permissions::{self, Action, Scope};
use crate::live::SealError;
use crate::now_ms;
use crate::store::{Community, HandOverOutcome, UndoOutcome};

/// The longest code a counter reads: a sealed value is about 30 characters.
const MAX_CODE_CHARS: usize = 64;

/// The community in the path and the stores where `who` may do `action` there (`None`: all).
async fn counter(
    state: &AppState,
    who: &Signed,
    community: &str,
    action: Action,
) -> Result<(Community, Option<Vec<PickupId>>), ApiError> {
    let id: mulin_shared::CommunityId = id(community, ErrorCode::UnknownCommunity, "community")?;
    let scope = Scope {
        community: id,
        show: None,
    };
    let stores = permissions::stores(Some(&who.0), action, scope).map_err(super::forbidden)?;
    let community = state
        .store
        .community(id)
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| super::unknown_community(id))?;
    Ok((community, stores))
}

/// A refusal with more to say than a message: `extra`'s fields are added to the body.
fn refusal(
    status: StatusCode,
    code: ErrorCode,
    message: String,
    extra: serde_json::Value,
) -> Response {
    let mut body = json!({ "error": code, "message": message });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    (status, Json(body)).into_response()
}

/// `409 wrong_store`, naming the store the order belongs to.
fn wrong_store(found: &CounterOrder) -> Response {
    refusal(
        StatusCode::CONFLICT,
        ErrorCode::WrongStore,
        format!(
            "order {} is collected at {}, not here",
            found.order.pickup_code, found.pickup_name
        ),
        // The store only: the order itself is none of this counter's business.
        json!({ "store": found.pickup_name, "pickup": found.order.pickup }),
    )
}

/// `409 already_handed_over`, saying when and by whom.
fn already(found: &CounterOrder) -> Response {
    let last = found.handovers.iter().rev().find(|h| h.undone_at.is_none());
    let message = match last {
        Some(h) => format!(
            "order {} was handed over already ({} of {} units, by {})",
            found.order.pickup_code, found.order.handed, found.order.qty, h.by
        ),
        None => format!(
            "order {} changed since it was shown; look at it again",
            found.order.pickup_code
        ),
    };
    refusal(
        StatusCode::CONFLICT,
        ErrorCode::AlreadyHandedOver,
        message,
        json!({ "at": last.map(|h| h.at), "by": last.map(|h| h.by.clone()), "order": found }),
    )
}

/// `409 order_closed`: cancelled or not collected.
fn closed(found: &CounterOrder) -> Response {
    refusal(
        StatusCode::CONFLICT,
        ErrorCode::OrderClosed,
        format!(
            "order {} is {}: nothing to hand over",
            found.order.pickup_code,
            found.order.status.as_str().replace('_', " ")
        ),
        json!({ "order": found }),
    )
}

fn unknown_order(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::UnknownOrder,
        format!("no order {what} in this community"),
    )
}

/// Query of `GET …/counter`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CodeQuery {
    /// A scanned QR value or six typed digits.
    code: String,
}

/// `GET /api/communities/{c}/counter?code=…`: the orders a scanned value or typed code names at
/// the asker's stores. A sealed value that does not open is `400 forged_code`; one of another
/// store is `409 wrong_store`, naming it.
pub(super) async fn find(
    State(state): State<AppState>,
    Path(community_id): Path<String>,
    who: Signed,
    code: Result<Query<CodeQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (community, stores) = counter(&state, &who, &community_id, Action::HandOver).await?;
    let code = mulin_shared::pickup::typed_code(&query(code)?.code);
    let code = code.as_str();
    if mulin_shared::pickup::short_code(code) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            "a typed pickup code is 6 digits",
        ));
    }
    if code.is_empty() || code.chars().count() > MAX_CODE_CHARS {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            "scan a pickup code, or type its six digits",
        ));
    }
    let typed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
    if typed {
        let found = state
            .store
            .counter_orders_by_code(community.id, code, stores.as_deref(), now_ms())
            .await
            .map_err(|e| store_error(&e))?;
        if found.is_empty() {
            // Perhaps at another store: say which, rather than "no such code".
            let anywhere = state
                .store
                .counter_orders_by_code(community.id, code, None, now_ms())
                .await
                .map_err(|e| store_error(&e))?;
            if let Some(elsewhere) = anywhere.first() {
                return Ok(wrong_store(elsewhere));
            }
            return Err(unknown_order(code));
        }
        return Ok(Json(found).into_response());
    }
    let order = match state.live.seal().open(code) {
        Ok(order) => order,
        Err(e @ SealError::Forged) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::ForgedCode,
                e.to_string(),
            ));
        }
        Err(e @ SealError::NotACode) => {
            let message = if code.to_ascii_uppercase().starts_with(QR_PREFIX) {
                e.to_string()
            } else {
                format!("{e}: scan the code in the resident's order, or type its six digits")
            };
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::ForgedCode,
                message,
            ));
        }
    };
    let found = state
        .store
        .counter_order(community.id, order)
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| unknown_order(&order.to_string()))?;
    if stores
        .as_ref()
        .is_some_and(|s| !s.contains(&found.order.pickup))
    {
        return Ok(wrong_store(&found));
    }
    Ok(Json(vec![found]).into_response())
}

/// `POST /api/communities/{c}/orders/{o}/hand-over` with a [`HandOver`]: the order as it now is.
/// Of clerks tapping at once, one hands it over; the others get `409 already_handed_over`.
pub(super) async fn hand_over(
    State(state): State<AppState>,
    Path((community_id, order)): Path<(String, String)>,
    who: Signed,
    draft: Result<Json<HandOver>, JsonRejection>,
) -> Result<Response, ApiError> {
    let (community, stores) = counter(&state, &who, &community_id, Action::HandOver).await?;
    let order = id(&order, ErrorCode::UnknownOrder, "order")?;
    let draft = body(draft)?;
    let outcome = state
        .store
        .hand_over(
            community.id,
            order,
            (draft.units, draft.was_handed),
            stores.as_deref(),
            &who.0.actor(),
            now_ms(),
        )
        .await
        .map_err(|e| store_error(&e))?;
    Ok(match outcome {
        HandOverOutcome::Done { after, .. } => {
            state
                .live
                .orders_moved(community.id, std::slice::from_ref(&after.order))
                .await;
            Json(after).into_response()
        }
        HandOverOutcome::Missing => return Err(unknown_order(&order.to_string())),
        HandOverOutcome::Closed(found) => closed(&found),
        HandOverOutcome::Already(found) => already(&found),
        HandOverOutcome::WrongStore(found) => wrong_store(&found),
        HandOverOutcome::InvalidUnits(found) => refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidQuantity,
            format!(
                "hand over 1 to {} units",
                found.order.qty - found.order.handed
            ),
            json!({ "order": found }),
        ),
    })
}

/// `POST /api/communities/{c}/orders/{o}/undo-hand-over`: the order with its last hand-over
/// undone (moderators, within the hour: then `409 undo_window_passed`).
pub(super) async fn undo(
    State(state): State<AppState>,
    Path((community_id, order)): Path<(String, String)>,
    who: Signed,
) -> Result<Response, ApiError> {
    let (community, _) = counter(&state, &who, &community_id, Action::UndoHandOver).await?;
    let order = id(&order, ErrorCode::UnknownOrder, "order")?;
    let outcome = state
        .store
        .undo_hand_over(community.id, order, &who.0.actor(), now_ms())
        .await
        .map_err(|e| store_error(&e))?;
    Ok(match outcome {
        UndoOutcome::Done { after, .. } => {
            state
                .live
                .orders_moved(community.id, std::slice::from_ref(&after.order))
                .await;
            Json(after).into_response()
        }
        UndoOutcome::Missing => return Err(unknown_order(&order.to_string())),
        UndoOutcome::Nothing(found) => refusal(
            StatusCode::CONFLICT,
            ErrorCode::OrderChanged,
            format!("order {} has no hand-over to undo", found.order.pickup_code),
            json!({ "order": found }),
        ),
        UndoOutcome::TooLate(found) => refusal(
            StatusCode::CONFLICT,
            ErrorCode::UndoWindowPassed,
            format!(
                "order {} was handed over more than an hour ago; it stays handed over",
                found.order.pickup_code
            ),
            json!({ "order": found }),
        ),
    })
}

/// The pickup point in the path, if `who` serves it (or may act at every store).
fn store_in_path(text: &str, stores: Option<&[PickupId]>) -> Result<PickupId, ApiError> {
    let pickup = id(text, ErrorCode::UnknownPickup, "pickup point")?;
    if stores.is_some_and(|s| !s.contains(&pickup)) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "you serve other pickup points",
        ));
    }
    Ok(pickup)
}

/// `GET /api/communities/{c}/pickups/{p}/day`: the store's shows of the last 30 days, each
/// product with its orders waiting for the goods, ready and picked up.
pub(super) async fn day(
    State(state): State<AppState>,
    Path((community_id, pickup)): Path<(String, String)>,
    who: Signed,
) -> Result<Json<StoreDay>, ApiError> {
    let (community, stores) = counter(&state, &who, &community_id, Action::SeePickingLists).await?;
    let pickup = store_in_path(&pickup, stores.as_deref())?;
    state
        .store
        .store_day(community.id, pickup, now_ms())
        .await
        .map_err(|e| store_error(&e))?
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownPickup,
                format!("no pickup point {pickup} in this community"),
            )
        })
}

/// `POST /api/communities/{c}/pickups/{p}/received` with [`GoodsReceived`]: the store has the
/// goods; its orders of that product in that show become ready, and their residents are told.
pub(super) async fn received(
    State(state): State<AppState>,
    Path((community_id, pickup)): Path<(String, String)>,
    who: Signed,
    draft: Result<Json<GoodsReceived>, JsonRejection>,
) -> Result<Json<ReceivedOutcome>, ApiError> {
    let (community, stores) = counter(&state, &who, &community_id, Action::MarkReceived).await?;
    let pickup = store_in_path(&pickup, stores.as_deref())?;
    let draft = body(draft)?;
    let day = state
        .store
        .store_day(community.id, pickup, now_ms())
        .await
        .map_err(|e| store_error(&e))?;
    let known = day.is_some_and(|d| {
        d.shows.iter().any(|s| {
            s.show.id == draft.show && s.products.iter().any(|p| p.product.id == draft.product)
        })
    });
    if !known {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownProduct,
            format!(
                "this pickup point has no orders of product {} in show {}",
                draft.product, draft.show
            ),
        ));
    }
    let (orders, at) = state
        .store
        .mark_received(
            (draft.show, pickup, draft.product),
            &who.0.actor(),
            now_ms(),
        )
        .await
        .map_err(|e| store_error(&e))?;
    state.live.orders_moved(community.id, &orders).await;
    Ok(Json(ReceivedOutcome {
        ready: orders.len() as i64,
        at,
    }))
}

/// `GET /api/pickup-qr/{value}`: the QR code of a sealed pickup value, as SVG. Anything this
/// server did not seal is `404`: it draws pickup codes, not whatever it is asked to.
pub(crate) async fn qr_svg(
    State(state): State<AppState>,
    Path(value): Path<String>,
) -> Result<Response, ApiError> {
    let value = value.strip_suffix(".svg").unwrap_or(&value);
    state
        .live
        .seal()
        .open(value)
        .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, e.to_string()))?;
    let code = qrcode::QrCode::with_error_correction_level(value.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| {
            tracing::error!(error = %e, "QR code");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "the code could not be drawn",
            )
        })?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            // The value never changes what it draws.
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable",
            ),
        ],
        svg,
    )
        .into_response())
}
