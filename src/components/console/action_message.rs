use leptos::prelude::*;

/// What the server said about the last console action: its confirmation (a status) or what went wrong (an alert).
#[component]
pub fn ActionMessage(result: MappedSignal<Option<Result<String, ServerFnError>>>) -> impl IntoView {
    move || {
        result.get().map(|result| match result {
            Ok(done) => view! { <p class="form-done" role="status">{done}</p> }.into_any(),
            Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
        })
    }
}
