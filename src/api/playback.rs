//! `POST /api/playback/{slug}`: the right to watch, as the player asks for it. The answer's signed cookies are set
//! by the browser; the page only reads where the stream is, until when, and how to get its keys. The server writes
//! these same types.

use serde::{Deserialize, Serialize};

use crate::api::Refusal;

/// Playback is authorized until `expires_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaybackGrant {
    pub manifest_url: String,
    /// RFC 3339.
    pub expires_at: String,
    pub drm: Option<Drm>,
}

/// The license servers of an encrypted stream, by key system; the browser uses the one its CDM supports.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Drm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clearkey: Option<LicenseServer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widevine: Option<LicenseServer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playready: Option<LicenseServer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fairplay: Option<LicenseServer>,
}

impl Drm {
    /// `(key system, license server)` for each system offered, in hls.js's `drmSystems` names.
    pub fn systems(&self) -> impl Iterator<Item = (&'static str, &LicenseServer)> {
        [
            ("com.widevine.alpha", &self.widevine),
            ("com.microsoft.playready", &self.playready),
            ("com.apple.fps", &self.fairplay),
            ("org.w3.clearkey", &self.clearkey),
        ]
        .into_iter()
        .filter_map(|(system, server)| Some((system, server.as_ref()?)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseServer {
    pub license_url: String,
    /// FairPlay's application certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_url: Option<String>,
}

impl LicenseServer {
    /// A license server without a certificate.
    pub fn at(license_url: String) -> Self {
        Self {
            license_url,
            certificate_url: None,
        }
    }
}

/// hls.js's configuration for `drm` (`None`: a clear stream): the player's, and the page's bootstrap's
/// (`PlayerStart`), so the stream the page starts is the one the app would have started.
pub fn hls_config(drm: Option<&Drm>) -> serde_json::Value {
    let mut config = serde_json::json!({
        // Used only when the playlist has partial segments (LL-HLS); regular streams play as usual.
        "lowLatencyMode": true,
        // Two segments behind the live edge rather than hls.js's three: with the ingest's 1 s segments, a second
        // closer to the show (docs/PERFORMANCE.md, glass to glass). A viewer who stalls is moved a second further
        // back each time (hls.js's liveSyncOnStallIncrease), so a poor network trades latency for smoothness.
        "liveSyncDurationCount": 2,
        // Automatic quality no larger than the player shows (a phone does not fetch 1080p for a 360 px box).
        "capLevelToPlayerSize": true,
        // The first segment from the rendition the bandwidth estimate affords (hls.js's 500 kbit/s until it has
        // measured one), not the multivariant playlist's first, the largest: on a phone's 4G the first frame comes
        // from a 90 KB segment instead of a 250 KB one, and the quality moves up once the network is measured. No
        // bandwidth test first (a whole segment fetched only to be timed, then fetched again to play).
        "startLevel": -1,
        "testBandwidth": false,
        "backBufferLength": 30,
    });
    if let Some(drm) = drm {
        // Keys from the license servers (they check the viewer's entitlement; the cookie goes with the request).
        let systems: serde_json::Map<String, serde_json::Value> = drm
            .systems()
            .map(|(key_system, server)| {
                let mut entry = serde_json::json!({ "licenseUrl": server.license_url });
                if let Some(certificate) = &server.certificate_url {
                    entry["serverCertificateUrl"] = certificate.as_str().into();
                }
                (key_system.to_string(), entry)
            })
            .collect();
        config["emeEnabled"] = true.into();
        config["drmSystems"] = systems.into();
    }
    config
}

/// What the page's bootstrap (`src/hooks/use_hls/start.js`) starts before the app has loaded: the server-rendered
/// `<video>`'s `data-start`, written when the server authorized the viewer while rendering the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlayerStart {
    pub src: String,
    pub config: serde_json::Value,
}

impl PlayerStart {
    pub fn of(grant: &PlaybackGrant) -> Self {
        Self {
            src: grant.manifest_url.clone(),
            config: hls_config(grant.drm.as_ref()),
        }
    }
}

/// The server's authorization of this page's viewer while it renders the page (`ssr`): the grant, its cookies set on
/// the page's response; `None` when the viewer may not watch (the player asks, and says why).
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct RenderAuthorizer(pub std::sync::Arc<dyn Fn(String) -> GrantAtRender + Send + Sync>);

/// What a `RenderAuthorizer` answers.
#[cfg(feature = "ssr")]
pub type GrantAtRender = std::pin::Pin<Box<dyn Future<Output = Option<PlaybackGrant>> + Send>>;

/// The grant for `slug`, asked while the server renders the page when the future is awaited (the authorizer is taken
/// from the render's context at the call); always `None` in the browser, where the player asks itself.
pub fn grant_at_render(slug: String) -> impl Future<Output = Option<PlaybackGrant>> + Send + use<> {
    #[cfg(feature = "ssr")]
    let asked = leptos::prelude::use_context::<RenderAuthorizer>().map(|authorizer| (authorizer.0)(slug));
    #[cfg(not(feature = "ssr"))]
    let (asked, _) = (None::<std::future::Ready<Option<PlaybackGrant>>>, slug);
    async move {
        match asked {
            Some(asked) => asked.await,
            None => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PlaybackAnswer {
    Granted(PlaybackGrant),
    /// The server's 403 (`not_entitled`, with its reason and the viewer's code).
    Refused(Refusal),
}

#[cfg(feature = "browser")]
pub use browser::authorize_playback;

#[cfg(feature = "browser")]
mod browser {
    use super::{PlaybackAnswer, PlaybackGrant};
    use crate::api::{ApiError, Refusal};

    /// Asks to watch the show at `slug` (accepting its terms when `accept_terms`).
    pub async fn authorize_playback(slug: &str, accept_terms: bool) -> Result<PlaybackAnswer, ApiError> {
        let body = if accept_terms { r#"{"acceptTerms":true}"# } else { "{}" };
        let response = gloo_net::http::Request::post(&format!("/api/playback/{slug}"))
            .header("content-type", "application/json")
            .body(body)
            .map_err(|e| ApiError::Network(e.to_string()))?
            .send()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        match response.status() {
            200 => Ok(PlaybackAnswer::Granted(
                response
                    .json::<PlaybackGrant>()
                    .await
                    .map_err(|e| ApiError::Decode(e.to_string()))?,
            )),
            403 => Ok(PlaybackAnswer::Refused(
                response
                    .json::<Refusal>()
                    .await
                    .map_err(|e| ApiError::Decode(e.to_string()))?,
            )),
            status => Err(ApiError::Network(format!("the server answered {status}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bootstrap_starts_the_stream_as_the_player_would() {
        let clear = PlaybackGrant {
            manifest_url: "/media/s/live/master.m3u8".into(),
            expires_at: "2026-11-22T10:00:00Z".into(),
            drm: None,
        };
        let start = serde_json::to_value(PlayerStart::of(&clear)).unwrap();
        assert_eq!(start["src"], "/media/s/live/master.m3u8");
        assert_eq!(start["config"]["liveSyncDurationCount"], 2);
        assert_eq!(start["config"]["lowLatencyMode"], true);
        assert_eq!(
            start["config"]["startLevel"], -1,
            "the rendition the network affords first"
        );
        assert_eq!(
            start["config"]["testBandwidth"], false,
            "no segment fetched only to be timed"
        );
        assert!(start["config"].get("drmSystems").is_none());
        let encrypted = Drm {
            clearkey: Some(LicenseServer::at("/drm/clearkey/s".into())),
            fairplay: Some(LicenseServer {
                license_url: "/drm/fairplay/s".into(),
                certificate_url: Some("/drm/fairplay/certificate".into()),
            }),
            ..Drm::default()
        };
        let config = hls_config(Some(&encrypted));
        assert_eq!(config["emeEnabled"], true);
        assert_eq!(
            config["drmSystems"],
            serde_json::json!({
                "org.w3.clearkey": { "licenseUrl": "/drm/clearkey/s" },
                "com.apple.fps": { "licenseUrl": "/drm/fairplay/s", "serverCertificateUrl": "/drm/fairplay/certificate" },
            })
        );
    }

    #[test]
    fn the_grant_names_each_offered_system_by_its_key_system() {
        let grant: PlaybackGrant = serde_json::from_str(
            r#"{"manifestUrl":"/m.m3u8","expiresAt":"2026-11-22T10:00:00Z","drm":{
                "clearkey":{"licenseUrl":"/drm/clearkey/s"},
                "fairplay":{"licenseUrl":"/drm/fairplay/s","certificateUrl":"/drm/fairplay/certificate"}}}"#,
        )
        .unwrap();
        let drm = grant.drm.unwrap();
        let systems: Vec<_> = drm
            .systems()
            .map(|(system, server)| (system, server.license_url.as_str(), server.certificate_url.as_deref()))
            .collect();
        assert_eq!(
            systems,
            [
                ("com.apple.fps", "/drm/fairplay/s", Some("/drm/fairplay/certificate")),
                ("org.w3.clearkey", "/drm/clearkey/s", None),
            ]
        );
    }
}
