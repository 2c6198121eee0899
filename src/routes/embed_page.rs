use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{self, Event},
    components::{CartButton, CartSheet, ErrorNotice, LikeButton, PickupBanner, Player, ProductCarousel},
    hooks::{provide_cart, provide_embed, provide_pickup, use_catalog},
    routes::{NotFoundPage, live_path},
};

/// `/embed/:slug`: the show as a partner's widget, framed by `/embed.js` (docs/EMBEDDING.md). `?mode=player` (the
/// default): the player, the pick-up banner and the like button; `?mode=full`: the shop too. A link opens the show's
/// own page in a new tab (for browsers that keep cookies from framed pages, and for anyone who wants the whole page).
#[component]
pub fn EmbedPage() -> impl IntoView {
    let params = use_params_map();
    let full = use_query_map().read_untracked().get("mode").as_deref() == Some("full");
    let slug = move || params.read().get("slug").unwrap_or_default();
    let event = Resource::new(slug, api::live_event);
    view! {
        <Suspense fallback=|| view! { <p class="page-message">"Loading the show…"</p> }>
            {move || Suspend::new(async move {
                match event.await {
                    Ok(Some(event)) => view! { <EmbedShow event full /> }.into_any(),
                    Ok(None) => view! { <NotFoundPage /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EmbedShow(event: Event, full: bool) -> impl IntoView {
    provide_pickup(event.id.clone(), event.pickup.clone());
    // Before the cart: it tells the partner about additions.
    provide_embed(event.slug.clone());
    provide_cart(&event.slug);
    let products = use_catalog(event.id.clone(), event.slug.clone(), event.products.clone());
    let slug = event.slug.clone();
    view! {
        <Title text=event.title.clone() />
        <main class="embed-layout" data-mode=if full { "full" } else { "player" }>
            <Player event=event.clone() />
            <div class="embed-bar">
                <PickupBanner />
                <LikeButton event_id=event.id.clone() initial=event.likes.total />
            </div>
            {full
                .then(|| {
                    view! {
                        <section class="shop embed-shop" aria-label="Shop">
                            <div class="shop-bar">
                                <CartButton />
                            </div>
                            <ProductCarousel products />
                            <CartSheet slug=slug.clone() />
                        </section>
                    }
                })}
            <a class="embed-open" href=live_path(&event.slug) target="_blank" rel="noopener">
                {format!("Open \u{201c}{}\u{201d} in a new tab", event.title)}
            </a>
        </main>
    }
}
