//! The embedded widget's side of the partner API (`/embed/{slug}`, framed by `/embed.js`; docs/EMBEDDING.md).
//!
//! - The partner page is the frame's parent; its origin is `location.ancestorOrigins[0]` (else the referrer's).
//!   The browser let it frame the widget only because it is allowed (`frame-ancestors`), and messages go to that
//!   origin alone, never to `*`.
//! - Commands come as `{caravan: 1, type: "command", command}` (`play`, `pause`, `mute`, `unmute`, `seekToLive`) and
//!   are taken only from the parent window at that origin.
//! - Events go out as `{caravan: 1, type: "event", event, slug, detail}`: `ready`, `play`, `pause`, `like`, `pickup`,
//!   `addToCart`, `checkout`; and `{caravan: 1, type: "resize", slug, height}` whenever the widget's height changes.
//!
//! Outside a frame (or during server rendering) every part is inert.

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::components::PlayerActions;

/// The partner page this widget talks to, for the components that report events (`EmbedHost::emit`).
#[derive(Debug, Clone, Copy)]
pub struct EmbedHost {
    /// The parent's origin; `None` when not framed.
    parent: StoredValue<Option<String>>,
    slug: StoredValue<String>,
}

/// Where the embed page's player leaves its actions, for the commands.
#[derive(Clone, Copy)]
pub struct PlayerSlot(pub RwSignal<Option<PlayerActions>>);

/// The widget's host, when this page is an embed (`provide_embed` ran above).
pub fn use_embed_host() -> Option<EmbedHost> {
    use_context::<EmbedHost>()
}

impl EmbedHost {
    /// Tells the partner page that `event` happened.
    pub fn emit(&self, event: &str, detail: Value) {
        let slug = self.slug.get_value();
        self.post(json!({ "caravan": 1, "type": "event", "event": event, "slug": slug, "detail": detail }));
    }

    fn post(&self, message: Value) {
        #[cfg(feature = "browser")]
        if let Some(origin) = self.parent.get_value()
            && let Ok(Some(parent)) = window().parent()
            && let Ok(message) = js_sys::JSON::parse(&message.to_string())
        {
            let _ = parent.post_message(&message, &origin);
        }
        #[cfg(not(feature = "browser"))]
        let _ = (message, self.parent);
    }
}

/// Makes this page the embed of the show at `slug`: provides the host and the player slot, takes the partner's
/// commands, and reports the player's state, the pick-up and the widget's height.
pub fn provide_embed(slug: String) -> EmbedHost {
    let host = EmbedHost {
        parent: StoredValue::new(parent_origin()),
        slug: StoredValue::new(slug),
    };
    let slot = PlayerSlot(RwSignal::new(None));
    provide_context(host);
    provide_context(slot);
    #[cfg(feature = "browser")]
    browser::connect(host, slot);
    host
}

/// The origin of the page framing this one, if any.
fn parent_origin() -> Option<String> {
    #[cfg(feature = "browser")]
    {
        let window = window();
        let framed = window.parent().ok().flatten().is_some_and(|parent| parent != window);
        if !framed {
            return None;
        }
        let ancestors = js_sys::Reflect::get(&window.location(), &"ancestorOrigins".into()).ok();
        let first = ancestors
            .and_then(|list| js_sys::Reflect::get(&list, &0.into()).ok())
            .and_then(|origin| origin.as_string());
        first
            .or_else(|| {
                let referrer = document().referrer();
                web_sys::Url::new(&referrer).ok().map(|url| url.origin())
            })
            .filter(|origin| origin.starts_with("https://") || origin.starts_with("http://"))
    }
    #[cfg(not(feature = "browser"))]
    None
}

#[cfg(feature = "browser")]
mod browser {
    use leptos::{ev, prelude::*};
    use serde_json::json;
    use wasm_bindgen::{JsCast, prelude::Closure};

    use super::{EmbedHost, PlayerSlot};
    use crate::hooks::use_pickup;

    pub(super) fn connect(host: EmbedHost, slot: PlayerSlot) {
        let Some(origin) = host.parent.get_value() else { return };
        let listener = window_event_listener(ev::message, move |message: web_sys::MessageEvent| {
            // Compared as values: a window of another origin is not an `instanceof Window` here.
            let from_parent = message
                .source()
                .map(wasm_bindgen::JsValue::from)
                .zip(window().parent().ok().flatten().map(wasm_bindgen::JsValue::from))
                .is_some_and(|(source, parent)| source == parent);
            if message.origin() != origin || !from_parent {
                return;
            }
            let Some(text) = js_sys::JSON::stringify(&message.data())
                .ok()
                .and_then(|s| s.as_string())
            else {
                return;
            };
            let Ok(command) = serde_json::from_str::<serde_json::Value>(&text) else {
                return;
            };
            if command["caravan"] != 1 || command["type"] != "command" {
                return;
            }
            let Some(player) = slot.0.get_untracked() else { return };
            match command["command"].as_str() {
                Some("play") => player.play(),
                Some("pause") => player.pause(),
                Some("mute") => player.set_muted(true),
                Some("unmute") => player.set_muted(false),
                Some("seekToLive") => player.back_to_live(),
                _ => {}
            }
        });
        on_cleanup(move || listener.remove());

        // Ready once the player is there; then its play and pause.
        Effect::new(move |was_paused: Option<Option<bool>>| {
            let player = slot.0.get()?;
            let paused = player.media.paused.get();
            match was_paused {
                None | Some(None) => host.emit("ready", json!({})),
                Some(Some(before)) if before != paused => {
                    host.emit(if paused { "pause" } else { "play" }, json!({}));
                }
                _ => {}
            }
            Some(paused)
        });

        // What the operator picks up.
        let pickup = use_pickup();
        Effect::new(move |first: Option<()>| {
            let detail = pickup.with(|p| {
                let shown = p.as_ref().and_then(|p| p.shown_product());
                json!({ "visible": shown.is_some(), "productId": shown.map(|p| p.id.clone()),
                        "title": shown.map(|p| p.title.clone()) })
            });
            if first.is_some() {
                host.emit("pickup", detail);
            }
        });

        // The widget's height, whenever it changes.
        let report = Closure::<dyn Fn()>::new(move || {
            let height = document().document_element().map_or(0, |root| root.scroll_height());
            host.post(json!({ "caravan": 1, "type": "resize", "slug": host.slug.get_value(), "height": height }));
        });
        if let Ok(observer) = web_sys::ResizeObserver::new(report.as_ref().unchecked_ref())
            && let Some(body) = document().body()
        {
            observer.observe(&body);
            report.forget();
        }
    }
}
