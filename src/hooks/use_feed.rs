//! `use_feed`: the show's hashtag feed, live. Posts arrive through `onFeedPost`; a post the operator hid leaves at
//! once. While the viewer reads further down (`at_top` false), new posts wait in `waiting` (the page shows "N new
//! posts") instead of pushing what they read away; back at the top, or on `show_waiting`, they join the list. After a
//! reconnection the feed is read again, so nothing missed stays missing and nothing hidden stays shown.

use leptos::prelude::*;

use crate::{
    api::{self, FeedPost},
    hooks::use_live_subscription,
};

/// The most posts a page keeps (the oldest go).
const KEEP: usize = 100;

#[derive(Debug, Clone, Copy)]
pub struct UseFeed {
    /// What the list shows, newest first.
    pub posts: RwSignal<Vec<FeedPost>>,
    /// Posts that arrived while the viewer was reading further down, newest first.
    pub waiting: RwSignal<Vec<FeedPost>>,
    /// Whether the viewer is at the top of the list (set by the list as it scrolls).
    pub at_top: RwSignal<bool>,
}

pub fn use_feed(event_id: String, initial: Vec<FeedPost>) -> UseFeed {
    let feed = UseFeed {
        posts: RwSignal::new(initial),
        waiting: RwSignal::new(Vec::new()),
        at_top: RwSignal::new(true),
    };
    let resync_id = event_id.clone();
    use_live_subscription(
        api::on_feed_post(event_id),
        move |post| {
            if let Some(post) = post {
                feed.receive(post);
            }
        },
        move || {
            let event_id = resync_id.clone();
            leptos::task::spawn_local(async move {
                if let Ok(fresh) = api::feed(event_id).await {
                    feed.resync(fresh);
                }
            });
        },
    );
    // Back at the top, the waiting posts join the list.
    Effect::new(move |_| {
        if feed.at_top.get() && !feed.waiting.with_untracked(Vec::is_empty) {
            feed.show_waiting();
        }
    });
    feed
}

impl UseFeed {
    /// A delivery: a hidden post leaves; a new one joins the list, or waits while the viewer reads further down.
    fn receive(&self, post: FeedPost) {
        if post.hidden {
            self.posts.update(|posts| posts.retain(|p| p.id != post.id));
            self.waiting.update(|waiting| waiting.retain(|p| p.id != post.id));
            return;
        }
        let known = |list: &Vec<FeedPost>| list.iter().any(|p| p.id == post.id);
        if self.posts.with_untracked(known) || self.waiting.with_untracked(known) {
            return;
        }
        if self.at_top.get_untracked() {
            self.posts.update(|posts| insert_newest_first(posts, post));
        } else {
            self.waiting.update(|waiting| insert_newest_first(waiting, post));
        }
    }

    /// The feed as the server has it now: posts no longer there leave; new ones join (or wait).
    fn resync(&self, fresh: Vec<FeedPost>) {
        if self.at_top.get_untracked() {
            self.posts.set(fresh);
            self.waiting.set(Vec::new());
            return;
        }
        let shown: Vec<String> = self
            .posts
            .with_untracked(|posts| posts.iter().map(|p| p.id.clone()).collect());
        let (kept, new): (Vec<_>, Vec<_>) = fresh.into_iter().partition(|p| shown.contains(&p.id));
        self.posts.set(kept);
        self.waiting.set(new);
    }

    /// The waiting posts join the list.
    pub fn show_waiting(&self) {
        let waiting = std::mem::take(&mut *self.waiting.write());
        self.posts.update(|posts| {
            for post in waiting {
                insert_newest_first(posts, post);
            }
        });
    }
}

/// Puts `post` in its place by time (the API's times are UTC in one format, so they sort as text).
fn insert_newest_first(posts: &mut Vec<FeedPost>, post: FeedPost) {
    let at = posts.partition_point(|p| p.posted_at > post.posted_at);
    posts.insert(at, post);
    posts.truncate(KEEP);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::FeedSource;

    fn post(id: &str, at: &str) -> FeedPost {
        FeedPost {
            id: id.into(),
            source: FeedSource::Local,
            text: id.into(),
            author_name: "Host".into(),
            author_handle: None,
            author_avatar_url: None,
            author_url: None,
            url: None,
            posted_at: format!("2026-11-22T10:{at}:00.000Z"),
            hidden: false,
        }
    }

    fn ids(list: RwSignal<Vec<FeedPost>>) -> Vec<String> {
        list.get_untracked().into_iter().map(|p| p.id).collect()
    }

    #[test]
    fn posts_join_in_time_order_wait_while_reading_and_hidden_ones_leave() {
        let owner = Owner::new();
        owner.set();
        let feed = UseFeed {
            posts: RwSignal::new(vec![post("b", "02"), post("a", "01")]),
            waiting: RwSignal::new(Vec::new()),
            at_top: RwSignal::new(true),
        };
        feed.receive(post("c", "03"));
        // A late arrival from a slow source takes its place by time; a repeat changes nothing.
        feed.receive(post("a2", "01"));
        feed.receive(post("c", "03"));
        assert_eq!(ids(feed.posts), ["c", "b", "a2", "a"]);

        feed.at_top.set(false);
        feed.receive(post("d", "04"));
        feed.receive(post("e", "05"));
        assert_eq!(
            ids(feed.posts),
            ["c", "b", "a2", "a"],
            "the list the viewer reads stays put"
        );
        assert_eq!(ids(feed.waiting), ["e", "d"]);

        let mut hidden = post("d", "04");
        hidden.hidden = true;
        feed.receive(hidden);
        let mut hidden = post("b", "02");
        hidden.hidden = true;
        feed.receive(hidden);
        assert_eq!(ids(feed.waiting), ["e"]);
        assert_eq!(ids(feed.posts), ["c", "a2", "a"]);

        feed.show_waiting();
        assert_eq!(ids(feed.posts), ["e", "c", "a2", "a"]);
        assert!(ids(feed.waiting).is_empty());
    }

    #[test]
    fn a_resync_drops_what_is_gone_and_holds_what_is_new_while_reading() {
        let owner = Owner::new();
        owner.set();
        let feed = UseFeed {
            posts: RwSignal::new(vec![post("b", "02"), post("a", "01")]),
            waiting: RwSignal::new(Vec::new()),
            at_top: RwSignal::new(false),
        };
        feed.resync(vec![post("c", "03"), post("a", "01")]);
        assert_eq!(ids(feed.posts), ["a"]);
        assert_eq!(ids(feed.waiting), ["c"]);
        feed.at_top.set(true);
        feed.resync(vec![post("d", "04"), post("c", "03")]);
        assert_eq!(ids(feed.posts), ["d", "c"]);
        assert!(ids(feed.waiting).is_empty());
    }
}
