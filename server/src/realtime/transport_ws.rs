//! The `graphql-transport-ws` protocol (the npm `graphql-ws` package), on the same path, for ordinary GraphQL tools.
//! Credentials travel in the `connection_init` payload (`{"x-api-key": …}` or `{"Authorization": …}`); queries and
//! mutations are allowed beside subscriptions. Protocol violations close the socket with the protocol's codes.

use std::{collections::HashSet, sync::Arc};

use axum::extract::ws::{Message, WebSocket};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{
    session::{INIT_TIMEOUT, MAX_MESSAGE_BYTES, Operation, OperationRequest, Realtime, StartError, read},
    socket::{Flow, close, send, send_text, sleep_until},
};
use crate::auth::Caller;

pub async fn serve(mut socket: WebSocket, realtime: Realtime) {
    let mut connection = realtime.hub.connect();
    let mut closing = realtime.hub.closing();
    let mut caller: Option<Caller> = None;
    // Operations that have not completed: subscriptions, and queries or mutations while they run.
    let mut active: HashSet<Arc<str>> = HashSet::new();
    let mut idle_since = Instant::now();

    loop {
        let deadline = match caller {
            None => Some(idle_since + INIT_TIMEOUT.min(realtime.connection_timeout)),
            Some(_) if active.is_empty() => Some(idle_since + realtime.connection_timeout),
            Some(_) => None,
        };
        let flow = tokio::select! {
            frame = socket.recv() => match frame {
                Some(Ok(Message::Text(text))) => {
                    on_text(&mut socket, &realtime, connection.id, &mut caller, &mut active, text.as_str()).await
                }
                Some(Ok(Message::Binary(_))) => close(&mut socket, 4400, "Invalid message received").await,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => Flow::Continue,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => Flow::Close,
            },
            Some(delivery) = connection.deliveries.recv() => {
                let frame = format!(
                    r#"{{"id":{},"type":"next","payload":{}}}"#,
                    Value::String(delivery.subscription_id.to_string()),
                    delivery.response
                );
                send_text(&mut socket, frame).await
            }
            () = connection.overflow.notified() => {
                close(&mut socket, 1013, "subscriber fell behind; reconnect and resync").await
            }
            () = sleep_until(deadline) => match caller {
                None => close(&mut socket, 4408, "Connection initialisation timeout").await,
                Some(_) => close(&mut socket, 1000, "idle connection timeout").await,
            },
            _ = closing.changed() => close(&mut socket, 1001, "server shutting down").await,
        };
        if let Flow::Close = flow {
            break;
        }
        if !active.is_empty() {
            idle_since = Instant::now();
        }
    }
    realtime.hub.disconnect(connection.id);
}

async fn on_text(
    socket: &mut WebSocket,
    realtime: &Realtime,
    connection: u64,
    caller: &mut Option<Caller>,
    active: &mut HashSet<Arc<str>>,
    text: &str,
) -> Flow {
    if text.len() > MAX_MESSAGE_BYTES {
        return close(socket, 4413, "Message too large").await;
    }
    let Ok(message) = serde_json::from_str::<Value>(text) else {
        return close(socket, 4400, "Invalid message received").await;
    };
    let id = message.get("id").and_then(Value::as_str).filter(|id| !id.is_empty());
    match (message.get("type").and_then(Value::as_str), *caller) {
        (Some("connection_init"), None) => {
            let payload = message.get("payload").cloned().unwrap_or(Value::Null);
            match realtime.credentials.from_auth_object(&payload) {
                Ok(authorized) => {
                    *caller = Some(authorized);
                    send(socket, json!({ "type": "connection_ack" })).await
                }
                Err(_) => close(socket, 4403, "Forbidden").await,
            }
        }
        (Some("connection_init"), Some(_)) => close(socket, 4429, "Too many initialisation requests").await,
        (Some("ping"), _) => send(socket, json!({ "type": "pong" })).await,
        (Some("pong"), _) => Flow::Continue,
        (Some("subscribe"), None) => close(socket, 4401, "Unauthorized").await,
        (Some("subscribe"), Some(caller)) => {
            let Some(id) = id else {
                return close(socket, 4400, "Invalid message received").await;
            };
            let Some(request) = message
                .get("payload")
                .and_then(|p| serde_json::from_value::<OperationRequest>(p.clone()).ok())
            else {
                return close(socket, 4400, "Invalid message received").await;
            };
            if active.contains(id) {
                return close(socket, 4409, "Subscriber for this id already exists").await;
            }
            on_subscribe(socket, realtime, connection, active, Arc::from(id), request, caller).await
        }
        (Some("complete"), _) => {
            if let Some(id) = id {
                active.remove(id);
                realtime.hub.unsubscribe(connection, id);
            }
            Flow::Continue
        }
        _ => close(socket, 4400, "Invalid message received").await,
    }
}

async fn on_subscribe(
    socket: &mut WebSocket,
    realtime: &Realtime,
    connection: u64,
    active: &mut HashSet<Arc<str>>,
    id: Arc<str>,
    request: OperationRequest,
    caller: Caller,
) -> Flow {
    let errors = match read(request, caller) {
        Ok(Operation::QueryOrMutation(request)) => {
            let response = realtime.run_once(*request).await;
            if let Flow::Close = send(socket, json!({ "id": &*id, "type": "next", "payload": response })).await {
                return Flow::Close;
            }
            return send(socket, json!({ "id": &*id, "type": "complete" })).await;
        }
        Ok(Operation::Subscription(spec)) => match realtime.subscribe(connection, id.clone(), spec).await {
            Ok(()) => {
                active.insert(id);
                return Flow::Continue;
            }
            Err(refused) => errors_of(refused),
        },
        Err(refused) => errors_of(refused),
    };
    send(socket, json!({ "id": &*id, "type": "error", "payload": errors })).await
}

fn errors_of(refused: StartError) -> Vec<Value> {
    match refused {
        StartError::Graphql(errors) => errors,
        StartError::Subscribe(e) => vec![json!({ "message": e.to_string() })],
        StartError::NotSubscription => vec![json!({ "message": "not a subscription" })],
    }
}
