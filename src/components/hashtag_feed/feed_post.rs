use leptos::prelude::*;

use crate::{
    api::{FeedPost, FeedSource},
    feed_text::{Segment, segments},
    format::parse_utc_seconds,
    i18n::Texts,
    preferences::use_texts,
};

/// Links out of a post: a new tab, no referrer or opener, and a hint to search engines that users wrote them.
const REL: &str = "noopener noreferrer nofollow ugc";

/// One post: the author's picture (or initial), name and handle, where it comes from, its age, and its text. Every
/// part is text or an `http(s)` link: nothing in a post is markup. Names and text are isolated (`<bdi>`,
/// `dir="auto"`), so right-to-left writing in one cannot reorder what is around it.
#[component]
pub fn FeedPostItem(post: FeedPost, now: RwSignal<i64>) -> impl IntoView {
    let posted = parse_utc_seconds(&post.posted_at);
    let t = use_texts();
    let age = move || posted.map(|then| t.get().age(now.get() - then)).unwrap_or_default();
    let initial = post
        .author_name
        .chars()
        .next()
        .unwrap_or('?')
        .to_uppercase()
        .to_string();
    let avatar = match &post.author_avatar_url {
        Some(src) => view! {
            <img src=src.clone() alt="" width="36" height="36" loading="lazy" decoding="async" referrerpolicy="no-referrer" />
        }
        .into_any(),
        None => view! { <span class="feed-initial">{initial}</span> }.into_any(),
    };
    // Where it comes from: in words, and as the item's `data-source`.
    let (source, source_name): (fn(&Texts) -> &'static str, _) = match post.source {
        FeedSource::X => (|t| t.on_x, "x"),
        FeedSource::Mastodon => (|t| t.on_mastodon, "mastodon"),
        FeedSource::Local | FeedSource::Unknown => (|t| t.from_the_show, "local"),
    };
    let source = move || source(t.get());
    let text = segments(&post.text, post.source, post.url.as_deref())
        .into_iter()
        .map(|segment| match segment {
            Segment::Text(text) => text.to_owned().into_any(),
            Segment::Link(url) => view! {
                <a href=url.to_owned() target="_blank" rel=REL>{url.to_owned()}</a>
            }
            .into_any(),
            Segment::Hashtag(tag, Some(url)) => view! {
                <a class="feed-tag" href=url target="_blank" rel=REL>{tag.to_owned()}</a>
            }
            .into_any(),
            Segment::Mention(name, Some(url)) => view! {
                <a class="feed-mention" href=url target="_blank" rel=REL>{name.to_owned()}</a>
            }
            .into_any(),
            Segment::Hashtag(tag, None) => view! { <span class="feed-tag">{tag.to_owned()}</span> }.into_any(),
            Segment::Mention(name, None) => view! { <span class="feed-mention">{name.to_owned()}</span> }.into_any(),
        })
        .collect_view();
    view! {
        <li class="feed-post" data-source=source_name data-post-id=post.id.clone()>
            <span class="feed-avatar" aria-hidden="true">{avatar}</span>
            <div class="feed-body">
                <p class="feed-meta">
                    {match post.author_url.clone() {
                        Some(url) => view! {
                            <a class="feed-author" href=url target="_blank" rel=REL>
                                <bdi>{post.author_name.clone()}</bdi>
                            </a>
                        }
                        .into_any(),
                        None => view! { <bdi class="feed-author">{post.author_name.clone()}</bdi> }.into_any(),
                    }}
                    {post.author_handle.clone().map(|handle| view! { <bdi class="feed-handle">{handle}</bdi> })}
                    <span class="feed-source">{source}</span>
                    {match post.url.clone() {
                        Some(url) => view! {
                            <a class="feed-age" href=url target="_blank" rel=REL>
                                <time datetime=post.posted_at.clone()>{age}</time>
                            </a>
                        }
                        .into_any(),
                        None => view! { <time class="feed-age" datetime=post.posted_at.clone()>{age}</time> }.into_any(),
                    }}
                </p>
                <p class="feed-text" dir="auto">{text}</p>
            </div>
        </li>
    }
}
