mod feed_post;

use std::time::Duration;

use feed_post::FeedPostItem;
use leptos::{html, prelude::*};

use crate::{
    api::FeedPost,
    format::now_seconds,
    hooks::{UseFeed, use_feed},
    preferences::use_texts,
};

/// How often the posts' ages ("3 min") are brought up to date.
const TICK: Duration = Duration::from_secs(30);
/// How far from the top the list may be scrolled and still count as "at the top".
const TOP_SLACK: i32 = 24;

/// The show's hashtag feed, live (`use_feed`): newest first, each post's text with its links, hashtags and mentions,
/// its author and age. While the viewer reads further down, new posts wait behind an "N new posts" button, and a
/// polite live region says they came. Rendered on the server with the newest posts.
#[component]
pub fn HashtagFeed(event_id: String, initial: Vec<FeedPost>) -> impl IntoView {
    let feed = use_feed(event_id, initial);
    let t = use_texts();
    let UseFeed { posts, waiting, at_top } = feed;
    let list = NodeRef::<html::Ol>::new();
    let now = RwSignal::new(now_seconds());
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || now.set(now_seconds()), TICK) {
            on_cleanup(move || handle.clear());
        }
    });
    let on_scroll = move |_| {
        if let Some(list) = list.get_untracked() {
            let top = list.scroll_top() <= TOP_SLACK;
            if top != at_top.get_untracked() {
                at_top.set(top);
            }
        }
    };
    let show_new = move |_| {
        feed.show_waiting();
        if let Some(list) = list.get_untracked() {
            list.set_scroll_top(0);
        }
        at_top.set(true);
    };
    let waiting_count = Memo::new(move |_| waiting.with(Vec::len));
    let new_label = move || t.get().new_posts(waiting_count.get());

    view! {
        <section class="hashtag-feed" aria-label=move || t.get().feed_region>
            <button
                type="button"
                class="feed-new-posts"
                hidden=move || waiting_count.get() == 0
                on:click=show_new
            >
                <span aria-hidden="true">"↑ "</span>
                {new_label}
            </button>
            <p class="slot-note feed-empty" hidden=move || !posts.with(Vec::is_empty)>
                {move || t.get().feed_empty}
            </p>
            <ol class="feed-list" node_ref=list on:scroll=on_scroll>
                <For each=move || posts.get() key=|post| post.id.clone() let:post>
                    <FeedPostItem post now />
                </For>
            </ol>
            <p class="visually-hidden" aria-live="polite">
                {move || if waiting_count.get() > 0 { new_label() } else { String::new() }}
            </p>
        </section>
    }
}
