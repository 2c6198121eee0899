use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

use crate::{
    api::{Event, playback::PlaybackGrant},
    components::{LikeButton, PickupBanner, Player, Shop, WaitingRoomOverlay},
    hooks::{
        provide_cart, provide_embed, provide_pickup, provide_replay, provide_waiting_room, use_catalog,
        use_stream_status,
    },
    preferences::use_texts,
    routes::{live_path, show_of_route},
};

/// `/embed/:slug`: the show as a partner's widget, framed by `/embed.js` (docs/EMBEDDING.md). `?mode=player` (the
/// default): the player, the pick-up banner and the like button; `?mode=full`: the shop too. A link opens the show's
/// own page in a new tab (for browsers that keep cookies from framed pages, and for anyone who wants the whole page).
#[component]
pub fn EmbedPage() -> impl IntoView {
    let full = use_query_map().read_untracked().get("mode").as_deref() == Some("full");
    show_of_route(move |event, start| view! { <EmbedShow event start full /> }.into_any())
}

#[component]
fn EmbedShow(event: Event, start: Option<PlaybackGrant>, full: bool) -> impl IntoView {
    provide_pickup(event.id.clone(), event.pickup.clone());
    // Before the cart: it tells the partner about additions.
    provide_embed(event.slug.clone());
    provide_cart(&event.slug);
    provide_waiting_room(event.id.clone());
    let products = use_catalog(event.id.clone(), event.slug.clone(), event.products.clone());
    let slug = event.slug.clone();
    let t = use_texts();
    let title = event.title.clone();
    let stream = use_stream_status(event.id.clone(), event.slug.clone(), event.stream_status.clone());
    provide_replay(
        &event.id,
        &event.replay_pickups,
        &event.products,
        super::live_page::replaying(&event, stream),
    );
    view! {
        <Title text=event.title.clone() />
        // What a search engine shows for the frame, as for the show's page.
        <Meta name="description" content=event.description.clone().unwrap_or_default() />
        <main class="embed-layout" data-mode=if full { "full" } else { "player" }>
            // The widget shows no title (the partner's page around it has its own), but a screen reader's outline of
            // the frame starts with the show's name.
            <h1 class="visually-hidden">{event.title.clone()}</h1>
            <Player event=event.clone() stream start />
            <WaitingRoomOverlay />
            <div class="embed-bar">
                <PickupBanner />
                <LikeButton event_id=event.id.clone() initial=event.likes.total />
            </div>
            {full
                .then(|| {
                    view! {
                        <section class="embed-shop" aria-label=move || t.get().tab_shop>
                            <Shop slug=slug.clone() products />
                        </section>
                    }
                })}
            <a class="embed-open" href=live_path(&event.slug) target="_blank" rel="noopener">
                {move || t.get().open_in_new_tab(&title)}
            </a>
        </main>
    }
}
