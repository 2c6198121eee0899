//! The waiting room, with the AWS Virtual Waiting Room's semantics (shared/reference/protocols.md §8), for the rush
//! a sale announced on air sends to checkout.
//!
//! The operator arms a show's room. While it is armed, a viewer going to checkout takes a queue number; the serving
//! counter says up to which number viewers may go in. It moves by the operator's hand, or by itself (`max_size`: at
//! most N shoppers in checkout; `per_minute`: N more each minute; run by one replica at a time). A viewer the counter
//! has reached asks for a token: an RS256 JWT (`aud` the show, `sub` the place's request id, 1 h by default) whose
//! public key is published as a JWK. Order endpoints require it while the room is armed, from the viewer it was
//! issued to; the order placed completes the place (which frees a `max_size` slot). A place served and not claimed
//! for 15 minutes (by default) lapses. The viewer keeps watching meanwhile: the page shows the place over the show
//! and asks again every few seconds.
//!
//! `http.rs` has the endpoints (AWS's names and shapes), `store/waiting_room.rs` the counters.

pub mod http;

use std::time::Duration as StdDuration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::{RsaPrivateKey, pkcs1::EncodeRsaPrivateKey, pkcs8::EncodePublicKey, traits::PublicKeyParts};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use caravan::api::{Refusal, RefusalCode};
use futures_util::future::BoxFuture;

use crate::{
    commerce::checkout::Admission,
    error::AppError,
    store::{Inlet, Lifetimes, PlaceState, PlaceStatus, PositionRecord, RoomSettings, Store},
};

/// The header an order request carries its waiting-room token in.
pub const TOKEN_HEADER: &str = "x-waiting-room-token";
/// The lead the replicas compete for to run the automatic inlets.
const INLET_LEAD: &str = "waiting-room-inlets";
/// How often the automatic inlets look.
const INLET_TICK: StdDuration = StdDuration::from_secs(1);

/// A token's claims (the AWS solution's: `token_use` tells the access, id and refresh tokens apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The show (its event id).
    pub aud: String,
    /// The place's request id.
    pub sub: String,
    pub queue_position: i64,
    pub token_use: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
}

/// The three tokens of a served place, as `generate_token` answers them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub id_token: String,
    pub token_type: &'static str,
    /// Seconds left (from now, not from the issue).
    pub expires_in: i64,
}

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("this show's waiting room is open: take a number and wait your turn before checking out")]
    Missing,
    #[error("the waiting-room token is not valid (expired, for another show, or not this viewer's)")]
    Invalid,
}

/// What the waiting room's endpoints need (given by the root).
#[derive(Clone)]
pub struct WaitingRoomHttp {
    pub store: crate::store::Store,
    pub rooms: Rooms,
    pub identity: crate::access::viewer::Identity,
    pub address_limits: crate::client_address::AddressLimits,
}

#[derive(Clone)]
pub struct WaitingRoom {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    jwk: Value,
    issuer: String,
    pub lifetimes: Lifetimes,
}

impl std::fmt::Debug for WaitingRoom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitingRoom")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl WaitingRoom {
    /// A waiting room signing with `key`; `issuer` is the site's address.
    pub fn new(key: &RsaPrivateKey, issuer: &str, lifetimes: Lifetimes) -> Result<Self, String> {
        let private = key.to_pkcs1_der().map_err(|e| e.to_string())?;
        let public = key.to_public_key();
        let der = public.to_public_key_der().map_err(|e| e.to_string())?;
        let (n, e) = (
            URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        );
        let kid = crate::secret::hex(&Sha256::digest(der.as_bytes())[..16]);
        let jwk = json!({
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": kid,
            "n": n,
            "e": e,
        });
        Ok(Self {
            encoding: EncodingKey::from_rsa_der(private.as_bytes()),
            decoding: DecodingKey::from_rsa_components(&n, &e).map_err(|e| e.to_string())?,
            kid,
            jwk,
            issuer: issuer.trim_end_matches('/').to_owned(),
            lifetimes,
        })
    }

    /// The public key, as a JWK (what `public_key` answers).
    pub fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// The tokens of the place `request_id` (number `queue_position`) of `event_id`, issued at `issued`: the same
    /// every time for the same place (RS256 signatures are deterministic).
    pub fn tokens(
        &self,
        event_id: &str,
        request_id: &str,
        queue_position: i64,
        issued: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Tokens {
        let exp = issued + self.lifetimes.token;
        let sign = |token_use: &str| {
            let claims = Claims {
                aud: event_id.to_owned(),
                sub: request_id.to_owned(),
                queue_position,
                token_use: token_use.to_owned(),
                iat: issued.timestamp(),
                nbf: issued.timestamp(),
                exp: exp.timestamp(),
                iss: self.issuer.clone(),
            };
            let mut header = Header::new(Algorithm::RS256);
            header.kid = Some(self.kid.clone());
            jsonwebtoken::encode(&header, &claims, &self.encoding).expect("RS256 signs with a valid key")
        };
        Tokens {
            access_token: sign("access"),
            refresh_token: sign("refresh"),
            id_token: sign("id"),
            token_type: "Bearer",
            expires_in: (exp - now).num_seconds().max(0),
        }
    }

    /// The claims of an access token for `event_id`, when its signature, issuer, audience and times hold at `now`.
    pub fn verify(&self, token: &str, event_id: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[event_id]);
        validation.set_issuer(&[&self.issuer]);
        validation.validate_nbf = true;
        // Times are checked below against the caller's clock, not the system's.
        validation.validate_exp = false;
        validation.leeway = 0;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| TokenError::Invalid)?
            .claims;
        let now = now.timestamp();
        if claims.token_use != "access" || now >= claims.exp || now < claims.nbf {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }
}

