use leptos::prelude::*;
use leptos_meta::Title;

use crate::preferences::{use_preferences, use_texts};

/// The page for an unknown address or event. On the server it sets the response status to 404.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let t = use_texts();
    // The title reads the app's own language signal, not this page's derived one: leptos_meta may read it after a
    // render that dropped this page (the page inside a resource's answer is rendered again), and a signal of the page's
    // would be gone by then.
    let locale = use_preferences().locale;
    view! {
        <Title text=move || locale.get().texts().not_found />
        <main class="page-message">
            <h1>{move || t.get().not_found}</h1>
            <p>{move || t.get().not_found_text}</p>
            <p>
                <a href="/">{move || t.get().go_to_show}</a>
            </p>
        </main>
    }
}
