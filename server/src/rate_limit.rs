//! Token buckets, one per key (a viewer, a client address): for the playback authorization and the license server
//! (a viewer's player asks a few times per show; a script asking in a loop gets 429 instead of a signature or a key
//! each time), like taps, and the per-address limits of `client_address`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// Buckets kept at most; beyond it, the full ones (idle viewers) are forgotten.
const MAX_BUCKETS: usize = 100_000;

#[derive(Debug, Clone)]
pub struct RateLimiter {
    /// Requests a viewer may make at once.
    burst: f64,
    /// Requests per second a viewer regains.
    per_second: f64,
    buckets: Arc<Mutex<HashMap<String, (f64, Instant)>>>,
}

impl RateLimiter {
    pub fn new(burst: u32, per: Duration) -> Self {
        Self {
            burst: f64::from(burst),
            per_second: f64::from(burst) / per.as_secs_f64(),
            buckets: Arc::default(),
        }
    }

    /// A bucket of `burst` that refills at `per_second`.
    pub fn per_second(burst: u32, per_second: f64) -> Self {
        Self {
            burst: f64::from(burst),
            per_second,
            buckets: Arc::default(),
        }
    }

    /// Takes one request from `key`'s bucket at `now`; `Err(wait)` when it is empty.
    pub fn take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        self.with_bucket(key, now, |tokens, per_second| {
            let one = one_left(*tokens, per_second);
            if one.is_ok() {
                *tokens -= 1.0;
            }
            one
        })
    }

    /// Whether `key` could take one at `now`, taking nothing; `Err(wait)` when its bucket is empty.
    pub fn peek(&self, key: &str, now: Instant) -> Result<(), Duration> {
        self.with_bucket(key, now, |tokens, per_second| one_left(*tokens, per_second))
    }

    /// How many of `count` units (like taps) `key` may spend at `now`; they are taken, the rest refused.
    pub fn admit(&self, key: &str, count: i64, now: Instant) -> i64 {
        self.with_bucket(key, now, |tokens, _| {
            let admitted = (count.max(0) as f64).min(tokens.floor());
            *tokens -= admitted;
            admitted as i64
        })
    }

    /// Runs `spend` on `key`'s bucket, refilled to `now`.
    fn with_bucket<T>(&self, key: &str, now: Instant, spend: impl FnOnce(&mut f64, f64) -> T) -> T {
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_BUCKETS {
            // Keys idle long enough to have a full bucket again need no entry.
            let (burst, per_second) = (self.burst, self.per_second);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * per_second < burst
            });
        }
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((self.burst, now));
        *tokens = (*tokens + now.saturating_duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        spend(tokens, self.per_second)
    }
}

/// Whether a bucket holding `tokens` has one to give; else how long until it has.
fn one_left(tokens: f64, per_second: f64) -> Result<(), Duration> {
    if tokens >= 1.0 {
        Ok(())
    } else {
        Err(Duration::from_secs_f64((1.0 - tokens) / per_second))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_steady_rate_per_viewer() {
        let limiter = RateLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take("a", t0).is_ok());
        }
        let wait = limiter.take("a", t0).unwrap_err();
        assert!((19..=20).contains(&wait.as_secs()), "one request every 20 s: {wait:?}");
        assert!(limiter.take("b", t0).is_ok(), "viewers are limited apart");
        assert!(limiter.take("a", t0 + Duration::from_secs(20)).is_ok());
        assert!(limiter.take("a", t0 + Duration::from_secs(21)).is_err());
        // A long pause refills the bucket, but never beyond the burst.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert!(limiter.take("a", later).is_ok());
        }
        assert!(limiter.take("a", later).is_err());
    }
}
