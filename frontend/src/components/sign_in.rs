//! Resident sign-in: name, mobile number and community, then — when the server asks — the code it
//! texted to the phone. The fields are checked here by the same rules the server applies
//! (`SignInForm`), so every mistake is named at once, beside its field, in the resident's language;
//! the session is then remembered on this device.

use leptos::prelude::*;
use mulin_shared::{ErrorCode, SignInForm, SignInProblem};

use crate::i18n::error_text;
use crate::i18n::txt;
use crate::socket::Conn;
use crate::tr;

/// The sign-in form.
#[component]
pub fn SignIn(conn: Conn) -> impl IntoView {
    let (nickname, set_nickname) = signal(String::new());
    let (phone, set_phone) = signal(String::new());
    let (community, set_community) = signal(None::<String>);
    let (code, set_code) = signal(String::new());
    // Most buyers live in the community running the show: offer it until the resident types.
    let community_text = move || {
        community.get().unwrap_or_else(|| {
            conn.catalogue
                .with(|c| c.as_ref().map(|c| c.show.community.clone()))
                .unwrap_or_default()
        })
    };
    let (local_problems, set_local_problems) = signal(Vec::<SignInProblem>::new());
    // What is wrong with a field, whether this page or the server found it.
    let has_problem = move |field: SignInProblem| {
        local_problems.with(|p| p.contains(&field))
            || conn.error.with(|e| {
                matches!(
                    (e, field),
                    (
                        Some((ErrorCode::InvalidNickname, _)),
                        SignInProblem::Nickname
                    ) | (Some((ErrorCode::InvalidPhone, _)), SignInProblem::Phone)
                        | (
                            Some((ErrorCode::InvalidCommunity, _)),
                            SignInProblem::Community
                        )
                )
            })
    };
    let send = move |with_code: bool| {
        conn.error.set(None);
        let (n, p, c) = (
            nickname.get_untracked(),
            phone.get_untracked(),
            community_text(),
        );
        let problems = SignInForm::problems(&n, &p, &c);
        if !problems.is_empty() {
            set_local_problems.set(problems);
            return;
        }
        set_local_problems.set(Vec::new());
        let code = with_code.then(|| code.get_untracked());
        // The box is empty for the next try if this code is wrong (nobody should have to delete
        // six digits); a right one signs in and the box goes.
        set_code.set(String::new());
        conn.sign_in(n, p, c, code);
    };
    let waiting_for_code = move || conn.code_sent.with(Option::is_some);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send(waiting_for_code());
    };
    let message = move |field: SignInProblem| {
        move || {
            has_problem(field).then(|| {
                let code = match field {
                    SignInProblem::Nickname => ErrorCode::InvalidNickname,
                    SignInProblem::Phone => ErrorCode::InvalidPhone,
                    SignInProblem::Community => ErrorCode::InvalidCommunity,
                };
                view! { <p class="field-error" role="alert" id=format!("{}-error", field_id(field))>{move || error_text(code)}</p> }
            })
        }
    };
    let invalid = move |field: SignInProblem| move || has_problem(field).to_string();
    // A screen reader reads the field's problem with the field.
    let described = move |field: SignInProblem| {
        move || has_problem(field).then(|| format!("{}-error", field_id(field)))
    };
    view! {
        <form class="signin" on:submit=submit novalidate>
            <h3 class="signin-title">{txt("signin.title")}</h3>
            <div hidden=waiting_for_code>
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
            </div>
            <Show when=waiting_for_code>
                <CodeStep conn code set_code resend=move || send(false) />
            </Show>
            <button type="submit" id="sign-in" class="primary">{txt("signin.submit")}</button>
        </form>
    }
}

/// The code texted to the phone: where it went, the box to type it in, and a new one after a
/// minute.
#[component]
fn CodeStep(
    conn: Conn,
    code: ReadSignal<String>,
    set_code: WriteSignal<String>,
    resend: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    // The resident's next step is typing the code: the cursor waits there (and a phone opens
    // its number pad).
    super::focus_soon("#code".into());
    let now = crate::server_clock(conn);
    let sent = move || conn.code_sent.get().unwrap_or_default();
    let wait_s = move || ((sent().2 - now.get()) / 1000).max(0);
    let problem = move || {
        conn.error.with(|e| match e {
            Some((
                c @ (ErrorCode::WrongCode
                | ErrorCode::CodeExpired
                | ErrorCode::TooManyRequests
                | ErrorCode::SmsFailed),
                _,
            )) => Some(*c),
            _ => None,
        })
    };
    view! {
        <p class="code-sent" id="code-sent" role="status">{move || tr!("signin.code_sent", phone = sent().0)}</p>
        <label for="code">{txt("signin.code")}</label>
        <input id="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="8"
            pattern="[0-9]*"
            aria-invalid=move || problem().is_some().to_string()
            aria-describedby=move || problem().map(|_| "code-error")
            prop:value=move || code.get()
            on:input=move |ev| set_code.set(event_target_value(&ev)) />
        {move || problem().map(|c| view! {
            <p class="field-error" role="alert" id="code-error" data-code=crate::i18n::code_name(c)>{move || error_text(c)}</p>
        })}
        <div class="code-actions">
            <button type="button" id="resend-code" class="secondary" disabled=move || { wait_s() > 0 }
                on:click=move |_| resend()>
                {move || match wait_s() {
                    0 => tr!("signin.resend"),
                    s => tr!("signin.resend_in", s = s),
                }}
            </button>
            <button type="button" id="change-number" class="secondary"
                on:click=move |_| { conn.code_sent.set(None); conn.error.set(None); set_code.set(String::new()); }>
                {txt("signin.change_number")}
            </button>
        </div>
    }
}

fn field_id(field: SignInProblem) -> &'static str {
    match field {
        SignInProblem::Nickname => "nickname",
        SignInProblem::Phone => "phone",
        SignInProblem::Community => "community",
    }
}
