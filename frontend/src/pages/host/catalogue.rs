//! The host's quick "add a product" during the show: what the catalogue holds (to launch a deal
//! of it), and a form for a product that is not there yet, with a photo from the host's device.
//! Changing or removing products and keeping pickup points is the managers' work, in their console.

use leptos::prelude::*;
use mulin_shared::{ClientMsg, ErrorCode, ServerMsg, ShowId};

use super::super::catalogue::{Draft, ProductFields, refusal};
use super::{busy, label_or_working, send_or_explain, server_problem};
use crate::i18n::txt;
use crate::socket::Conn;
use crate::{tr, yuan};

/// The catalogue's products, and a form to add one.
#[component]
pub fn QuickAdd(conn: Conn, show: ShowId, token: String) -> impl IntoView {
    let products = move || {
        conn.catalogue
            .with(|c| c.as_ref().map(|c| c.products.clone()).unwrap_or_default())
    };
    let draft = RwSignal::new(Draft::default());
    let (problem_text, set_problem) = signal(None::<String>);
    let uploading = RwSignal::new(false);
    let refused = server_problem(conn, &[ErrorCode::InvalidProduct]);
    // The product just added, named, until the next try: it is in the launch form's list now.
    let added = RwSignal::new(None::<String>);
    // Added: the form starts afresh.
    Effect::new(move |_| {
        if let Some(ServerMsg::ProductSaved { product }) = conn.done.get() {
            draft.set(Draft::default());
            added.set(Some(tr!("cat.added", name = product.name)));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = draft
            .get_untracked()
            .product()
            .map(|product| ClientMsg::SaveProduct { product });
        added.set(None);
        send_or_explain(conn, "product-save", set_problem, parsed);
    };
    let words = move || {
        problem_text.get().or_else(|| {
            refused()?;
            conn.error
                .with(|e| e.as_ref().map(|(code, _)| refusal(*code)))
        })
    };
    view! {
        <section class="card launch catalogue" aria-labelledby="catalogue-title">
            <h2 id="catalogue-title">{txt("cat.host_title")}</h2>
            <ul class="catalogue-list" id="product-list">
                {move || products().into_iter().map(|p| view! {
                    <li class="catalogue-row" data-product=p.id>
                        {p.picture.clone().map(|src| view! { <img class="thumb" src=src alt="" width="48" height="48" /> })}
                        <span class="grow"><strong>{p.name.clone()}</strong>
                            <span class="muted">" " {yuan(p.normal_price)} " · " {p.unit.clone()}</span></span>
                    </li>
                }).collect_view()}
            </ul>
            <form id="product-form" on:submit=submit novalidate>
                <h3>{txt("cat.new_product")}</h3>
                <ProductFields draft upload_path=format!("/api/shows/{show}/pictures")
                    token=StoredValue::new(token) uploading set_problem />
                <div class="actions">
                    <button type="submit" id="product-save" class="primary" disabled=move || uploading.get() || busy(conn)()>
                        {label_or_working(conn, "product-save", move || tr!("cat.add"))}
                    </button>
                </div>
                {move || words().map(|p| view! { <p class="note warn" role="alert" id="product-problem">{p}</p> })}
                {move || added.get().map(|a| view! { <p class="note ok" role="status" id="product-added">{a}</p> })}
                <p class="note muted">{txt("cat.managers_keep")}</p>
            </form>
        </section>
    }
}
