//! `/demo/{show}`: a stream page with a player area and the widget beside it (below it on phones),
//! embedded exactly as README tells hosts to embed it next to their own player.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Html;
use mulin_shared::{ErrorCode, ShowId, escape_html};

use super::{ApiError, AppState};

const PAGE: &str = include_str!("demo.html");

/// The demo page for `show`; a show that is not a number or does not exist is a JSON 404.
pub(super) async fn page(
    Path(show): Path<String>,
    State(state): State<AppState>,
) -> Result<Html<String>, ApiError> {
    let id: ShowId = show.parse().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownShow,
            "a show is named by its number, as in /demo/1",
        )
    })?;
    let info = state
        .store
        .show(id)
        .await
        .map_err(|e| {
            ApiError::store(
                &e,
                "reading a show for the demo page",
                "the show could not be read; please retry",
            )
        })?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownShow,
                format!("there is no show {id}"),
            )
        })?;
    Ok(Html(
        PAGE.replace("{{show}}", &id.to_string())
            .replace("{{title}}", &escape_html(&info.title))
            .replace("{{community}}", &escape_html(&info.community))
            .replace("{{stream}}", &escape_html(&info.stream_url)),
    ))
}
