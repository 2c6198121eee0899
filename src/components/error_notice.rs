use leptos::prelude::*;

use crate::api::ApiError;

/// A readable message for data that could not be loaded, with a way to try again.
#[component]
pub fn ErrorNotice(error: ApiError) -> impl IntoView {
    view! {
        <main class="page-message" role="alert">
            <h1>"Something went wrong"</h1>
            <p>{error.to_string()}</p>
            <p>
                <a href="">"Try again"</a>
            </p>
        </main>
    }
}
