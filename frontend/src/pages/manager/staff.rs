//! The community's staff: who is on it with which roles, a form to invite someone or change their
//! roles, a fresh sign-in link for someone who lost theirs, and revoking. A new link is shown once,
//! whole, with a button to copy it: the manager sends it to the person.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::community::{Invite, STAFF_ROLES, StaffDraft, StaffMember, StaffProblem};
use mulin_shared::{PickupId, Role, StaffId};

use super::{Desk, local_day_time, refusal, role_name};
use crate::i18n::txt;
use crate::pages::confirm;
use crate::tr;

/// The form's fields; `editing` is the person being changed (none: an invite).
#[derive(Debug, Clone, Default, PartialEq)]
struct Form {
    editing: Option<StaffId>,
    name: String,
    roles: Vec<Role>,
    pickups: Vec<PickupId>,
}

fn problem_words(p: StaffProblem) -> String {
    match p {
        StaffProblem::Name => tr!("mgr.need_name"),
        StaffProblem::Roles => tr!("mgr.need_role"),
        StaffProblem::Pickups => tr!("mgr.need_pickups"),
    }
}

/// A link made just now, shown once: for whom, and the whole address.
#[derive(Debug, Clone, PartialEq)]
struct Fresh {
    name: String,
    url: String,
}

