//! Optional member login through an OpenID Connect provider (Auth0 or any other): the authorization code flow with
//! PKCE for the page (`login`), and bearer access tokens for API clients. Tokens are RS256 JWTs verified against the
//! issuer's JWKS (found through its discovery document, cached, fetched again when a token names an unknown key, at
//! most every 30 s); issuer, audience and expiry are checked (60 s leeway), and the ID token's nonce. The member's
//! plans come from a configurable claim (a string or a list of strings, as Auth0 rules and actions add them).
//!
//! A member watches as the viewer id derived from the issuer and subject, the same on every device.

use std::time::{Duration, Instant};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::secret::Secret;

/// How long the JWKS is trusted before it is fetched again.
const JWKS_TTL: Duration = Duration::from_secs(600);
/// The least time between two fetches of the JWKS (a token with an unknown key id cannot make us hammer the issuer).
const JWKS_MIN_REFRESH: Duration = Duration::from_secs(30);
/// Clock skew allowed on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 60;

#[derive(Debug, thiserror::Error)]
pub enum OidcConfigError {
    #[error("oidc_issuer is set, so oidc_client_id must be too")]
    ClientId,
    #[error("oidc_issuer must be an https URL (http only for 127.0.0.1 or localhost)")]
    Issuer,
    #[error("cannot make the HTTP client: {0}")]
    Client(String),
}

/// Why a token or a login is refused. The messages are safe to show; nothing of the token is in them.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OidcError {
    #[error("the sign-in provider cannot be reached")]
    Unreachable,
    #[error("the token is not valid: {0}")]
    Invalid(&'static str),
    #[error("the sign-in provider refused the code")]
    Exchange,
}

/// A signed-in member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The viewer id a member watches as (derived from the issuer and the subject).
    pub viewer_id: String,
    pub plans: Vec<String>,
}

/// The provider's endpoints, from its discovery document.
#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

#[derive(Debug, Default)]
struct Keys {
    set: Option<JwkSet>,
    fetched: Option<Instant>,
}

pub struct Oidc {
    issuer: String,
    client_id: String,
    client_secret: Option<Secret<String>>,
    /// The `aud` of access tokens (Auth0's API identifier); the client id when unset.
    audience: String,
    plan_claim: String,
    scopes: String,
    http: reqwest::Client,
    discovery: Mutex<Option<Discovery>>,
    keys: Mutex<Keys>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// The provider members sign in with (`oidc_*` in the configuration).
#[derive(Debug, Clone, Default)]
pub struct OidcSettings {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret<String>>,
    pub audience: Option<String>,
    pub plan_claim: String,
    pub scopes: String,
}

impl Oidc {
    /// The configured provider; `None` when `oidc_issuer` is unset (login off).
    pub fn new(settings: &OidcSettings) -> Result<Option<Self>, OidcConfigError> {
        let Some(issuer) = settings.issuer.clone().filter(|i| !i.is_empty()) else {
            return Ok(None);
        };
        let url = reqwest::Url::parse(&issuer).map_err(|_| OidcConfigError::Issuer)?;
        let local = matches!(url.host_str(), Some("127.0.0.1" | "localhost"));
        if !(url.scheme() == "https" || (url.scheme() == "http" && local)) {
            return Err(OidcConfigError::Issuer);
        }
        let client_id = settings
            .client_id
            .clone()
            .filter(|id| !id.is_empty())
            .ok_or(OidcConfigError::ClientId)?;
        Ok(Some(Self {
            audience: settings
                .audience
                .clone()
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| client_id.clone()),
            issuer,
            client_id,
            client_secret: settings.client_secret.clone().filter(|s| !s.expose().is_empty()),
            plan_claim: settings.plan_claim.clone(),
            scopes: settings.scopes.clone(),
            http: crate::outbound::client(Duration::from_secs(10))
                .map_err(|e| OidcConfigError::Client(e.without_url().to_string()))?,
            discovery: Mutex::default(),
            keys: Mutex::default(),
        }))
    }

