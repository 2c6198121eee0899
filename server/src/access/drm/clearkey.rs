//! `POST /drm/clearkey/{slug}`: the embedded ClearKey license server (W3C Encrypted Media Extensions, "Clear Key").
//! The request is `{"kids": ["<base64url key id>", …], "type": "temporary"}`; an entitled viewer (by the viewer
//! cookie) gets `{"keys": [{"kty": "oct", "kid": …, "k": …}], "type": …}` with the keys of this event only. Others
//! are refused as every license request is (`super::licensee`).

use crate::access::AccessHttp;
use axum::{
    Json, Router,
    body::Body,
    extract::FromRef,
    extract::{Path, State},
    http::HeaderMap,
    response::{IntoResponse, Response},
    routing::post,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Deserialize;
use serde_json::json;

use super::licensee;
use crate::{error::AppError, secret::hex, store::Store};

/// License requests are small; a CDM sends a few key ids.
const MAX_BODY: usize = 4 * 1024;

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AccessHttp: FromRef<S>,
{
    Router::new().route("/drm/clearkey/{slug}", post(license))
}

#[derive(Debug, Deserialize)]
struct LicenseRequest {
    kids: Vec<String>,
    #[serde(rename = "type", default)]
    session_type: Option<String>,
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The key ids a request asks for (16 bytes, base64url) as the store keeps them (hex); 400 for any other.
fn key_ids(kids: &[String]) -> Result<Vec<String>, AppError> {
    kids.iter()
        .map(|kid| {
            URL_SAFE_NO_PAD
                .decode(kid.trim_end_matches('='))
                .ok()
                .filter(|b| b.len() == 16)
                .map(|b| hex(&b))
        })
        .collect::<Option<_>>()
        .ok_or_else(|| AppError::BadRequest("kids must be 16-byte key ids in base64url".into()))
}

/// The event's keys among `key_ids`, as a JWK set's keys (`kty: oct`); 404 when it has none of them.
async fn keys(store: &Store, event_id: &str, key_ids: &[String]) -> Result<Vec<serde_json::Value>, AppError> {
    let stored = store.content_keys(event_id, key_ids).await?;
    if stored.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(stored
        .iter()
        .filter_map(|stored| {
            let (kid, key) = (unhex(&stored.key_id)?, unhex(&stored.key)?);
            Some(json!({ "kty": "oct", "kid": URL_SAFE_NO_PAD.encode(kid), "k": URL_SAFE_NO_PAD.encode(key) }))
        })
        .collect())
}

async fn license(
    State(state): State<AccessHttp>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let body = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| AppError::PayloadTooLarge(MAX_BODY))?;
    let request: LicenseRequest =
        serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("invalid license request: {e}")))?;
    let key_ids = key_ids(&request.kids)?;
    let event = match licensee(&state, &slug, &headers).await {
        Ok(event) => event,
        Err(refusal) => return Ok(refusal),
    };
    let keys = keys(&state.store, &event.id, &key_ids).await?;
    let session_type = request.session_type.unwrap_or_else(|| "temporary".into());
    Ok(Json(json!({ "keys": keys, "type": session_type })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_between_hex_and_base64url() {
        // The example of the W3C ClearKey format: kid 0x0123456789abcdef0123456789abcdef.
        let kid = URL_SAFE_NO_PAD.decode("ASNFZ4mrze8BI0VniavN7w").unwrap();
        assert_eq!(hex(&kid), "0123456789abcdef0123456789abcdef");
        assert_eq!(unhex("0123456789abcdef0123456789abcdef").unwrap(), kid);
        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("abc"), None);
    }
}
