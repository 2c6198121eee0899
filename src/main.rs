//! The Trunk entry (client-side rendering for `trunk serve`); data comes from a running caravan-server through the
//! paths Trunk.toml proxies.

fn main() {
    console_error_panic_hook::set_once();
    caravan::scheduler::install();
    leptos::mount::mount_to_body(caravan::App);
}
