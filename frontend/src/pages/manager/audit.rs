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
        AuditAction::OrderChanged => tr!("audit.order_changed"),
        AuditAction::ResidentRegistered => tr!("audit.resident_registered"),
        AuditAction::PhoneRevealed => tr!("audit.phone_revealed"),
        AuditAction::ResidentMuted => tr!("audit.resident_muted"),
        AuditAction::MuteLifted => tr!("audit.mute_lifted"),
        AuditAction::GoodsReceived => tr!("audit.goods_received"),
        AuditAction::OrderHandedOver => tr!("audit.order_handed_over"),
        AuditAction::HandOverUndone => tr!("audit.hand_over_undone"),
        AuditAction::NotCollected => tr!("audit.not_collected"),
        AuditAction::CutoffSet => tr!("audit.cutoff_set"),
        AuditAction::PickingFrozen => tr!("audit.picking_frozen"),
        AuditAction::PickupDaysSet => tr!("audit.pickup_days_set"),
    }
}

/// What a line is about, in the manager's words: the server writes `"show 3"`, `"staff 6 孙丽"`,
/// `"deal 12"`, `"product 5 海鸭蛋"`, `"pickup 2 康宁大药房"`, `"lucky bag 4"`, `"order 9"`; a show,
/// product or pickup point goes by its name.
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
        "staff" | "resident" => name.to_owned(),
        "deal" => tr!("audit.subject_deal", id = id),
        // Named at the time (a removed one is not in the lists any more).
        "product" | "pickup" if !name.is_empty() => name.to_owned(),
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

/// Who made a change: a person by name; the command line and the show tokens from before staff
/// accounts by what they are.
fn actor_words(actor: String) -> impl Fn() -> String + Send + Sync + 'static {
    move || {
        if actor == "command line" {
            return tr!("audit.by_command_line");
        }
        // `"host (show 3 token)"`: a host's or moderator's link made for one show.
        let token = actor
            .strip_suffix(" token)")
            .and_then(|rest| rest.split_once(" (show "))
            .and_then(|(role, show)| {
                let role: mulin_shared::Role =
                    serde_json::from_value(serde_json::Value::from(role)).ok()?;
                Some(tr!(
                    "audit.by_show_token",
                    role = super::role_name(role)(),
                    show = show
                ))
            });
        token.unwrap_or_else(|| actor.clone())
    }
}

/// A field of a logged change, in the manager's words (an unknown one as the server names it).
fn field_name(key: &str) -> String {
    match key {
        "title" => tr!("audit.f_title"),
        "starts_at" => tr!("audit.f_starts_at"),
        "stream_url" => tr!("audit.f_stream_url"),
        "name" => tr!("audit.f_name"),
        "origin" => tr!("audit.f_origin"),
        "unit" => tr!("audit.f_unit"),
        "normal_price" => tr!("audit.f_normal_price"),
        "price" => tr!("audit.f_price"),
        "batch" => tr!("audit.f_batch"),
        "picture" => tr!("audit.f_picture"),
        "description" => tr!("audit.f_description"),
        "address" => tr!("audit.f_address"),
        "hours" => tr!("audit.f_hours"),
        "stock" => tr!("audit.f_stock"),
        "per_resident_limit" => tr!("audit.f_limit"),
        "ends_at" | "closes_at" => tr!("audit.f_ends_at"),
        "status" => tr!("audit.f_status"),
        "units_added" => tr!("audit.f_units_added"),
        "reason" => tr!("audit.f_reason"),
        "qty" => tr!("audit.f_qty"),
        "roles" => tr!("audit.f_roles"),
        "pickups" | "pickup" => tr!("audit.f_pickups"),
        "prize" => tr!("audit.f_prize"),
        "winners" => tr!("audit.f_winners"),
        "product" => tr!("audit.f_product"),
        "phone" => tr!("audit.f_phone"),
        "building" => tr!("audit.f_building"),
        other => other.to_owned(),
    }
}

/// Fields a line carries that say nothing to a manager (ids, counters, proofs).
const QUIET: [&str; 9] = [
    "id",
    "show",
    "sold",
    "deal",
    "resident",
    "commitment",
    "entries_hash",
    "eligibility",
    "created_at",
];

