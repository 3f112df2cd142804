//! Mounts the app; everything else is in the library.

fn main() {
    console_error_panic_hook::set_once();
    mulin_frontend::components::apply_remembered_large_text();
    leptos::mount::mount_to_body(mulin_frontend::App);
}
