//! The community's catalogue: its products (with pictures) and pickup points, listed with a form
//! for each, kept over the manager's HTTP API. Every show of the community offers them; viewers of
//! a show on air see a change at once. A product that has been on sale, or a pickup point that
//! orders, a lucky bag or a clerk name, stays: the server says so and the console tells why.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::catalogue::check_pickup;
use mulin_shared::community::CommunityCatalogue;
use mulin_shared::{PickupPoint, Product};

use super::{Desk, refusal};
use crate::i18n::txt;
use crate::pages::catalogue::{Draft, PickupFields, ProductFields, no_pickup, problem};
use crate::pages::confirm;
use crate::{tr, yuan};

/// Products and pickup points, each with its list and form.
#[component]
pub(super) fn CataloguePanel(desk: Desk) -> impl IntoView {
    let catalogue = RwSignal::new(None::<CommunityCatalogue>);
    let load_problem = RwSignal::new(None::<String>);
    let load = move || {
        spawn_local(async move {
            let path = format!("{}/catalogue", desk.base());
            match desk.call::<CommunityCatalogue>("GET", &path, None).await {
                Ok(c) => {
                    load_problem.set(None);
                    catalogue.set(Some(c));
                }
                Err(f) => load_problem.set(Some(refusal(&f))),
            }
        })
    };
    load();
    view! {
        <section class="card launch catalogue" aria-labelledby="catalogue-title">
            <h2 id="catalogue-title">{txt("cat.title")}</h2>
            <p class="muted small">{txt("mgr.catalogue_hint")}</p>
            {move || load_problem.get().map(|p| view! { <p class="note warn" role="alert">{p}</p> })}
            <div class="catalogue-halves">
                <div><Products desk catalogue load /></div>
                <div><Pickups desk catalogue load /></div>
            </div>
        </section>
    }
}

/// What a form is doing: nothing, waiting for the server, or done (with a word on what).
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Idle,
    Working,
    Done(String),
}

/// How a list's form reaches the server: the items under `{base}/{kind}`, the form's step and
/// problem, and the catalogue's reading (`load`) to repeat after a change.
#[derive(Clone, Copy)]
struct Sender<L> {
    desk: Desk,
    /// `products` or `pickups`: the path, and the form's notes' ids (`product-done`, …).
    kind: &'static str,
    step: RwSignal<Step>,
    problem: WriteSignal<Option<String>>,
    load: L,
}

impl<L: Fn() + Copy + 'static> Sender<L> {
    /// Adds `item` (`id` 0) or changes it; `done` says in words what was saved.
    fn save<T: serde::Serialize + serde::de::DeserializeOwned + 'static>(
        self,
        id: i64,
        item: &T,
        done: impl FnOnce(T) -> String + 'static,
    ) {
        let base = format!("{}/{}", self.desk.base(), self.kind);
        let (method, path) = if id == 0 {
            ("POST", base)
        } else {
            ("PUT", format!("{base}/{id}"))
        };
        self.send(method, path, serde_json::to_string(item).ok(), done);
    }

    /// Removes item `id` (named `name`), once the manager confirms.
    fn remove(self, id: i64, name: String) {
        if !confirm(&tr!("cat.remove_confirm", name = name.clone())) {
            return;
        }
        let path = format!("{}/{}/{id}", self.desk.base(), self.kind);
        self.send("DELETE", path, None, move |()| {
            tr!("mgr.removed", name = name)
        });
    }

    /// Sends `method path` with `body`; on success reads the catalogue again, tells the rest of
    /// the console and says `done`; on a refusal, says why.
    fn send<T: serde::de::DeserializeOwned + 'static>(
        self,
        method: &'static str,
        path: String,
        body: Option<String>,
        done: impl FnOnce(T) -> String + 'static,
    ) {
        let Sender {
            desk,
            kind,
            step,
            problem,
            load,
        } = self;
        // The answer is told under the form, which may be far below a list row's button.
        let (done_note, problem_note) = if kind == "products" {
            ("product-done", "product-problem")
        } else {
            ("pickup-done", "pickup-problem")
        };
        step.set(Step::Working);
        problem.set(None);
        spawn_local(async move {
            match desk.call::<T>(method, &path, body).await {
                Ok(answer) => {
                    step.set(Step::Done(done(answer)));
                    load();
                    desk.changed();
                    super::bring_note_into_view(done_note);
                }
                Err(f) => {
                    step.set(Step::Idle);
                    problem.set(Some(refusal(&f)));
                    super::bring_note_into_view(problem_note);
                }
            }
        });
    }
}

