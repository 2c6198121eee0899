use leptos::prelude::*;
use leptos_meta::Title;

/// The page for an unknown address or event. On the server it sets the response status to 404.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <main class="page-message">
            <h1>"Not found"</h1>
            <p>"There is no show at this address. It may have ended or moved."</p>
            <p>
                <a href="/">"Go to the show on air"</a>
            </p>
        </main>
    }
}
