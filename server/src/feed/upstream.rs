//! What the X and Mastodon clients share: one GET with its rate-limit headers read, and how a call failed.

use chrono::{DateTime, TimeZone, Utc};
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::secret::Secret;

/// Why a poll failed. The upstream's own words are not kept (they can echo the query or the token's owner).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("the source cannot be reached")]
    Unreachable,
    #[error("the source answered {0}")]
    Status(u16),
    #[error("the source's answer cannot be read")]
    Malformed,
    /// 429: wait until `reset` (when the source said).
    #[error("the source's rate limit is reached")]
    RateLimited { reset: Option<DateTime<Utc>> },
}

/// The rate-limit window an answer reported: calls left, and when the window starts again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateWindow {
    pub remaining: Option<u64>,
    pub reset: Option<DateTime<Utc>>,
}

impl RateWindow {
    /// From `x-rate-limit-*` (X: the reset in epoch seconds) or `X-RateLimit-*` (Mastodon: an ISO 8601 time);
    /// header names are case-insensitive.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let value = |names: [&str; 2]| {
            names
                .iter()
                .find_map(|name| headers.get(*name)?.to_str().ok().map(str::trim))
        };
        let remaining = value(["x-rate-limit-remaining", "x-ratelimit-remaining"]).and_then(|v| v.parse().ok());
        let reset = value(["x-rate-limit-reset", "x-ratelimit-reset"]).and_then(parse_reset);
        Self { remaining, reset }
    }
}

fn parse_reset(value: &str) -> Option<DateTime<Utc>> {
    match value.parse::<i64>() {
        Ok(epoch) => Utc.timestamp_opt(epoch, 0).single(),
        Err(_) => DateTime::parse_from_rfc3339(value).ok().map(|t| t.with_timezone(&Utc)),
    }
}

/// GETs `url` with `query`, with the bearer token when there is one; the decoded body and the rate window.
pub async fn get_json<T: DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
    query: &[(&str, String)],
    token: Option<&Secret<String>>,
) -> Result<(T, RateWindow), FetchError> {
    let url = reqwest::Url::parse_with_params(url, query).map_err(|_| FetchError::Unreachable)?;
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token.expose());
    }
    let response = request.send().await.map_err(|_| FetchError::Unreachable)?;
    let rate = RateWindow::from_headers(response.headers());
    let status = response.status();
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(FetchError::RateLimited { reset: rate.reset });
    }
    if !status.is_success() {
        return Err(FetchError::Status(status.as_u16()));
    }
    let body = response.bytes().await.map_err(|_| FetchError::Unreachable)?;
    let decoded = serde_json::from_slice(&body).map_err(|_| FetchError::Malformed)?;
    Ok((decoded, rate))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn both_sources_rate_headers_are_read() {
        let mut x = HeaderMap::new();
        x.insert("x-rate-limit-remaining", HeaderValue::from_static("0"));
        x.insert("x-rate-limit-reset", HeaderValue::from_static("1795000000"));
        let window = RateWindow::from_headers(&x);
        assert_eq!(window.remaining, Some(0));
        assert_eq!(window.reset, Utc.timestamp_opt(1_795_000_000, 0).single());

        let mut mastodon = HeaderMap::new();
        mastodon.insert("X-RateLimit-Remaining", HeaderValue::from_static("299"));
        mastodon.insert(
            "X-RateLimit-Reset",
            HeaderValue::from_static("2026-11-22T10:05:00.000Z"),
        );
        let window = RateWindow::from_headers(&mastodon);
        assert_eq!(window.remaining, Some(299));
        assert_eq!(window.reset.unwrap().to_rfc3339(), "2026-11-22T10:05:00+00:00");

        assert_eq!(RateWindow::from_headers(&HeaderMap::new()), RateWindow::default());
    }
}
