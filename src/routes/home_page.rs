use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::{api, components::ErrorNotice, preferences::use_texts, routes::live_path};

/// `/`: sends viewers to the show on air now. With nothing on air it says so.
#[component]
pub fn HomePage() -> impl IntoView {
    let live = Resource::new(|| (), |_| api::current_live_slug());
    let t = use_texts();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match live.await {
                    Ok(Some(slug)) => view! { <Redirect path=live_path(&slug) /> }.into_any(),
                    Ok(None) => {
                        view! {
                            <main class="page-message">
                                <h1>"Caravan"</h1>
                                <p>{move || t.get().nothing_on_air}</p>
                            </main>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
