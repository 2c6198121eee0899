//! One poller per show: it calls the show's sources one after the other (never two upstream calls at once for a
//! show), each on its own schedule: every `feed_poll_ms` while all is well; after the window's reset when a source
//! says no calls are left or answers 429; twice as long after each failure (up to 10 minutes). Each poll resumes from
//! the cursor the store holds, so a restart neither repeats nor skips posts.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::{sync::watch, time::Instant};

use super::{Feed, FetchError, Polled, RateWindow, mastodon::MastodonTimeline, x::XSearch};
use crate::{
    secret::Secret,
    store::{FeedSource, Store},
};

/// The longest wait after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// The longest wait a source's rate-limit reset may impose (a reset further away is taken as a mistake).
const MAX_RATE_WAIT: Duration = Duration::from_secs(900);

/// Why the feed configuration cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FeedConfigError {
    #[error("feed_x_queries needs feed_x_bearer_token")]
    XToken,
    #[error("feed_mastodon_tags needs feed_mastodon_url")]
    MastodonUrl,
    #[error("cannot make the HTTP client: {0}")]
    Client(String),
}

/// A source a show follows.
#[derive(Debug, Clone)]
pub enum Watch {
    X { search: XSearch, query: String },
    Mastodon { timeline: MastodonTimeline, tag: String },
}

impl Watch {
    fn source(&self) -> FeedSource {
        match self {
            Self::X { .. } => FeedSource::X,
            Self::Mastodon { .. } => FeedSource::Mastodon,
        }
    }

    async fn poll(&self, since: Option<&str>) -> Polled {
        match self {
            Self::X { search, query } => search.poll(query, since).await,
            Self::Mastodon { timeline, tag } => timeline.poll(tag, since).await,
        }
    }
}

/// Every show's sources, from the configuration.
#[derive(Debug, Clone, Default)]
pub struct FeedSources {
    /// By show slug.
    pub shows: Vec<(String, Vec<Watch>)>,
    pub interval: Duration,
}

/// Which shows follow what, and how often.
#[derive(Debug, Clone, Default)]
pub struct FeedSettings {
    /// X searches by show slug.
    pub x_queries: Vec<(String, String)>,
    pub x_bearer_token: Option<Secret<String>>,
    pub x_api_base: String,
    /// Mastodon hashtags by show slug.
    pub mastodon_tags: Vec<(String, String)>,
    pub mastodon_url: Option<String>,
    pub mastodon_token: Option<Secret<String>>,
    pub poll_ms: u64,
}

impl FeedSources {
    pub fn new(settings: &FeedSettings) -> Result<Self, FeedConfigError> {
        let client =
            || crate::outbound::client(Duration::from_secs(10)).map_err(|e| FeedConfigError::Client(e.to_string()));
        let mut shows: Vec<(String, Vec<Watch>)> = Vec::new();
        let mut add = |slug: String, watch: Watch| match shows.iter_mut().find(|(s, _)| *s == slug) {
            Some((_, watches)) => watches.push(watch),
            None => shows.push((slug, vec![watch])),
        };
        let queries = settings.x_queries.clone();
        if !queries.is_empty() {
            let token = settings.x_bearer_token.clone().ok_or(FeedConfigError::XToken)?;
            let search = XSearch {
                client: client()?,
                api_base: settings.x_api_base.clone(),
                token,
            };
            for (slug, query) in queries {
                add(
                    slug,
                    Watch::X {
                        search: search.clone(),
                        query,
                    },
                );
            }
        }
        let tags = settings.mastodon_tags.clone();
        if !tags.is_empty() {
            let instance = settings.mastodon_url.clone().ok_or(FeedConfigError::MastodonUrl)?;
            let timeline = MastodonTimeline {
                client: client()?,
                instance,
                token: settings.mastodon_token.clone(),
            };
            for (slug, tag) in tags {
                add(
                    slug,
                    Watch::Mastodon {
                        timeline: timeline.clone(),
                        tag,
                    },
                );
            }
        }
        Ok(Self {
            shows,
            interval: Duration::from_millis(settings.poll_ms.max(10)),
        })
    }

