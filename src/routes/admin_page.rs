use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::{
        self, ApiError,
        console::{console_session, console_status},
    },
    components::{ConsoleLogin, ConsolePanel, ErrorNotice},
    routes::NotFoundPage,
};

/// `/admin/:slug`: the operator console of a show, behind the operator's sign-in. Everything the console shows first
/// is loaded here, so nothing below creates resources while the server renders.
#[component]
pub fn AdminPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let signed_in = Resource::new(|| (), |_| console_session());
    let event = Resource::new(slug, api::live_event);
    let status = Resource::new(slug, console_status);

    view! {
        <Title text="Operator console" />
        <Suspense fallback=|| view! { <p class="page-message">"Loading the console…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = signed_in.await.map_err(|e| ApiError::Network(e.to_string()));
                // Every resource of the page is awaited on every path, so server rendering never waits for one that
                // nothing reads (the status resource is refused quickly without a session).
                let initial = status.await.ok().flatten();
                match (signed_in, event.await) {
                    (Ok(false), _) => view! { <ConsoleLogin next=format!("/admin/{}", slug()) /> }.into_any(),
                    (Ok(true), Ok(Some(event))) => view! { <ConsolePanel event initial /> }.into_any(),
                    (Ok(true), Ok(None)) => view! { <NotFoundPage /> }.into_any(),
                    (Err(error), _) | (_, Err(error)) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