/// Lets people in where rooms move by themselves, every [`INLET_TICK`] on the replica holding the inlets' lead
/// (`crate::lead`), until `stop` turns true.
#[tracing::instrument(name = "waiting_room_inlets", skip_all)]
pub async fn run_inlets(store: Store, lifetimes: Lifetimes, stop: watch::Receiver<bool>) {
    crate::lead::while_leading(store.clone(), INLET_LEAD, stop, |mut quit| {
        let store = store.clone();
        async move {
            while !crate::lead::stopped_within(&mut quit, INLET_TICK).await {
                match store.run_inlets(Utc::now(), lifetimes).await {
                    Ok(moved) => {
                        for moved in moved {
                            let (event_id, counter) = (moved.event_id, moved.serving_counter);
                            tracing::info!(%event_id, counter, "the waiting room let people in");
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "cannot run the waiting rooms' inlets"),
                }
            }
        }
    })
    .await;
}

/// The waiting rooms on the store: taking a number, the token a served place gets, the operator's settings, and
/// checkout's admission.
#[derive(Clone)]
pub struct Rooms {
    pub store: Store,
    pub room: WaitingRoom,
}

/// The most a room lets in at once (`max_size`) or per minute (`per_minute`), and moves its counter by in one call.
pub const MAX_INLET: i64 = 1_000_000;

impl Rooms {
    /// A number in the show's line for the viewer: their place, or 409 `not_armed` when the room is not open.
    #[tracing::instrument(skip(self, viewer_id))]
    pub async fn join(&self, event_id: &str, viewer_id: &str, now: DateTime<Utc>) -> Result<PositionRecord, AppError> {
        let request_id = crate::secret::random_token(16)?;
        self.store
            .enter_waiting_room(event_id, viewer_id, &request_id, now, self.room.lifetimes)
            .await?
            .ok_or_else(|| {
                let message = "this show's waiting room is not open: go straight to checkout";
                AppError::refused(
                    axum::http::StatusCode::CONFLICT,
                    Refusal::new(RefusalCode::NotArmed, message),
                )
            })
    }

    /// The tokens of a place whose turn has come. Refusals: 202 `not_yet` (ask again later), 410 `completed` (used
    /// for an order) or `expired` (lapsed, or given up).
    #[tracing::instrument(skip_all, fields(show = %place.event_id))]
    pub async fn tokens(&self, place: &PositionRecord, now: DateTime<Utc>) -> Result<Tokens, AppError> {
        use axum::http::StatusCode;
        let refused = |status, code, message: &str| AppError::refused(status, Refusal::new(code, message));
        match place.status(now, self.room.lifetimes) {
            PlaceStatus::Served => {}
            PlaceStatus::Waiting => {
                let message = "your turn has not come yet: ask again when the serving counter reaches your number";
                return Err(refused(StatusCode::ACCEPTED, RefusalCode::NotYet, message));
            }
            PlaceStatus::Completed => {
                let message = "this place was used for an order";
                return Err(refused(StatusCode::GONE, RefusalCode::Completed, message));
            }
            PlaceStatus::Expired | PlaceStatus::Abandoned => {
                let message = "this place has lapsed: take a new number";
                return Err(refused(StatusCode::GONE, RefusalCode::Expired, message));
            }
        }
        let issued = self
            .store
            .issue_waiting_token(&place.event_id, &place.request_id, now)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(self
            .room
            .tokens(&place.event_id, &place.request_id, place.queue_number, issued, now))
    }

    /// The operator's settings for a show's room: armed or not, and how it lets people in. 400 for an inlet out of
    /// range, 404 for no such show.
    #[tracing::instrument(skip(self))]
    pub async fn configure(&self, event_id: &str, settings: RoomSettings, now: DateTime<Utc>) -> Result<(), AppError> {
        let size_ok = (0..=MAX_INLET).contains(&settings.inlet_size)
            && (settings.inlet == Inlet::Manual || settings.inlet_size > 0);
        if !size_ok {
            return Err(AppError::BadRequest(format!(
                "inlet_size is 1 to {MAX_INLET} for max_size and per_minute (0 for manual)"
            )));
        }
        self.store.event_by_id(event_id).await?.ok_or(AppError::NotFound)?;
        self.store.configure_waiting_room(event_id, settings, now).await?;
        tracing::info!(
            armed = settings.armed,
            inlet = settings.inlet.as_str(),
            size = settings.inlet_size,
            "waiting room set"
        );
        Ok(())
    }
}

/// Checkout's admission: while a show's room is armed, an order needs the viewer's own token (`x-waiting-room-token`)
/// for a place that was not given up. The token stays good for its validity after an order (a payment declined is
/// tried again without queueing again).
impl Admission for Rooms {
    fn admit<'a>(
        &'a self,
        event_id: &'a str,
        viewer_id: &'a str,
        token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Option<String>, AppError>> {
        Box::pin(async move {
            let room = self.store.waiting_room(event_id).await?;
            if !room.is_some_and(|room| room.armed) {
                return Ok(None);
            }
            let refuse = |error: TokenError| {
                let mut refusal = Refusal::new(RefusalCode::WaitingRoom, error.to_string());
                refusal.event_id = Some(event_id.to_owned());
                AppError::refused(axum::http::StatusCode::FORBIDDEN, refusal)
            };
            let claims = self
                .room
                .verify(token.ok_or(TokenError::Missing).map_err(refuse)?, event_id, Utc::now())
                .map_err(refuse)?;
            let place = self.store.waiting_position(event_id, &claims.sub).await?;
            match place {
                Some(place) if place.viewer_id == viewer_id && place.state != PlaceState::Abandoned => {
                    Ok(Some(claims.sub))
                }
                _ => Err(refuse(TokenError::Invalid)),
            }
        })
    }

    fn completed<'a>(&'a self, event_id: &'a str, place: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Err(e) = self
                .store
                .finish_waiting_position(event_id, place, PlaceState::Completed)
                .await
            {
                tracing::error!(error = %e, "cannot complete the waiting-room place");
            }
        })
    }
}

