//! The hashtag feed of each show: posts polled from an X recent search and a Mastodon hashtag timeline (`poller`,
//! one per show), and the operator's own (local) posts. Every post is stored once per source id and reaches open
//! pages through `onFeedPost`; the operator can hide one, and it leaves every page. Viewers read the store, never the
//! upstreams: `GET /api/feed/{slug}` (`http`) answers from a page cache with an ETag, GraphQL from the database.

pub mod http;
mod mastodon;
pub mod poller;
pub mod text;
mod upstream;
mod x;

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::body::Bytes;
use chrono::Utc;
use sha2::{Digest, Sha256};
pub use upstream::{FetchError, RateWindow};

use crate::{
    publish::{Announcement, FeedChange, Publisher},
    store::{FeedPostRecord, FeedSource, NewFeedPost, Store, StoreError},
};

/// Most posts one poll sends to pages: the newest of a burst (a page shows the newest; the rest are in the feed's
/// pages), so a burst never floods every viewer's connection.
pub const MAX_PUBLISHED_PER_POLL: usize = 20;
/// Posts a feed page holds (newest first).
pub const PAGE_SIZE: i64 = 50;
/// How long a page of `GET /api/feed/{slug}` is served from memory when nothing this server did changed it (another
/// replica's writes show within this).
const PAGE_TTL: Duration = Duration::from_secs(2);

/// What one poll of a source read: its posts (oldest first), the cursor to resume after (`None`: where it was), the
/// rate window of the last answer, and what failed part way, if anything.
#[derive(Debug, Default)]
pub struct Polled {
    pub posts: Vec<NewFeedPost>,
    pub cursor: Option<String>,
    pub rate: RateWindow,
    pub error: Option<FetchError>,
}

/// Why an operator's post was refused.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("there is no event {0}")]
    UnknownEvent(String),
    #[error("the post has no text")]
    Empty,
    #[error("the post is longer than {} characters", text::MAX_TEXT_CHARS)]
    TooLong,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

/// The feed service: stores posts, tells pages, and keeps the pages viewers read.
#[derive(Clone)]
pub struct Feed {
    store: Store,
    publisher: Publisher,
    pages: Arc<PageCache>,
}

impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feed").finish_non_exhaustive()
    }
}

/// A feed page as `GET /api/feed/{slug}` serves it.
#[derive(Debug)]
pub struct FeedPage {
    pub body: Bytes,
    /// A strong validator: the body's hash.
    pub etag: String,
    built: Instant,
}

#[derive(Debug, Default)]
struct PageCache {
    pages: Mutex<HashMap<String, Arc<FeedPage>>>,
    /// Bumped by every write: a page read before one is not kept.
    generation: AtomicU64,
    /// One rebuild at a time: a thousand readers arriving together at an expired page read the database once.
    rebuilding: tokio::sync::Mutex<()>,
}

impl PageCache {
    fn fresh(&self, slug: &str) -> Option<Arc<FeedPage>> {
        let pages = self.pages.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        pages.get(slug).filter(|page| page.built.elapsed() < PAGE_TTL).cloned()
    }

    fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.pages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
    }
}

impl Feed {
    pub fn new(store: Store, publisher: Publisher) -> Self {
        Self {
            store,
            publisher,
            pages: Arc::default(),
        }
    }

