//! X API v2 recent search (`GET /2/tweets/search/recent`) with an app bearer token: the posts matching a show's
//! query newer than the cursor (`since_id`), page by page (`next_token`, 100 a page), their authors from the
//! `author_id` expansion. The cursor becomes the first page's `meta.newest_id` only once every page is read, so
//! a failure part way leaves it where it was and the next poll reads those posts again (stored once).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{
    Polled,
    text::{MAX_NAME_CHARS, clean_line, clean_text, safe_url},
    upstream::get_json,
};
use crate::{secret::Secret, store::NewFeedPost};

/// Posts a page (X's maximum).
const PAGE: u32 = 100;
/// Pages one poll reads at most; more than this many new posts between two polls are not all shown.
const MAX_PAGES: usize = 10;

/// The recent-search endpoint and its token.
#[derive(Clone)]
pub struct XSearch {
    pub client: reqwest::Client,
    /// `https://api.x.com` (tests: a local fake).
    pub api_base: String,
    pub token: Secret<String>,
}

impl std::fmt::Debug for XSearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XSearch")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct SearchPage {
    #[serde(default)]
    data: Vec<Tweet>,
    #[serde(default)]
    includes: Includes,
    meta: Meta,
}

#[derive(Deserialize)]
struct Tweet {
    id: String,
    text: String,
    author_id: Option<String>,
    created_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, Default)]
struct Includes {
    #[serde(default)]
    users: Vec<User>,
}

#[derive(Deserialize)]
struct User {
    id: String,
    name: String,
    username: String,
    profile_image_url: Option<String>,
}

#[derive(Deserialize)]
struct Meta {
    newest_id: Option<String>,
    next_token: Option<String>,
}

impl XSearch {
    /// The posts matching `query` after `since` (all of them, up to `MAX_PAGES` pages), or on a first poll the
    /// newest page.
    pub async fn poll(&self, query: &str, since: Option<&str>) -> Polled {
        let url = format!("{}/2/tweets/search/recent", self.api_base.trim_end_matches('/'));
        let mut polled = Polled::default();
        let mut newest = None;
        let mut next_token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut params = vec![
                ("query", query.to_owned()),
                ("max_results", PAGE.to_string()),
                ("tweet.fields", "created_at,author_id".to_owned()),
                ("expansions", "author_id".to_owned()),
                ("user.fields", "name,username,profile_image_url".to_owned()),
            ];
            if let Some(since) = since {
                params.push(("since_id", since.to_owned()));
            }
            if let Some(token) = next_token.take() {
                params.push(("next_token", token));
            }
            let page: SearchPage = match get_json(&self.client, &url, &params, Some(&self.token)).await {
                Ok((page, rate)) => {
                    polled.rate = rate;
                    page
                }
                Err(e) => {
                    polled.error = Some(e);
                    polled.posts.reverse();
                    return polled;
                }
            };
            newest = newest.or(page.meta.newest_id.clone());
            polled
                .posts
                .extend(page.data.iter().filter_map(|tweet| post(tweet, &page.includes.users)));
            match (since, page.meta.next_token) {
                (Some(_), Some(token)) => next_token = Some(token),
                _ => break,
            }
        }
        if next_token.is_some() {
            tracing::warn!(
                pages = MAX_PAGES,
                "more new X posts than one poll reads: the oldest are skipped"
            );
        }
        polled.cursor = newest;
        // Pages come newest first; posts are handed on oldest first.
        polled.posts.reverse();
        polled
    }
}

fn post(tweet: &Tweet, users: &[User]) -> Option<NewFeedPost> {
    let author = users.iter().find(|user| Some(&user.id) == tweet.author_id.as_ref());
    // X escapes &, < and > in a post's text.
    let text = clean_text(&html_escape::decode_html_entities(&tweet.text));
    if text.is_empty() || !tweet.id.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let username = author
        .map(|a| a.username.as_str())
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    Some(NewFeedPost {
        source_id: tweet.id.clone(),
        text,
        author_name: author
            .map(|a| clean_line(&a.name, MAX_NAME_CHARS))
            .filter(|name| !name.is_empty())
            .or_else(|| username.map(str::to_owned))
            .unwrap_or_else(|| "X user".to_owned()),
        author_handle: username.map(|name| format!("@{name}")),
        author_avatar_url: author.and_then(|a| a.profile_image_url.as_deref()).and_then(safe_url),
        author_url: username.map(|name| format!("https://x.com/{name}")),
        url: Some(match username {
            Some(name) => format!("https://x.com/{name}/status/{}", tweet.id),
            None => format!("https://x.com/i/web/status/{}", tweet.id),
        }),
        posted_at: tweet.created_at.unwrap_or_else(Utc::now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_page_becomes_posts_with_their_authors() {
        let page: SearchPage = serde_json::from_str(
            r#"{"data":[{"id":"1861","text":"Tom &amp; Jerry &lt;b&gt; #caravan","author_id":"7",
                "created_at":"2026-11-22T10:00:00.000Z","edit_history_tweet_ids":["1861"]},
               {"id":"1860","text":"no author","author_id":"99"}],
               "includes":{"users":[{"id":"7","name":"Aiko \u202eevil","username":"aiko_live",
                "profile_image_url":"javascript:alert(1)"}]},
               "meta":{"newest_id":"1861","oldest_id":"1860","result_count":2}}"#,
        )
        .unwrap();
        let posts: Vec<_> = page.data.iter().filter_map(|t| post(t, &page.includes.users)).collect();
        assert_eq!(posts[0].text, "Tom & Jerry <b> #caravan");
        assert_eq!(posts[0].author_name, "Aiko evil");
        assert_eq!(posts[0].author_handle.as_deref(), Some("@aiko_live"));
        assert_eq!(posts[0].author_avatar_url, None);
        assert_eq!(posts[0].url.as_deref(), Some("https://x.com/aiko_live/status/1861"));
        assert_eq!(posts[0].posted_at.to_rfc3339(), "2026-11-22T10:00:00+00:00");
        assert_eq!(posts[1].author_name, "X user");
        assert_eq!(posts[1].url.as_deref(), Some("https://x.com/i/web/status/1860"));
        // An empty result has only meta.
        let empty: SearchPage = serde_json::from_str(r#"{"meta":{"result_count":0}}"#).unwrap();
        assert!(empty.data.is_empty() && empty.meta.newest_id.is_none());
    }
}
