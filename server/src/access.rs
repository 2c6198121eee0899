//! Access to paid shows: who may watch (`entitlement`), the playback authorization that sets CloudFront-compatible
//! signed cookies (`playback`), the embedded media gate that checks them as CloudFront would (`gate`), the license
//! servers (`drm`: ClearKey built in, a proxy to Widevine, PlayReady and FairPlay vendors), and the key that signs
//! the cookies (`signing_key`).

pub mod cloudfront;
pub mod drm;
pub mod entitlement;
pub mod gate;
pub mod login;
pub mod oidc;
pub mod playback;
pub mod rate_limit;
pub mod signing_key;
pub mod viewer;

use axum::http::{HeaderMap, HeaderValue, header};
use chrono::Duration;

use crate::config::{CfHashAlgorithm, Config};
use cloudfront::{CookieSigner, CookieVerifier, HashAlgorithm, SignedCookies};

/// Why the access configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AccessConfigError {
    #[error("the CloudFront signing key: {0}")]
    Key(#[from] signing_key::KeyError),
    #[error("the DRM configuration: {0}")]
    Drm(#[from] drm::proxy::DrmConfigError),
    #[error("the member login: {0}")]
    Oidc(#[from] oidc::OidcConfigError),
}

/// What the access endpoints share.
#[derive(Clone, Debug)]
pub struct AccessState {
    pub signer: CookieSigner,
    /// Trusts the signer's own public key, as a CloudFront key group holding it would.
    pub verifier: CookieVerifier,
    /// The longest a playback authorization lasts.
    pub authorization: Duration,
    /// How long before a scheduled show's start its media opens (the policy's `DateGreaterThan`).
    pub open_before_start: Duration,
    /// Policies carry the viewer's IPv4 address (`AWS:SourceIp`).
    pub bind_viewer_ip: bool,
    /// Playback authorizations per viewer: 20 a minute.
    pub playback_limit: rate_limit::RateLimiter,
    /// License requests per viewer: 10 a minute.
    pub license_limit: rate_limit::RateLimiter,
    /// Forwards license requests to the configured DRM vendors.
    pub license_proxy: drm::proxy::LicenseProxy,
    /// The media folders the gate guards, as last read.
    pub guarded: gate::GuardedPrefixes,
    /// Member login; `None` when no OIDC provider is configured.
    pub oidc: Option<std::sync::Arc<oidc::Oidc>>,
    /// The site's public address (the sign-in's callback is under it).
    pub site_url: String,
    cookie_path: String,
    cookie_domain: Option<String>,
    cookie_secure: bool,
    /// Where viewers fetch media; `None`: this server.
    media_url: Option<String>,
}

impl AccessState {
    pub fn from_config(config: &Config) -> Result<Self, AccessConfigError> {
        let key = config.cloudfront_signing_key()?;
        let hash = match config.cf_hash_algorithm {
            CfHashAlgorithm::Sha1 => HashAlgorithm::Sha1,
            CfHashAlgorithm::Sha256 => HashAlgorithm::Sha256,
        };
        let verifier = CookieVerifier::new(vec![(config.cf_key_pair_id.clone(), key.to_public_key())]);
        Ok(Self {
            signer: CookieSigner::new(config.cf_key_pair_id.clone(), key, hash),
            verifier,
            authorization: Duration::seconds(i64::try_from(config.playback_authorization_seconds).unwrap_or(3600)),
            bind_viewer_ip: config.cf_bind_viewer_ip,
            open_before_start: Duration::seconds(i64::try_from(config.cf_open_before_start_seconds).unwrap_or(300)),
            playback_limit: rate_limit::RateLimiter::new(20, std::time::Duration::from_secs(60)),
            license_limit: rate_limit::RateLimiter::new(10, std::time::Duration::from_secs(60)),
            license_proxy: drm::proxy::LicenseProxy::from_config(config)?,
            guarded: gate::GuardedPrefixes::default(),
            oidc: oidc::Oidc::from_config(config)?.map(std::sync::Arc::new),
            site_url: config.public_site_url.trim_end_matches('/').to_string(),
            cookie_path: config.cf_cookie_path.clone(),
            cookie_domain: config.cf_cookie_domain.clone(),
            cookie_secure: config.cookie_secure,
            media_url: config.public_media_url.clone().filter(|url| !url.is_empty()),
        })
    }

    /// The origin media URLs are signed for: the configured one, or this server as the request reached it.
    pub fn media_base(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.media_url {
            return url.trim_end_matches('/').to_string();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|host| host.to_str().ok())
            .unwrap_or("localhost");
        let scheme = if self.cookie_secure { "https" } else { "http" };
        format!("{scheme}://{host}")
    }

    /// A stored media URL as viewers fetch it (paths go to the configured media origin).
    pub fn public_url(&self, url: &str) -> String {
        match (&self.media_url, url.starts_with('/')) {
            (Some(base), true) => format!("{}{url}", base.trim_end_matches('/')),
            _ => url.to_string(),
        }
    }

    /// One `Set-Cookie` per signed cookie.
    pub fn cookies(&self, signed: &SignedCookies) -> Vec<HeaderValue> {
        let domain = self
            .cookie_domain
            .as_deref()
            .map(|d| format!("; Domain={d}"))
            .unwrap_or_default();
        let secure = if self.cookie_secure { "; Secure" } else { "" };
        signed
            .pairs()
            .into_iter()
            .filter_map(|(name, value)| {
                let cookie = format!(
                    "{name}={value}; Path={}{domain}; HttpOnly; SameSite=Lax{secure}",
                    self.cookie_path
                );
                HeaderValue::from_str(&cookie).ok()
            })
            .collect()
    }
}
