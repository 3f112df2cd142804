//! Who sends an HTTP request: the token in `Authorization: Bearer …`, resumed like a socket's
//! `Resume`, so the same people with the same roles are let in over HTTP as over the socket.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use mulin_shared::ErrorCode;

use super::{ApiError, AppState};
use crate::auth::{AuthError, Principal};

/// The signed-in sender of a request; a request without a usable token is refused with
/// `401 not_signed_in` or `401 invalid_token` before its handler runs.
#[derive(Debug, Clone)]
pub(super) struct Signed(pub Principal);

impl FromRequestParts<AppState> for Signed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Signed, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    ErrorCode::NotSignedIn,
                    "send your staff token as `Authorization: Bearer <token>`",
                )
            })?;
        match state.sessions.resume(token.trim()).await {
            Ok(principal) => Ok(Signed(principal)),
            Err(AuthError::InvalidToken) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidToken,
                "unknown or revoked token; sign in again with a new invite link",
            )),
            Err(AuthError::Store(e)) => Err(ApiError::store(
                &e,
                "resume token",
                "the server could not check the token; please retry",
            )),
            Err(e) => {
                tracing::error!(error = %e, "resume token");
                Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "the server could not check the token; please retry",
                ))
            }
        }
    }
}

/// Where an HTTP route about `show` acts, for the permissions table. A show that does not exist
/// is in no community (0): it is refused like another community's, so ids cannot be probed.
pub(super) async fn show_scope(
    state: &AppState,
    show: mulin_shared::ShowId,
) -> Result<crate::auth::permissions::Scope, crate::store::StoreError> {
    let community = state.store.community_of(show).await?.map_or(0, |c| c.id);
    Ok(crate::auth::permissions::Scope {
        community,
        show: Some(show),
    })
}

/// The show id in a route's path, or `404 unknown_show` when it is not a number.
pub(super) fn show_in_path(text: &str) -> Result<mulin_shared::ShowId, super::ApiError> {
    text.parse().map_err(|_| {
        super::ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            mulin_shared::ErrorCode::UnknownShow,
            format!("no show {text:?}"),
        )
    })
}