    /// Polls every show's sources until `stop` turns true, on the replica holding the feed poller's lead
    /// (`crate::lead`). A slug that names no show is reported and skipped.
    #[tracing::instrument(name = "feed_poller", skip_all)]
    pub async fn run(self, feed: Feed, store: Store, stop: watch::Receiver<bool>) {
        if self.shows.is_empty() {
            return;
        }
        let sources = std::sync::Arc::new(self);
        crate::lead::while_leading(store.clone(), LEAD, stop, |quit| {
            let (sources, feed, store) = (sources.clone(), feed.clone(), store.clone());
            async move { sources.poll(feed, store, quit).await }
        })
        .await;
    }

    /// Polls every show's sources until `quit` turns true.
    async fn poll(&self, feed: Feed, store: Store, quit: watch::Receiver<bool>) {
        let mut pollers = Vec::new();
        for (slug, watches) in &self.shows {
            match store.event_by_slug(slug).await {
                Ok(Some(event)) => {
                    let poller = ShowPoller {
                        feed: feed.clone(),
                        store: store.clone(),
                        event_id: event.id,
                        interval: self.interval,
                    };
                    pollers.push(tokio::spawn(poller.run(watches.clone(), quit.clone())));
                }
                Ok(None) => tracing::warn!(%slug, "the feed configuration names a show that does not exist"),
                Err(e) => tracing::error!(error = %e, %slug, "cannot start the show's feed poller"),
            }
        }
        for poller in pollers {
            let _ = poller.await;
        }
    }
}

/// The lead the replicas' pollers compete for.
const LEAD: &str = "feed-poller";

struct ShowPoller {
    feed: Feed,
    store: Store,
    event_id: String,
    interval: Duration,
}

/// A source's schedule.
struct Scheduled {
    watch: Watch,
    due: Instant,
    failures: u32,
}

impl ShowPoller {
    async fn run(self, watches: Vec<Watch>, mut stop: watch::Receiver<bool>) {
        let now = Instant::now();
        let mut scheduled: Vec<_> = watches
            .into_iter()
            .map(|watch| Scheduled {
                watch,
                due: now,
                failures: 0,
            })
            .collect();
        loop {
            for source in scheduled.iter_mut().filter(|s| s.due <= Instant::now()) {
                let outcome = self.poll(&source.watch).await;
                source.failures = if outcome.is_ok() { 0 } else { source.failures + 1 };
                source.due = Instant::now() + next_poll(Utc::now(), self.interval, source.failures, &outcome);
            }
            let Some(due) = scheduled.iter().map(|s| s.due).min() else {
                return;
            };
            tokio::select! {
                _ = tokio::time::sleep_until(due) => {}
                _ = stop.wait_for(|stopped| *stopped) => return,
            }
        }
    }

    /// One poll of one source, its posts stored: the rate window, or what failed.
    #[tracing::instrument(name = "feed_poll", skip_all, fields(show = %self.event_id, source = ?watch.source()))]
    async fn poll(&self, watch: &Watch) -> Result<RateWindow, FetchError> {
        let source = watch.source();
        let since = match self.store.feed_cursor(&self.event_id, source).await {
            Ok(since) => since,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the feed cursor");
                return Err(FetchError::Unreachable);
            }
        };
        let polled = watch.poll(since.as_deref()).await;
        match self.feed.take(&self.event_id, source, &polled).await {
            Ok(added) if added > 0 => {
                tracing::debug!(event = %self.event_id, source = source.as_str(), added, "new posts")
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "cannot store the polled posts");
                return Err(FetchError::Unreachable);
            }
        }
        match polled.error {
            Some(e) => {
                tracing::warn!(event = %self.event_id, source = source.as_str(), error = %e, "feed poll failed");
                Err(e)
            }
            None => Ok(polled.rate),
        }
    }
}

