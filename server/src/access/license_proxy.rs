//! The license proxy. A CDM's license request is opaque bytes (a Widevine challenge, PlayReady SOAP, a FairPlay
//! SPC); once the viewer's entitlement is checked the bytes go unchanged to the license server configured for that
//! system, with this server's credential added, and the server's bytes and content type come back unchanged. The
//! upstream is configuration only: nothing in a request chooses where it goes. Its endpoints are `http::drm`'s.
//!
//! Failures are ours to word: 404 for a system that is not configured, 413 over the size limit, 502 when the license
//! server fails or refuses (its status in `upstreamStatus`, never its body, which could echo our credential), 504
//! when it does not answer within the timeout.

use caravan::api::{Refusal, RefusalCode};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    body::Bytes,
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::Utc;
use serde_json::json;

use crate::{error::AppError, secret::Secret};

/// The most a license server's answer may weigh (licenses are a few KB).
const MAX_ANSWER: usize = 1024 * 1024;
/// How long the FairPlay certificate is kept before it is fetched again.
const CERTIFICATE_TTL: Duration = Duration::from_secs(3600);
/// How long an Axinom token is valid: just long enough to reach the license server.
const TOKEN_LIFETIME: chrono::Duration = chrono::Duration::minutes(5);

/// The DRM systems whose license servers are a vendor's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrmSystem {
    Widevine,
    PlayReady,
    FairPlay,
}

impl DrmSystem {
    pub fn name(self) -> &'static str {
        match self {
            DrmSystem::Widevine => "widevine",
            DrmSystem::PlayReady => "playready",
            DrmSystem::FairPlay => "fairplay",
        }
    }
}

/// How requests to the license servers are authenticated.
#[derive(Clone)]
enum Credential {
    None,
    Header(HeaderName, Secret<HeaderValue>),
    Axinom {
        com_key_id: String,
        com_key: Secret<Vec<u8>>,
    },
}

/// Why the DRM configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DrmConfigError {
    #[error("{0} is not an http(s) URL")]
    Url(&'static str),
    #[error("drm_upstream_auth = \"header\" needs drm_upstream_header and drm_upstream_secret (a valid header)")]
    Header,
    #[error("drm_upstream_auth = \"axinom\" needs drm_axinom_com_key_id and drm_upstream_secret (base64)")]
    Axinom,
    #[error("cannot make the HTTP client: {0}")]
    Client(String),
}

#[derive(Clone)]
pub struct LicenseProxy {
    client: reqwest::Client,
    widevine: Option<reqwest::Url>,
    playready: Option<reqwest::Url>,
    fairplay: Option<reqwest::Url>,
    fairplay_certificate: Option<reqwest::Url>,
    credential: Credential,
    max_body: usize,
    /// The FairPlay certificate and when it was fetched; the lock makes one fetch at a time.
    certificate: Arc<tokio::sync::Mutex<Option<(Bytes, Instant)>>>,
}

impl std::fmt::Debug for LicenseProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LicenseProxy")
            .field("widevine", &self.widevine.is_some())
            .field("playready", &self.playready.is_some())
            .field("fairplay", &self.fairplay.is_some())
            .finish_non_exhaustive()
    }
}

fn url(value: &Option<String>, key: &'static str) -> Result<Option<reqwest::Url>, DrmConfigError> {
    match value.as_deref().filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => reqwest::Url::parse(text)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .map(Some)
            .ok_or(DrmConfigError::Url(key)),
    }
}

/// How this server proves itself to the DRM vendor's license server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UpstreamAuth {
    #[default]
    None,
    /// A fixed header (`upstream_header: upstream_secret`).
    Header,
    /// Axinom's license service message, signed with the communication key.
    Axinom,
}

/// The license servers requests are forwarded to (`drm_*` in the configuration).
#[derive(Debug, Clone, Default)]
pub struct LicenseProxySettings {
    pub upstream_auth: UpstreamAuth,
    pub upstream_header: Option<String>,
    pub upstream_secret: Option<Secret<String>>,
    pub axinom_com_key_id: Option<String>,
    pub upstream_timeout_ms: u64,
    pub widevine_license_url: Option<String>,
    pub playready_license_url: Option<String>,
    pub fairplay_license_url: Option<String>,
    pub fairplay_certificate_url: Option<String>,
    pub license_max_bytes: usize,
}

