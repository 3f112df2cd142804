//! Resident sign-in: name, mobile number and community. The fields are checked here by the same
//! rules the server applies (`SignInForm::check`), so a mistake is named at once, beside its field,
//! in the resident's language; the session is then remembered on this device.

use leptos::prelude::*;
use mulin_shared::{ErrorCode, SignInForm, SignInProblem};

use crate::i18n::error_text;
use crate::i18n::txt;
use crate::socket::Conn;

/// The sign-in form.
#[component]
pub fn SignIn(conn: Conn) -> impl IntoView {
    let (nickname, set_nickname) = signal(String::new());
    let (phone, set_phone) = signal(String::new());
    let (community, set_community) = signal(None::<String>);
    // Most buyers live in the community running the show: offer it until the resident types.
    let community_text = move || {
        community.get().unwrap_or_else(|| {
            conn.catalogue
                .with(|c| c.as_ref().map(|c| c.show.community.clone()))
                .unwrap_or_default()
        })
    };
    let (local_problem, set_local_problem) = signal(None::<SignInProblem>);
    // What is wrong, whether this page or the server found it.
    let problem = move || {
        local_problem.get().or_else(|| {
            conn.error.with(|e| match e {
                Some((ErrorCode::InvalidNickname, _)) => Some(SignInProblem::Nickname),
                Some((ErrorCode::InvalidPhone, _)) => Some(SignInProblem::Phone),
                Some((ErrorCode::InvalidCommunity, _)) => Some(SignInProblem::Community),
                _ => None,
            })
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        conn.error.set(None);
        let (n, p, c) = (
            nickname.get_untracked(),
            phone.get_untracked(),
            community_text(),
        );
        match SignInForm::check(&n, &p, &c) {
            Ok(form) => {
                set_local_problem.set(None);
                conn.sign_in(form.nickname, form.phone, form.community);
            }
            Err(p) => set_local_problem.set(Some(p)),
        }
    };
    let message = move |field: SignInProblem| {
        move || {
            (problem() == Some(field)).then(|| {
                let code = match field {
                    SignInProblem::Nickname => ErrorCode::InvalidNickname,
                    SignInProblem::Phone => ErrorCode::InvalidPhone,
                    SignInProblem::Community => ErrorCode::InvalidCommunity,
                };
                view! { <p class="field-error" role="alert" id=format!("{}-error", field_id(field))>{move || error_text(code)}</p> }
            })
        }
    };
    let invalid = move |field: SignInProblem| move || (problem() == Some(field)).to_string();
    // A screen reader reads the field's problem with the field.
    let described = move |field: SignInProblem| {
        move || (problem() == Some(field)).then(|| format!("{}-error", field_id(field)))
    };
    view! {
        <form class="signin" on:submit=submit novalidate>
            <h3 class="signin-title">{txt("signin.title")}</h3>
            <label for="nickname">{txt("signin.nickname")}</label>
            <input id="nickname" type="text" maxlength="24" autocomplete="nickname"
                placeholder=txt("signin.nickname_example")
                aria-invalid=invalid(SignInProblem::Nickname)
                aria-describedby=described(SignInProblem::Nickname)
                prop:value=move || nickname.get()
                on:input=move |ev| set_nickname.set(event_target_value(&ev)) />
            {message(SignInProblem::Nickname)}
            <label for="phone">{txt("signin.phone")}</label>
            <input id="phone" type="tel" inputmode="tel" maxlength="20" autocomplete="tel"
                placeholder="138 0013 8000"
                aria-invalid=invalid(SignInProblem::Phone)
                aria-describedby=described(SignInProblem::Phone)
                prop:value=move || phone.get()
                on:input=move |ev| set_phone.set(event_target_value(&ev)) />
            {message(SignInProblem::Phone)}
            <label for="community">{txt("signin.community")}</label>
            <input id="community" type="text" maxlength="40"
                aria-invalid=invalid(SignInProblem::Community)
                aria-describedby=described(SignInProblem::Community)
                prop:value=community_text
                on:input=move |ev| set_community.set(Some(event_target_value(&ev))) />
            {message(SignInProblem::Community)}
            <p class="muted small-print">{txt("signin.privacy")}</p>
            <button type="submit" id="sign-in" class="primary">{txt("signin.submit")}</button>
        </form>
    }
}

fn field_id(field: SignInProblem) -> &'static str {
    match field {
        SignInProblem::Nickname => "nickname",
        SignInProblem::Phone => "phone",
        SignInProblem::Community => "community",
    }
}
