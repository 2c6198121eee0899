//! The embedded ClearKey license server's keys (W3C Encrypted Media Extensions, "Clear Key"): a CDM asks for key ids
//! in base64url; an entitled viewer gets this event's keys among them as a JWK set's keys. Its endpoint is
//! `http::clearkey`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::json;

use crate::{error::AppError, secret::hex, store::Store};

fn unhex(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The key ids a request asks for (16 bytes, base64url) as the store keeps them (hex); 400 for any other.
pub fn key_ids(kids: &[String]) -> Result<Vec<String>, AppError> {
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
pub async fn keys(store: &Store, event_id: &str, key_ids: &[String]) -> Result<Vec<serde_json::Value>, AppError> {
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
        assert_eq!(key_ids(&["ASNFZ4mrze8BI0VniavN7w".into()]).unwrap(), [hex(&kid)]);
        assert!(key_ids(&["short".into()]).is_err());
    }
}
