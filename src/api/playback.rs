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