/// The staff list, the form, and the last link made.
#[component]
pub(super) fn StaffPanel(desk: Desk) -> impl IntoView {
    let people = RwSignal::new(Vec::<StaffMember>::new());
    let form = RwSignal::new(Form::default());
    let problem = RwSignal::new(None::<String>);
    let working = RwSignal::new(false);
    let fresh = RwSignal::new(None::<Fresh>);
    // Whether the link was copied (Some(true)), refused by the browser (Some(false)), or not yet.
    let copied = RwSignal::new(None::<bool>);
    let load = move || {
        spawn_local(async move {
            let path = format!("{}/staff", desk.base());
            match desk.call::<Vec<StaffMember>>("GET", &path, None).await {
                Ok(list) => people.set(list),
                Err(f) => problem.set(Some(refusal(&f))),
            }
        })
    };
    load();
    let show_link = move |invite: Invite| {
        let origin = window().location().origin().unwrap_or_default();
        copied.set(None);
        fresh.set(Some(Fresh {
            name: invite.staff.name,
            url: format!("{origin}{}", invite.path),
        }));
        // The link shows under the form: bring it into view, wherever the button was.
        super::bring_into_view("invite-link");
    };
    // Runs a change and reads the list again; `then` gets the answer.
    let act = move |method: &'static str, path: String, body: Option<String>, invite: bool| {
        working.set(true);
        problem.set(None);
        spawn_local(async move {
            let done = if invite {
                desk.call::<Invite>(method, &path, body).await.map(|i| {
                    show_link(i);
                })
            } else {
                desk.call::<StaffMember>(method, &path, body)
                    .await
                    .map(|_| ())
            };
            match done {
                Ok(()) => {
                    form.set(Form::default());
                    desk.changed();
                    load();
                }
                Err(f) => problem.set(Some(refusal(&f))),
            }
            working.set(false);
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = form.get_untracked();
        let draft = StaffDraft {
            name: typed.name.clone(),
            roles: typed.roles.clone(),
            pickups: if typed.roles.contains(&Role::PickupClerk) {
                typed.pickups.clone()
            } else {
                Vec::new()
            },
        };
        let draft = match draft.check() {
            Ok(d) => d,
            Err(p) => return problem.set(Some(problem_words(p))),
        };
        let body = serde_json::to_string(&draft).ok();
        fresh.set(None);
        match typed.editing {
            Some(id) => act("PUT", format!("{}/staff/{id}", desk.base()), body, false),
            None => act("POST", format!("{}/staff", desk.base()), body, true),
        }
    };
    let pickup_name = move |id: PickupId| {
        desk.pickups.with(|all| {
            all.iter()
                .find(|p| p.id == id)
                .map(|p| p.name.clone())
                .unwrap_or_else(|| format!("#{id}"))
        })
    };
    let rows = move || {
        people
            .get()
            .into_iter()
            .map(|m| {
                let id = m.id;
                let gone = m.revoked_at.is_some();
                let edit = Form {
                    editing: Some(id),
                    name: m.name.clone(),
                    roles: m.roles.clone(),
                    pickups: m.pickups.clone(),
                };
                let name = m.name.clone();
                let roles = m.roles.clone();
                let pickups = m.pickups.clone();
                let state = match (m.revoked_at, m.joined) {
                    (Some(at), _) => tr!("mgr.revoked_at", at = local_day_time(at)),
                    (None, true) => tr!("mgr.joined"),
                    (None, false) => tr!("mgr.waiting"),
                };
                view! {
                    <li class="staff-row" data-staff=id data-revoked=gone.then_some("true")>
                        <div class="grow">
                            <strong>{m.name.clone()}</strong>
                            " "{roles.iter().map(|r| view! { <span class="chip">{role_name(*r)}</span> " " }).collect_view()}
                            <div class="muted">{state}
                                {(!pickups.is_empty()).then(|| view! {
                                    " · "{move || pickups.iter().map(|p| pickup_name(*p)).collect::<Vec<_>>().join("、")}
                                })}
                            </div>
                        </div>
                        {(!gone).then(|| view! {
                            <div class="row-actions">
                                <button type="button" class="secondary small" data-edit-staff=id
                                    on:click=move |_| { problem.set(None); fresh.set(None); form.set(edit.clone()); super::bring_into_view("staff-form") }>{txt("mgr.change_roles")}</button>
                                <button type="button" class="secondary small" data-relink=id disabled=move || working.get()
                                    on:click=move |_| act("POST", format!("{}/staff/{id}/invite", desk.base()), None, true)>{txt("mgr.new_link")}</button>
                                <button type="button" class="danger small" data-revoke=id disabled=move || working.get()
                                    on:click=move |_| if confirm(&tr!("mgr.revoke_confirm", name = name.clone())) {
                                        act("POST", format!("{}/staff/{id}/revoke", desk.base()), None, false)
                                    }>{txt("mgr.revoke")}</button>
                            </div>
                        })}
                    </li>
                }
            })
            .collect_view()
    };
    let toggle_role = move |role: Role, on: bool| {
        form.update(|f| {
            f.roles.retain(|r| *r != role);
            if on {
                f.roles.push(role);
            }
        })
    };
    let toggle_pickup = move |id: PickupId, on: bool| {
        form.update(|f| {
            f.pickups.retain(|p| *p != id);
            if on {
                f.pickups.push(id);
            }
        })
    };
    view! {
        <section class="card launch" aria-labelledby="staff-title">
            <h2 id="staff-title">{txt("mgr.staff")}</h2>
            <ul class="staff-list" id="staff-list">{rows}</ul>
            <form id="staff-form" on:submit=submit novalidate>
                <h3>{move || if form.with(|f| f.editing.is_some()) { tr!("mgr.edit_staff") } else { tr!("mgr.invite") }}</h3>
                <label>{txt("mgr.person_name")}
                    <input id="staff-name" maxlength="24" placeholder=txt("mgr.name_example")
                        prop:value=move || form.with(|f| f.name.clone())
                        on:input=move |ev| form.update(|f| f.name = event_target_value(&ev)) />
                </label>
                <fieldset class="roles">
                    <legend>{txt("mgr.roles")}</legend>
                    {STAFF_ROLES.into_iter().map(|role| view! {
                        <label class="check">
                            <input type="checkbox" data-role=role.as_str()
                                prop:checked=move || form.with(|f| f.roles.contains(&role))
                                on:change=move |ev| toggle_role(role, event_target_checked(&ev)) />
                            {role_name(role)}
                        </label>
                    }).collect_view()}
                </fieldset>
                <fieldset class="roles" hidden=move || form.with(|f| !f.roles.contains(&Role::PickupClerk))>
                    <legend>{txt("mgr.serves")}</legend>
                    {move || desk.pickups.get().into_iter().map(|p| {
                        let id = p.id;
                        view! {
                            <label class="check">
                                <input type="checkbox" data-pickup=id
                                    prop:checked=move || form.with(|f| f.pickups.contains(&id))
                                    on:change=move |ev| toggle_pickup(id, event_target_checked(&ev)) />
                                {p.name.clone()}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="actions">
                    <button type="submit" id="staff-save" class="primary" disabled=move || working.get()>
                        {move || if working.get() { tr!("host.working") }
                            else if form.with(|f| f.editing.is_some()) { tr!("mgr.save") } else { tr!("mgr.make_link") }}
                    </button>
                    <button type="button" class="secondary" hidden=move || form.with(|f| *f == Form::default())
                        on:click=move |_| { problem.set(None); form.set(Form::default()) }>
                        {move || if form.with(|f| f.editing.is_some()) { tr!("mgr.discard") } else { tr!("mgr.clear") }}</button>
                </div>
                {move || problem.get().map(|p| view! { <p class="note warn" role="alert" id="staff-problem">{p}</p> })}
            </form>
            {move || fresh.get().map(|f| {
                let url = f.url.clone();
                view! {
                    <div class="note ok link-box" id="invite-link" role="status">
                        <p>{tr!("mgr.link_for", name = f.name.clone())}</p>
                        <input readonly id="invite-url" value=f.url.clone()
                            on:focus=move |ev| { event_target::<web_sys::HtmlInputElement>(&ev).select() } />
                        <button type="button" class="primary small" id="copy-link"
                            on:click=move |_| {
                                let url = url.clone();
                                spawn_local(async move { copied.set(Some(copy(&url).await)) })
                            }>{txt("mgr.copy")}</button>
                        {move || copied.get().map(|done| view! {
                            <p id="copy-state" role="status" class=if done { "note ok" } else { "note warn" }>
                                {if done { tr!("mgr.copied") } else { tr!("mgr.copy_failed") }}</p>
                        })}
                        <p class="muted small">{txt("mgr.link_once")}</p>
                    </div>
                }
            })}

        </section>
    }
}

/// Puts `text` on the clipboard; whether the browser did (the field stays selectable where it
/// refuses).
async fn copy(text: &str) -> bool {
    let promise = window().navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}
