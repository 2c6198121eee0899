//! `GET /graphql/realtime`: GraphQL subscriptions over WebSocket, in AWS AppSync's protocol (so the page runs the
//! same code against AppSync and against this server), and in `graphql-transport-ws` for ordinary GraphQL tools.

mod appsync;
pub mod bus;
mod hub;
mod session;
mod socket;
mod transport_ws;

use axum::{
    Router,
    extract::{FromRef, RawQuery, State, WebSocketUpgrade},
    http::{HeaderMap, header},
    response::Response,
    routing::get,
};
use base64::{
    Engine, alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
};
pub use hub::{CONNECTION_QUEUE, Hub, HubWorker, Published, SubscriptionSpec};
use serde_json::Value;
pub use session::Realtime;

use crate::auth::{AuthError, Caller, Credentials};

/// Largest frame accepted at all; messages over the protocol limit (240 KB) but under this are answered with an
/// error and the connection goes on.
const MAX_FRAME_BYTES: usize = 1024 * 1024;
/// Socket buffers per connection. tungstenite's defaults (128 KiB to read, 128 KiB to write) would cost a 10k-viewer
/// show over 2 GB; subscribers send little and receive small messages, so reads go in 4 KiB steps and writes are
/// sent at once (the buffer grows only for a larger message).
const READ_BUFFER_BYTES: usize = 4 * 1024;
const WRITE_BUFFER_BYTES: usize = 0;

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Realtime: FromRef<S>,
{
    Router::new().route("/graphql/realtime", get(upgrade))
}

async fn upgrade(
    ws: WebSocketUpgrade,
    State(realtime): State<Realtime>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let offered: Vec<String> = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|protocol| protocol.trim().to_owned())
        .collect();
    let ws = ws
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES);
    let offers = |name: &str| offered.iter().any(|p| p == name);
    if offers("graphql-transport-ws") && !offers("graphql-ws") {
        return ws
            .protocols(["graphql-transport-ws"])
            .on_upgrade(move |socket| transport_ws::serve(socket, realtime));
    }
    let handshake = handshake_caller(&realtime.credentials, &offered, query.as_deref(), &headers);
    ws.protocols(["graphql-ws"])
        .on_upgrade(move |socket| appsync::serve(socket, realtime, handshake))
}

/// The caller of an AppSync connection, from (in this order) the `header-<base64url>` subprotocol, the
/// `?header=<base64>&payload=…` query, or the upgrade request's own headers.
fn handshake_caller(
    credentials: &Credentials,
    offered: &[String],
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Caller, AuthError> {
    let encoded = offered
        .iter()
        .find_map(|protocol| protocol.strip_prefix("header-"))
        .map(str::to_owned)
        .or_else(|| query.and_then(query_header));
    match encoded {
        Some(encoded) => {
            let object = decode_auth_object(&encoded).ok_or(AuthError::Invalid)?;
            credentials.from_auth_object(&object)
        }
        None => credentials.from_headers(headers),
    }
}

/// The raw `header` parameter of the query. AppSync clients do not URL-encode it, so `+` is a base64 digit here,
/// not a space; a percent-encoded value is decoded.
fn query_header(query: &str) -> Option<String> {
    let raw = query.split('&').find_map(|pair| pair.strip_prefix("header="))?;
    Some(if raw.contains('%') {
        percent_decode(raw)
    } else {
        raw.to_owned()
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Base64 (standard or URL-safe, padded or not) of a JSON object.
fn decode_auth_object(encoded: &str) -> Option<Value> {
    let lenient = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let bytes = GeneralPurpose::new(&alphabet::URL_SAFE, lenient)
        .decode(encoded)
        .or_else(|_| GeneralPurpose::new(&alphabet::STANDARD, lenient).decode(encoded))
        .ok()?;
    serde_json::from_slice::<Value>(&bytes).ok().filter(Value::is_object)
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use serde_json::json;

    use super::*;
    use crate::secret::Secret;

    fn credentials() -> Credentials {
        Credentials::new(Secret::new("da2-key".into()), Secret::new("op-token".into()))
    }

    #[test]
    fn reads_the_header_subprotocol() {
        let auth = URL_SAFE_NO_PAD.encode(json!({"host": "h", "x-api-key": "da2-key"}).to_string());
        let offered = vec!["graphql-ws".to_owned(), format!("header-{auth}")];
        assert_eq!(
            handshake_caller(&credentials(), &offered, None, &HeaderMap::new()),
            Ok(Caller::Viewer)
        );
    }

    #[test]
    fn reads_the_raw_query_with_plus_and_slash() {
        // A key chosen so that standard base64 of the object contains '+' or '/'.
        let object = json!({"Authorization": "op-token", "host": "a?>~~"}).to_string();
        let encoded = STANDARD.encode(&object);
        assert!(encoded.contains('+') || encoded.contains('/'), "{encoded}");
        let query = format!("header={encoded}&payload=e30=");
        assert_eq!(
            handshake_caller(&credentials(), &[], Some(&query), &HeaderMap::new()),
            Ok(Caller::Operator)
        );
        let escaped = format!(
            "header={}&payload=e30%3D",
            encoded.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")
        );
        assert_eq!(
            handshake_caller(&credentials(), &[], Some(&escaped), &HeaderMap::new()),
            Ok(Caller::Operator)
        );
    }

    #[test]
    fn falls_back_to_the_upgrade_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", "da2-key".parse().unwrap());
        assert_eq!(
            handshake_caller(&credentials(), &[], None, &headers),
            Ok(Caller::Viewer)
        );
        assert_eq!(
            handshake_caller(&credentials(), &[], None, &HeaderMap::new()),
            Err(AuthError::Missing)
        );
    }

    #[test]
    fn garbage_is_refused_not_a_panic() {
        let offered = vec!["header-%%%".to_owned()];
        assert_eq!(
            handshake_caller(&credentials(), &offered, None, &HeaderMap::new()),
            Err(AuthError::Invalid)
        );
        assert_eq!(
            handshake_caller(&credentials(), &[], Some("header=e30"), &HeaderMap::new()),
            Err(AuthError::Missing)
        );
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
