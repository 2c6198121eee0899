//! Signed session cookies, HMAC-SHA256 with the server's session key over the cookie's purpose and payload:
//! - the operator console's, `v1.<expires>~<generation>.<signature>`: the operator token itself never lives in a
//!   cookie; a session ends by itself (12 h), or when signing out moves the generation on (every session issued
//!   before ends, on every replica: `Store::end_operator_sessions`);
//! - the viewer's, `v1.<viewer id>.<signature>`: an anonymous, random id that entitlements and accepted terms belong
//!   to, made at the first playback request and kept a year;
//! - a member's, `v1.<viewer id>~<plans>~<expires>.<signature>`: who signed in with the OIDC provider and their
//!   plans (base64url JSON), for 24 h;
//! - the sign-in in progress, `v1.<state>~<nonce>~<PKCE verifier>~<next>.<signature>`, for 10 minutes.

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
};

use anyhow::Context;
use axum::http::{HeaderMap, HeaderValue, header};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secret::Secret;

pub const OPERATOR_COOKIE: &str = "caravan_operator";
const OPERATOR_SESSION: Duration = Duration::hours(12);
pub const VIEWER_COOKIE: &str = "caravan_viewer";
const VIEWER_SESSION: Duration = Duration::days(365);
pub const MEMBER_COOKIE: &str = "caravan_member";
const MEMBER_SESSION: Duration = Duration::hours(24);
pub const SIGN_IN_COOKIE: &str = "caravan_sign_in";
const SIGN_IN_SESSION: Duration = Duration::minutes(10);
const KEY_FILE: &str = "session.key";

#[derive(Clone)]
pub struct Sessions {
    key: Secret<Vec<u8>>,
    secure: bool,
    /// The operator sessions' current generation (the store keeps it; `set_operator_generation` brings it here).
    generation: Arc<AtomicI64>,
}

impl Sessions {
    /// The configured key, or the one kept in the data directory (made on first start).
    pub async fn load(configured: Option<&Secret<String>>, data_dir: &Path, secure: bool) -> anyhow::Result<Self> {
        let key = match configured {
            Some(secret) if secret.expose().len() >= 32 => secret.expose().as_bytes().to_vec(),
            Some(_) => anyhow::bail!("CARAVAN_SESSION_SECRET must be at least 32 characters"),
            None => {
                let path = data_dir.join(KEY_FILE);
                match tokio::fs::read(&path).await {
                    Ok(key) if key.len() >= 32 => {
                        // A key written by an earlier version could be read by anyone on the machine.
                        crate::secret::make_private(&path).with_context(|| format!("protecting {}", path.display()))?;
                        key
                    }
                    _ => {
                        let mut key = vec![0u8; 32];
                        getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
                        crate::secret::write_private_file(&path, &key)
                            .with_context(|| format!("writing {}", path.display()))?;
                        key
                    }
                }
            }
        };
        Ok(Self {
            key: Secret::new(key),
            secure,
            generation: Arc::default(),
        })
    }

    /// The operator sessions' generation as the store has it now: sessions of another generation are over.
    pub fn set_operator_generation(&self, generation: i64) {
        self.generation.store(generation, Ordering::Relaxed);
    }

