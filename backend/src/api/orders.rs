//! A show's orders, for its staff. `GET /api/shows/{show}/orders?q=&deal=&pickup=&status=&limit=`
//! finds them: a moderator at the desk types a pickup code, the last four digits of a phone or
//! part of a name; the answer carries each buyer's phone masked (`138****8000`), never whole.
//! `POST /api/shows/{show}/orders/{order}/change` fixes one (fewer units, another pickup point)
//! through its deal's desk.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use mulin_shared::control::{FoundOrder, OrderChange, mask_phone};
use mulin_shared::{ErrorCode, Order, OrderId, ShowId};

use super::bearer::{Signed, show_in_path, show_scope};
use super::{ApiError, AppState};
use crate::auth::permissions::Action;
use crate::store::OrderSearch;

/// The longest search text: a name, a six-digit code or four digits fit with room to spare.
const MAX_QUERY_CHARS: usize = 24;

/// The show in the path, if `who` may do `action` in it: who asks is settled first, so someone who
/// may not learns nothing, not even what is wrong with the rest of the request.
async fn show_for(
    state: &AppState,
    who: &Signed,
    show: &str,
    action: Action,
    refusal: &'static str,
) -> Result<ShowId, ApiError> {
    let show_id: ShowId = show_in_path(show)?;
    let scope = show_scope(state, show_id)
        .await
        .map_err(|e| ApiError::store(&e, "orders", "the server could not look; please retry"))?;
    if !who.0.may(action, scope) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            refusal,
        ));
    }
    Ok(show_id)
}

/// `GET /api/shows/{show}/orders`: the show's orders the search finds, newest first.
pub(super) async fn find(
    State(state): State<AppState>,
    Path(show): Path<String>,
    who: Signed,
    search: Result<Query<OrderSearch>, QueryRejection>,
) -> Result<Json<Vec<FoundOrder>>, ApiError> {
    let refusal = "only the show's staff find its orders";
    let show_id = show_for(&state, &who, &show, Action::SeeAllOrders, refusal).await?;
    let failed = |e: crate::store::StoreError| {
        ApiError::store(
            &e,
            "finding orders",
            "the server could not look; please retry",
        )
    };
    let mut search = search.map(|q| q.0).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            e.body_text(),
        )
    })?;
    if search
        .q
        .as_deref()
        .is_some_and(|q| q.trim().chars().count() > MAX_QUERY_CHARS)
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            format!("search for at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    // Digits as people type them: a whole number with spaces or dashes (someone who knows it may
    // find by it; it is not echoed back), a code in full-width digits.
    search.q = search.q.map(|q| {
        mulin_shared::sign_in::clean_phone(&q).unwrap_or_else(|| {
            let digits = mulin_shared::pickup::typed_code(&q);
            if digits.bytes().all(|b| b.is_ascii_digit()) {
                digits
            } else {
                q
            }
        })
    });
    let found = state
        .store
        .find_orders(show_id, &search)
        .await
        .map_err(failed)?;
    Ok(Json(
        found
            .into_iter()
            .map(|found| FoundOrder {
                order: found.order,
                phone: mask_phone(&found.phone),
                placed_by_name: found.placed_by_name,
            })
            .collect(),
    ))
}

/// `POST /api/shows/{show}/orders/{order}/phone`: the buyer's whole number, `{"phone": …}`, for a
/// moderator who must call them; each time is in the audit log.
pub(super) async fn reveal_phone(
    State(state): State<AppState>,
    Path((show, order)): Path<(String, String)>,
    who: Signed,
) -> Result<Json<serde_json::Value>, ApiError> {
    let refusal = "only the community's moderators see a whole phone number";
    let show_id = show_for(&state, &who, &show, Action::RevealPhone, refusal).await?;
    let failed = |e: crate::store::StoreError| {
        ApiError::store(
            &e,
            "revealing a phone",
            "the server could not look; please retry",
        )
    };
    let order: OrderId = order.parse().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownOrder,
            format!("no order {order:?}"),
        )
    })?;
    let phone = state
        .store
        .reveal_phone(show_id, order, &who.0.actor(), crate::now_ms())
        .await
        .map_err(failed)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownOrder,
                format!("no order {order} in this show"),
            )
        })?;
    Ok(Json(serde_json::json!({ "phone": phone })))
}

/// `POST /api/shows/{show}/orders/{order}/change` with an [`OrderChange`]: the order as it now is.
/// Staff who may cancel any order of the show may change one.
pub(super) async fn change(
    State(state): State<AppState>,
    Path((show, order)): Path<(String, String)>,
    who: Signed,
    body: Result<Json<OrderChange>, JsonRejection>,
) -> Result<Json<Order>, ApiError> {
    let refusal = "only the show's hosts, moderators and managers fix its orders";
    let show_id = show_for(&state, &who, &show, Action::CancelAnyOrder, refusal).await?;
    let order: OrderId = order.parse().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownOrder,
            format!("no order {order:?}"),
        )
    })?;
    let Json(change) = body.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            e.body_text(),
        )
    })?;
    let room = state.live.room(show_id).await?;
    Ok(Json(
        room.change_order(order, &change, who.0.actor()).await?,
    ))
}