    /// The operator's post, stored and sent to every page (`postFeed`). `author` defaults to "Host".
    #[tracing::instrument(skip(self, text_in, author), fields(show = %event_id))]
    pub async fn post_local(
        &self,
        event_id: &str,
        text_in: &str,
        author: Option<&str>,
    ) -> Result<FeedPostRecord, FeedError> {
        if text_in.chars().count() > text::MAX_TEXT_CHARS {
            return Err(FeedError::TooLong);
        }
        let text = text::clean_text(text_in);
        if text.is_empty() {
            return Err(FeedError::Empty);
        }
        if self.store.event_by_id(event_id).await?.is_none() {
            return Err(FeedError::UnknownEvent(event_id.to_owned()));
        }
        let author = author
            .map(|name| text::clean_line(name, text::MAX_NAME_CHARS))
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "Host".to_owned());
        let post = NewFeedPost {
            // Random, so it never collides with another local post.
            source_id: crate::secret::random_token(12).map_err(|e| FeedError::Internal(e.to_string()))?,
            text,
            author_name: author,
            author_handle: None,
            author_avatar_url: None,
            author_url: None,
            url: None,
            posted_at: Utc::now(),
        };
        let stored = self
            .store
            .add_feed_posts(event_id, FeedSource::Local, &[post], None)
            .await?
            .pop()
            .ok_or_else(|| StoreError::Database(sqlx::Error::RowNotFound))?;
        self.changed(FeedChange::Posted, &stored);
        Ok(stored)
    }

    /// Hides a post of the show on every page (`hideFeedPost`); `None` when the show has no such post.
    #[tracing::instrument(skip(self))]
    pub async fn hide(&self, event_id: &str, post_id: &str) -> Result<Option<FeedPostRecord>, StoreError> {
        let hidden = self.store.hide_feed_post(event_id, post_id).await?;
        if let Some(post) = &hidden {
            self.changed(FeedChange::Hidden, post);
        }
        Ok(hidden)
    }

    /// Sends a stored post to every page again (`publishFeedPost`); `None` when the show has no such post.
    #[tracing::instrument(skip(self))]
    pub async fn publish(&self, event_id: &str, post_id: &str) -> Result<Option<FeedPostRecord>, StoreError> {
        let post = self.store.feed_post(event_id, post_id).await?;
        if let Some(post) = &post {
            self.publisher
                .publish(Announcement::FeedPost(FeedChange::Published, post.clone()));
        }
        Ok(post)
    }

    /// Stores what a poll read (and its cursor) and sends the new posts to every page, oldest first (at most the
    /// newest `MAX_PUBLISHED_PER_POLL`); how many were new.
    #[tracing::instrument(skip(self, polled), fields(posts = polled.posts.len()))]
    pub async fn take(&self, event_id: &str, source: FeedSource, polled: &Polled) -> Result<usize, StoreError> {
        if polled.posts.is_empty() && polled.cursor.is_none() {
            return Ok(0);
        }
        let added = self
            .store
            .add_feed_posts(event_id, source, &polled.posts, polled.cursor.as_deref())
            .await?;
        if !added.is_empty() {
            self.pages.invalidate();
        }
        for post in &added[added.len().saturating_sub(MAX_PUBLISHED_PER_POLL)..] {
            self.publisher
                .publish(Announcement::FeedPost(FeedChange::Published, post.clone()));
        }
        Ok(added.len())
    }

    /// The feed page of the show at `slug` (its newest `PAGE_SIZE` visible posts as JSON); `None` when there is no
    /// such show.
    pub async fn page(&self, slug: &str) -> Result<Option<Arc<FeedPage>>, StoreError> {
        if let Some(page) = self.pages.fresh(slug) {
            return Ok(Some(page));
        }
        let _rebuilding = self.pages.rebuilding.lock().await;
        if let Some(page) = self.pages.fresh(slug) {
            return Ok(Some(page));
        }
        let generation = self.pages.generation.load(Ordering::SeqCst);
        let Some(event) = self.store.event_by_slug(slug).await? else {
            return Ok(None);
        };
        let posts = self.store.feed(&event.id, PAGE_SIZE).await?;
        let body = serde_json::to_vec(&serde_json::json!({ "eventId": event.id, "slug": event.slug, "posts": posts }))
            .unwrap_or_default();
        let digest = Sha256::digest(&body);
        let etag = format!("\"{}\"", crate::secret::hex(&digest[..16]));
        let page = Arc::new(FeedPage {
            body: Bytes::from(body),
            etag,
            built: Instant::now(),
        });
        if self.pages.generation.load(Ordering::SeqCst) == generation {
            let mut pages = self.pages.pages.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            pages.insert(slug.to_owned(), page.clone());
        }
        Ok(Some(page))
    }

    /// A post changed: pages are told (under the mutation that changed it) and the cached pages dropped.
    fn changed(&self, change: FeedChange, post: &FeedPostRecord) {
        self.pages.invalidate();
        self.publisher.publish(Announcement::FeedPost(change, post.clone()));
    }
}
