use std::time::Duration;

use leptos::{form::ActionForm, prelude::*};

use crate::{
    api::{
        Event, Product,
        console::{SetPickup, console_status},
    },
    format::format_price,
    routes::live_path,
};

/// How often the console refreshes the viewer count and the banner state.
const REFRESH: Duration = Duration::from_secs(3);

/// The console of a show: what the banner shows now, how many pages follow the show, and every product with a
/// button to pick it up. Each button is a form posting to a server function, so it also works without JavaScript.
#[component]
pub fn ConsolePanel(event: Event) -> impl IntoView {
    let set_pickup = ServerAction::<SetPickup>::new();
    let tick = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || tick.update(|t| *t += 1), REFRESH) {
            on_cleanup(move || handle.clear());
        }
    });
    let event_id = event.id.clone();
    let status = Resource::new(
        move || (set_pickup.version().get(), tick.get()),
        move |_| console_status(event_id.clone()),
    );
    // Which product is on air, for the buttons. A signal, not a read of `status`: the product rows sit outside the
    // status's <Transition>, and a resource read there would re-run the page's Suspense during server rendering.
    let on_air = RwSignal::new(
        event
            .pickup
            .as_ref()
            .and_then(|p| p.shown_product())
            .map(|p| p.id.clone()),
    );
    Effect::new(move |_| {
        if let Some(Ok(status)) = status.get() {
            on_air.set(
                status
                    .pickup
                    .as_ref()
                    .and_then(|p| p.shown_product())
                    .map(|p| p.id.clone()),
            );
        }
    });

    let live = live_path(&event.slug);
    let clear_id = event.id.clone();
    view! {
        <main class="console">
            <header class="console-header">
                <div>
                    <p class="console-kicker">"Operator console"</p>
                    <h1>{event.title.clone()}</h1>
                </div>
                <a href=live.clone() target="_blank" rel="noopener">"Open the live page"</a>
                <form method="post" action="/api/admin/logout">
                    <input type="hidden" name="next" value=format!("/admin/{}", event.slug) />
                    <button type="submit" class="secondary">"Sign out"</button>
                </form>
            </header>

            <section class="console-now" aria-label="The banner now">
                <Transition fallback=|| ()>
                    {move || status.get().map(|status| match status {
                        Ok(status) => {
                            let showing = status.pickup.as_ref().and_then(|p| p.shown_product()).map(|p| p.title.clone());
                            view! {
                                <p class="viewer-count">
                                    <strong data-testid="viewer-count">{status.viewers}</strong>
                                    {if status.viewers == 1 { " viewer" } else { " viewers" }}
                                </p>
                                <p class="banner-state" data-testid="banner-state">
                                    {match showing {
                                        Some(title) => format!("Showing: {title}"),
                                        None => "The banner is hidden".to_string(),
                                    }}
                                </p>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                    })}
                </Transition>
                <ActionForm action=set_pickup>
                    <input type="hidden" name="event_id" value=clear_id />
                    <input type="hidden" name="visible" value="false" />
                    <button type="submit" class="secondary">"Clear the banner"</button>
                </ActionForm>
            </section>

            {move || {
                set_pickup.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })
            }}

            <ul class="console-products" aria-label="Products">
                {event
                    .products
                    .into_iter()
                    .map(|product| {
                        let id = product.id.clone();
                        let current = Signal::derive(move || on_air.get().as_deref() == Some(id.as_str()));
                        view! { <ConsoleProduct product event_id=event.id.clone() current action=set_pickup /> }
                    })
                    .collect_view()}
            </ul>
        </main>
    }
}

/// One product of the console, with its "Pick up" button.
#[component]
fn ConsoleProduct(
    product: Product,
    event_id: String,
    current: Signal<bool>,
    action: ServerAction<SetPickup>,
) -> impl IntoView {
    let price = format_price(product.price, &product.currency);
    let label = format!("Pick up {}", product.title);
    let product_id = product.id.clone();
    view! {
        <li class="console-product" class:current=move || current.get() data-product-id=product.id.clone()>
            <img src=product.image_url.clone() alt="" width="48" height="48" loading="lazy" />
            <div class="console-product-body">
                <p class="console-product-title" lang="ja">{product.title.clone()}</p>
                <p class="console-product-meta">
                    {price} {product.sold_out.then_some(" · Sold out")}
                </p>
            </div>
            <ActionForm action>
                <input type="hidden" name="event_id" value=event_id />
                <input type="hidden" name="product_id" value=product_id />
                <input type="hidden" name="visible" value="true" />
                <button type="submit" aria-label=label aria-pressed=move || current.get().to_string()>
                    {move || if current.get() { "On air" } else { "Pick up" }}
                </button>
            </ActionForm>
        </li>
    }
}
