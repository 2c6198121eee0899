//! The embedded media gate: CloudFront's part, played by this server (`http::gate` puts it in front of the media
//! files). Files under the media folder of an event that is not free are served only to requests whose signed
//! cookies CloudFront would accept (signature by a trusted key pair id, the policy's Resource matched against the
//! full URL, its time and address conditions). Anything else is 403 with a short JSON reason. Free events' files
//! pass untouched.
//!
//! Which folders are guarded is read from the database at most every [`GUARDED_TTL`] (not per segment request): an
//! event that becomes paid is guarded within that time, on every replica.

use caravan::api::{Refusal, RefusalCode};
use std::{
    net::Ipv4Addr,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use axum::http::StatusCode;
use chrono::Utc;

use super::{
    AccessState,
    cloudfront::{HASH_ALGORITHM_COOKIE, KEY_PAIR_ID_COOKIE, POLICY_COOKIE, PresentedCookies, SIGNATURE_COOKIE},
};
use crate::{
    error::AppError,
    session::cookie,
    store::{Store, StoreError},
};

/// How long the list of guarded folders is reused.
pub const GUARDED_TTL: Duration = Duration::from_secs(2);

/// The guarded folders, and when they were read.
type Reading = (Arc<Vec<String>>, Instant);

/// The media folders of events that are not free, as last read.
#[derive(Debug, Clone, Default)]
pub struct GuardedPrefixes {
    read: Arc<RwLock<Option<Reading>>>,
}

impl GuardedPrefixes {
    async fn get(&self, store: &Store) -> Result<Arc<Vec<String>>, StoreError> {
        if let Ok(read) = self.read.read()
            && let Some((prefixes, at)) = read.as_ref()
            && at.elapsed() < GUARDED_TTL
        {
            return Ok(prefixes.clone());
        }
        let prefixes = Arc::new(store.guarded_media_prefixes().await?);
        if let Ok(mut read) = self.read.write() {
            *read = Some((prefixes.clone(), Instant::now()));
        }
        Ok(prefixes)
    }
}

/// Whether the request may have its file: any file outside a guarded folder; in one, only with signed cookies that
/// CloudFront would accept for this URL, now and from this address (403 `forbidden` with the reason otherwise).
pub async fn admit(
    store: &Store,
    access: &AccessState,
    uri: &axum::http::Uri,
    headers: &axum::http::HeaderMap,
    viewer_ip: Ipv4Addr,
) -> Result<(), AppError> {
    let relative = media_path(uri.path()).ok_or_else(|| {
        AppError::refused(
            StatusCode::BAD_REQUEST,
            Refusal::new(RefusalCode::BadPath, "invalid media path"),
        )
    })?;
    let guarded = access.guarded.get(store).await?;
    if !guarded.iter().any(|prefix| under(&relative, prefix)) {
        return Ok(());
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{}{path}", access.media_origin());
    let presented = PresentedCookies {
        policy: cookie(headers, POLICY_COOKIE),
        signature: cookie(headers, SIGNATURE_COOKIE),
        key_pair_id: cookie(headers, KEY_PAIR_ID_COOKIE),
        hash_algorithm: cookie(headers, HASH_ALGORITHM_COOKIE),
    };
    let now = Utc::now().timestamp();
    access
        .verifier
        .check(presented, &url, viewer_ip, now)
        .map_err(|refusal| {
            let refusal = Refusal::new(RefusalCode::Forbidden, refusal.to_string());
            AppError::refused(StatusCode::FORBIDDEN, refusal)
        })
}

/// The file path below `/media/` as the file server will resolve it: percent-decoded, without empty or `.`
/// segments; `None` for `..` or what does not decode, so no spelling of a guarded path slips past the check.
fn media_path(path: &str) -> Option<String> {
    let relative = path.strip_prefix("/media/").unwrap_or(path);
    let decoded = percent_encoding::percent_decode_str(relative).decode_utf8().ok()?;
    let mut segments = Vec::new();
    for segment in decoded.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => return None,
            segment => segments.push(segment),
        }
    }
    Some(segments.join("/"))
}

fn under(path: &str, prefix: &str) -> bool {
    path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_path_is_checked_as_the_file_server_reads_it() {
        assert_eq!(
            media_path("/media/demo/clearkey/1.m4s").as_deref(),
            Some("demo/clearkey/1.m4s")
        );
        assert_eq!(
            media_path("/media/demo/clear%6Bey/1.m4s").as_deref(),
            Some("demo/clearkey/1.m4s")
        );
        assert_eq!(
            media_path("/media/demo//clearkey/./1.m4s").as_deref(),
            Some("demo/clearkey/1.m4s")
        );
        assert_eq!(media_path("/media/demo/live/../clearkey/1.m4s"), None);
        assert_eq!(media_path("/media/demo/live/%2e%2e/clearkey/1.m4s"), None);
        assert_eq!(media_path("/media/demo/%ff/x"), None);
        assert!(under("demo/clearkey/1.m4s", "demo/clearkey"));
        assert!(under("demo/clearkey", "demo/clearkey"));
        assert!(!under("demo/clearkeys/1.m4s", "demo/clearkey"));
    }
}
