//! The catalogue's forms, shared by the manager's console (which keeps the community's catalogue
//! over HTTP) and the host console (which adds a product during the show): a product's fields with
//! its picture (uploaded from the device, shrunk first, or given by address) and a pickup point's.
//! The fields are checked by the same rules the server applies (`mulin_shared::catalogue`), so a
//! mistake is named at once, in the person's language.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::catalogue::{CatalogueProblem, check_product};
use mulin_shared::{ErrorCode, PickupPoint, Product, parse_yuan};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::i18n::{error_text, txt};
use crate::tr;

/// Longest side of an uploaded photo, in pixels: sharp on any phone, a fraction of a camera's size.
const PICTURE_SIDE: f64 = 800.0;

/// A product as typed into the form.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Draft {
    /// The product's id: 0 for a new one.
    pub(crate) id: i64,
    name: String,
    description: String,
    origin: String,
    batch: String,
    unit: String,
    price: String,
    picture: String,
}

impl Draft {
    pub(crate) fn of(p: &Product) -> Draft {
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
    pub(crate) fn product(&self) -> Result<Product, String> {
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

/// A catalogue field's problem, in the person's words.
pub(crate) fn problem(p: CatalogueProblem) -> String {
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
pub(crate) fn refusal(code: ErrorCode) -> String {
    match code {
        ErrorCode::InUse => tr!("cat.in_use"),
        ErrorCode::InvalidProduct | ErrorCode::InvalidPickup => tr!("cat.invalid"),
        ErrorCode::InvalidPicture => tr!("cat.bad_picture"),
        ErrorCode::PictureTooLarge => tr!("cat.picture_too_large"),
        other => error_text(other),
    }
}

/// A product's fields and its picture: typed, uploaded from this device (to `upload_path`, with
/// `token`) or given by address. `uploading` is true while a photo is on its way; a failed upload
/// is told through `set_problem`.
#[component]
pub(crate) fn ProductFields(
    draft: RwSignal<Draft>,
    upload_path: String,
    token: StoredValue<String>,
    uploading: RwSignal<bool>,
    set_problem: WriteSignal<Option<String>>,
) -> impl IntoView {
    let upload_path = StoredValue::new(upload_path);
    let upload = move |ev: leptos::ev::Event| {
        let Some(file) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
        else {
            return;
        };
        uploading.set(true);
        set_problem.set(None);
        spawn_local(async move {
            let path = upload_path.get_value();
            match upload_picture(&path, &token.get_value(), file).await {
                Ok(url) => draft.update(|d| d.picture = url),
                Err(why) => set_problem.set(Some(why)),
            }
            uploading.set(false);
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
    }
}

/// A pickup point's fields: name, address and opening hours.
#[component]
pub(crate) fn PickupFields(draft: RwSignal<PickupPoint>) -> impl IntoView {
    view! {
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
    }
}

/// An empty pickup point, for a fresh form.
pub(crate) fn no_pickup() -> PickupPoint {
    PickupPoint {
        id: 0,
        name: String::new(),
        address: String::new(),
        hours: String::new(),
    }
}

/// Shrinks a photo to [`PICTURE_SIDE`] (as JPEG, on white) and uploads it to `path` (the show's or
/// the community's pictures); the picture's address, or why not in words. A file the browser
/// cannot draw is sent as it is, and the server says whether it is a picture.
async fn upload_picture(path: &str, token: &str, file: web_sys::File) -> Result<String, String> {
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
    let response: web_sys::Response = JsFuture::from(window().fetch_with_str_and_init(path, &init))
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