impl LicenseProxy {
    pub fn new(settings: &LicenseProxySettings) -> Result<Self, DrmConfigError> {
        let secret = settings.upstream_secret.as_ref().filter(|s| !s.expose().is_empty());
        let credential = match settings.upstream_auth {
            UpstreamAuth::None => Credential::None,
            UpstreamAuth::Header => {
                let name = settings
                    .upstream_header
                    .as_deref()
                    .and_then(|name| HeaderName::try_from(name).ok())
                    .ok_or(DrmConfigError::Header)?;
                let value = secret
                    .and_then(|secret| HeaderValue::from_str(secret.expose()).ok())
                    .ok_or(DrmConfigError::Header)?;
                Credential::Header(name, Secret::new(value))
            }
            UpstreamAuth::Axinom => Credential::Axinom {
                com_key_id: settings
                    .axinom_com_key_id
                    .clone()
                    .filter(|id| !id.is_empty())
                    .ok_or(DrmConfigError::Axinom)?,
                com_key: secret
                    .and_then(|secret| STANDARD.decode(secret.expose().trim()).ok())
                    .filter(|key| !key.is_empty())
                    .map(Secret::new)
                    .ok_or(DrmConfigError::Axinom)?,
            },
        };
        Ok(Self {
            client: crate::outbound::client(Duration::from_millis(settings.upstream_timeout_ms.max(1)))
                .map_err(|e| DrmConfigError::Client(e.without_url().to_string()))?,
            widevine: url(&settings.widevine_license_url, "drm_widevine_license_url")?,
            playready: url(&settings.playready_license_url, "drm_playready_license_url")?,
            fairplay: url(&settings.fairplay_license_url, "drm_fairplay_license_url")?,
            fairplay_certificate: url(&settings.fairplay_certificate_url, "drm_fairplay_certificate_url")?,
            credential,
            max_body: settings.license_max_bytes,
            certificate: Arc::default(),
        })
    }

    /// The most a license request may weigh.
    pub fn max_body(&self) -> usize {
        self.max_body
    }

    /// The event's key ids, for a credential that names them (Axinom's message); none for the others.
    pub async fn key_ids(&self, store: &crate::store::Store, event_id: &str) -> Result<Vec<String>, AppError> {
        match self.credential {
            Credential::Axinom { .. } => store
                .content_key_ids(event_id)
                .await
                .map_err(|e| AppError::Unavailable(e.into())),
            _ => Ok(Vec::new()),
        }
    }

    /// The system's license server, when it is configured.
    pub fn upstream(&self, system: DrmSystem) -> Option<&reqwest::Url> {
        match system {
            DrmSystem::Widevine => self.widevine.as_ref(),
            DrmSystem::PlayReady => self.playready.as_ref(),
            DrmSystem::FairPlay => self.fairplay.as_ref(),
        }
    }

    /// The proxy's license URL for the show at `slug`, when the system is configured.
    pub fn license_url(&self, system: DrmSystem, slug: &str) -> Option<String> {
        self.upstream(system).map(|_| format!("/drm/{}/{slug}", system.name()))
    }

