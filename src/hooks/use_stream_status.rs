//! `use_stream_status`: where the show's stream stands (waiting, on air, interrupted, ended), from the server-rendered
//! page and then live (`onStreamStatus`), so the page goes from the countdown to the show and from the show to its
//! replay without a reload. On each (re)connection it reads the status again, in case it changed while the link was
//! down; the newest said wins, so a slow answer never takes the page back.

use leptos::prelude::*;

use crate::{
    api::{self, StreamStatus},
    hooks::use_live_subscription,
};

pub fn use_stream_status(event_id: String, slug: String, initial: StreamStatus) -> Signal<StreamStatus> {
    let status = RwSignal::new(initial);
    let take = move |next: StreamStatus| {
        let newer = status.with_untracked(|now| next.updated_at >= now.updated_at && next != *now);
        if newer {
            status.set(next);
        }
    };
    use_live_subscription(api::on_stream_status(event_id), take, move || {
        let slug = slug.clone();
        leptos::task::spawn_local(async move {
            if let Ok(Some(now)) = api::stream_status(slug).await {
                take(now);
            }
        });
    });
    status.into()
}
