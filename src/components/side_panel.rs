use leptos::{ev::KeyboardEvent, prelude::*};

use crate::{i18n::Texts, preferences::use_texts};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Shop,
    Feed,
}

impl Tab {
    fn other(self) -> Self {
        match self {
            Tab::Shop => Tab::Feed,
            Tab::Feed => Tab::Shop,
        }
    }
}

/// The shop and the feed as two tabs (WAI-ARIA tabs: arrow keys move between them). The shop is open first, so the
/// server-rendered page shows the products even without JavaScript.
#[component]
pub fn SidePanel(#[prop(into)] shop: ViewFn, #[prop(into)] feed: ViewFn) -> impl IntoView {
    let t = use_texts();
    let (tab, set_tab) = signal(Tab::Shop);
    let on_keydown = move |ev: KeyboardEvent| {
        if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight") {
            ev.prevent_default();
            let next = tab.get().other();
            set_tab.set(next);
            let id = match next {
                Tab::Shop => "tab-shop",
                Tab::Feed => "tab-feed",
            };
            if let Some(button) = document().get_element_by_id(id) {
                let _ = wasm_bindgen::JsCast::unchecked_into::<web_sys::HtmlElement>(button).focus();
            }
        }
    };
    let tab_button = move |which: Tab, id: &'static str, panel: &'static str, label: fn(&Texts) -> &'static str| {
        view! {
            <button
                type="button"
                role="tab"
                id=id
                aria-controls=panel
                aria-selected=move || (tab.get() == which).to_string()
                tabindex=move || if tab.get() == which { "0" } else { "-1" }
                on:click=move |_| set_tab.set(which)
            >
                {move || label(t.get())}
            </button>
        }
    };
    view! {
        <section class="side-panel" aria-label=move || t.get().shop_and_feed>
            <div class="tabs" role="tablist" aria-label=move || t.get().shop_and_feed on:keydown=on_keydown>
                {tab_button(Tab::Shop, "tab-shop", "panel-shop", |t| t.tab_shop)}
                {tab_button(Tab::Feed, "tab-feed", "panel-feed", |t| t.tab_feed)}
            </div>
            <div
                class="tab-panel"
                role="tabpanel"
                id="panel-shop"
                aria-labelledby="tab-shop"
                hidden=move || tab.get() != Tab::Shop
            >
                {shop.run()}
            </div>
            <div
                class="tab-panel"
                role="tabpanel"
                id="panel-feed"
                aria-labelledby="tab-feed"
                hidden=move || tab.get() != Tab::Feed
            >
                {feed.run()}
            </div>
        </section>
    }
}
