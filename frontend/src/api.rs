//! The staff console's HTTP calls: the manager's API (`/api/communities/…`) and invite links, as
//! JSON with the person's token as `Authorization: Bearer …`. The token an invite link gave is kept
//! on this device, so the person's other consoles open without a link.

use mulin_shared::ErrorCode;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::i18n::error_text;
use crate::socket::{recall, remember};

/// Where the staff token from an invite link is kept on this device.
const STAFF_TOKEN_KEY: &str = "mulin.staff.token";

/// The staff token kept on this device, if any.
pub fn staff_token() -> Option<String> {
    recall(STAFF_TOKEN_KEY).filter(|t| !t.is_empty())
}

/// Keeps `token` as this device's staff token.
pub fn keep_staff_token(token: &str) {
    remember(STAFF_TOKEN_KEY, token);
}

/// Why a call did not succeed: the server's code and message, or no code when the server could
/// not be reached or answered something that is not ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The server's error code.
    pub code: Option<ErrorCode>,
    /// The server's message (English), for the log.
    pub message: String,
    /// The whole answer, for a caller that reads more of it than the code.
    pub body: String,
}

impl Failure {
    /// What to tell the person, in their language.
    pub fn words(&self) -> String {
        match self.code {
            Some(code) => error_text(code),
            None => crate::tr!("api.unreachable"),
        }
    }
}

/// `method path` with `body` (JSON) and the staff token, if any: the answer read as `T`.
pub async fn call<T: DeserializeOwned>(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> Result<T, Failure> {
    let unreachable = || Failure {
        code: None,
        message: format!("{method} {path}: no answer"),
        body: String::new(),
    };
    let headers = web_sys::Headers::new().map_err(|_| unreachable())?;
    let _ = headers.set("Accept", "application/json");
    if let Some(token) = token {
        let _ = headers.set("Authorization", &format!("Bearer {token}"));
    }
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(body) = &body {
        let _ = headers.set("Content-Type", "application/json");
        init.set_body(&wasm_bindgen::JsValue::from_str(body));
    }
    init.set_headers(&headers);
    let response: web_sys::Response =
        JsFuture::from(leptos::prelude::window().fetch_with_str_and_init(path, &init))
            .await
            .map_err(|_| unreachable())?
            .dyn_into()
            .map_err(|_| unreachable())?;
    let text = JsFuture::from(response.text().map_err(|_| unreachable())?)
        .await
        .map_err(|_| unreachable())?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        // `204 No Content` (a removal) reads as `null`, so `T = ()` takes it.
        let text = if text.is_empty() { "null" } else { &text };
        return serde_json::from_str(text).map_err(|e| Failure {
            code: None,
            message: e.to_string(),
            body: String::new(),
        });
    }
    Err(refusal(text, || {
        format!("{method} {path}: {}", response.status())
    }))
}

/// A refusal's body, read as `{"error": code, "message": text}`; `otherwise` names an answer that
/// is not one.
fn refusal(text: String, otherwise: impl FnOnce() -> String) -> Failure {
    #[derive(serde::Deserialize)]
    struct Refusal {
        error: ErrorCode,
        message: String,
    }
    match serde_json::from_str::<Refusal>(&text) {
        Ok(r) => Failure {
            code: Some(r.error),
            message: r.message,
            body: text,
        },
        Err(_) => Failure {
            code: None,
            message: otherwise(),
            body: text,
        },
    }
}

/// Fetches `path` with the staff token and saves the answer as the file `name` (a CSV or a
/// spreadsheet): the browser's own download, without the token in an address.
pub async fn download(path: &str, token: &str, name: &str) -> Result<(), Failure> {
    let failed = |message: &str| Failure {
        code: None,
        message: format!("GET {path}: {message}"),
        body: String::new(),
    };
    let headers = web_sys::Headers::new().map_err(|_| failed("headers"))?;
    let _ = headers.set("Authorization", &format!("Bearer {token}"));
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_headers(&headers);
    let response: web_sys::Response =
        JsFuture::from(leptos::prelude::window().fetch_with_str_and_init(path, &init))
            .await
            .map_err(|_| failed("no answer"))?
            .dyn_into()
            .map_err(|_| failed("no answer"))?;
    if !response.ok() {
        let text = JsFuture::from(response.text().map_err(|_| failed("unreadable"))?)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default();
        return Err(refusal(text, || {
            format!("GET {path}: {}", response.status())
        }));
    }
    let blob: web_sys::Blob = JsFuture::from(response.blob().map_err(|_| failed("unreadable"))?)
        .await
        .map_err(|_| failed("unreadable"))?
        .dyn_into()
        .map_err(|_| failed("unreadable"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| failed("no URL"))?;
    let link: web_sys::HtmlAnchorElement = leptos::prelude::document()
        .create_element("a")
        .map_err(|_| failed("no link"))?
        .dyn_into()
        .map_err(|_| failed("no link"))?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Who the token is, as `/api/me` tells.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Me {
    /// Their name.
    pub name: String,
    /// Their roles.
    pub roles: Vec<mulin_shared::Role>,
    /// Their staff id (staff people only).
    pub staff: Option<mulin_shared::StaffId>,
    /// Their community.
    pub community: Option<mulin_shared::CommunityId>,
}

impl Me {
    /// The community this person acts in as a whole (muting, ordering for neighbours, the
    /// counter): a staff person's. A one-show link (from the command line, or from before staff
    /// accounts) names its show's community too, but acts in that show only.
    pub fn community_wide(&self) -> Option<mulin_shared::CommunityId> {
        self.staff.and(self.community)
    }
}