/// How long until a source's next poll, after a poll that ended with `outcome` at `now` and `failures` failures in a
/// row (counting this one).
fn next_poll(
    now: DateTime<Utc>,
    interval: Duration,
    failures: u32,
    outcome: &Result<RateWindow, FetchError>,
) -> Duration {
    let until = |reset: DateTime<Utc>| {
        // A second past the reset: the source's clock and ours differ a little.
        (reset - now)
            .to_std()
            .ok()
            .map(|wait| (wait + Duration::from_secs(1)).min(MAX_RATE_WAIT))
    };
    let backoff = || {
        interval
            .saturating_mul(1 << failures.min(16))
            .min(MAX_BACKOFF)
            .max(interval)
    };
    match outcome {
        Ok(RateWindow {
            remaining: Some(0),
            reset: Some(reset),
        }) => until(*reset).map_or(interval, |wait| wait.max(interval)),
        Ok(_) => interval,
        Err(FetchError::RateLimited { reset: Some(reset) }) => {
            until(*reset).map_or_else(backoff, |wait| wait.max(interval))
        }
        Err(_) => backoff(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_follows_the_interval_the_rate_window_and_failures() {
        let now = Utc::now();
        let interval = Duration::from_secs(15);
        let ok = |remaining, reset| Ok(RateWindow { remaining, reset });
        assert_eq!(next_poll(now, interval, 0, &ok(Some(3), None)), interval);
        // No calls left: wait for the window's reset, and a second.
        let reset = now + chrono::Duration::seconds(120);
        assert_eq!(
            next_poll(now, interval, 0, &ok(Some(0), Some(reset))),
            Duration::from_secs(121)
        );
        // A reset already past, or close: never sooner than the interval.
        assert_eq!(next_poll(now, interval, 0, &ok(Some(0), Some(now))), interval);
        // 429: wait for the reset; a reset an hour away is capped at 15 minutes; none said: back off.
        let limited = |reset| Err(FetchError::RateLimited { reset });
        assert_eq!(
            next_poll(now, interval, 1, &limited(Some(reset))),
            Duration::from_secs(121)
        );
        let far = now + chrono::Duration::hours(1);
        assert_eq!(next_poll(now, interval, 1, &limited(Some(far))), MAX_RATE_WAIT);
        assert_eq!(next_poll(now, interval, 1, &limited(None)), Duration::from_secs(30));
        // Failures double the wait, up to 10 minutes.
        let failed = Err(FetchError::Status(503));
        assert_eq!(next_poll(now, interval, 1, &failed), Duration::from_secs(30));
        assert_eq!(next_poll(now, interval, 3, &failed), Duration::from_secs(120));
        assert_eq!(next_poll(now, interval, 30, &failed), MAX_BACKOFF);
    }

    #[test]
    fn sources_come_from_the_configuration() {
        let pair = |slug: &str, value: &str| (slug.to_owned(), value.to_owned());
        let mut settings = FeedSettings::default();
        assert!(FeedSources::new(&settings).unwrap().shows.is_empty());
        settings.x_queries = vec![pair("demo", "#caravan -is:retweet")];
        assert_eq!(FeedSources::new(&settings).unwrap_err(), FeedConfigError::XToken);
        settings.x_bearer_token = Some(Secret::new("AAAA".into()));
        settings.mastodon_tags = vec![pair("demo", "caravan"), pair("other", "キャラバン")];
        assert_eq!(FeedSources::new(&settings).unwrap_err(), FeedConfigError::MastodonUrl);
        settings.mastodon_url = Some("https://m.example".into());
        let sources = FeedSources::new(&settings).unwrap();
        let shows: Vec<_> = sources
            .shows
            .iter()
            .map(|(slug, watches)| (slug.as_str(), watches.iter().map(Watch::source).collect::<Vec<_>>()))
            .collect();
        assert_eq!(
            shows,
            [
                ("demo", vec![FeedSource::X, FeedSource::Mastodon]),
                ("other", vec![FeedSource::Mastodon])
            ]
        );
        assert!(!format!("{sources:?}").contains("AAAA"), "the token never shows");
    }
}
