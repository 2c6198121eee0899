use leptos::prelude::*;

/// What the server said about the last console action: its confirmation (a status) or what went wrong (an alert).
/// `E` is the error as it came: a server function's, or a message already in words.
#[component]
pub fn ActionMessage<E>(#[prop(into)] result: Signal<Option<Result<String, E>>>) -> impl IntoView
where
    E: std::fmt::Display + Clone + Send + Sync + 'static,
{
    move || {
        result.get().map(|result| match result {
            Ok(done) => view! { <p class="form-done" role="status">{done}</p> }.into_any(),
            Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
        })
    }
}
