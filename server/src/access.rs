//! Access to paid shows: who may watch (`entitlement`), the playback authorization that sets CloudFront-compatible
//! signed cookies (`playback`), the embedded media gate that checks them as CloudFront would (`gate`), the license
//! servers (ClearKey built in, `license_proxy` to Widevine, PlayReady and FairPlay vendors), members' sign-in
//! (`oidc`), and the key that signs the cookies (`signing_key`). Their endpoints are `http`'s.

pub mod clearkey;
pub mod cloudfront;
pub mod entitlement;
pub mod gate;
pub mod http;
pub mod license_proxy;
pub mod oidc;
pub mod playback;
pub mod reminders;
pub mod signing_key;
pub mod viewer;

use axum::http::HeaderValue;
use chrono::Duration;

use cloudfront::{CookieSigner, CookieVerifier, HashAlgorithm, SignedCookies};

/// Why the access configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AccessConfigError {
    #[error("{key} must be http(s)://host[:port] with an optional path, without wildcards: \"{value}\"")]
    PublicUrl { key: &'static str, value: String },
    #[error(
        "outside development (listening on {addr}, or over HTTPS), paid shows' media would be signed for {origin}: set \
         CARAVAN_PUBLIC_SITE_URL (or CARAVAN_PUBLIC_MEDIA_URL, with a CDN) to the address viewers use"
    )]
    LocalOrigin { addr: std::net::SocketAddr, origin: String },
}

/// A public address from configuration: `http(s)://host[:port]` and an optional path, without a trailing `/`, and
/// without `*`, `?`, `#` or anything else a signed policy's `Resource` could read as more than this one origin.
fn public_url(key: &'static str, value: &str) -> Result<String, AccessConfigError> {
    let refused = || AccessConfigError::PublicUrl {
        key,
        value: value.to_owned(),
    };
    let url = value.trim().trim_end_matches('/');
    let (scheme, rest) = url.split_once("://").ok_or_else(refused)?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let authority_ok = crate::client_address::is_host_and_port(authority);
    let path_ok = path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '.' | '_' | '~' | '%'));
    if matches!(scheme, "http" | "https") && authority_ok && path_ok {
        Ok(url.to_owned())
    } else {
        Err(refused())
    }
}

/// Whether a public address names this machine only (`localhost`, `127.0.0.0/8`, `[::1]`).
fn is_local(url: &str) -> bool {
    let authority = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = authority.split('/').next().unwrap_or(authority);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
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
    pub playback_limit: crate::rate_limit::RateLimiter,
    /// License requests per viewer: 10 a minute.
    pub license_limit: crate::rate_limit::RateLimiter,
    /// Forwards license requests to the configured DRM vendors.
    pub license_proxy: license_proxy::LicenseProxy,
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
    /// The origin signed policies name: the media URL, else the site's public address. From configuration only,
    /// never from a request (a `Host` of `*` would sign a wildcard that opens every paid show).
    media_origin: String,
}

/// How paid shows' media is signed and opened (`cf_*`, the public addresses, `playback_authorization_seconds`).
pub struct AccessSettings {
    /// Signs the cookies (loaded by the root: the configured file, or the development key).
    pub signing_key: rsa::RsaPrivateKey,
    pub key_pair_id: String,
    pub hash: HashAlgorithm,
    pub public_site_url: String,
    pub public_media_url: Option<String>,
    /// A server on this machine only, over plain HTTP (`Config::is_development`).
    pub development: bool,
    /// Where the server listens (named when the settings are refused).
    pub listening: std::net::SocketAddr,
    pub authorization_seconds: u64,
    pub bind_viewer_ip: bool,
    pub open_before_start_seconds: u64,
    pub cookie_path: String,
    pub cookie_domain: Option<String>,
    pub cookie_secure: bool,
}

impl AccessState {
    pub fn new(
        settings: AccessSettings,
        license_proxy: license_proxy::LicenseProxy,
        oidc: Option<oidc::Oidc>,
    ) -> Result<Self, AccessConfigError> {
        let key = settings.signing_key;
        let hash = settings.hash;
        let verifier = CookieVerifier::new(vec![(settings.key_pair_id.clone(), key.to_public_key())]);
        let site_url = public_url("CARAVAN_PUBLIC_SITE_URL", &settings.public_site_url)?;
        let media_url = match settings.public_media_url.as_deref().filter(|url| !url.is_empty()) {
            Some(url) => Some(public_url("CARAVAN_PUBLIC_MEDIA_URL", url)?),
            None => None,
        };
        let media_origin = media_url.clone().unwrap_or_else(|| site_url.clone());
        // The localhost default is for development: a server others can reach needs its real address.
        if !settings.development && is_local(&media_origin) {
            return Err(AccessConfigError::LocalOrigin {
                addr: settings.listening,
                origin: media_origin,
            });
        }
        Ok(Self {
            signer: CookieSigner::new(settings.key_pair_id.clone(), key, hash),
            verifier,
            authorization: Duration::seconds(i64::try_from(settings.authorization_seconds).unwrap_or(3600)),
            bind_viewer_ip: settings.bind_viewer_ip,
            open_before_start: Duration::seconds(i64::try_from(settings.open_before_start_seconds).unwrap_or(300)),
            playback_limit: crate::rate_limit::RateLimiter::new(20, std::time::Duration::from_secs(60)),
            license_limit: crate::rate_limit::RateLimiter::new(10, std::time::Duration::from_secs(60)),
            license_proxy,
            guarded: gate::GuardedPrefixes::default(),
            oidc: oidc.map(std::sync::Arc::new),
            site_url,
            cookie_path: settings.cookie_path,
            cookie_domain: settings.cookie_domain,
            cookie_secure: settings.cookie_secure,
            media_url,
            media_origin,
        })
    }

    /// Whether the site is served over HTTPS (its cookies are `Secure`).
    pub fn cookie_secure(&self) -> bool {
        self.cookie_secure
    }

    /// The origin media URLs are signed for (configured; see `media_origin`).
    pub fn media_origin(&self) -> &str {
        &self.media_origin
    }

    /// A stored media URL as viewers fetch it (paths go to the configured media origin).
    pub fn public_url(&self, url: &str) -> String {
        match (&self.media_url, url.starts_with('/')) {
            (Some(base), true) => format!("{base}{url}"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_addresses_are_origins_with_an_optional_path_and_no_wildcard() {
        assert_eq!(
            public_url("K", "https://live.example.com/").unwrap(),
            "https://live.example.com"
        );
        assert_eq!(
            public_url("K", "https://cdn.example:8443/caravan").unwrap(),
            "https://cdn.example:8443/caravan"
        );
        for bad in [
            "live.example.com",
            "ftp://live.example.com",
            "https://*",
            "https://*.example.com",
            "https://h/media?x",
            "https://h/a*",
            "https://h#x",
            "https://user@h",
            "https://",
        ] {
            assert!(
                matches!(public_url("K", bad), Err(AccessConfigError::PublicUrl { .. })),
                "{bad}"
            );
        }
        assert!(is_local("http://127.0.0.1:3000") && is_local("http://localhost") && is_local("http://[::1]:80"));
        assert!(!is_local("https://live.example.com") && !is_local("http://10.0.0.5:3000"));
    }
}
