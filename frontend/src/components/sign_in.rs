//! Resident sign-in by nickname; the session token is remembered on the device.

use leptos::prelude::*;

use crate::socket::Conn;

/// Nickname sign-in; the session is remembered on this device.
#[component]
pub fn SignIn(conn: Conn) -> impl IntoView {
    let (nickname, set_nickname) = signal(String::new());
    let problem = move || {
        conn.error.with(|e| match e {
            Some((mulin_shared::ErrorCode::InvalidNickname, _)) => {
                Some("Please enter a name of 1 to 24 characters.")
            }
            _ => None,
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        conn.sign_in(nickname.get_untracked());
    };
    view! {
        <form class="signin" on:submit=submit>
            <label for="nickname">"Your name, so the pickup point knows your order"</label>
            <div class="signin-row">
                <input id="nickname" type="text" maxlength="24" autocomplete="nickname" required
                    placeholder="e.g. 王阿姨"
                    prop:value=move || nickname.get()
                    on:input=move |ev| set_nickname.set(event_target_value(&ev)) />
                <button type="submit" class="primary">"Sign in"</button>
            </div>
            {move || problem().map(|p| view! { <p class="note warn" role="alert">{p}</p> })}
        </form>
    }
}
