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

/// A client that does not read for this long is gone: its connection ends instead of holding a task and a buffer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn send_text(socket: &mut WebSocket, text: String) -> Flow {
    match tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => Flow::Continue,
        Ok(Err(_)) | Err(_) => Flow::Close,
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
