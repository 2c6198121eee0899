//! The hashtag feed: posts of each show from X, Mastodon and the operator, stored once per source id, and where each
//! source's poller stopped (its cursor).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{At, Flag, Scope, Store, StoreError};

crate::text_enum! {
    /// Where a post comes from. Serialized as the schema's `FeedSource`; stored in lower case.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    pub enum FeedSource {
        X = "x",
        Mastodon = "mastodon",
        /// Written by the operator in the console.
        Local = "local",
    }
}

/// A stored post. Serialized with the schema's field names: it is also what real-time subscribers are matched and
/// served from, and what `GET /api/feed/{slug}` lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct FeedPostRecord {
    pub id: String,
    pub event_id: String,
    pub source: FeedSource,
    /// Plain text (never markup).
    pub text: String,
    pub author_name: String,
    pub author_handle: Option<String>,
    pub author_avatar_url: Option<String>,
    pub author_url: Option<String>,
    /// The post at its source.
    pub url: Option<String>,
    #[sqlx(try_from = "At")]
    pub posted_at: DateTime<Utc>,
    #[sqlx(try_from = "Flag")]
    pub hidden: bool,
}

/// A post read from a source, cleaned (`crate::feed::text`), to be stored unless it already is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFeedPost {
    pub source_id: String,
    pub text: String,
    pub author_name: String,
    pub author_handle: Option<String>,
    pub author_avatar_url: Option<String>,
    pub author_url: Option<String>,
    pub url: Option<String>,
    pub posted_at: DateTime<Utc>,
}

const COLUMNS: &str = "CAST(id AS TEXT) AS id, event_id, source, text, author_name, author_handle, \
                       author_avatar AS author_avatar_url, author_url, url, posted_at, hidden";

