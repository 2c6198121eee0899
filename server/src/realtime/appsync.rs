//! AWS AppSync's real-time protocol (subprotocol `graphql-ws`, AppSync's own dialect): `connection_init` →
//! `connection_ack`, `ka` keep-alives, `start` (the request as a JSON string in `payload.data`, authorization in
//! `payload.extensions.authorization`) → `start_ack` → `data`…, `stop` → `complete`. Errors are `error` messages and
//! never end the connection, except a refused connection (`connection_error`).

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{
    hub::SubscribeError,
    session::{INIT_TIMEOUT, MAX_MESSAGE_BYTES, Operation, OperationRequest, Realtime, StartError, read},
    socket::{Flow, close, send, send_text, sleep_until, text_message},
};
use crate::auth::{AuthError, Caller};

/// Serves one connection. `handshake` is the caller the upgrade request was authorized as.
pub async fn serve(mut socket: WebSocket, realtime: Realtime, handshake: Result<Caller, AuthError>) {
    let mut connection = realtime.hub.connect();
    let mut closing = realtime.hub.closing();
    let mut acked = false;
    let mut keepalive = tokio::time::interval_at(Instant::now() + realtime.keepalive, realtime.keepalive);
    let mut idle_since = Some(Instant::now());

    loop {
        // Before `connection_init` only briefly; after it, an idle connection lasts as long as AppSync's would.
        let allowed = if acked {
            realtime.connection_timeout
        } else {
            INIT_TIMEOUT.min(realtime.connection_timeout)
        };
        let idle_deadline = idle_since.map(|since| since + allowed);
        // Only a client's message can start or stop a subscription, so only then is the idle state looked up again
        // (deliveries to 10k connections must not take the hub's lock 10k times).
        let mut from_client = false;
        let flow = tokio::select! {
            frame = socket.recv() => match frame {
                Some(Ok(Message::Text(text))) => {
                    from_client = true;
                    on_text(&mut socket, &realtime, connection.id, &handshake, &mut acked, text.as_str()).await
                }
                Some(Ok(Message::Binary(_))) => {
                    send(&mut socket, error(None, "UnsupportedOperation", "binary messages are not supported")).await
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => Flow::Continue,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => Flow::Close,
            },
            Some(delivery) = connection.deliveries.recv() => {
                let frame = format!(
                    r#"{{"type":"data","id":{},"payload":{}}}"#,
                    Value::String(delivery.subscription_id.to_string()),
                    delivery.response
                );
                send_text(&mut socket, frame).await
            }
            _ = keepalive.tick(), if acked => send(&mut socket, json!({ "type": "ka" })).await,
            () = connection.overflow.notified() => {
                close(&mut socket, 1013, "subscriber fell behind; reconnect and resync").await
            }
            () = sleep_until(idle_deadline) => {
                let reason = if acked { "idle connection timeout" } else { "connection_init timeout" };
                close(&mut socket, 1000, reason).await
            }
            _ = closing.changed() => close(&mut socket, 1001, "server shutting down").await,
        };
        if let Flow::Close = flow {
            break;
        }
        if !from_client {
            continue;
        }
        let subscribed = realtime.hub.subscription_count(connection.id) > 0;
        idle_since = match (subscribed, idle_since) {
            (true, _) => None,
            (false, Some(since)) => Some(since),
            (false, None) => Some(Instant::now()),
        };
    }
    realtime.hub.disconnect(connection.id);
}

async fn on_text(
    socket: &mut WebSocket,
    realtime: &Realtime,
    connection: u64,
    handshake: &Result<Caller, AuthError>,
    acked: &mut bool,
    text: &str,
) -> Flow {
    if text.len() > MAX_MESSAGE_BYTES {
        let message = format!(
            "message of {} bytes exceeds the limit of {MAX_MESSAGE_BYTES}",
            text.len()
        );
        return send(socket, error(None, "LimitExceededError", &message)).await;
    }
    let message: Value = match serde_json::from_str(text) {
        Ok(message @ Value::Object(_)) => message,
        Ok(_) => return send(socket, error(None, "BadRequestException", "a message is a JSON object")).await,
        Err(e) => {
            return send(
                socket,
                error(None, "BadRequestException", &format!("invalid JSON: {e}")),
            )
            .await;
        }
    };
    let id = message.get("id").and_then(Value::as_str);
    match message.get("type").and_then(Value::as_str) {
        Some("connection_init") => match handshake {
            Ok(_) => {
                *acked = true;
                let timeout = realtime.connection_timeout.as_millis() as u64;
                send(
                    socket,
                    json!({ "type": "connection_ack", "payload": { "connectionTimeoutMs": timeout } }),
                )
                .await
            }
            Err(refused) => {
                let payload = json!({ "errors": [{
                    "errorType": AuthError::ERROR_TYPE, "errorCode": 401, "message": refused.to_string()
                }] });
                let _ = socket
                    .send(text_message(json!({ "type": "connection_error", "payload": payload })))
                    .await;
                close(socket, 1000, "unauthorized").await
            }
        },
        // Before the acknowledgement, anything else is ignored (as AppSync does).
        _ if !*acked => Flow::Continue,
        Some("start") => on_start(socket, realtime, connection, id, &message).await,
        Some("stop") => match id {
            Some(id) => {
                realtime.hub.unsubscribe(connection, id);
                send(socket, json!({ "type": "complete", "id": id })).await
            }
            None => {
                send(
                    socket,
                    error(None, "BadRequestException", "stop needs the id of a subscription"),
                )
                .await
            }
        },
        Some(other) => {
            let message = format!("{other} not supported through the realtime channel");
            send(socket, error(id, "UnsupportedOperation", &message)).await
        }
        None => send(socket, error(id, "BadRequestException", "a message needs a type")).await,
    }
}

async fn on_start(
    socket: &mut WebSocket,
    realtime: &Realtime,
    connection: u64,
    id: Option<&str>,
    message: &Value,
) -> Flow {
    let Some(id) = id.filter(|id| !id.is_empty()) else {
        return send(socket, error(None, "BadRequestException", "start needs an id")).await;
    };
    let payload = message.get("payload");
    let request = payload
        .and_then(|p| p.get("data"))
        .and_then(Value::as_str)
        .ok_or("payload.data must be the request as a JSON string")
        .and_then(|data| {
            serde_json::from_str::<OperationRequest>(data).map_err(|_| "payload.data is not a GraphQL request")
        });
    let request = match request {
        Ok(request) => request,
        Err(message) => return send(socket, error(Some(id), "BadRequestException", message)).await,
    };
    let authorization = payload
        .and_then(|p| p.get("extensions"))
        .and_then(|e| e.get("authorization"));
    let caller = match authorization.map(|a| realtime.credentials.from_auth_object(a)) {
        Some(Ok(caller)) => caller,
        Some(Err(refused)) => return send(socket, error(Some(id), AuthError::ERROR_TYPE, &refused.to_string())).await,
        None => {
            let refused = AuthError::Missing.to_string();
            return send(socket, error(Some(id), AuthError::ERROR_TYPE, &refused)).await;
        }
    };
    let started = match read(request, caller) {
        Ok(Operation::Subscription(spec)) => realtime.subscribe(connection, Arc::from(id), spec).await,
        Ok(Operation::QueryOrMutation(_)) => Err(StartError::NotSubscription),
        Err(e) => Err(e),
    };
    let refusal = match started {
        Ok(()) => return send(socket, json!({ "type": "start_ack", "id": id })).await,
        Err(StartError::Graphql(errors)) => json!({ "type": "error", "id": id, "payload": { "errors": errors } }),
        Err(StartError::NotSubscription) => error(
            Some(id),
            "UnsupportedOperation",
            "queries and mutations are not supported through the realtime channel",
        ),
        Err(StartError::Subscribe(e @ SubscribeError::Duplicate)) => {
            error(Some(id), "DuplicatedOperationError", &e.to_string())
        }
        Err(StartError::Subscribe(e @ SubscribeError::TooMany)) => {
            error(Some(id), "LimitExceededError", &e.to_string())
        }
    };
    send(socket, refusal).await
}

/// An `error` message with one error.
fn error(id: Option<&str>, error_type: &str, message: &str) -> Value {
    let mut frame =
        json!({ "type": "error", "payload": { "errors": [{ "errorType": error_type, "message": message }] } });
    if let Some(id) = id {
        frame["id"] = Value::String(id.into());
    }
    frame
}