#[component]
fn Products(
    desk: Desk,
    catalogue: RwSignal<Option<CommunityCatalogue>>,
    load: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let draft = RwSignal::new(Draft::default());
    let (problem_text, set_problem) = signal(None::<String>);
    let uploading = RwSignal::new(false);
    let step = RwSignal::new(Step::Idle);
    let base = desk.base();
    let sender = Sender {
        desk,
        kind: "products",
        step,
        problem: set_problem,
        load,
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = draft.get_untracked();
        let product = match typed.product() {
            Ok(p) => p,
            Err(why) => {
                step.set(Step::Idle);
                return set_problem.set(Some(why));
            }
        };
        sender.save(product.id, &product, move |saved: Product| {
            draft.set(Draft::default());
            tr!("mgr.saved", name = saved.name)
        });
    };
    let remove = move |p: &Product| sender.remove(p.id, p.name.clone());
    let products =
        move || catalogue.with(|c| c.as_ref().map(|c| c.products.clone()).unwrap_or_default());
    let working = move || step.with(|s| *s == Step::Working);
    view! {
        <h3>{txt("mgr.products")}</h3>
        <ul class="catalogue-list" id="product-list">
            {move || products().into_iter().map(|p| {
                let id = p.id;
                let edit = p.clone();
                let gone = p.clone();
                view! {
                    <li class="catalogue-row" data-product=id>
                        {p.picture.clone().map(|src| view! { <img class="thumb" src=src alt="" width="48" height="48" /> })}
                        <span class="grow"><strong>{p.name.clone()}</strong>
                            <span class="muted">" " {yuan(p.normal_price)} " · " {p.unit.clone()}</span></span>
                        <span class="row-actions">
                            <button type="button" class="secondary small" data-edit=id
                                on:click=move |_| {
                                    set_problem.set(None);
                                    step.set(Step::Idle);
                                    draft.set(Draft::of(&edit));
                                    super::bring_into_view("product-form");
                                }>{txt("cat.edit")}</button>
                            <button type="button" class="secondary small" data-remove=id disabled=working
                                on:click=move |_| remove(&gone)>{txt("cat.remove")}</button>
                        </span>
                    </li>
                }
            }).collect_view()}
        </ul>
        <form id="product-form" on:submit=submit novalidate>
            <h4>{move || if draft.with(|d| d.id == 0) { tr!("cat.new_product") } else { tr!("cat.edit_product") }}</h4>
            <ProductFields draft upload_path=format!("{base}/pictures") token=desk.token uploading set_problem />
            <div class="actions">
                <button type="submit" id="product-save" class="primary" disabled=move || uploading.get() || working()>
                    {move || if working() { tr!("host.working") }
                        else if draft.with(|d| d.id == 0) { tr!("cat.add") } else { tr!("cat.save") }}
                </button>
                <button type="button" class="secondary" hidden=move || draft.with(|d| *d == Draft::default())
                    on:click=move |_| { set_problem.set(None); step.set(Step::Idle); draft.set(Draft::default()) }>{txt("cat.cancel")}</button>
            </div>
            {move || problem_text.get().map(|p| view! { <p class="note warn" role="alert" id="product-problem">{p}</p> })}
            {move || match step.get() {
                Step::Done(what) => Some(view! { <p class="note ok" role="status" id="product-done">{what}</p> }),
                _ => None,
            }}
        </form>
    }
}

#[component]
fn Pickups(
    desk: Desk,
    catalogue: RwSignal<Option<CommunityCatalogue>>,
    load: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let draft = RwSignal::new(no_pickup());
    let (problem_text, set_problem) = signal(None::<String>);
    let step = RwSignal::new(Step::Idle);
    let sender = Sender {
        desk,
        kind: "pickups",
        step,
        problem: set_problem,
        load,
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let point = match check_pickup(&draft.get_untracked()) {
            Ok(p) => p,
            Err(p) => {
                step.set(Step::Idle);
                return set_problem.set(Some(problem(p)));
            }
        };
        sender.save(point.id, &point, move |saved: PickupPoint| {
            draft.set(no_pickup());
            tr!("mgr.saved", name = saved.name)
        });
    };
    let remove = move |p: &PickupPoint| sender.remove(p.id, p.name.clone());
    let points = move || {
        catalogue.with(|c| {
            c.as_ref()
                .map(|c| c.pickup_points.clone())
                .unwrap_or_default()
        })
    };
    let working = move || step.with(|s| *s == Step::Working);
    view! {
        <h3>{txt("cat.pickups")}</h3>
        <ul class="catalogue-list" id="pickup-list">
            {move || points().into_iter().map(|p| {
                let id = p.id;
                let edit = p.clone();
                let gone = p.clone();
                view! {
                    <li class="catalogue-row" data-pickup=id>
                        <span class="grow"><strong>{p.name.clone()}</strong>
                            <span class="muted">" " {p.address.clone()}
                                {(!p.hours.is_empty()).then(|| format!(" · {}", p.hours))}</span></span>
                        <span class="row-actions">
                            <button type="button" class="secondary small" data-edit-pickup=id
                                on:click=move |_| {
                                    set_problem.set(None);
                                    step.set(Step::Idle);
                                    draft.set(edit.clone());
                                    super::bring_into_view("pickup-form");
                                }>{txt("cat.edit")}</button>
                            <button type="button" class="secondary small" data-remove-pickup=id disabled=working
                                on:click=move |_| remove(&gone)>{txt("cat.remove")}</button>
                        </span>
                    </li>
                }
            }).collect_view()}
        </ul>
        <form id="pickup-form" on:submit=submit novalidate>
            <h4>{move || if draft.with(|d| d.id == 0) { tr!("cat.new_pickup") } else { tr!("cat.edit_pickup") }}</h4>
            <PickupFields draft />
            <div class="actions">
                <button type="submit" id="pickup-save" class="primary" disabled=working>
                    {move || if working() { tr!("host.working") }
                        else if draft.with(|d| d.id == 0) { tr!("cat.add_pickup") } else { tr!("cat.save") }}
                </button>
                <button type="button" class="secondary" hidden=move || draft.with(|d| *d == no_pickup())
                    on:click=move |_| { set_problem.set(None); step.set(Step::Idle); draft.set(no_pickup()) }>{txt("cat.cancel")}</button>
            </div>
            {move || problem_text.get().map(|p| view! { <p class="note warn" role="alert" id="pickup-problem">{p}</p> })}
            {move || match step.get() {
                Step::Done(what) => Some(view! { <p class="note ok" role="status" id="pickup-done">{what}</p> }),
                _ => None,
            }}
        </form>
    }
}
