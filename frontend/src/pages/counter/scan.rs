//! Reading a pickup code at the counter: the phone's camera, a photo, or the six digits typed in.
//!
//! The browser's own `BarcodeDetector` reads the QR code where it has one (Chrome on Android and
//! macOS); elsewhere the picture goes through `rqrr`, a QR decoder in Rust, on a canvas scaled to
//! at most [`MAX_SIDE`] pixels (a 12-megapixel photo would take seconds).

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::i18n::txt;
use crate::tr;

/// The longest side a picture is decoded at.
const MAX_SIDE: u32 = 900;

/// How often a camera frame is looked at, in milliseconds.
const FRAME_MS: u32 = 250;

/// Finding an order: typed, from a photo, or with the camera; `look` is given what was read.
#[component]
pub(super) fn Scan(
    look: impl Fn(String) + Copy + Send + Sync + 'static,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let scanning = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let video = NodeRef::<leptos::html::Video>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        look(typed.get_untracked());
    };
    let photo = move |ev: leptos::ev::Event| {
        let Some(file) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        else {
            return;
        };
        problem.set(None);
        spawn_local(async move {
            match read_photo(&file).await {
                Some(code) => look(code),
                None => problem.set(Some(tr!("counter.no_code_in_photo"))),
            }
        });
    };
    let stop = move || {
        scanning.set(false);
        if let Some(v) = video.get_untracked() {
            stop_camera(&v);
        }
    };
    let start = move |_| {
        problem.set(None);
        scanning.set(true);
        spawn_local(async move {
            let Some(v) = video.get_untracked() else {
                return;
            };
            if start_camera(&v).await.is_none() {
                scanning.set(false);
                problem.set(Some(tr!("counter.no_camera")));
                return;
            }
            while scanning.get_untracked() {
                gloo_timers::future::TimeoutFuture::new(FRAME_MS).await;
                if let Some(code) = read_frame(&v).await {
                    stop();
                    look(code);
                }
            }
        });
    };
    on_cleanup(stop);
    view! {
        <section class="card scan" aria-labelledby="scan-title">
            <h2 id="scan-title">{txt("counter.scan_title")}</h2>
            <form id="counter-form" class="code-form" on:submit=submit>
                <label for="counter-code">{txt("counter.type_code")}</label>
                <div class="row">
                    <input id="counter-code" type="text" inputmode="numeric" autocomplete="off" maxlength="64"
                        placeholder="123456" prop:value=move || typed.get()
                        on:input=move |ev| typed.set(event_target_value(&ev)) />
                    <button type="submit" class="primary" id="counter-find" disabled=move || busy.get()>
                        {txt("counter.find")}</button>
                </div>
            </form>
            <div class="actions">
                <button type="button" class="primary big" id="counter-camera" hidden=move || scanning.get()
                    on:click=start>{txt("counter.camera")}</button>
                <button type="button" class="secondary" id="counter-camera-stop" hidden=move || !scanning.get()
                    on:click=move |_| stop()>{txt("counter.camera_stop")}</button>
                <label class="button secondary" for="counter-photo">{txt("counter.photo")}</label>
                <input id="counter-photo" class="visually-hidden" type="file" accept="image/*" capture="environment"
                    on:change=photo />
            </div>
            <video node_ref=video class="camera" hidden=move || !scanning.get() playsinline=true muted=true></video>
            {move || problem.get().map(|p| view! { <p class="note warn" role="alert">{p}</p> })}
        </section>
    }
}

/// Turns on the back camera into `video`; `None` if there is none or it was refused.
async fn start_camera(video: &web_sys::HtmlVideoElement) -> Option<()> {
    let devices = window().navigator().media_devices().ok()?;
    let constraints = web_sys::MediaStreamConstraints::new();
    let facing = js_sys::Object::new();
    js_sys::Reflect::set(&facing, &"facingMode".into(), &"environment".into()).ok()?;
    constraints.set_video(&facing);
    let stream: web_sys::MediaStream =
        JsFuture::from(devices.get_user_media_with_constraints(&constraints).ok()?)
            .await
            .ok()?
            .dyn_into()
            .ok()?;
    video.set_src_object(Some(&stream));
    JsFuture::from(video.play().ok()?).await.ok()?;
    Some(())
}

