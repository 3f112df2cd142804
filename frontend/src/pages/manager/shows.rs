//! The community's shows: what is on air, what is coming, what is over; a form to schedule a new
//! one or change one; and the steps of a show's life (start, end, cancel).

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::community::{ShowDraft, ShowProblem, ShowSummary};
use mulin_shared::{ShowId, ShowStatus};

use super::{Desk, datetime_local, from_datetime_local, local_day_time, refusal};
use crate::i18n::txt;
use crate::pages::confirm;
use crate::tr;

/// The form's fields as typed; `editing` is the show being changed (none: a new one).
#[derive(Debug, Clone, Default, PartialEq)]
struct Form {
    editing: Option<ShowId>,
    title: String,
    starts_at: String,
    stream_url: String,
}

fn problem_words(p: ShowProblem) -> String {
    match p {
        ShowProblem::Title => tr!("mgr.need_title"),
        ShowProblem::StartInPast => tr!("mgr.start_in_past"),
        ShowProblem::StartTooFar => tr!("mgr.start_too_far"),
        ShowProblem::StreamUrl => tr!("mgr.need_stream_url"),
    }
}

fn status_name(s: ShowStatus) -> String {
    match s {
        ShowStatus::Scheduled => tr!("show.scheduled"),
        ShowStatus::Live => tr!("show.live"),
        ShowStatus::Ended => tr!("show.ended"),
        ShowStatus::Cancelled => tr!("show.cancelled"),
    }
}

/// Shows in the order a manager looks for them: on air, then coming (soonest first), then over.
fn in_order(mut shows: Vec<ShowSummary>) -> Vec<ShowSummary> {
    let rank = |s: &ShowSummary| match s.status {
        ShowStatus::Live => 0,
        ShowStatus::Scheduled => 1,
        ShowStatus::Ended | ShowStatus::Cancelled => 2,
    };
    shows.sort_by_key(|s| {
        let key = if rank(s) == 1 {
            s.starts_at
        } else {
            -s.starts_at
        };
        (rank(s), key)
    });
    shows
}

/// The question before a show goes live, with what the manager may not have in mind: that it is
/// well before its start, or that another show of the community is on air.
fn start_question(
    desk: Desk,
    id: ShowId,
    title: &str,
    starts_at: mulin_shared::UtcMillis,
) -> String {
    let mut question = tr!("mgr.start_confirm", title = title.to_owned());
    let early = starts_at - js_sys::Date::now() as i64;
    if early > 15 * 60_000 {
        question.push_str("\n\n");
        question.push_str(&tr!("mgr.start_early", at = local_day_time(starts_at)));
    }
    let on_air = desk.shows.with_untracked(|all| {
        all.iter()
            .find(|s| s.id != id && s.status == ShowStatus::Live)
            .map(|s| s.title.clone())
    });
    if let Some(other) = on_air {
        question.push_str("\n\n");
        question.push_str(&tr!("mgr.another_live", title = other));
    }
    question
}

