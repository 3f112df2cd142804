//! Product pictures. A host uploads one as the body of `POST /api/shows/{show}/pictures`, a manager
//! as that of `POST /api/communities/{c}/pictures`, with their token as `Authorization: Bearer …`,
//! and gets back its address; anyone fetches it from
//! `GET /pictures/{sha256}.{ext}`. Pictures live in the store, so every node serves every picture,
//! and are named by their content, so a browser may cache them for good.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mulin_shared::ErrorCode;
use mulin_shared::catalogue::{MAX_PICTURE_BYTES, picture_kind};
use serde_json::json;

use super::bearer::{Signed, show_in_path, show_scope};
use super::{ApiError, AppState};
use crate::auth::permissions::{Action, Scope};
use crate::now_ms;
use crate::store::CatalogueOf;

/// Stores a picture a show's host uploads during the show; answers `201 { "url": "/pictures/…" }`.
pub(super) async fn upload(
    State(state): State<AppState>,
    Path(show): Path<String>,
    Signed(principal): Signed,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let show = show_in_path(&show)?;
    // Who asks is settled before the body is read (the `Signed` extractor, which runs first):
    // nobody else can make the server take 2 MB.
    let scope = show_scope(&state, show)
        .await
        .map_err(|e| ApiError::store(&e, "picture upload", "the server could not read the show"))?;
    if !principal.may(Action::RunShow, scope) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "only the show's host may upload pictures",
        ));
    }
    let of = CatalogueOf {
        community: scope.community,
        show: Some(show),
    };
    receive(&state, of, &headers, body).await
}

/// Stores a picture a manager uploads for the community's catalogue (`POST
/// /api/communities/{c}/pictures`); answers like [`upload`].
pub(super) async fn upload_for_community(
    State(state): State<AppState>,
    Path(community): Path<String>,
    Signed(principal): Signed,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    // An id that is not a number is in no community: refused like another community's.
    let scope = Scope {
        community: community.parse().unwrap_or(0),
        show: None,
    };
    if !principal.may(Action::ManageCatalogue, scope) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "only the community's managers may upload pictures for its catalogue",
        ));
    }
    let of = CatalogueOf {
        community: scope.community,
        show: None,
    };
    receive(&state, of, &headers, body).await
}

/// Reads an upload's body (within the size limit and the body deadline), checks that it is a
/// picture and keeps it for `of`'s catalogue.
async fn receive(
    state: &AppState,
    of: CatalogueOf,
    headers: &HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PictureTooLarge,
            format!(
                "a picture may be at most {} MB; the console shrinks photos before sending",
                MAX_PICTURE_BYTES / (1024 * 1024)
            ),
        )
    };
    // A declared length past the limit is refused before a byte of the body is read.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_PICTURE_BYTES as u64) {
        return Err(too_large());
    }
    // The body gets a deadline like the request's head: one that stalls holds a connection and
    // its memory for no one.
    let bytes = match tokio::time::timeout(
        state.body_timeout,
        axum::body::to_bytes(body, MAX_PICTURE_BYTES),
    )
    .await
    {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return Err(too_large()),
        Err(_) => {
            return Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                ErrorCode::RequestTimeout,
                format!(
                    "the picture did not arrive within {} s; try again on a better connection",
                    state.body_timeout.as_secs()
                ),
            ));
        }
    };
    let (content_type, ext) = picture_kind(&bytes).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::InvalidPicture,
            "send a PNG, JPEG, WebP or GIF image",
        )
    })?;
    let name = state
        .store
        .put_picture(of, content_type, &bytes, now_ms())
        .await
        .map_err(|e| {
            ApiError::store(
                &e,
                "storing a picture",
                "the server could not do that; please retry",
            )
        })?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "url": format!("/pictures/{name}.{ext}") })),
    ))
}

/// Serves an uploaded picture with its own content type, for a year.
pub(super) async fn serve(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("no picture {file:?}"),
        )
    };
    let name = file.split_once('.').map_or(file.as_str(), |(name, _)| name);
    if name.len() != 64 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let (content_type, bytes) = state
        .store
        .picture(&name.to_ascii_lowercase())
        .await
        .map_err(internal)?
        .ok_or_else(not_found)?;
    let content_type = HeaderValue::from_str(&content_type).map_err(|_| not_found())?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "pictures");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Internal,
        "the server could not do that; please retry",
    )
}
