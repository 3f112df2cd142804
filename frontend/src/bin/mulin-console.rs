//! The staff console (host and moderator pages): mounts it; everything else is in the library.

fn main() {
    console_error_panic_hook::set_once();
    mulin_frontend::i18n::init();
    mulin_frontend::mount(mulin_frontend::Console);
}