/// The lifetimes the configuration gives in seconds (at least 1 s each; the defaults are the AWS solution's: a
/// token for an hour, a served place for 15 minutes).
pub fn lifetimes(token_seconds: u64, position_seconds: u64) -> Lifetimes {
    Lifetimes {
        token: Duration::seconds(token_seconds.max(1) as i64),
        position: Duration::seconds(position_seconds.max(1) as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_room() -> WaitingRoom {
        let key = RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap();
        WaitingRoom::new(&key, "https://shop.example.com/", lifetimes(3600, 900)).unwrap()
    }

    #[test]
    fn tokens_verify_for_their_show_until_they_expire_and_are_the_same_when_asked_again() {
        let room = new_room();
        let issued = Utc::now();
        let tokens = room.tokens("evt_demo", "req-1", 7, issued, issued);
        assert_eq!(tokens.expires_in, 3600);
        assert_eq!(
            room.tokens("evt_demo", "req-1", 7, issued, issued + Duration::minutes(5))
                .access_token,
            tokens.access_token
        );
        let claims = room.verify(&tokens.access_token, "evt_demo", issued).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.queue_position, claims.iss.as_str()),
            ("req-1", 7, "https://shop.example.com")
        );
        assert_eq!(claims.exp - claims.iat, 3600);
        assert_eq!(
            room.verify(&tokens.access_token, "evt_other", issued),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            room.verify(&tokens.id_token, "evt_demo", issued),
            Err(TokenError::Invalid),
            "only the access token"
        );
        assert_eq!(
            room.verify(&tokens.access_token, "evt_demo", issued + Duration::hours(1)),
            Err(TokenError::Invalid)
        );
        assert_eq!(room.verify("not.a.token", "evt_demo", issued), Err(TokenError::Invalid));
        // Another key's token, with the same claims.
        let forged = new_room().tokens("evt_demo", "req-1", 7, issued, issued);
        assert_eq!(
            room.verify(&forged.access_token, "evt_demo", issued),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn the_public_key_is_a_jwk_that_verifies_the_tokens() {
        let room = new_room();
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(room.jwk().clone()).unwrap();
        let key = DecodingKey::from_jwk(&jwk).unwrap();
        let now = Utc::now();
        let token = room.tokens("evt_demo", "req-1", 1, now, now).access_token;
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), room.jwk()["kid"].as_str());
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&["evt_demo"]);
        assert!(jsonwebtoken::decode::<Claims>(&token, &key, &validation).is_ok());
    }
}
