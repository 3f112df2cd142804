//! The audit log: every change staff made in the community, newest first, filtered by show or kind
//! of change, a page at a time.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::ShowId;
use mulin_shared::community::{AuditAction, AuditEntry};

use super::{Desk, local_day_time, refusal};
use crate::i18n::txt;
use crate::tr;

/// Lines read per page.
const PAGE: usize = 50;

fn action_name(a: AuditAction) -> String {
    match a {
        AuditAction::ShowCreated => tr!("audit.show_created"),
        AuditAction::ShowEdited => tr!("audit.show_edited"),
        AuditAction::ShowStarted => tr!("audit.show_started"),
        AuditAction::ShowEnded => tr!("audit.show_ended"),
        AuditAction::ShowCancelled => tr!("audit.show_cancelled"),
        AuditAction::StaffInvited => tr!("audit.staff_invited"),
        AuditAction::StaffChanged => tr!("audit.staff_changed"),
        AuditAction::StaffRevoked => tr!("audit.staff_revoked"),
        AuditAction::DealLaunched => tr!("audit.deal_launched"),
        AuditAction::DealRestocked => tr!("audit.deal_restocked"),
        AuditAction::DealExtended => tr!("audit.deal_extended"),
        AuditAction::DealEnded => tr!("audit.deal_ended"),
        AuditAction::DealPinned => tr!("audit.deal_pinned"),
        AuditAction::ProductSaved => tr!("audit.product_saved"),
        AuditAction::ProductRemoved => tr!("audit.product_removed"),
        AuditAction::PickupSaved => tr!("audit.pickup_saved"),
        AuditAction::PickupRemoved => tr!("audit.pickup_removed"),
        AuditAction::BagOpened => tr!("audit.bag_opened"),
        AuditAction::BagClosed => tr!("audit.bag_closed"),
        AuditAction::OrderCancelled => tr!("audit.order_cancelled"),
    }
}

/// What a line is about, in the manager's words: the server writes `"show 3"`, `"staff 6 孙丽"`,
/// `"deal 12"`, `"pickup 2"`, `"lucky bag 4"`, `"order 9"`; a show or pickup point goes by its name.
fn subject_words(subject: &str, desk: Desk) -> String {
    let (kind, rest) = match subject.strip_prefix("lucky bag ") {
        Some(rest) => ("bag", rest),
        None => subject.split_once(' ').unwrap_or((subject, "")),
    };
    let (id, name) = rest.split_once(' ').unwrap_or((rest, ""));
    let id: i64 = id.parse().unwrap_or_default();
    match kind {
        "show" => desk
            .shows
            .with(|all| all.iter().find(|s| s.id == id).map(|s| s.title.clone()))
            .unwrap_or_else(|| tr!("audit.subject_show", id = id)),
        "staff" => name.to_owned(),
        "deal" => tr!("audit.subject_deal", id = id),
        "product" => tr!("audit.subject_product", id = id),
        "pickup" => desk
            .pickups
            .with(|all| all.iter().find(|p| p.id == id).map(|p| p.name.clone()))
            .unwrap_or_else(|| tr!("audit.subject_pickup", id = id)),
        "bag" => tr!("audit.subject_bag", id = id),
        "order" => tr!("audit.subject_order", id = id),
        _ => subject.to_owned(),
    }
}

/// The log with its filters.
#[component]
pub(super) fn AuditPanel(desk: Desk) -> impl IntoView {
    let lines = RwSignal::new(Vec::<AuditEntry>::new());
    let more = RwSignal::new(false);
    let action = RwSignal::new(None::<AuditAction>);
    let show = RwSignal::new(None::<ShowId>);
    let problem = RwSignal::new(None::<String>);
    let read = move |before: Option<i64>| {
        let mut query = format!("limit={PAGE}");
        if let Some(a) = action.get_untracked() {
            query.push_str(&format!("&action={}", a.as_str()));
        }
        if let Some(s) = show.get_untracked() {
            query.push_str(&format!("&show={s}"));
        }
        if let Some(b) = before {
            query.push_str(&format!("&before={b}"));
        }
        spawn_local(async move {
            let path = format!("{}/audit?{query}", desk.base());
            match desk.call::<Vec<AuditEntry>>("GET", &path, None).await {
                Ok(page) => {
                    more.set(page.len() == PAGE);
                    problem.set(None);
                    if before.is_some() {
                        lines.update(|l| l.extend(page));
                    } else {
                        lines.set(page);
                    }
                }
                Err(f) => problem.set(Some(refusal(&f))),
            }
        });
    };
    // Read again on every change made from this console and on every new filter.
    Effect::new(move |_| {
        desk.changes.track();
        action.track();
        show.track();
        read(None);
    });
    let rows = move || {
        lines
            .get()
            .into_iter()
            .map(|l| {
                let change = match (&l.before, &l.after) {
                    (Some(b), Some(a)) => format!("{b} → {a}"),
                    (None, Some(a)) => a.clone(),
                    (Some(b), None) => format!("{b} → —"),
                    (None, None) => String::new(),
                };
                view! {
                    <li class="audit-line" data-action=l.action.as_str()>
                        <div><strong>{move || action_name(l.action)}</strong>" · "{
                            let subject = l.subject.clone();
                            move || subject_words(&subject, desk)
                        }
                            {l.show.map(|s| view! { <span class="muted">{move || tr!("audit.in_show", show = s)}</span> })}</div>
                        <div class="muted">{move || local_day_time(l.at)}" · "{l.actor.clone()}</div>
                        {(!change.is_empty()).then(|| view! { <code class="change">{change}</code> })}
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section class="card launch audit" aria-labelledby="audit-title">
            <h2 id="audit-title">{txt("mgr.audit")}</h2>
            <div class="grid">
                <label>{txt("audit.kind")}
                    <select id="audit-action" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        action.set(AuditAction::ALL.iter().copied().find(|a| a.as_str() == v));
                    }>
                        <option value="">{txt("audit.all")}</option>
                        {AuditAction::ALL.iter().map(|a| view! {
                            <option value=a.as_str()>{move || action_name(*a)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{txt("audit.show")}
                    <select id="audit-show" on:change=move |ev| show.set(event_target_value(&ev).parse().ok())>
                        <option value="">{txt("audit.all")}</option>
                        {move || desk.shows.get().into_iter().map(|s| view! {
                            <option value=s.id>{s.title.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <ul class="audit-list" id="audit-list">{rows}</ul>
            {move || (lines.with(Vec::is_empty) && problem.with(Option::is_none))
                .then(|| view! { <p class="muted">{txt("audit.empty")}</p> })}
            {move || problem.get().map(|p| view! { <p class="note warn" role="alert">{p}</p> })}
            <button type="button" class="secondary" id="audit-more" hidden=move || !more.get()
                on:click=move |_| read(lines.with_untracked(|l| l.last().map(|l| l.id)))>{txt("audit.more")}</button>
        </section>
    }
}