/// Turns the camera off.
fn stop_camera(video: &web_sys::HtmlVideoElement) {
    if let Some(stream) = video
        .src_object()
        .and_then(|s| s.dyn_into::<web_sys::MediaStream>().ok())
    {
        for track in stream.get_tracks().iter() {
            if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                track.stop();
            }
        }
    }
    video.set_src_object(None);
}

/// The code in the camera's current frame, if one is readable.
async fn read_frame(video: &web_sys::HtmlVideoElement) -> Option<String> {
    let (w, h) = (video.video_width(), video.video_height());
    if w == 0 || h == 0 {
        return None;
    }
    if let Some(code) = native(video.as_ref()).await {
        return Some(code);
    }
    let (cw, ch) = fit(w, h);
    let ctx = canvas(cw, ch)?;
    ctx.draw_image_with_html_video_element_and_dw_and_dh(video, 0.0, 0.0, cw.into(), ch.into())
        .ok()?;
    decode(&ctx, cw, ch)
}

/// The code in a photo, if one is readable.
async fn read_photo(file: &web_sys::Blob) -> Option<String> {
    let bitmap: web_sys::ImageBitmap =
        JsFuture::from(window().create_image_bitmap_with_blob(file).ok()?)
            .await
            .ok()?
            .dyn_into()
            .ok()?;
    if let Some(code) = native(bitmap.as_ref()).await {
        return Some(code);
    }
    let (cw, ch) = fit(bitmap.width(), bitmap.height());
    let ctx = canvas(cw, ch)?;
    ctx.draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, cw.into(), ch.into())
        .ok()?;
    decode(&ctx, cw, ch)
}

/// `w` × `h` scaled to fit [`MAX_SIDE`].
fn fit(w: u32, h: u32) -> (u32, u32) {
    let side = w.max(h).max(1);
    if side <= MAX_SIDE {
        return (w, h);
    }
    (w * MAX_SIDE / side, h * MAX_SIDE / side)
}

/// A canvas of `w` × `h`, off screen.
fn canvas(w: u32, h: u32) -> Option<web_sys::CanvasRenderingContext2d> {
    let canvas: web_sys::HtmlCanvasElement =
        document().create_element("canvas").ok()?.dyn_into().ok()?;
    canvas.set_width(w);
    canvas.set_height(h);
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

/// The browser's own QR reader on `source`, where there is one.
async fn native(source: &JsValue) -> Option<String> {
    let class = js_sys::Reflect::get(&window(), &"BarcodeDetector".into()).ok()?;
    let class: js_sys::Function = class.dyn_into().ok()?;
    let options = js_sys::Object::new();
    let formats = js_sys::Array::of1(&"qr_code".into());
    js_sys::Reflect::set(&options, &"formats".into(), &formats).ok()?;
    let detector = js_sys::Reflect::construct(&class, &js_sys::Array::of1(&options)).ok()?;
    let detect: js_sys::Function = js_sys::Reflect::get(&detector, &"detect".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let promise: js_sys::Promise = detect.call1(&detector, source).ok()?.dyn_into().ok()?;
    let found: js_sys::Array = JsFuture::from(promise).await.ok()?.dyn_into().ok()?;
    let first = found.get(0);
    js_sys::Reflect::get(&first, &"rawValue".into())
        .ok()?
        .as_string()
}

/// The QR code on the canvas, read with `rqrr`.
fn decode(ctx: &web_sys::CanvasRenderingContext2d, w: u32, h: u32) -> Option<String> {
    let rgba = ctx
        .get_image_data(0.0, 0.0, w.into(), h.into())
        .ok()?
        .data();
    let (w, h) = (w as usize, h as usize);
    let grey: Vec<u8> = rgba
        .chunks_exact(4)
        .map(|p| ((u16::from(p[0]) * 77 + u16::from(p[1]) * 150 + u16::from(p[2]) * 29) >> 8) as u8)
        .collect();
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| grey[y * w + x]);
    image
        .detect_grids()
        .into_iter()
        .find_map(|grid| grid.decode().ok().map(|(_, text)| text))
}
