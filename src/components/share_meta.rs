use leptos::prelude::*;
use leptos_meta::{Link, Meta};

use crate::{
    api::{Event, config},
    share::{absolute, image, json_ld},
};

/// What a shared link to the show shows: its description, Open Graph and Twitter card (title, description, the
/// show's picture), the canonical address, and the show as schema.org JSON-LD (a `BroadcastEvent` with its products'
/// offers). Absolute addresses come from the site's configured address, the same on the server and in the browser.
#[component]
pub fn ShareMeta(event: Event) -> impl IntoView {
    let description = event.description.clone().unwrap_or_default();
    let Some(site) = config::rendered().map(|config| config.site_url) else {
        return view! { <Meta name="description" content=description /> }.into_any();
    };
    let url = absolute(&site, &format!("/live/{}", event.slug));
    let picture = image(&event).map(|path| absolute(&site, path));
    let ld = json_ld(&event, &site);
    view! {
        <Meta name="description" content=description.clone() />
        <Link rel="canonical" href=url.clone() />
        <Meta property="og:type" content="video.other" />
        <Meta property="og:site_name" content="Caravan" />
        <Meta property="og:title" content=event.title.clone() />
        <Meta property="og:description" content=description.clone() />
        <Meta property="og:url" content=url />
        {picture.clone().map(|picture| view! { <Meta property="og:image" content=picture /> })}
        <Meta name="twitter:card" content="summary_large_image" />
        <Meta name="twitter:title" content=event.title.clone() />
        <Meta name="twitter:description" content=description />
        {picture.map(|picture| view! { <Meta name="twitter:image" content=picture /> })}
        <script type="application/ld+json" inner_html=ld></script>
    }
    .into_any()
}
