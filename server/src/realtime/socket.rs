//! Small helpers both protocols use to write to a socket.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use serde_json::Value;
use tokio::time::Instant;

/// Whether a connection goes on after handling something.
pub enum Flow {
    Continue,
    Close,
}

pub fn text_message(value: Value) -> Message {
    Message::Text(value.to_string().into())
}

pub async fn send(socket: &mut WebSocket, value: Value) -> Flow {
    send_text(socket, value.to_string()).await
}

pub async fn send_text(socket: &mut WebSocket, text: String) -> Flow {
    match socket.send(Message::Text(text.into())).await {
        Ok(()) => Flow::Continue,
        Err(_) => Flow::Close,
    }
}

/// Sends a close frame (waiting at most a second for a client that does not read) and ends the connection.
pub async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) -> Flow {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.send(Message::Close(Some(frame)))).await;
    Flow::Close
}

/// Sleeps until the deadline, or forever without one.
pub async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