    /// The FairPlay certificate's URL on this server, when FairPlay is configured.
    pub fn certificate_url(&self) -> Option<&'static str> {
        self.fairplay_certificate
            .as_ref()
            .filter(|_| self.fairplay.is_some())
            .map(|_| "/drm/fairplay/certificate")
    }

    /// Sends `body` to the system's license server and hands back its answer.
    pub async fn forward(
        &self,
        upstream: &reqwest::Url,
        headers: &HeaderMap,
        body: Bytes,
        key_ids: &[String],
    ) -> Result<License, AppError> {
        let mut request = self.client.post(upstream.clone()).body(body);
        // Only what describes the body: never the viewer's cookies or anything else of theirs.
        for name in [header::CONTENT_TYPE, HeaderName::from_static("soapaction")] {
            if let Some(value) = headers.get(&name) {
                request = request.header(name, value);
            }
        }
        request = match &self.credential {
            Credential::None => request,
            Credential::Header(name, value) => request.header(name, value.expose()),
            Credential::Axinom { com_key_id, com_key } => request.header(
                "x-axdrm-message",
                axinom_message(com_key_id, com_key, key_ids, Utc::now())?,
            ),
        };
        let mut answer = request.send().await.map_err(upstream_error)?;
        let status = answer.status();
        if !status.is_success() {
            // Host and path only: vendors put account ids in the query.
            tracing::warn!(host = upstream.host_str(), path = upstream.path(), %status, "the license server refused a request");
            let mut refusal = Refusal::new(RefusalCode::BadGateway, "the license server refused the request");
            refusal.upstream_status = Some(status.as_u16());
            return Err(AppError::refused(StatusCode::BAD_GATEWAY, refusal));
        }
        let content_type = answer
            .headers()
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or(HeaderValue::from_static("application/octet-stream"));
        let mut bytes = Vec::new();
        while let Some(chunk) = answer.chunk().await.map_err(upstream_error)? {
            if bytes.len() + chunk.len() > MAX_ANSWER {
                return Err(AppError::BadGateway("the license server's answer is too large".into()));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(License { content_type, bytes })
    }

    /// The FairPlay application certificate, fetched once an hour.
    pub async fn fairplay_certificate(&self) -> Result<Bytes, AppError> {
        let source = self
            .certificate_url()
            .and(self.fairplay_certificate.as_ref())
            .ok_or(AppError::NotFound)?;
        let mut cached = self.certificate.lock().await;
        if let Some((bytes, at)) = cached.as_ref()
            && at.elapsed() < CERTIFICATE_TTL
        {
            return Ok(bytes.clone());
        }
        let answer = self.client.get(source.clone()).send().await.map_err(upstream_error)?;
        if !answer.status().is_success() {
            tracing::warn!(status = %answer.status(), "cannot fetch the FairPlay certificate");
            return Err(AppError::BadGateway("cannot fetch the FairPlay certificate".into()));
        }
        let bytes = answer.bytes().await.map_err(upstream_error)?;
        if bytes.is_empty() || bytes.len() > MAX_ANSWER {
            return Err(AppError::BadGateway(
                "the FairPlay certificate is empty or too large".into(),
            ));
        }
        *cached = Some((bytes.clone(), Instant::now()));
        Ok(bytes)
    }
}

/// A license server's answer, handed back unchanged.
pub struct License {
    pub content_type: HeaderValue,
    pub bytes: Vec<u8>,
}

/// A failed call to a license server as the viewer sees it (the cause goes to the log without the URL's query).
fn upstream_error(error: reqwest::Error) -> AppError {
    let error = error.without_url();
    if error.is_timeout() {
        AppError::GatewayTimeout("the license server did not answer in time".into())
    } else {
        tracing::warn!(error = %error, "cannot reach the license server");
        AppError::BadGateway("the license server cannot be reached".into())
    }
}

/// Axinom's License Service Message: an HS256 JWT (signed with the communication key) entitling the bearer to the
/// content keys `key_ids` (hex), valid for a few minutes.
fn axinom_message(
    com_key_id: &str,
    com_key: &Secret<Vec<u8>>,
    key_ids: &[String],
    now: chrono::DateTime<Utc>,
) -> Result<String, AppError> {
    let keys: Vec<_> = key_ids.iter().map(|id| json!({ "id": uuid(id) })).collect();
    let claims = json!({
        "version": 1,
        "com_key_id": com_key_id,
        "message": {
            "type": "entitlement_message",
            "version": 2,
            "content_keys_source": { "inline": keys },
        },
        "expiration_date": (now + TOKEN_LIFETIME).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(com_key.expose()),
    )
    .map_err(|e| AppError::Internal(e.into()))
}

/// A 32-digit hex key id in the UUID form Axinom names keys by.
fn uuid(hex: &str) -> String {
    match (
        hex.get(..8),
        hex.get(8..12),
        hex.get(12..16),
        hex.get(16..20),
        hex.get(20..32),
    ) {
        (Some(a), Some(b), Some(c), Some(d), Some(e)) if hex.len() == 32 => format!("{a}-{b}-{c}-{d}-{e}"),
        _ => hex.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axinom_messages_name_the_keys_and_verify_with_the_communication_key() {
        let key = Secret::new(b"a communication key of 32 bytes!".to_vec());
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .unwrap()
            .to_utc();
        let token = axinom_message("com-1", &key, &["0123456789abcdef0123456789abcdef".into()], now).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let claims = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &jsonwebtoken::DecodingKey::from_secret(key.expose()),
            &validation,
        )
        .unwrap()
        .claims;
        assert_eq!(claims["com_key_id"], "com-1");
        assert_eq!(claims["message"]["type"], "entitlement_message");
        assert_eq!(
            claims["message"]["content_keys_source"]["inline"][0]["id"],
            "01234567-89ab-cdef-0123-456789abcdef"
        );
        assert_eq!(claims["expiration_date"], "2026-11-22T10:05:00Z");
        let forged = jsonwebtoken::DecodingKey::from_secret(b"another key");
        assert!(jsonwebtoken::decode::<serde_json::Value>(&token, &forged, &validation).is_err());
    }

    #[test]
    fn key_ids_as_uuids() {
        assert_eq!(
            uuid("0123456789abcdef0123456789abcdef"),
            "01234567-89ab-cdef-0123-456789abcdef"
        );
        assert_eq!(uuid("short"), "short");
    }
}
