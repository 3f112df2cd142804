//! Who is signed in on this device: the name shown with their orders (which they can change) and
//! signing out. Both are rare, so they use the browser's own dialogs: a form of the widget's own
//! cost it 6 KB of its 200 KB budget.

use leptos::prelude::*;
use mulin_shared::sign_in::{MAX_NICKNAME_CHARS, clean_text};
use mulin_shared::{ClientMsg, ErrorCode};

use crate::i18n::{error_text, txt};
use crate::socket::Conn;
use crate::tr;

/// The signed-in resident's name, "change name" and "sign out"; hidden before sign-in.
#[component]
pub fn AccountBar(conn: Conn) -> impl IntoView {
    let nickname = move || conn.me.with(|m| m.as_ref().map(|m| m.nickname.clone()));
    // A refused name is an error of the connection's, so signing out clears it.
    let refused = move || {
        conn.error
            .with(|e| matches!(e, Some((ErrorCode::InvalidNickname, _))))
    };
    let rename = move |_| {
        let asked = window()
            .prompt_with_message_and_default(
                &tr!("account.new_name"),
                &nickname().unwrap_or_default(),
            )
            .ok()
            .flatten();
        let Some(typed) = asked else { return };
        conn.error.set(None);
        match clean_text(&typed, MAX_NICKNAME_CHARS) {
            Some(nickname) => conn.send(ClientMsg::Rename { nickname }),
            None => conn
                .error
                .set(Some((ErrorCode::InvalidNickname, String::new()))),
        }
    };
    let sign_out = move |_| {
        let sure = window()
            .confirm_with_message(&tr!("account.sign_out_confirm"))
            .unwrap_or(false);
        if sure {
            conn.sign_out();
        }
    };
    view! {
        <section class="card account" aria-labelledby="account-title" hidden=move || nickname().is_none()>
            <h2 id="account-title">{move || tr!("signin.hello", name = nickname().unwrap_or_default())}</h2>
            <p class="field-error" role="alert" hidden=move || !refused()>{move || error_text(ErrorCode::InvalidNickname)}</p>
            <div class="actions">
                <button type="button" id="rename" class="secondary" on:click=rename>{txt("account.rename")}</button>
                <button type="button" id="sign-out" class="secondary" on:click=sign_out>{txt("account.sign_out")}</button>
            </div>
        </section>
    }
}
