use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::{
        self, Event,
        playback::PlaybackGrant,
        realtime::{self, LinkStatus},
    },
    components::{
        ConnectionIndicator, ErrorNotice, HashtagFeed, LikeButton, PickupBanner, Player, Programme, ShareMeta, Shop,
        ShowHeader, SidePanel, WaitingRoomOverlay,
    },
    hooks::{
        PlayerSlot, provide_cart, provide_pickup, provide_replay, provide_waiting_room, use_catalog, use_stream_status,
    },
    preferences::use_texts,
    routes::NotFoundPage,
};

/// `/live/:slug`: the show. The server renders it complete (products included) so it reads without JavaScript.
#[component]
pub fn LivePage() -> impl IntoView {
    show_of_route(|event, start| view! { <LiveShow event start /> }.into_any())
}

/// The show the route's `:slug` names, loaded (on the server, before the first byte), then laid out by `show`; the
/// not-found page for an unknown slug, and the error notice when the API fails. The live page's and the widget's.
///
/// When the show has a stream to play, the server also authorizes the viewer while it renders (`start`, with the
/// stream's cookies on the page's response), so the page starts the stream before the app has loaded.
pub fn show_of_route(
    show: impl Fn(Event, Option<PlaybackGrant>) -> AnyView + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let event = Resource::new(slug, |slug| async move {
        let start = api::playback::grant_at_render(slug.clone());
        let Some(event) = api::live_event(slug).await? else {
            return Ok(None);
        };
        let playable = Programme::of(&event, event.status, &event.stream_status, false)
            .stream()
            .is_some();
        let start = if playable { start.await } else { None };
        Ok::<_, api::ApiError>(Some((event, start)))
    });
    view! {
        <Suspense fallback=|| view! { <p class="page-message">{move || use_texts().get().loading_show}</p> }>
            {move || Suspend::new(async move {
                match event.await {
                    Ok(Some((event, start))) => show(event, start),
                    Ok(None) => view! { <NotFoundPage /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The layout of a show: the stage (player, pickup banner, like button) and the side panel (shop and feed).
#[component]
fn LiveShow(event: Event, start: Option<PlaybackGrant>) -> impl IntoView {
    provide_cart(&event.slug);
    provide_waiting_room(event.id.clone());
    provide_pickup(event.id.clone(), event.pickup.clone());
    let stream = use_stream_status(event.id.clone(), event.slug.clone(), event.stream_status.clone());
    // The replay's banner follows the recording's moments; its products jump the player to theirs.
    provide_context(PlayerSlot(RwSignal::new(None)));
    let replaying = replaying(&event, stream);
    provide_replay(&event.id, &event.replay_pickups, &event.products, replaying);
    let products = use_catalog(event.id.clone(), event.slug.clone(), event.products.clone());
    let slug = event.slug.clone();
    let (feed_event, feed_initial) = (event.id.clone(), event.feed.clone());
    let planned = event.status;
    let status = Signal::derive(move || stream.with(|stream| stream.state.show_status(planned)));
    let link = realtime::status();
    let t = use_texts();
    let link_state = move || match link.get() {
        LinkStatus::Connecting => "connecting",
        LinkStatus::Live => "live",
        LinkStatus::Reconnecting => "reconnecting",
    };
    view! {
        <Title text=event.title.clone() />
        <ShareMeta event=event.clone() />
        <main class="live-layout" data-live-link=link_state>
            <ShowHeader title=event.title.clone() status />
            <ConnectionIndicator />
            <section class="stage" aria-label=move || t.get().live_show>
                <Player event=event.clone() stream start />
                <WaitingRoomOverlay />
                <div class="stage-actions">
                    <PickupBanner />
                    <LikeButton event_id=event.id.clone() initial=event.likes.total />
                </div>
            </section>
            <SidePanel
                shop=move || view! { <Shop slug=slug.clone() products /> }.into_any()
                feed=move || {
                    view! { <HashtagFeed event_id=feed_event.clone() initial=feed_initial.clone() /> }
                }
            />
        </main>
    }
}

/// Whether the page plays the show's replay (it ended with a recording), as the player decides.
pub fn replaying(event: &Event, stream: Signal<crate::api::StreamStatus>) -> Signal<bool> {
    let event = event.clone();
    Signal::derive(move || {
        stream.with(|stream| Programme::of(&event, event.status, stream, false) == Programme::Archive)
    })
}
