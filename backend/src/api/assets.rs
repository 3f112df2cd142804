//! The built widget and console from `dist/`: compressed, cached by kind of file, and 404 for what
//! is not there.
//!
//! `make widget` writes a `.br` and a `.gz` beside every text and wasm file (`frontend/precompress.mjs`),
//! so a file is compressed once at build time, at brotli's best level, and each request only picks
//! the variant the browser accepts (docs/BENCHMARKS.md compares this with compressing per request).
//! Trunk names the files it builds by their content (`mulin-frontend-<hash>_bg.wasm`): a browser may
//! keep those for good. Pages keep their plain names and are revalidated on every visit, so a new
//! build reaches everyone on their next visit.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::any;
use mulin_shared::ErrorCode;
use tower_http::services::{ServeDir, ServeFile};

use super::ApiError;

/// `Cache-Control` of files named by their content.
const FOREVER: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
/// `Cache-Control` of pages: kept, but asked after on every visit (a 304 when unchanged).
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// The page a browser gets for a path that is neither a page nor a file (a 404).
const NOT_FOUND_PAGE: &str = include_str!("not_found.html");

/// Serves `dist`: the resident widget for `/` and `/show/{id}`, the staff console for
/// `/show/{id}/host`, `/show/{id}/moderator`, `/invite/{code}` and `/c/{id}/manage`, the files
/// themselves, and a 404 for anything else.
pub(super) fn router(dist: &Path) -> Router {
    let index: PathBuf = dist.join("index.html");
    if !index.is_file() {
        return not_built(&index);
    }
    if !dist.join("index.html.br").is_file() {
        tracing::warn!(
            dist = %dist.display(),
            "the widget's files are not precompressed: run `make widget` (they are sent whole)"
        );
    }
    let console: PathBuf = dist.join("console").join("index.html");
    let page = |file: &Path| ServeFile::new(file).precompressed_br().precompressed_gzip();
    Router::new()
        .route_service("/", page(&index))
        .route_service("/show/{show}", page(&index))
        .route_service("/show/{show}/", page(&index))
        .route_service("/show/{show}/host", page(&console))
        .route_service("/show/{show}/moderator", page(&console))
        .route_service("/show/{show}/report", page(&console))
        .route_service("/show/{show}/neighbours", page(&console))
        .route_service("/invite/{code}", page(&console))
        .route_service("/c/{community}/manage", page(&console))
        .route_service("/c/{community}/counter", page(&console))
        .route_service("/c/{community}/picking", page(&console))
        .fallback_service(
            ServeDir::new(dist)
                .precompressed_br()
                .precompressed_gzip()
                .not_found_service(any(not_found)),
        )
        .layer(axum::middleware::from_fn(vary_by_encoding))
}

/// Every file in `dist` may have compressed variants: caches must key on `Accept-Encoding`.
async fn vary_by_encoding(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        add_vary(response.headers_mut());
    }
    response
}

fn add_vary(headers: &mut HeaderMap) {
    let already = headers.get_all(header::VARY).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))
    });
    if !already {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

/// The cache policy, for every HTTP answer: files named by their content are kept for a year, HTML
/// pages are revalidated; an answer that set its own (uploaded pictures) keeps it.
pub(super) async fn cache_policy(request: Request, next: Next) -> Response {
    let hashed = is_content_named(request.uri().path());
    let mut response = next.run(request).await;
    let ok = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    let headers = response.headers_mut();
    if headers.contains_key(header::CACHE_CONTROL) {
        return response;
    }
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if hashed && ok {
        headers.insert(header::CACHE_CONTROL, FOREVER);
    } else if html {
        headers.insert(header::CACHE_CONTROL, REVALIDATE);
    }
    response
}

/// Whether a path names a file Trunk named by its content: `name-<hash>[_bg].ext`, the hash a u64 in
/// hex without leading zeros (so 16 digits, sometimes fewer; 12 or more but once in 65,536 builds).
fn is_content_named(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let Some((stem, _ext)) = file.rsplit_once('.') else {
        return false;
    };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    let Some((_name, hash)) = stem.rsplit_once('-') else {
        return false;
    };
    (12..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A 404: a short page for browsers, a JSON error for anything else.
async fn not_found(headers: HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html {
        (StatusCode::NOT_FOUND, Html(NOT_FOUND_PAGE)).into_response()
    } else {
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such file").into_response()
    }
}

/// What every path answers when the widget has not been built: a 503 that says how to build it.
fn not_built(index: &Path) -> Router {
    let message = format!(
        "the widget is not built ({} is missing): run `make run`, or `make widget`",
        index.display()
    );
    Router::new().fallback(any(move || {
        let message = message.clone();
        async move {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                message,
            )
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::is_content_named;

    #[test]
    fn content_named_files_are_trunks_hashed_outputs() {
        for path in [
            "/mulin-frontend-6167d332e06b2e5c_bg.wasm",
            "/mulin-frontend-6167d332e06b2e5c.js",
            "/console/mulin-579e2ac1b2086e1d.css",
            "/icon-0123456789abcdef.svg",
            "/mulin-frontend-1bb1823a3f94c4d_bg.wasm",
        ] {
            assert!(is_content_named(path), "{path}");
        }
        for path in [
            "/",
            "/show/1",
            "/index.html",
            "/products/corn.svg",
            "/favicon.ico",
            "/a-6167d332e.js",
            "/a-6167d332e06b2e5cz.js",
            "/a-6167d332e06b2e5x.js",
            "/6167d332e06b2e5c",
        ] {
            assert!(!is_content_named(path), "{path}");
        }
    }
}