    async fn discovery(&self) -> Result<Discovery, OidcError> {
        let mut cached = self.discovery.lock().await;
        if let Some(discovery) = cached.as_ref() {
            return Ok(discovery.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", self.issuer.trim_end_matches('/'));
        let discovery: Discovery = self.get_json(&url).await?;
        if discovery.issuer != self.issuer {
            tracing::error!(configured = %self.issuer, announced = %discovery.issuer, "the OIDC issuer differs");
            return Err(OidcError::Unreachable);
        }
        *cached = Some(discovery.clone());
        Ok(discovery)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, OidcError> {
        let unreachable = |e: reqwest::Error| {
            tracing::warn!(error = %e.without_url(), "cannot read from the OIDC provider");
            OidcError::Unreachable
        };
        let response = self.http.get(url).send().await.map_err(unreachable)?;
        let response = response.error_for_status().map_err(unreachable)?;
        response.json().await.map_err(unreachable)
    }

    /// The key `kid` of the issuer's JWKS, fetching the set when it is old or lacks the key (not too often).
    async fn key(&self, kid: &str) -> Result<DecodingKey, OidcError> {
        let mut keys = self.keys.lock().await;
        let find = |keys: &Keys| keys.set.as_ref().and_then(|set| set.find(kid)).cloned();
        let fresh = keys.fetched.is_some_and(|at| at.elapsed() < JWKS_TTL);
        let found = if fresh { find(&keys) } else { None };
        let jwk = match found {
            Some(jwk) => jwk,
            None => {
                if keys.fetched.is_some_and(|at| at.elapsed() < JWKS_MIN_REFRESH) {
                    find(&keys).ok_or(OidcError::Invalid("unknown signing key"))?
                } else {
                    let discovery = self.discovery().await?;
                    keys.set = Some(self.get_json(&discovery.jwks_uri).await?);
                    keys.fetched = Some(Instant::now());
                    find(&keys).ok_or(OidcError::Invalid("unknown signing key"))?
                }
            }
        };
        DecodingKey::from_jwk(&jwk).map_err(|_| OidcError::Invalid("unusable signing key"))
    }

    /// Verifies an RS256 token for `audience` (and the ID token's `nonce` when given): the member it names.
    async fn verify(&self, token: &str, audience: &str, nonce: Option<&str>) -> Result<Member, OidcError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| OidcError::Invalid("malformed"))?;
        if header.alg != Algorithm::RS256 {
            return Err(OidcError::Invalid("not RS256"));
        }
        let kid = header.kid.ok_or(OidcError::Invalid("no key id"))?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                OidcError::Invalid(match e.kind() {
                    ErrorKind::ExpiredSignature => "expired",
                    ErrorKind::ImmatureSignature => "not valid yet",
                    ErrorKind::InvalidAudience => "another audience",
                    ErrorKind::InvalidIssuer => "another issuer",
                    ErrorKind::InvalidSignature => "bad signature",
                    _ => "rejected",
                })
            })?
            .claims;
        if let Some(nonce) = nonce
            && claims.get("nonce").and_then(Value::as_str) != Some(nonce)
        {
            return Err(OidcError::Invalid("another nonce"));
        }
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or(OidcError::Invalid("no subject"))?;
        let plans = match claims.get(&self.plan_claim) {
            Some(Value::String(plan)) => vec![plan.clone()],
            Some(Value::Array(plans)) => plans.iter().filter_map(|p| p.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        };
        Ok(Member {
            viewer_id: member_viewer_id(&self.issuer, subject),
            plans,
        })
    }

    /// A bearer access token of an API client.
    pub async fn verify_access_token(&self, token: &str) -> Result<Member, OidcError> {
        self.verify(token, &self.audience, None).await
    }

    /// Where to send the browser to sign in.
    pub async fn authorization_url(
        &self,
        redirect_uri: &str,
        state: &str,
        nonce: &str,
        verifier: &str,
    ) -> Result<String, OidcError> {
        let discovery = self.discovery().await?;
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let mut url = reqwest::Url::parse(&discovery.authorization_endpoint).map_err(|_| OidcError::Unreachable)?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &self.scopes)
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if self.audience != self.client_id {
            url.query_pairs_mut().append_pair("audience", &self.audience);
        }
        Ok(url.into())
    }

    /// Trades the callback's code for tokens and verifies the ID token: the member who signed in.
    pub async fn exchange(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<Member, OidcError> {
        #[derive(Deserialize)]
        struct Tokens {
            id_token: String,
        }
        let discovery = self.discovery().await?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", self.client_id.as_str()),
            ("code_verifier", verifier),
        ];
        if let Some(secret) = &self.client_secret {
            form.push(("client_secret", secret.expose().as_str()));
        }
        let body = form
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        let response = self
            .http
            .post(&discovery.token_endpoint)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|_| OidcError::Unreachable)?;
        if !response.status().is_success() {
            tracing::warn!(status = %response.status(), "the OIDC provider refused the code");
            return Err(OidcError::Exchange);
        }
        let tokens: Tokens = response.json().await.map_err(|_| OidcError::Exchange)?;
        self.verify(&tokens.id_token, &self.client_id, Some(nonce)).await
    }
}

/// The viewer id of the member `subject` of `issuer`: 22 URL-safe characters, like an anonymous viewer's.
pub fn member_viewer_id(issuer: &str, subject: &str) -> String {
    let digest = Sha256::new()
        .chain_update(issuer.as_bytes())
        .chain_update([0])
        .chain_update(subject.as_bytes())
        .finalize();
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_watch_as_the_same_viewer_everywhere_and_apart_from_others() {
        let a = member_viewer_id("https://t.auth0.com/", "auth0|1");
        assert_eq!(a, member_viewer_id("https://t.auth0.com/", "auth0|1"));
        assert_eq!(a.len(), 22);
        assert_ne!(a, member_viewer_id("https://t.auth0.com/", "auth0|2"));
        assert_ne!(a, member_viewer_id("https://other.example/", "auth0|1"));
    }
}
