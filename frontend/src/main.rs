//! The resident widget: mounts it; everything else is in the library.

fn main() {
    console_error_panic_hook::set_once();
    mulin_frontend::components::apply_remembered_large_text();
    mulin_frontend::i18n::init();
    leptos::mount::mount_to_body(mulin_frontend::Widget);
}
