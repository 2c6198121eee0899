use leptos::{form::ActionForm, prelude::*};

use super::action_message::ActionMessage;
use crate::api::{
    FeedPost,
    console::{HideFeedPost, PostFeed},
};

/// The show's feed as the operator runs it: a form to post as the show, and the newest posts, each with a "Hide"
/// button that takes it off every page. Plain forms: they work without JavaScript.
#[component]
pub fn FeedModeration(
    event_id: String,
    posts: Vec<FeedPost>,
    post: ServerAction<PostFeed>,
    hide: ServerAction<HideFeedPost>,
) -> impl IntoView {
    let empty = posts.is_empty();
    let hide_event = event_id.clone();
    view! {
        <section class="console-feed" aria-labelledby="console-feed-title">
            <h2 id="console-feed-title">"Feed"</h2>
            <ActionForm action=post attr:class="console-feed-form">
                <input type="hidden" name="event_id" value=event_id />
                <label>
                    "Post as"
                    <input type="text" name="author" value="Host" maxlength="80" autocomplete="off" />
                </label>
                <label>
                    "Message"
                    <textarea name="text" rows="2" maxlength="1000" required></textarea>
                </label>
                <button type="submit" disabled=move || post.pending().get()>"Post to the feed"</button>
            </ActionForm>
            <ActionMessage result=post.value() />
            {empty.then(|| view! { <p class="muted">"No posts yet."</p> })}
            <ul class="console-feed-posts" data-testid="console-feed">
                {posts
                    .into_iter()
                    .map(|feed_post| {
                        let (event_id, post_id) = (hide_event.clone(), feed_post.id.clone());
                        let label = format!("Hide the post by {}", feed_post.author_name);
                        view! {
                            <li data-post-id=feed_post.id>
                                <bdi class="console-feed-author">{feed_post.author_name}</bdi>
                                <span class="console-feed-text" dir="auto">{feed_post.text}</span>
                                <ActionForm action=hide>
                                    <input type="hidden" name="event_id" value=event_id />
                                    <input type="hidden" name="post_id" value=post_id />
                                    <button type="submit" class="secondary" aria-label=label>
                                        "Hide"
                                    </button>
                                </ActionForm>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <ActionMessage result=hide.value() />
        </section>
    }
}