    /// The MAC of a cookie's payload for a purpose (the cookie's name).
    fn mac(&self, purpose: &str, payload: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.expose()).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(b".");
        mac.update(payload.as_bytes());
        mac
    }

    /// `v1.<payload>.<signature>`.
    fn seal(&self, purpose: &str, payload: &str) -> String {
        let signature = URL_SAFE_NO_PAD.encode(self.mac(purpose, payload).finalize().into_bytes());
        format!("v1.{payload}.{signature}")
    }

    /// The payload of a value `seal` made for `purpose`; the signature is compared in constant time.
    fn open<'a>(&self, purpose: &str, value: &'a str) -> Option<&'a str> {
        let mut parts = value.split('.');
        let (Some("v1"), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        self.mac(purpose, payload).verify_slice(&signature).ok()?;
        Some(payload)
    }

    /// A new operator session of the current generation, as the cookie's value.
    pub fn issue_operator(&self, now: DateTime<Utc>) -> String {
        let expires = (now + OPERATOR_SESSION).timestamp();
        let generation = self.generation.load(Ordering::Relaxed);
        self.seal(OPERATOR_COOKIE, &format!("{expires}~{generation}"))
    }

    /// Whether a cookie value is an operator session this server signed, not expired, of the current generation.
    pub fn verify_operator(&self, value: &str, now: DateTime<Utc>) -> bool {
        let Some((expires, generation)) = self.open(OPERATOR_COOKIE, value).and_then(|p| p.split_once('~')) else {
            return false;
        };
        let current = self.generation.load(Ordering::Relaxed);
        expires.parse::<i64>().is_ok_and(|expires| now.timestamp() < expires)
            && generation.parse::<i64>().is_ok_and(|generation| generation == current)
    }

    /// The viewer of a request: the id in its valid viewer cookie.
    pub fn viewer_in(&self, headers: &HeaderMap) -> Option<String> {
        let id = self.open(VIEWER_COOKIE, cookie(headers, VIEWER_COOKIE)?)?;
        Some(id.to_string())
    }

    /// A new viewer: a random id (22 URL-safe characters).
    pub fn new_viewer_id() -> anyhow::Result<String> {
        crate::secret::random_token(16)
    }

    /// `Set-Cookie` for a viewer (SameSite=Lax: it also goes with top-level navigations from elsewhere).
    pub fn viewer_cookie(&self, viewer_id: &str) -> HeaderValue {
        let value = self.seal(VIEWER_COOKIE, viewer_id);
        self.lax_cookie(VIEWER_COOKIE, &value, VIEWER_SESSION.num_seconds())
    }

    /// A signed-in member's viewer id and plans, from a valid, unexpired member cookie.
    pub fn member_in(&self, headers: &HeaderMap) -> Option<(String, Vec<String>)> {
        let payload = self.open(MEMBER_COOKIE, cookie(headers, MEMBER_COOKIE)?)?;
        let mut parts = payload.split('~');
        let (Some(viewer_id), Some(plans), Some(expires), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        if expires.parse::<i64>().ok()? <= Utc::now().timestamp() {
            return None;
        }
        let plans = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(plans).ok()?).ok()?;
        Some((viewer_id.to_string(), plans))
    }

    /// `Set-Cookie` for a member who signed in.
    pub fn member_cookie(&self, viewer_id: &str, plans: &[String]) -> HeaderValue {
        let plans = URL_SAFE_NO_PAD.encode(serde_json::to_vec(plans).unwrap_or_default());
        let expires = (Utc::now() + MEMBER_SESSION).timestamp();
        let value = self.seal(MEMBER_COOKIE, &format!("{viewer_id}~{plans}~{expires}"));
        self.lax_cookie(MEMBER_COOKIE, &value, MEMBER_SESSION.num_seconds())
    }

    /// `Set-Cookie` for a sign-in on its way to the provider: what the callback must find again.
    pub fn sign_in_cookie(&self, state: &str, nonce: &str, verifier: &str, next: &str) -> HeaderValue {
        let next = URL_SAFE_NO_PAD.encode(next);
        let value = self.seal(SIGN_IN_COOKIE, &format!("{state}~{nonce}~{verifier}~{next}"));
        self.lax_cookie(SIGN_IN_COOKIE, &value, SIGN_IN_SESSION.num_seconds())
    }

    /// The sign-in in progress: (state, nonce, PKCE verifier, where to go next).
    pub fn sign_in_in(&self, headers: &HeaderMap) -> Option<(String, String, String, String)> {
        let payload = self.open(SIGN_IN_COOKIE, cookie(headers, SIGN_IN_COOKIE)?)?;
        let mut parts = payload.split('~');
        let (Some(state), Some(nonce), Some(verifier), Some(next), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let next = String::from_utf8(URL_SAFE_NO_PAD.decode(next).ok()?).ok()?;
        Some((state.into(), nonce.into(), verifier.into(), next))
    }

    /// `Set-Cookie` that removes the cookie `name`.
    pub fn clear_cookie(&self, name: &str) -> HeaderValue {
        self.lax_cookie(name, "", 0)
    }

    /// An HttpOnly, SameSite=Lax cookie on the whole site (Lax: it comes back with the provider's redirect).
    fn lax_cookie(&self, name: &str, value: &str, max_age: i64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
        HeaderValue::from_str(&cookie).expect("cookie values are ASCII")
    }

    /// Whether the request carries a valid operator session.
    pub fn operator_in(&self, headers: &HeaderMap) -> bool {
        cookie(headers, OPERATOR_COOKIE).is_some_and(|value| self.verify_operator(value, Utc::now()))
    }

    /// `Set-Cookie` for a new operator session.
    pub fn operator_cookie(&self) -> HeaderValue {
        let max_age = OPERATOR_SESSION.num_seconds();
        self.cookie_header(&self.issue_operator(Utc::now()), max_age)
    }

    /// `Set-Cookie` that ends the operator session.
    pub fn clear_operator_cookie(&self) -> HeaderValue {
        self.cookie_header("", 0)
    }

    fn cookie_header(&self, value: &str, max_age: i64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let cookie = format!("{OPERATOR_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
        HeaderValue::from_str(&cookie).expect("cookie values are ASCII")
    }
}

/// The value of a cookie of the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sessions() -> (Sessions, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        (Sessions::load(None, dir.path(), false).await.unwrap(), dir)
    }

    #[tokio::test]
    async fn a_session_verifies_until_it_expires() {
        let (sessions, _dir) = sessions().await;
        let now = Utc::now();
        let value = sessions.issue_operator(now);
        assert!(sessions.verify_operator(&value, now));
        assert!(sessions.verify_operator(&value, now + Duration::hours(11)));
        assert!(!sessions.verify_operator(&value, now + Duration::hours(13)));
    }

    #[tokio::test]
    async fn a_new_generation_ends_every_earlier_session() {
        let (sessions, _dir) = sessions().await;
        let now = Utc::now();
        let before = sessions.issue_operator(now);
        sessions.set_operator_generation(1);
        assert!(!sessions.verify_operator(&before, now), "signed out");
        let after = sessions.issue_operator(now);
        assert!(sessions.verify_operator(&after, now));
        // A session from before generations (`v1.<expires>`) is over too.
        let old = sessions.seal(OPERATOR_COOKIE, &(now + Duration::hours(1)).timestamp().to_string());
        assert!(!sessions.verify_operator(&old, now));
    }

    #[tokio::test]
    async fn tampered_or_foreign_sessions_do_not_verify() {
        let (sessions, _dir) = sessions().await;
        let now = Utc::now();
        let value = sessions.issue_operator(now);
        let (head, signature) = value.rsplit_once('.').unwrap();
        let forged_expiry = format!("v1.{}.{signature}", (now + Duration::days(365)).timestamp());
        for bad in [
            format!("{head}.AAAA"),
            forged_expiry,
            "v1.1.2.3".into(),
            "".into(),
            "v2.x.y".into(),
        ] {
            assert!(!sessions.verify_operator(&bad, now), "{bad}");
        }
        let (other, _other_dir) = self::sessions().await;
        assert!(!other.verify_operator(&value, now), "another server's key");
    }

    #[tokio::test]
    async fn the_generated_key_is_kept_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let first = Sessions::load(None, dir.path(), false).await.unwrap();
        let value = first.issue_operator(Utc::now());
        let second = Sessions::load(None, dir.path(), false).await.unwrap();
        assert!(second.verify_operator(&value, Utc::now()));
    }

    #[tokio::test]
    async fn viewer_ids_are_signed() {
        let (sessions, _dir) = sessions().await;
        let id = Sessions::new_viewer_id().unwrap();
        assert_eq!(id.len(), 22);
        let set_cookie = sessions.viewer_cookie(&id);
        let value = set_cookie.to_str().unwrap().split(';').next().unwrap().to_string();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, value.parse().unwrap());
        assert_eq!(sessions.viewer_in(&headers), Some(id.clone()));

        // Someone else's id with this id's signature, or an operator session presented as a viewer: refused.
        let forged = value.replace(&id, &Sessions::new_viewer_id().unwrap());
        headers.insert(header::COOKIE, forged.parse().unwrap());
        assert_eq!(sessions.viewer_in(&headers), None);
        let operator = format!("{VIEWER_COOKIE}={}", sessions.issue_operator(Utc::now()));
        headers.insert(header::COOKIE, operator.parse().unwrap());
        assert_eq!(sessions.viewer_in(&headers), None);
    }

    #[test]
    fn reads_cookies_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; caravan_operator=v1.2.3; b=2".parse().unwrap());
        assert_eq!(cookie(&headers, OPERATOR_COOKIE), Some("v1.2.3"));
        assert_eq!(cookie(&headers, "missing"), None);
    }
}