impl Store {
    /// Stores the posts of `source` not stored yet (by their source id) and, when given, moves the source's cursor,
    /// in one transaction: a restart resumes from the cursor with every post before it stored. The posts that were
    /// new, in the order given.
    pub async fn add_feed_posts(
        &self,
        event_id: &str,
        source: FeedSource,
        posts: &[NewFeedPost],
        cursor: Option<&str>,
    ) -> Result<Vec<FeedPostRecord>, StoreError> {
        let mut tx = self.write_transaction(&[Scope::Feed(event_id)]).await?;
        let mut added = Vec::new();
        for post in posts {
            let stored: Option<FeedPostRecord> = sqlx::query_as(&format!(
                "INSERT INTO feed_posts (event_id, source, source_id, text, author_name, author_handle, \
                 author_avatar, author_url, url, posted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (event_id, source, source_id) DO NOTHING RETURNING {COLUMNS}"
            ))
            .bind(event_id)
            .bind(source)
            .bind(&post.source_id)
            .bind(&post.text)
            .bind(&post.author_name)
            .bind(&post.author_handle)
            .bind(&post.author_avatar_url)
            .bind(&post.author_url)
            .bind(&post.url)
            .bind(At(post.posted_at))
            .fetch_optional(&mut *tx)
            .await?;
            added.extend(stored);
        }
        if let Some(cursor) = cursor {
            sqlx::query(
                "INSERT INTO feed_cursors (event_id, source, since_id) VALUES ($1, $2, $3) \
                 ON CONFLICT (event_id, source) DO UPDATE SET since_id = excluded.since_id",
            )
            .bind(event_id)
            .bind(source)
            .bind(cursor)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// The newest post id of `source` stored for the show, where its poller resumes.
    pub async fn feed_cursor(&self, event_id: &str, source: FeedSource) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT since_id FROM feed_cursors WHERE event_id = $1 AND source = $2")
                .bind(event_id)
                .bind(source)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The show's visible posts, newest first, at most `limit`.
    pub async fn feed(&self, event_id: &str, limit: i64) -> Result<Vec<FeedPostRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM feed_posts WHERE event_id = $1 AND hidden = 0 \
             ORDER BY posted_at DESC, id DESC LIMIT $2"
        ))
        .bind(event_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A post of the show, hidden or not.
    pub async fn feed_post(&self, event_id: &str, post_id: &str) -> Result<Option<FeedPostRecord>, StoreError> {
        let Some(id) = row_id(post_id) else { return Ok(None) };
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM feed_posts WHERE id = $1 AND event_id = $2"
        ))
        .bind(id)
        .bind(event_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Hides a post of the show from every page; the post as it is now (`None`: the show has no such post).
    pub async fn hide_feed_post(&self, event_id: &str, post_id: &str) -> Result<Option<FeedPostRecord>, StoreError> {
        let Some(id) = row_id(post_id) else { return Ok(None) };
        Ok(sqlx::query_as(&format!(
            "UPDATE feed_posts SET hidden = 1 WHERE id = $1 AND event_id = $2 RETURNING {COLUMNS}"
        ))
        .bind(id)
        .bind(event_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}

/// A post's id (the API's string) as its row id, looked up by primary key; `None` for one that cannot be ours.
fn row_id(post_id: &str) -> Option<i64> {
    post_id.parse().ok()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::store::tests::fresh_store;

    fn post(source_id: &str, minute: u32) -> NewFeedPost {
        NewFeedPost {
            source_id: source_id.into(),
            text: format!("post {source_id}"),
            author_name: "Aiko".into(),
            author_handle: Some("@aiko".into()),
            author_avatar_url: None,
            author_url: None,
            url: None,
            posted_at: Utc.with_ymd_and_hms(2026, 11, 22, 10, minute, 0).unwrap(),
        }
    }

    #[tokio::test]
    async fn posts_are_stored_once_per_source_id_newest_first_and_the_cursor_moves_with_them() {
        let (store, _dir) = fresh_store().await;
        store.seed_demo().await.unwrap();
        let added = store
            .add_feed_posts("evt_demo", FeedSource::X, &[post("2", 2), post("1", 1)], Some("2"))
            .await
            .unwrap();
        assert_eq!(added.len(), 2);
        assert_eq!(added[0].source, FeedSource::X);
        // Polled again (and a Mastodon post with the same id, which is another post): only the new ones.
        let added = store
            .add_feed_posts("evt_demo", FeedSource::X, &[post("3", 3), post("2", 2)], Some("3"))
            .await
            .unwrap();
        assert_eq!(added.iter().map(|p| p.text.as_str()).collect::<Vec<_>>(), ["post 3"]);
        store
            .add_feed_posts("evt_demo", FeedSource::Mastodon, &[post("2", 4)], None)
            .await
            .unwrap();
        assert_eq!(
            store.feed_cursor("evt_demo", FeedSource::X).await.unwrap().as_deref(),
            Some("3")
        );
        assert_eq!(store.feed_cursor("evt_demo", FeedSource::Mastodon).await.unwrap(), None);
        let feed = store.feed("evt_demo", 10).await.unwrap();
        let order: Vec<_> = feed.iter().map(|p| (p.source, p.text.as_str())).collect();
        assert_eq!(
            order,
            [
                (FeedSource::Mastodon, "post 2"),
                (FeedSource::X, "post 3"),
                (FeedSource::X, "post 2"),
                (FeedSource::X, "post 1")
            ]
        );
        assert_eq!(store.feed("evt_demo", 2).await.unwrap().len(), 2);

        // Hidden: gone from the feed, still readable; another show's post id is not this show's.
        let first = feed[0].id.clone();
        assert!(store.hide_feed_post("evt_demo_paid", &first).await.unwrap().is_none());
        let hidden = store.hide_feed_post("evt_demo", &first).await.unwrap().unwrap();
        assert!(hidden.hidden);
        assert_eq!(store.feed("evt_demo", 10).await.unwrap().len(), 3);
        assert!(store.feed_post("evt_demo", &first).await.unwrap().unwrap().hidden);
    }
}
