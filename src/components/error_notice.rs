use leptos::prelude::*;

use crate::{api::ApiError, preferences::use_texts};

/// A readable message for data that could not be loaded, with a way to try again.
#[component]
pub fn ErrorNotice(error: ApiError) -> impl IntoView {
    let t = use_texts();
    view! {
        <main class="page-message" role="alert">
            <h1>{move || t.get().error_title}</h1>
            <p>
                {move || match &error {
                    ApiError::Refused(refusal) => t.get().refusal(refusal, None),
                    other => other.to_string(),
                }}
            </p>
            <p>
                <a href="">{move || t.get().try_again}</a>
            </p>
        </main>
    }
}
