//! A Mastodon hashtag timeline (`GET /api/v1/timelines/tag/:hashtag`), public or with an app token: the statuses
//! after the cursor, read forward with `min_id` 40 at a time, so the cursor moves page by page without gaps.
//! Reblogs, statuses that are not public or unlisted, and statuses behind a content warning are skipped; a status's
//! HTML is reduced to text (`text::html_to_text`).

use chrono::{DateTime, Utc};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use super::{
    Polled,
    text::{MAX_NAME_CHARS, clean_line, html_to_text, safe_url},
    upstream::get_json,
};
use crate::{secret::Secret, store::NewFeedPost};

/// Statuses a page (Mastodon's maximum).
const PAGE: usize = 40;
/// Pages one poll reads at most (the rest are read by the next polls: the cursor moves page by page).
const MAX_PAGES: usize = 10;

/// An instance's hashtag timelines, with a token when the instance wants one.
#[derive(Clone)]
pub struct MastodonTimeline {
    pub client: reqwest::Client,
    /// `https://mastodon.example`.
    pub instance: String,
    pub token: Option<Secret<String>>,
}

impl std::fmt::Debug for MastodonTimeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MastodonTimeline")
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Status {
    id: String,
    created_at: Option<DateTime<Utc>>,
    content: String,
    url: Option<String>,
    uri: Option<String>,
    visibility: Option<String>,
    #[serde(default)]
    sensitive: bool,
    #[serde(default)]
    spoiler_text: String,
    reblog: Option<serde_json::Value>,
    account: Account,
}

#[derive(Deserialize)]
struct Account {
    username: String,
    acct: String,
    #[serde(default)]
    display_name: String,
    avatar_static: Option<String>,
    url: Option<String>,
}

/// Mastodon's ids are strings of digits that grow: longer is newer, then by comparison.
fn newer(a: &str, b: &str) -> bool {
    (a.len(), a) > (b.len(), b)
}

impl MastodonTimeline {
    /// The statuses tagged `tag` after `since`, or on a first poll the newest page.
    pub async fn poll(&self, tag: &str, since: Option<&str>) -> Polled {
        let tag = tag.trim_start_matches(['#', '＃']);
        let base = self.instance.trim_end_matches('/');
        let url = format!(
            "{base}/api/v1/timelines/tag/{}",
            utf8_percent_encode(tag, NON_ALPHANUMERIC)
        );
        // The instance's host names its local accounts (@name@host), without a port.
        let host = base.split_once("://").map_or(base, |(_, host)| host);
        let host = host.split([':', '/']).next().unwrap_or(host);
        let mut polled = Polled::default();
        let mut cursor = since.map(str::to_owned);
        for _ in 0..MAX_PAGES {
            let mut params = vec![("limit", PAGE.to_string())];
            if let Some(cursor) = &cursor {
                params.push(("min_id", cursor.clone()));
            }
            let statuses: Vec<Status> = match get_json(&self.client, &url, &params, self.token.as_ref()).await {
                Ok((statuses, rate)) => {
                    polled.rate = rate;
                    statuses
                }
                Err(e) => {
                    polled.error = Some(e);
                    break;
                }
            };
            let page_full = statuses.len() >= PAGE;
            for status in &statuses {
                if cursor.as_deref().is_none_or(|c| newer(&status.id, c)) {
                    cursor = Some(status.id.clone());
                }
            }
            // Each page comes newest first; posts are handed on oldest first.
            let mut page: Vec<_> = statuses.iter().filter_map(|status| post(status, host)).collect();
            page.reverse();
            polled.posts.extend(page);
            if since.is_none() || !page_full {
                break;
            }
        }
        if cursor.as_deref() != since {
            polled.cursor = cursor;
        }
        polled
    }
}

fn post(status: &Status, host: &str) -> Option<NewFeedPost> {
    let shown = matches!(status.visibility.as_deref(), None | Some("public") | Some("unlisted"));
    if !shown || status.reblog.is_some() || status.sensitive || !status.spoiler_text.trim().is_empty() {
        return None;
    }
    let text = html_to_text(&status.content);
    if text.is_empty() || status.id.is_empty() || !status.id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let account = &status.account;
    let acct = if account.acct.contains('@') {
        account.acct.clone()
    } else {
        format!("{}@{host}", account.acct)
    };
    let name = clean_line(&account.display_name, MAX_NAME_CHARS);
    Some(NewFeedPost {
        source_id: status.id.clone(),
        text,
        author_name: if name.is_empty() {
            clean_line(&account.username, MAX_NAME_CHARS)
        } else {
            name
        },
        author_handle: Some(format!("@{}", clean_line(&acct, MAX_NAME_CHARS))),
        author_avatar_url: account.avatar_static.as_deref().and_then(safe_url),
        author_url: account.url.as_deref().and_then(safe_url),
        url: status.url.as_deref().or(status.uri.as_deref()).and_then(safe_url),
        posted_at: status.created_at.unwrap_or_else(Utc::now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(json: serde_json::Value) -> Status {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_status_becomes_a_post_and_skipped_ones_are_skipped() {
        let base = serde_json::json!({
            "id": "113500000000000001", "created_at": "2026-11-22T10:00:00.000Z",
            "content": "<p>Hello <a href=\"javascript:alert(1)\">#caravan</a></p>",
            "url": "https://m.example/@aiko/113500000000000001", "uri": "https://m.example/users/aiko/statuses/1",
            "visibility": "public", "sensitive": false, "spoiler_text": "", "reblog": null,
            "account": { "id": "1", "username": "aiko", "acct": "aiko", "display_name": "",
                         "avatar_static": "https://m.example/a.png", "url": "https://m.example/@aiko" }
        });
        let post = post(&status(base.clone()), "m.example").unwrap();
        assert_eq!(post.text, "Hello #caravan");
        assert_eq!(post.author_name, "aiko");
        assert_eq!(post.author_handle.as_deref(), Some("@aiko@m.example"));
        assert_eq!(post.url.as_deref(), Some("https://m.example/@aiko/113500000000000001"));

        for (field, value) in [
            ("visibility", serde_json::json!("private")),
            ("sensitive", serde_json::json!(true)),
            ("spoiler_text", serde_json::json!("spoilers")),
            ("reblog", serde_json::json!({"id": "9"})),
            ("content", serde_json::json!("<p><script>x</script></p>")),
        ] {
            let mut skipped = base.clone();
            skipped[field] = value;
            assert!(super::post(&status(skipped), "m.example").is_none(), "{field}");
        }
    }

    #[test]
    fn longer_ids_are_newer() {
        assert!(newer("100", "99"));
        assert!(newer("113500000000000002", "113500000000000001"));
        assert!(!newer("99", "100"));
    }
}
