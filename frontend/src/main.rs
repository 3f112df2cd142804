//! The resident widget: mounts it; everything else is in the library.

fn main() {
    // Panic messages in the browser's console for development builds; the release widget aborts on
    // a panic either way, and the hook's formatting cost 1.3 KB of the residents' 200 KB budget.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    // The remembered large text is on the page already: index.html's script set it before the
    // first paint. The language, then the widget, each in a task of its own after the one that
    // instantiated the wasm: short tasks, so a slow phone can answer a tap in between
    // (index.html's skeleton holds the place meanwhile).
    leptos::prelude::set_timeout(
        || {
            mulin_frontend::i18n::init();
            leptos::prelude::set_timeout(
                || mulin_frontend::mount(mulin_frontend::Widget),
                std::time::Duration::ZERO,
            );
        },
        std::time::Duration::ZERO,
    );
}