/// A logged value of field `key`, in words: money as yuan, moments as a day and time, roles and
/// states by name, pickup points by name.
fn value_words(key: &str, v: &serde_json::Value, desk: Desk) -> String {
    use serde_json::Value as V;
    let pickup = |id: i64| {
        desk.pickups
            .with(|all| all.iter().find(|p| p.id == id).map(|p| p.name.clone()))
            .unwrap_or_else(|| tr!("audit.subject_pickup", id = id))
    };
    match (key, v) {
        (_, V::Null) => "—".to_owned(),
        ("picture", V::String(_)) => tr!("audit.v_picture"),
        ("price" | "normal_price", V::Number(n)) => crate::yuan(n.as_i64().unwrap_or_default()),
        ("starts_at" | "ends_at" | "closes_at", V::Number(n)) => {
            local_day_time(n.as_i64().unwrap_or_default())
        }
        ("pickup" | "pickups", V::Number(n)) => pickup(n.as_i64().unwrap_or_default()),
        ("roles", V::Array(all)) => all
            .iter()
            .filter_map(|r| serde_json::from_value::<mulin_shared::Role>(r.clone()).ok())
            .map(|r| super::role_name(r)())
            .collect::<Vec<_>>()
            .join("、"),
        ("pickups", V::Array(all)) => all
            .iter()
            .filter_map(V::as_i64)
            .map(pickup)
            .collect::<Vec<_>>()
            .join("、"),
        (_, V::String(text)) => status_word(text).unwrap_or_else(|| text.clone()),
        (_, V::Array(all)) => all
            .iter()
            .map(|v| value_words("", v, desk))
            .collect::<Vec<_>>()
            .join("、"),
        (_, other) => other.to_string(),
    }
}

/// A show's, deal's or order's state as the log writes it, in words.
fn status_word(text: &str) -> Option<String> {
    Some(match text {
        "scheduled" => tr!("show.scheduled"),
        "live" => tr!("show.live"),
        "ended" => tr!("show.ended"),
        "cancelled" => tr!("show.cancelled"),
        "accepted" => tr!("audit.v_accepted"),
        _ => return None,
    })
}

/// The order fields are listed in: what a thing is called first, then what it costs and when.
const FIELD_ORDER: [&str; 22] = [
    "title",
    "name",
    "prize",
    "roles",
    "pickups",
    "pickup",
    "starts_at",
    "stream_url",
    "price",
    "normal_price",
    "stock",
    "units_added",
    "per_resident_limit",
    "winners",
    "ends_at",
    "closes_at",
    "status",
    "reason",
    "qty",
    "origin",
    "unit",
    "batch",
];

/// Where field `key` stands in [`FIELD_ORDER`] (fields it does not name come last).
fn rank(key: &str) -> usize {
    FIELD_ORDER
        .iter()
        .position(|k| *k == key)
        .unwrap_or(FIELD_ORDER.len())
}

/// Whether a logged value says anything (not `null`, `""` or `[]`).
fn says_something(v: &serde_json::Value) -> bool {
    !(v.is_null() || *v == "" || v.as_array().is_some_and(Vec::is_empty))
}

/// What a line changed, one field per entry: `name: before → after` for what differs, the values
/// of something new, and what something was when it went.
fn change_words(before: Option<&str>, after: Option<&str>, desk: Desk) -> Vec<String> {
    use serde_json::Value as V;
    let parse = |t: Option<&str>| t.and_then(|t| serde_json::from_str::<V>(t).ok());
    let sorted = |fields: serde_json::Map<String, V>| {
        let mut fields: Vec<(String, V)> = fields
            .into_iter()
            .filter(|(k, _)| !QUIET.contains(&k.as_str()))
            .collect();
        fields.sort_by_key(|(k, _)| rank(k));
        fields
    };
    match (parse(before), parse(after)) {
        (Some(V::Object(b)), Some(V::Object(a))) => sorted(a)
            .into_iter()
            .filter_map(|(k, v)| {
                let was = b.get(&k).cloned().unwrap_or(V::Null);
                if was == v || (!says_something(&was) && !says_something(&v)) {
                    return None;
                }
                // A picture is an address nobody reads: that it changed is what matters.
                if k == "picture" && says_something(&was) && says_something(&v) {
                    return Some(format!("{}：{}", field_name(&k), tr!("audit.v_replaced")));
                }
                Some(format!(
                    "{}：{} → {}",
                    field_name(&k),
                    value_words(&k, &was, desk),
                    value_words(&k, &v, desk)
                ))
            })
            .collect(),
        (None, Some(V::Object(fields))) | (Some(V::Object(fields)), None) => sorted(fields)
            .into_iter()
            .filter(|(_, v)| says_something(v))
            .map(|(k, v)| format!("{}：{}", field_name(&k), value_words(&k, &v, desk)))
            .collect(),
        (b, a) => {
            let words = |v: Option<V>| v.map(|v| value_words("", &v, desk));
            match (words(b), words(a)) {
                (Some(b), Some(a)) => vec![format!("{b} → {a}")],
                (None, Some(one)) | (Some(one), None) => vec![one],
                (None, None) => Vec::new(),
            }
        }
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
                let (before, after) = (l.before.clone(), l.after.clone());
                let change = move || change_words(before.as_deref(), after.as_deref(), desk);
                view! {
                    <li class="audit-line" data-action=l.action.as_str()>
                        <div><strong>{move || action_name(l.action)}</strong>" · "{
                            let subject = l.subject.clone();
                            move || subject_words(&subject, desk)
                        }
                            {l.show.map(|s| view! { <span class="muted">{move || tr!("audit.in_show", show = s)}</span> })}</div>
                        <div class="muted">{move || local_day_time(l.at)}" · "{actor_words(l.actor.clone())}</div>
                        <ul class="change">{move || change().into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
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
