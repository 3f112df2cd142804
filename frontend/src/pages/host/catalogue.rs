//! The host's catalogue: products (with a picture by upload or by address) and pickup points, each
//! added, changed or removed from the console. The fields are checked by the same rules the server
//! applies (`mulin_shared::catalogue`), so a mistake is named at once, in the host's language.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::catalogue::{CatalogueProblem, check_pickup, check_product};
use mulin_shared::{ClientMsg, ErrorCode, PickupPoint, Product, ServerMsg, ShowId, parse_yuan};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::{busy, confirm, label_or_working, send_or_explain, server_problem};
use crate::i18n::{error_text, txt};
use crate::socket::Conn;
use crate::{tr, yuan};

/// Longest side of an uploaded photo, in pixels: sharp on any phone, a fraction of a camera's size.
const PICTURE_SIDE: f64 = 800.0;

/// A product as typed into the form.
#[derive(Debug, Clone, Default, PartialEq)]
struct Draft {
    id: i64,
    name: String,
    description: String,
    origin: String,
    batch: String,
    unit: String,
    price: String,
    picture: String,
}

impl Draft {
    fn of(p: &Product) -> Draft {
        Draft {
            id: p.id,
            name: p.name.clone(),
            description: p.description.clone(),
            origin: p.origin.clone(),
            batch: p.batch.clone(),
            unit: p.unit.clone(),
            price: mulin_shared::format_yuan(p.normal_price),
            picture: p.picture.clone().unwrap_or_default(),
        }
    }

    /// The product, or the first field's problem in the order the form shows them.
    fn product(&self) -> Result<Product, String> {
        let price = parse_yuan(&self.price);
        let product = check_product(&Product {
            id: self.id,
            name: self.name.clone(),
            description: self.description.clone(),
            origin: self.origin.clone(),
            unit: self.unit.clone(),
            normal_price: price.unwrap_or(0),
            batch: self.batch.clone(),
            picture: Some(self.picture.clone()),
        })
        .map_err(problem)?;
        price
            .map(|normal_price| Product {
                normal_price,
                ..product
            })
            .ok_or_else(|| problem(CatalogueProblem::Price))
    }
}

/// A catalogue field's problem, in the host's words.
fn problem(p: CatalogueProblem) -> String {
    match p {
        CatalogueProblem::Name => tr!("cat.need_name"),
        CatalogueProblem::Description => tr!("cat.need_description"),
        CatalogueProblem::Origin => tr!("cat.need_origin"),
        CatalogueProblem::Unit => tr!("cat.need_unit"),
        CatalogueProblem::Batch => tr!("cat.need_batch"),
        CatalogueProblem::Price => tr!("cat.need_price"),
        CatalogueProblem::Picture => tr!("cat.need_picture"),
        CatalogueProblem::Address => tr!("cat.need_address"),
        CatalogueProblem::Hours => tr!("cat.need_hours"),
    }
}

/// A server refusal of a catalogue change, in words (the codes only the console meets, then the
/// shared ones).
fn refusal(code: ErrorCode) -> String {
    match code {
        ErrorCode::InUse => tr!("cat.in_use"),
        ErrorCode::InvalidProduct | ErrorCode::InvalidPickup => tr!("cat.invalid"),
        ErrorCode::InvalidPicture => tr!("cat.bad_picture"),
        ErrorCode::PictureTooLarge => tr!("cat.picture_too_large"),
        other => error_text(other),
    }
}

