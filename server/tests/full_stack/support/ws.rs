//! A WebSocket client for protocol tests (tokio-tungstenite, speaking raw frames).

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue, protocol::CloseFrame},
};

pub struct Ws {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The subprotocol the server chose.
    pub protocol: Option<String>,
}

/// The `header-<base64url>` subprotocol AppSync clients authenticate with.
pub fn header_protocol(auth: &Value) -> String {
    format!("header-{}", URL_SAFE_NO_PAD.encode(auth.to_string()))
}

/// An AppSync `start` message.
pub fn start(id: &str, query: &str, variables: Value, authorization: Value) -> Value {
    let data = json!({ "query": query, "variables": variables }).to_string();
    json!({ "id": id, "type": "start", "payload": { "data": data, "extensions": { "authorization": authorization } } })
}

pub const ON_PICKUP: &str =
    "subscription($e: ID!) { onPickupChanged(eventId: $e) { eventId productId visible product { title price } } }";

impl Ws {
    pub async fn connect(url: &str, protocols: &[&str], headers: &[(&str, &str)]) -> Ws {
        let mut request = url.into_client_request().expect("a WebSocket URL");
        if !protocols.is_empty() {
            request.headers_mut().insert(
                "sec-websocket-protocol",
                HeaderValue::from_str(&protocols.join(", ")).unwrap(),
            );
        }
        for (name, value) in headers {
            request.headers_mut().insert(
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        let (stream, response) = connect_async(request).await.expect("the upgrade succeeds");
        let protocol = response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ws { stream, protocol }
    }

    /// An AppSync connection authorized by the subprotocol, acknowledged.
    pub async fn appsync(url: &str, auth: &Value) -> Ws {
        let mut ws = Ws::connect(url, &["graphql-ws", &header_protocol(auth)], &[]).await;
        ws.send(json!({ "type": "connection_init" })).await;
        let ack = ws.recv().await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        ws
    }

    pub async fn send(&mut self, message: Value) {
        self.send_text(message.to_string()).await;
    }

    pub async fn send_text(&mut self, text: String) {
        self.stream.send(Message::Text(text.into())).await.expect("send");
    }

    /// The next text message, as JSON (keep-alives included); fails after 5 s.
    pub async fn recv(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(5), self.stream.next())
                .await
                .expect("a message within 5 s")
                .expect("the connection is open")
                .expect("a frame");
            match frame {
                Message::Text(text) => return serde_json::from_str(&text).expect("JSON"),
                Message::Close(frame) => panic!("closed: {frame:?}"),
                _ => continue,
            }
        }
    }

    /// The next message that is not a keep-alive.
    pub async fn recv_data(&mut self) -> Value {
        loop {
            let message = self.recv().await;
            if message["type"] != "ka" {
                return message;
            }
        }
    }

    /// Nothing but keep-alives arrives for `ms`.
    pub async fn expect_silence(&mut self, ms: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
        while let Ok(frame) = tokio::time::timeout_at(deadline, self.stream.next()).await {
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text).unwrap();
                    assert_eq!(message["type"], "ka", "unexpected {message}");
                }
                Some(Ok(Message::Close(frame))) => panic!("closed: {frame:?}"),
                Some(Ok(_)) => {}
                other => panic!("connection ended: {other:?}"),
            }
        }
    }

    /// Waits (up to 5 s) for the server to close the connection; its close frame.
    pub async fn closed(&mut self) -> Option<CloseFrame> {
        self.closed_within(Duration::from_secs(5)).await
    }

    /// Waits (up to `limit`) for the server to close the connection; its close frame.
    pub async fn closed_within(&mut self, limit: Duration) -> Option<CloseFrame> {
        loop {
            match tokio::time::timeout(limit, self.stream.next())
                .await
                .expect("closed in time")
            {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }
}
