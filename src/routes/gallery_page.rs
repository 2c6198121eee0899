//! `/dev/gallery`: every component of the viewer's page in its states, with demo data, for designers restyling
//! `style/` (with `trunk serve`, or `./dev run`). Only in development: the server renders it when
//! `CARAVAN_DEV_GALLERY` is on, and a `trunk serve` build always; otherwise it is the 404 page.

mod demo;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{self, ApiError, EventStatus},
    components::{
        CartButton, CartSheet, ErrorNotice, HashtagFeed, LikeButton, PickupBanner, Player, ProductCard,
        ProductCarousel, ShowHeader,
    },
    hooks::{provide_cart, provide_still_pickup},
    routes::NotFoundPage,
};

/// Whether this build or this server shows the gallery.
fn enabled() -> bool {
    cfg!(feature = "csr") || api::config::rendered().is_some_and(|config| config.dev_gallery)
}

#[component]
pub fn GalleryPage() -> impl IntoView {
    if !enabled() {
        return view! { <NotFoundPage /> }.into_any();
    }
    view! {
        <Title text="Gallery" />
        <main class="gallery">
            <h1>"Component gallery"</h1>
            <p class="gallery-note">
                "Demo data, no show behind it. Edit style/ (tokens in style/tokens.css) and components; the language and theme switches are in the headers below."
            </p>
            <Specimen name="Header: live, upcoming, ended">
                <ShowHeader title="Caravan Live Demo".into() status=EventStatus::Live />
                <ShowHeader title="Tomorrow's show".into() status=EventStatus::Scheduled />
                <ShowHeader title="A show with a very long title that must be cut off on a phone".into() status=EventStatus::Ended />
            </Specimen>
            <Specimen name="Pick-up banner: off, on">
                <Banner product=None />
                <Banner product=Some(demo::product(1)) />
            </Specimen>
            <Specimen name="Product cards: on sale, with variants, on air, sold out">
                <Shop />
            </Specimen>
            <Specimen name="Carousel: empty">
                <ProductCarousel products=Signal::stored(Vec::new()) />
            </Specimen>
            <Specimen name="Like button">
                <div class="stage-actions">
                    <LikeButton event_id="gallery".into() initial=12_345 />
                </div>
            </Specimen>
            <Specimen name="Hashtag feed: posts, empty">
                <div class="gallery-feed">
                    <HashtagFeed event_id="gallery".into() initial=demo::posts() />
                </div>
                <div class="gallery-feed">
                    <HashtagFeed event_id="gallery-empty".into() initial=Vec::new() />
                </div>
            </Specimen>
            <Specimen name="Player: before the show, ended without a recording">
                <Player event=demo::event(EventStatus::Scheduled) />
                <Player event=demo::event(EventStatus::Ended) />
            </Specimen>
            <Specimen name="Loading, error">
                <p class="page-message">{move || crate::preferences::use_texts().get().loading_show}</p>
                <ErrorNotice error=ApiError::Network("the demo is offline".into()) />
            </Specimen>
        </main>
    }
    .into_any()
}

/// A titled specimen: one component, or a state of it.
#[component]
fn Specimen(name: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class="gallery-specimen" aria-label=name>
            <h2>{name}</h2>
            <div class="gallery-items">{children()}</div>
        </section>
    }
}

/// The banner with its own pick-up state (in an owner of its own: a component shares its parent's contexts).
#[component]
fn Banner(product: Option<api::Product>) -> impl IntoView {
    let owner = Owner::new();
    let banner = owner.with(|| {
        provide_still_pickup(product.map(demo::pickup));
        view! { <PickupBanner /> }
    });
    // The owner lives as long as the gallery.
    on_cleanup(move || drop(owner));
    banner
}

/// Cards in each state, and the cart (open, with two lines) they add to.
#[component]
fn Shop() -> impl IntoView {
    let cart = provide_cart("gallery");
    let products = demo::products();
    if cart.lines.with_untracked(Vec::is_empty) {
        cart.add(&products[0], None);
        cart.add(&products[1], products[1].variants.first());
    }
    let cards = products
        .into_iter()
        .enumerate()
        .map(|(i, product)| {
            view! {
                <div class="gallery-card">
                    <ProductCard product picked_up=Signal::stored(i == 2) />
                </div>
            }
        })
        .collect_view();
    view! {
        <div class="gallery-cards">{cards}</div>
        <div class="shop gallery-cart">
            <div class="shop-bar">
                <CartButton />
            </div>
            <CartSheet slug="gallery".into() />
        </div>
    }
}