/// The shows and the form.
#[component]
pub(super) fn ShowsPanel(desk: Desk) -> impl IntoView {
    let form = RwSignal::new(Form::default());
    let problem = RwSignal::new(None::<String>);
    // What the last change did, in words ("scheduled for …"), until the next one.
    let done = RwSignal::new(None::<String>);
    let working = RwSignal::new(false);
    let step = move |show: ShowId, step: &'static str| {
        working.set(true);
        problem.set(None);
        done.set(None);
        spawn_local(async move {
            let path = format!("{}/shows/{show}/{step}", desk.base());
            match desk.call::<ShowSummary>("POST", &path, None).await {
                Ok(_) => desk.changed(),
                Err(f) => problem.set(Some(refusal(&f))),
            }
            working.set(false);
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = form.get_untracked();
        let Some(starts_at) = from_datetime_local(&typed.starts_at) else {
            problem.set(Some(tr!("mgr.need_start")));
            return;
        };
        let draft = ShowDraft {
            title: typed.title.clone(),
            starts_at,
            stream_url: typed.stream_url.clone(),
        };
        // The same rules as the server's, at once; a live show keeps its start as it was.
        let now = js_sys::Date::now() as i64;
        let kept_start = typed.editing.and_then(|id| {
            desk.shows.with_untracked(|all| {
                all.iter()
                    .find(|s| s.id == id && s.starts_at == starts_at)
                    .map(|_| ())
            })
        });
        let checked = if kept_start.is_some() {
            ShowDraft {
                starts_at: now,
                ..draft.clone()
            }
            .check(now)
            .map(|d| ShowDraft { starts_at, ..d })
        } else {
            draft.check(now)
        };
        let draft = match checked {
            Ok(d) => d,
            Err(p) => return problem.set(Some(problem_words(p))),
        };
        let body = serde_json::to_string(&draft).ok();
        working.set(true);
        problem.set(None);
        done.set(None);
        spawn_local(async move {
            let (method, path) = match typed.editing {
                Some(id) => ("PUT", format!("{}/shows/{id}", desk.base())),
                None => ("POST", format!("{}/shows", desk.base())),
            };
            match desk.call::<ShowSummary>(method, &path, body).await {
                Ok(show) => {
                    let at = local_day_time(show.starts_at);
                    done.set(Some(match typed.editing {
                        Some(_) => tr!("mgr.show_saved", title = show.title, at = at),
                        None => tr!("mgr.show_scheduled", title = show.title, at = at),
                    }));
                    form.set(Form::default());
                    desk.changed();
                }
                Err(f) => problem.set(Some(refusal(&f))),
            }
            working.set(false);
        });
    };
    let rows = move || {
        in_order(desk.shows.get())
            .into_iter()
            .map(|s| {
                let id = s.id;
                let status = s.status;
                let edit = Form {
                    editing: Some(id),
                    title: s.title.clone(),
                    starts_at: datetime_local(s.starts_at),
                    stream_url: s.stream_url.clone(),
                };
                let title = s.title.clone();
                let title_end = s.title.clone();
                view! {
                    <li class="show-row" data-show=id data-status=status.as_str()>
                        <div class="grow">
                            <strong>{s.title.clone()}</strong>
                            " "<span class=format!("chip status-{}", status.as_str())>{move || status_name(status)}</span>
                            <div class="muted">{move || local_day_time(s.starts_at)}</div>
                        </div>
                        <div class="row-actions">
                            {(status == ShowStatus::Scheduled).then(|| view! {
                                <button type="button" class="primary small" data-start=id disabled=move || working.get()
                                    on:click=move |_| if confirm(&start_question(desk, id, &title, s.starts_at)) { step(id, "start") }>
                                    {txt("mgr.start")}</button>
                                <button type="button" class="secondary small" data-cancel=id disabled=move || working.get()
                                    on:click=move |_| if confirm(&tr!("mgr.cancel_confirm", title = title_end.clone())) { step(id, "cancel") }>
                                    {txt("mgr.cancel")}</button>
                            })}
                            {status.is_open().then(|| view! {
                                <button type="button" class="secondary small" data-edit=id
                                    on:click=move |_| { problem.set(None); form.set(edit.clone()); super::bring_into_view("show-form") }>{txt("mgr.edit")}</button>
                                <a class="button secondary small" href=format!("/show/{id}/host")>{txt("mgr.host_console")}</a>
                            })}
                            {(status != ShowStatus::Scheduled).then(|| view! {
                                <a class="button secondary small" data-report=id href=format!("/show/{id}/report")>{txt("mgr.report")}</a>
                                <a class="button secondary small" data-picking=id
                                    href=format!("/c/{}/picking?shows={id}", desk.community)>{txt("pickup.list_of_show")}</a>
                            })}
                            <a class="button secondary small" href=format!("/show/{id}")>{txt("mgr.resident_page")}</a>
                            // Last, apart from the rest: ending a show cannot be undone.
                            {(status == ShowStatus::Live).then(|| {
                                let title = s.title.clone();
                                view! {
                                    <button type="button" class="danger small end-show" data-end=id disabled=move || working.get()
                                        on:click=move |_| if confirm(&tr!("mgr.end_confirm", title = title.clone())) { step(id, "end") }>
                                        {txt("mgr.end")}</button>
                                }
                            })}
                        </div>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section class="card launch" aria-labelledby="shows-title">
            <h2 id="shows-title">{txt("mgr.shows")}</h2>
            <ul class="show-list" id="show-list">{rows}</ul>
            <form id="show-form" on:submit=submit novalidate>
                <h3>{move || if form.with(|f| f.editing.is_some()) { tr!("mgr.edit_show") } else { tr!("mgr.new_show") }}</h3>
                <div class="grid">
                    <label>{txt("mgr.show_title")}
                        <input id="show-title" maxlength="40" placeholder=txt("mgr.title_example")
                            prop:value=move || form.with(|f| f.title.clone())
                            on:input=move |ev| form.update(|f| f.title = event_target_value(&ev)) />
                    </label>
                    <label>{txt("mgr.starts_at")}
                        <input id="show-start" type="datetime-local"
                            prop:value=move || form.with(|f| f.starts_at.clone())
                            on:input=move |ev| form.update(|f| f.starts_at = event_target_value(&ev)) />
                    </label>
                    <label>{txt("mgr.stream_url")}
                        <input id="show-stream" inputmode="url" placeholder="https://…"
                            prop:value=move || form.with(|f| f.stream_url.clone())
                            on:input=move |ev| form.update(|f| f.stream_url = event_target_value(&ev)) />
                    </label>
                </div>
                <div class="actions">
                    <button type="submit" id="show-save" class="primary" disabled=move || working.get()>
                        {move || if working.get() { tr!("host.working") }
                            else if form.with(|f| f.editing.is_some()) { tr!("mgr.save") } else { tr!("mgr.schedule") }}
                    </button>
                    <button type="button" class="secondary" hidden=move || form.with(|f| *f == Form::default())
                        on:click=move |_| { problem.set(None); form.set(Form::default()) }>
                        {move || if form.with(|f| f.editing.is_some()) { tr!("mgr.discard") } else { tr!("mgr.clear") }}</button>
                </div>
                {move || problem.get().map(|p| view! { <p class="note warn" role="alert" id="show-problem">{p}</p> })}
                {move || done.get().map(|d| view! { <p class="note ok" role="status" id="show-done">{d}</p> })}
            </form>
        </section>
    }
}
