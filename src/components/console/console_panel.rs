use std::time::Duration;

use leptos::{form::ActionForm, prelude::*};

use crate::{
    api::{
        Event, Product,
        console::{ConsoleState, EndShow, HideFeedPost, IssueStreamKey, PostFeed, RetryJob, SetPickup, console_status},
    },
    components::console::{
        broadcast_panel::BroadcastPanel, catalog_refresh::CatalogRefresh, dead_letters::DeadLetters,
        feed_moderation::FeedModeration, grant_access_form::GrantAccessForm, mail_outbox::MailOutbox,
        playback_figures::PlaybackFigures, waiting_room_controls::WaitingRoomControls,
    },
    format::format_price,
    routes::live_path,
};

/// How often the console refreshes the viewer count, the playback figures and the banner state.
const REFRESH: Duration = Duration::from_secs(3);

/// The console of a show: what the banner shows now, how many pages follow the show, and every product with a
/// button to pick it up. Each button is a form posting to a server function, so it also works without JavaScript.
#[component]
pub fn ConsolePanel(event: Event, initial: Option<ConsoleState>) -> impl IntoView {
    let set_pickup = ServerAction::<SetPickup>::new();
    let issue_key = ServerAction::<IssueStreamKey>::new();
    let end_show = ServerAction::<EndShow>::new();
    let retry = ServerAction::<RetryJob>::new();
    let post_feed = ServerAction::<PostFeed>::new();
    let hide_feed_post = ServerAction::<HideFeedPost>::new();
    // What the server rendered, refreshed in the browser every few seconds and after each action. A signal, not a
    // resource: resources created below the page's Suspense would make server rendering start over.
    let state = RwSignal::new(initial);
    let slug = event.slug.clone();
    let refresh = move || {
        let slug = slug.clone();
        leptos::task::spawn_local(async move {
            if let Ok(Some(fresh)) = console_status(slug).await {
                state.set(Some(fresh));
            }
        });
    };
    Effect::new({
        let refresh = refresh.clone();
        move |_| {
            set_pickup.version().track();
            retry.version().track();
            post_feed.version().track();
            hide_feed_post.version().track();
            end_show.version().track();
            refresh();
        }
    });
    Effect::new(move |_| {
        let refresh = refresh.clone();
        if let Ok(handle) = set_interval_with_handle(refresh, REFRESH) {
            on_cleanup(move || handle.clear());
        }
    });
    // Rendered again only when the mail changes, not at every refresh (an opened message stays open).
    let outbox = Memo::new(move |_| state.with(|s| s.as_ref().map(|s| s.outbox.clone()).unwrap_or_default()));
    let dead_jobs = Memo::new(move |_| state.with(|s| s.as_ref().map(|s| s.dead_jobs.clone()).unwrap_or_default()));
    let feed = Memo::new(move |_| state.with(|s| s.as_ref().map(|s| s.feed.clone()).unwrap_or_default()));
    let collection = Memo::new(move |_| state.with(|s| s.as_ref().and_then(|s| s.shopify_collection.clone())));
    let catalog_slug = event.slug.clone();
    let stream = Memo::new(move |_| state.with(|s| s.as_ref().map(|s| s.stream.clone()).unwrap_or_default()));
    let on_air = Memo::new(move |_| state.with(|s| s.as_ref()?.pickup.as_ref()?.shown_product().map(|p| p.id.clone())));

    let live = live_path(&event.slug);
    let clear_id = event.id.clone();
    view! {
        <main class="console" lang="en">
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
                {move || {
                    state
                        .get()
                        .map(|state| {
                            let showing = state.pickup.as_ref().and_then(|p| p.shown_product()).map(|p| p.title.clone());
                            view! {
                                <p class="viewer-count">
                                    <strong data-testid="viewer-count">{state.viewers}</strong>
                                    {if state.viewers == 1 { " viewer" } else { " viewers" }}
                                </p>
                                <PlaybackFigures playback=state.playback.clone() />
                                <p class="banner-state" data-testid="banner-state">
                                    {match showing {
                                        Some(title) => format!("Showing: {title}"),
                                        None => "The banner is hidden".to_string(),
                                    }}
                                </p>
                            }
                        })
                }}
                <ActionForm action=set_pickup>
                    <input type="hidden" name="event_id" value=clear_id />
                    <input type="hidden" name="visible" value="false" />
                    <button type="submit" class="secondary">"Clear the banner"</button>
                </ActionForm>
            </section>

            {move || {
                set_pickup.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })
            }}

            <BroadcastPanel event_id=event.id.clone() stream issue=issue_key end=end_show />
            <WaitingRoomControls event_id=event.id.clone() />
            <GrantAccessForm slug=event.slug.clone() />
            {move || {
                let slug = catalog_slug.clone();
                collection.get().map(|collection| view! { <CatalogRefresh slug collection /> })
            }}
            {move || view! { <MailOutbox mail=outbox.get() /> }}
            {move || view! { <DeadLetters jobs=dead_jobs.get() retry /> }}
            {
                let event_id = event.id.clone();
                move || {
                    view! { <FeedModeration event_id=event_id.clone() posts=feed.get() post=post_feed hide=hide_feed_post /> }
                }
            }

            <ul class="console-products" aria-label="Products">
                {event
                    .products
                    .into_iter()
                    .map(|product| {
                        let id = product.id.clone();
                        let current = Signal::derive(move || on_air.with(|on_air| on_air.as_deref() == Some(id.as_str())));
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
                    <Show when=move || current.get()>
                        " "
                        <span class="console-on-air">"On air"</span>
                    </Show>
                </p>
            </div>
            <ActionForm action>
                <input type="hidden" name="event_id" value=event_id />
                <input type="hidden" name="product_id" value=product_id />
                <input type="hidden" name="visible" value="true" />
                // The button's words stay "Pick up" (its accessible name begins with them, WCAG 2.5.3); being on air
                // is its pressed state, and the badge by the price.
                <button type="submit" aria-label=label aria-pressed=move || current.get().to_string()>
                    "Pick up"
                </button>
            </ActionForm>
        </li>
    }
}
