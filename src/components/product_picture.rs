use leptos::prelude::*;

use crate::images;

/// A product's picture in a square slot of `size` px, decorative (`alt=""`: the title beside it names the product).
/// Pictures the CDN can resize come in a `srcset` (`images::srcset`) chosen by `sizes` (the slot's width by
/// default). `lazy` defers loading until it is near; `no_drag` keeps a mouse drag for the carousel.
#[component]
pub fn ProductPicture(
    url: String,
    size: u32,
    #[prop(optional)] class: Option<&'static str>,
    #[prop(optional)] sizes: Option<&'static str>,
    #[prop(optional)] lazy: bool,
    #[prop(optional)] no_drag: bool,
) -> impl IntoView {
    let srcset = images::srcset(&url);
    let sizes = sizes.map_or_else(|| format!("{size}px"), str::to_owned);
    view! {
        <img
            class=class
            src=url
            srcset=srcset
            sizes=sizes
            alt=""
            width=size
            height=size
            loading=lazy.then_some("lazy")
            decoding=lazy.then_some("async")
            draggable=no_drag.then_some("false")
        />
    }
}
