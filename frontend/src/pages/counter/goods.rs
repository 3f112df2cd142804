//! The store's goods at the counter: for each recent show, each product the store's residents
//! ordered, with how many orders wait for it, are ready and were picked up. One tap marks a product
//! received: its orders here become ready and their residents are told at once.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::pickup::{GoodsReceived, ReceivedOutcome, StoreDay};

use super::{Counter, refusal};
use crate::i18n::txt;
use crate::pages::manager::local_day_time;
use crate::tr;

/// The store's shows and goods.
#[component]
pub(super) fn Goods(counter: Counter) -> impl IntoView {
    let day = RwSignal::new(None::<StoreDay>);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        counter.changed.track();
        let Some(pickup) = counter.pickup.get() else {
            return;
        };
        spawn_local(async move {
            match counter
                .call::<StoreDay>("GET", &format!("pickups/{pickup}/day"), None)
                .await
            {
                Ok(d) => {
                    problem.set(None);
                    day.set(Some(d));
                }
                Err(f) => problem.set(Some(refusal(&f))),
            }
        });
    });
    let receive = move |show: i64, product: i64, name: String, waiting: i64| {
        if !crate::pages::confirm(&tr!("goods.ask", name = name, n = waiting)) {
            return;
        }
        let Some(pickup) = counter.pickup.get_untracked() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            let body = serde_json::to_string(&GoodsReceived { show, product }).ok();
            let tail = format!("pickups/{pickup}/received");
            match counter.call::<ReceivedOutcome>("POST", &tail, body).await {
                Ok(done) => {
                    counter
                        .said
                        .set(Some((true, tr!("goods.done", name = name, n = done.ready))));
                    counter.changed.update(|n| *n += 1);
                }
                Err(f) => counter.said.set(Some((false, refusal(&f)))),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card goods" aria-labelledby="goods-title">
            <h2 id="goods-title">{txt("goods.title")}</h2>
            {move || problem.get().map(|p| view! { <p class="note warn" role="alert">{p}</p> })}
            {move || day.with(|d| d.as_ref().is_some_and(|d| d.shows.is_empty())).then(|| view! {
                <p class="muted">{txt("goods.none")}</p>
            })}
            {move || day.get().map(|d| d.shows.into_iter().map(|s| {
                let show = s.show.id;
                view! {
                    <h3>{format!("{} · {}", s.show.title, local_day_time(s.show.starts_at))}</h3>
                    <ul class="goods-list">
                        {s.products.into_iter().map(|p| {
                            let (id, name) = (p.product.id, p.product.name.clone());
                            let waiting = p.waiting;
                            view! {
                                <li class="goods-line" data-show=show data-product=id>
                                    <div>
                                        <strong>{format!("{} · {}", p.product.name, p.product.unit)}</strong>
                                        <p class="muted">{tr!("goods.counts", units = p.units, orders = p.orders,
                                            waiting = p.waiting, ready = p.ready, picked = p.picked_up)}</p>
                                        {p.received_at.map(|at| view! {
                                            <p class="muted small">{tr!("goods.received_at", at = local_day_time(at))}</p>
                                        })}
                                    </div>
                                    {(waiting > 0).then(|| view! {
                                        <button type="button" class="primary" data-receive=id disabled=move || busy.get()
                                            on:click=move |_| receive(show, id, name.clone(), waiting)>
                                            {txt("goods.receive")}</button>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
            }).collect_view())}
        </section>
    }
}