/// Products and pickup points, with a form for each.
#[component]
pub fn CataloguePanel(conn: Conn, show: ShowId, token: String) -> impl IntoView {
    let products = move || {
        conn.catalogue
            .with(|c| c.as_ref().map(|c| c.products.clone()).unwrap_or_default())
    };
    let draft = RwSignal::new(Draft::default());
    let (problem_text, set_problem) = signal(None::<String>);
    let (uploading, set_uploading) = signal(false);
    let refused = server_problem(
        conn,
        &[
            ErrorCode::InvalidProduct,
            ErrorCode::UnknownProduct,
            ErrorCode::InUse,
        ],
    );
    // Saved or removed: the form starts afresh.
    Effect::new(move |_| {
        if conn.done.with(|d| {
            matches!(
                d,
                Some(ServerMsg::ProductSaved { .. } | ServerMsg::ProductRemoved { .. })
            )
        }) {
            draft.set(Draft::default());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = draft
            .get_untracked()
            .product()
            .map(|product| ClientMsg::SaveProduct { product });
        send_or_explain(conn, "product-save", set_problem, parsed);
    };
    let token = StoredValue::new(token);
    let upload = move |ev: leptos::ev::Event| {
        let Some(file) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
        else {
            return;
        };
        set_uploading.set(true);
        set_problem.set(None);
        spawn_local(async move {
            match upload_picture(show, &token.get_value(), file).await {
                Ok(url) => draft.update(|d| d.picture = url),
                Err(why) => set_problem.set(Some(why)),
            }
            set_uploading.set(false);
        });
    };
    let field = move |id: &'static str,
                      label: Box<dyn Fn() -> String + Send + Sync>,
                      get: fn(&Draft) -> &String,
                      set: fn(&mut Draft, String)| {
        view! {
            <label>{label}
                <input id=id prop:value=move || draft.with(|d| get(d).clone())
                    on:input=move |ev| draft.update(|d| set(d, event_target_value(&ev))) />
            </label>
        }
    };
    view! {
        <section class="card launch catalogue" aria-labelledby="catalogue-title">
            <h2 id="catalogue-title">{txt("cat.title")}</h2>
            <ul class="catalogue-list" id="product-list">
                {move || products().into_iter().map(|p| {
                    let id = p.id;
                    let edit = p.clone();
                    view! {
                        <li class="catalogue-row" data-product=id>
                            {p.picture.clone().map(|src| view! { <img class="thumb" src=src alt="" width="48" height="48" /> })}
                            <span class="grow"><strong>{p.name.clone()}</strong>
                                <span class="muted">" " {yuan(p.normal_price)} " · " {p.unit.clone()}</span></span>
                            <button type="button" class="secondary small" data-edit=id
                                on:click=move |_| draft.set(Draft::of(&edit))>{txt("cat.edit")}</button>
                            <button type="button" class="secondary small" data-remove=id
                                on:click=move |_| if confirm(&tr!("cat.remove_confirm", name = p.name.clone())) {
                                    conn.request("product-remove", ClientMsg::RemoveProduct { product: id });
                                }>{txt("cat.remove")}</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <form id="product-form" on:submit=submit novalidate>
                <h3>{move || if draft.with(|d| d.id == 0) { tr!("cat.new_product") } else { tr!("cat.edit_product") }}</h3>
                <div class="grid">
                    {field("product-name", Box::new(txt("cat.name")), |d| &d.name, |d, v| d.name = v)}
                    {field("product-origin", Box::new(txt("cat.origin")), |d| &d.origin, |d, v| d.origin = v)}
                    {field("product-batch", Box::new(txt("cat.batch")), |d| &d.batch, |d, v| d.batch = v)}
                    {field("product-unit", Box::new(txt("cat.unit")), |d| &d.unit, |d, v| d.unit = v)}
                    <label>{txt("cat.price")}
                        <input id="product-price" inputmode="decimal" placeholder="19.90"
                            prop:value=move || draft.with(|d| d.price.clone())
                            on:input=move |ev| draft.update(|d| d.price = event_target_value(&ev)) />
                    </label>
                </div>
                <label class="wide">{txt("cat.description")}
                    <textarea id="product-description" rows="3" maxlength="300"
                        prop:value=move || draft.with(|d| d.description.clone())
                        on:input=move |ev| draft.update(|d| d.description = event_target_value(&ev))></textarea>
                </label>
                <div class="picture-row">
                    {move || draft.with(|d| (!d.picture.is_empty()).then(|| d.picture.clone())).map(|src| view! {
                        <img class="thumb large" id="product-preview" src=src alt=txt("cat.preview") width="96" height="96" />
                    })}
                    <label class="grow">{txt("cat.picture_url")}
                        <input id="product-picture" inputmode="url" placeholder="https://…"
                            prop:value=move || draft.with(|d| d.picture.clone())
                            on:input=move |ev| draft.update(|d| d.picture = event_target_value(&ev)) />
                    </label>
                    <label class="upload secondary">
                        {move || if uploading.get() { tr!("cat.uploading") } else { tr!("cat.upload") }}
                        <input id="product-upload" type="file" accept="image/png,image/jpeg,image/webp,image/gif"
                            on:change=upload />
                    </label>
                </div>
                <div class="actions">
                    <button type="submit" id="product-save" class="primary" disabled=move || uploading.get() || busy(conn)()>
                        {label_or_working(conn, "product-save", move || if draft.with(|d| d.id == 0) { tr!("cat.add") } else { tr!("cat.save") })}
                    </button>
                    <button type="button" class="secondary" hidden=move || draft.with(|d| *d == Draft::default())
                        on:click=move |_| draft.set(Draft::default())>{txt("cat.cancel")}</button>
                </div>
                <FormProblem conn mine=problem_text refused id="product-problem" />
            </form>
            <PickupPoints conn />
        </section>
    }
}

/// The show's pickup points: add, rename, remove.
#[component]
fn PickupPoints(conn: Conn) -> impl IntoView {
    let points = move || {
        conn.catalogue.with(|c| {
            c.as_ref()
                .map(|c| c.pickup_points.clone())
                .unwrap_or_default()
        })
    };
    let draft = RwSignal::new(PickupPoint {
        id: 0,
        name: String::new(),
        address: String::new(),
        hours: String::new(),
    });
    let fresh = move || {
        draft.set(PickupPoint {
            id: 0,
            name: String::new(),
            address: String::new(),
            hours: String::new(),
        })
    };
    let (problem_text, set_problem) = signal(None::<String>);
    let refused = server_problem(conn, &[ErrorCode::InvalidPickup, ErrorCode::UnknownPickup]);
    Effect::new(move |_| {
        if conn.done.with(|d| {
            matches!(
                d,
                Some(ServerMsg::PickupSaved { .. } | ServerMsg::PickupRemoved { .. })
            )
        }) {
            fresh();
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = check_pickup(&draft.get_untracked())
            .map(|pickup| ClientMsg::SavePickup { pickup })
            .map_err(problem);
        send_or_explain(conn, "pickup-save", set_problem, parsed);
    };
    view! {
        <h3>{txt("cat.pickups")}</h3>
        <ul class="catalogue-list" id="pickup-list">
            {move || points().into_iter().map(|p| {
                let id = p.id;
                let edit = p.clone();
                view! {
                    <li class="catalogue-row" data-pickup=id>
                        <span class="grow"><strong>{p.name.clone()}</strong> <span class="muted">{p.address.clone()}</span></span>
                        <button type="button" class="secondary small" on:click=move |_| draft.set(edit.clone())>{txt("cat.edit")}</button>
                        <button type="button" class="secondary small" data-remove-pickup=id
                            on:click=move |_| if confirm(&tr!("cat.remove_confirm", name = p.name.clone())) {
                                conn.request("pickup-remove", ClientMsg::RemovePickup { pickup: id });
                            }>{txt("cat.remove")}</button>
                    </li>
                }
            }).collect_view()}
        </ul>
        <form id="pickup-form" on:submit=submit novalidate>
            <div class="grid">
                <label>{txt("cat.pickup_name")}
                    <input id="pickup-name" prop:value=move || draft.with(|d| d.name.clone())
                        on:input=move |ev| draft.update(|d| d.name = event_target_value(&ev)) />
                </label>
                <label>{txt("cat.address")}
                    <input id="pickup-address" prop:value=move || draft.with(|d| d.address.clone())
                        on:input=move |ev| draft.update(|d| d.address = event_target_value(&ev)) />
                </label>
                <label>{txt("cat.hours")}
                    <input id="pickup-hours" placeholder=txt("cat.hours_example") maxlength="60"
                        prop:value=move || draft.with(|d| d.hours.clone())
                        on:input=move |ev| draft.update(|d| d.hours = event_target_value(&ev)) />
                </label>
            </div>
            <button type="submit" id="pickup-save" class="primary" disabled=busy(conn)>
                {label_or_working(conn, "pickup-save", move || if draft.with(|d| d.id == 0) { tr!("cat.add_pickup") } else { tr!("cat.save") })}
            </button>
            <FormProblem conn mine=problem_text refused id="pickup-problem" />
        </form>
    }
}

/// What is wrong with a form: the form's own finding, else the server's refusal of it, in words.
#[component]
fn FormProblem(
    conn: Conn,
    mine: ReadSignal<Option<String>>,
    refused: impl Fn() -> Option<String> + Copy + Send + Sync + 'static,
    id: &'static str,
) -> impl IntoView {
    let words = move || {
        mine.get().or_else(|| {
            refused()?;
            conn.error
                .with(|e| e.as_ref().map(|(code, _)| refusal(*code)))
        })
    };
    move || words().map(|p| view! { <p class="note warn" role="alert" id=id>{p}</p> })
}

/// Shrinks a photo to [`PICTURE_SIDE`] (as JPEG, on white) and uploads it for the show; the
/// picture's address, or why not in words. A file the browser cannot draw is sent as it is, and
/// the server says whether it is a picture.
async fn upload_picture(show: ShowId, token: &str, file: web_sys::File) -> Result<String, String> {
    let body: web_sys::Blob = match shrink(&file).await {
        Ok(small) => small,
        Err(_) => file.into(),
    };
    let headers = web_sys::Headers::new().map_err(|_| error_text(ErrorCode::Internal))?;
    let _ = headers.set("Authorization", &format!("Bearer {token}"));
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&body);
    let failed = || tr!("cat.upload_failed");
    let response: web_sys::Response = JsFuture::from(
        window().fetch_with_str_and_init(&format!("/api/shows/{show}/pictures"), &init),
    )
    .await
    .map_err(|_| failed())?
    .dyn_into()
    .map_err(|_| failed())?;
    let text = JsFuture::from(response.text().map_err(|_| failed())?)
        .await
        .map_err(|_| failed())?
        .as_string()
        .unwrap_or_default();
    #[derive(serde::Deserialize)]
    struct Answer {
        url: Option<String>,
        error: Option<ErrorCode>,
    }
    match serde_json::from_str::<Answer>(&text) {
        Ok(Answer { url: Some(url), .. }) if response.ok() => Ok(url),
        Ok(Answer {
            error: Some(code), ..
        }) => Err(refusal(code)),
        _ => Err(failed()),
    }
}

/// The photo drawn at most [`PICTURE_SIDE`] pixels on its longer side, as a JPEG.
async fn shrink(file: &web_sys::File) -> Result<web_sys::Blob, JsValue> {
    let bitmap: web_sys::ImageBitmap =
        JsFuture::from(window().create_image_bitmap_with_blob(file)?)
            .await?
            .dyn_into()?;
    let (w, h) = (bitmap.width() as f64, bitmap.height() as f64);
    let scale = (PICTURE_SIDE / w.max(h)).min(1.0);
    let (cw, ch) = ((w * scale).round().max(1.0), (h * scale).round().max(1.0));
    let canvas: web_sys::HtmlCanvasElement = document().create_element("canvas")?.dyn_into()?;
    canvas.set_width(cw as u32);
    canvas.set_height(ch as u32);
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2d context"))?
        .dyn_into()?;
    // JPEG has no transparency: a transparent PNG lands on white, not black.
    ctx.set_fill_style_str("#fff");
    ctx.fill_rect(0.0, 0.0, cw, ch);
    ctx.draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, cw, ch)?;
    let blob = JsFuture::from(js_sys::Promise::new(&mut |resolve, reject| {
        let done = wasm_bindgen::closure::Closure::once_into_js(move |blob: JsValue| {
            let _ = resolve.call1(&JsValue::NULL, &blob);
        });
        if canvas
            .to_blob_with_type_and_encoder_options(
                done.unchecked_ref(),
                "image/jpeg",
                &JsValue::from_f64(0.85),
            )
            .is_err()
        {
            let _ = reject.call0(&JsValue::NULL);
        }
    }))
    .await?;
    blob.dyn_into()
}
