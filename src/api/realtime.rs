//! The real-time link: GraphQL subscriptions over one WebSocket per page, in AWS AppSync's protocol (so the same
//! code runs against AppSync and against caravan-server). It reconnects with jittered backoff, starts every
//! subscription again, and asks each subscriber to re-read the current state, so a change made while the link was
//! down is never missed. On the server it does nothing.

use graphql_client::GraphQLQuery;
use leptos::prelude::*;
use serde::de::DeserializeOwned;

/// The state of the link, for the connection indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStatus {
    /// Opening the first connection.
    Connecting,
    /// Connected and acknowledged.
    Live,
    /// The connection was lost; trying again.
    Reconnecting,
}

/// A subscription ready to start: its GraphQL request and how to read its data. (Only the browser reads them.)
#[cfg_attr(not(feature = "browser"), allow(dead_code))]
pub struct LiveRequest<T> {
    body: serde_json::Value,
    decode: Box<dyn Fn(serde_json::Value) -> Result<T, String>>,
}

impl<T: 'static> LiveRequest<T> {
    /// The request of operation `Q`, whose `data` decodes as `D`, of which the subscriber gets `pick(data)`.
    pub fn new<Q: GraphQLQuery, D: DeserializeOwned + 'static>(variables: Q::Variables, pick: fn(D) -> T) -> Self {
        Self {
            body: serde_json::to_value(Q::build_query(variables)).unwrap_or_default(),
            decode: Box::new(move |data| serde_json::from_value::<D>(data).map(pick).map_err(|e| e.to_string())),
        }
    }
}

/// Starts a subscription: `on_data` gets each delivery, `on_resync` is called each time the server has started it (on
/// the first connection and every reconnection), to re-read what changed before. Returns its id for [`unsubscribe`].
pub fn subscribe<T: 'static>(
    request: LiveRequest<T>,
    on_data: impl Fn(T) + 'static,
    on_resync: impl Fn() + 'static,
) -> String {
    #[cfg(feature = "browser")]
    {
        let LiveRequest { body, decode } = request;
        link::subscribe(
            body,
            std::rc::Rc::new(move |data| match decode(data) {
                Ok(value) => on_data(value),
                Err(e) => leptos::logging::warn!("unreadable subscription data: {e}"),
            }),
            std::rc::Rc::new(on_resync),
        )
    }
    #[cfg(not(feature = "browser"))]
    {
        let _ = (request, on_data, on_resync);
        String::new()
    }
}

pub fn unsubscribe(id: &str) {
    #[cfg(feature = "browser")]
    link::unsubscribe(id);
    #[cfg(not(feature = "browser"))]
    let _ = id;
}

/// The link's state. On the server it is `Connecting` (nothing shows), as in the browser before the first ack.
pub fn status() -> Signal<LinkStatus> {
    #[cfg(feature = "browser")]
    {
        link::status().into()
    }
    #[cfg(not(feature = "browser"))]
    {
        Signal::stored(LinkStatus::Connecting)
    }
}

#[cfg(feature = "browser")]
mod link {
    use std::{cell::RefCell, collections::HashMap, rc::Rc, time::Duration};

    use leptos::prelude::*;
    use serde_json::{Value, json};
    use wasm_bindgen::{JsCast, JsValue, closure::Closure};
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    use super::LinkStatus;
    use crate::api::{ClientConfig, config::client_config};

    const FIRST_RETRY_MS: f64 = 500.0;
    const LAST_RETRY_MS: f64 = 15_000.0;
    const WATCHDOG: Duration = Duration::from_secs(5);

    struct Entry {
        body: Value,
        on_data: Rc<dyn Fn(Value)>,
        on_resync: Rc<dyn Fn()>,
    }

    type Handlers = (
        Closure<dyn FnMut()>,
        Closure<dyn FnMut(MessageEvent)>,
        Closure<dyn FnMut(CloseEvent)>,
    );

    #[derive(Default)]
    struct Link {
        started: bool,
        endpoint: Option<(String, Value)>,
        socket: Option<WebSocket>,
        handlers: Option<Handlers>,
        /// Handlers of a closed socket: dropped at the next connect, never inside their own call.
        retired: Option<Handlers>,
        entries: HashMap<String, Entry>,
        next_id: u64,
        acked: bool,
        attempt: i32,
        timeout_ms: f64,
        last_heard: f64,
    }

    thread_local! {
        static LINK: RefCell<Link> = RefCell::new(Link::default());
        static STATUS: ArcRwSignal<LinkStatus> = ArcRwSignal::new(LinkStatus::Connecting);
    }

    pub fn status() -> ArcRwSignal<LinkStatus> {
        STATUS.with(Clone::clone)
    }

    fn set_status(status: LinkStatus) {
        STATUS.with(|s| s.set(status));
    }

    pub fn subscribe(body: Value, on_data: Rc<dyn Fn(Value)>, on_resync: Rc<dyn Fn()>) -> String {
        let (id, start) = LINK.with_borrow_mut(|link| {
            link.next_id += 1;
            let id = link.next_id.to_string();
            if link.acked {
                send_start(link, &id, &body);
            }
            link.entries.insert(
                id.clone(),
                Entry {
                    body,
                    on_data,
                    on_resync,
                },
            );
            let start = !std::mem::replace(&mut link.started, true);
            (id, start)
        });
        if start {
            leptos::task::spawn_local(begin());
            watchdog();
        }
        id
    }

    pub fn unsubscribe(id: &str) {
        LINK.with_borrow_mut(|link| {
            if link.entries.remove(id).is_some() && link.acked {
                send(link, &json!({ "type": "stop", "id": id }));
            }
        });
    }

    async fn begin() {
        match client_config().await {
            Ok(config) => {
                let endpoint = endpoint(&config);
                LINK.with_borrow_mut(|link| link.endpoint = Some(endpoint));
                connect();
            }
            Err(e) => {
                leptos::logging::warn!("no real-time configuration: {e}");
                set_status(LinkStatus::Reconnecting);
                set_timeout(
                    || leptos::task::spawn_local(begin()),
                    Duration::from_millis(LAST_RETRY_MS as u64),
                );
            }
        }
    }

    /// The real-time URL and the auth object (AppSync API_KEY mode) for this page.
    fn endpoint(config: &ClientConfig) -> (String, Value) {
        let location = window().location();
        let page_host = location.host().unwrap_or_default();
        let url = if config.realtime_url.is_empty() {
            let scheme = if location.protocol().as_deref() == Ok("https:") {
                "wss:"
            } else {
                "ws:"
            };
            format!("{scheme}//{page_host}/graphql/realtime")
        } else {
            config.realtime_url.clone()
        };
        // The host AppSync validates is the GraphQL endpoint's.
        let host = web_sys::Url::new(&config.graphql_url)
            .map(|url| url.host())
            .unwrap_or(page_host);
        (url, json!({ "host": host, "x-api-key": config.api_key }))
    }

    /// `header-<base64url(auth)>`, the subprotocol AppSync clients authenticate with.
    fn header_protocol(auth: &Value) -> Option<String> {
        let standard = window().btoa(&auth.to_string()).ok()?;
        let url_safe: String = standard
            .chars()
            .filter(|c| *c != '=')
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                other => other,
            })
            .collect();
        Some(format!("header-{url_safe}"))
    }

    fn connect() {
        LINK.with_borrow_mut(|link| {
            link.retired = None;
            let Some((url, auth)) = link.endpoint.clone() else {
                return;
            };
            let protocols = js_sys::Array::new();
            protocols.push(&JsValue::from_str("graphql-ws"));
            if let Some(header) = header_protocol(&auth) {
                protocols.push(&JsValue::from_str(&header));
            }
            let socket = match WebSocket::new_with_str_sequence(&url, &protocols) {
                Ok(socket) => socket,
                Err(_) => {
                    schedule_reconnect(link);
                    return;
                }
            };
            let opened = socket.clone();
            let on_open: Closure<dyn FnMut()> = Closure::new(move || {
                let _ = opened.send_with_str(r#"{"type":"connection_init"}"#);
            });
            let on_message: Closure<dyn FnMut(MessageEvent)> = Closure::new(|event: MessageEvent| {
                if let Some(text) = event.data().as_string() {
                    on_text(&text);
                }
            });
            let on_close: Closure<dyn FnMut(CloseEvent)> = Closure::new(|_: CloseEvent| on_closed());
            socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
            link.handlers = Some((on_open, on_message, on_close));
            link.socket = Some(socket);
        });
    }

    fn on_text(text: &str) {
        let Ok(message) = serde_json::from_str::<Value>(text) else {
            return;
        };
        let now = js_sys::Date::now();
        LINK.with_borrow_mut(|link| link.last_heard = now);
        match message["type"].as_str() {
            Some("connection_ack") => {
                LINK.with_borrow_mut(|link| {
                    link.acked = true;
                    link.attempt = 0;
                    link.timeout_ms = message["payload"]["connectionTimeoutMs"].as_f64().unwrap_or(300_000.0);
                    let starts: Vec<(String, Value)> = link
                        .entries
                        .iter()
                        .map(|(id, entry)| (id.clone(), entry.body.clone()))
                        .collect();
                    for (id, body) in starts {
                        send_start(link, &id, &body);
                    }
                });
                set_status(LinkStatus::Live);
            }
            // From here on every change reaches this subscription; what changed before (between the page's snapshot
            // and now, or while the link was down) is fetched once.
            Some("start_ack") => {
                let id = message["id"].as_str().unwrap_or_default();
                let resync = LINK.with_borrow(|link| link.entries.get(id).map(|e| e.on_resync.clone()));
                if let Some(resync) = resync {
                    resync();
                }
            }
            Some("data") => {
                let id = message["id"].as_str().unwrap_or_default();
                let handler = LINK.with_borrow(|link| link.entries.get(id).map(|e| e.on_data.clone()));
                if let Some(handler) = handler {
                    handler(message["payload"]["data"].clone());
                }
            }
            Some("error" | "connection_error") => leptos::logging::warn!("real-time error: {message}"),
            _ => {}
        }
    }

    fn on_closed() {
        LINK.with_borrow_mut(|link| {
            link.socket = None;
            link.retired = link.handlers.take();
            link.acked = false;
            schedule_reconnect(link);
        });
        set_status(LinkStatus::Reconnecting);
    }

    fn schedule_reconnect(link: &mut Link) {
        let ceiling = (FIRST_RETRY_MS * 2f64.powi(link.attempt)).min(LAST_RETRY_MS);
        link.attempt = (link.attempt + 1).min(16);
        // Full jitter in the upper half: clients that lost the server together do not return together.
        let delay = ceiling * (0.5 + js_sys::Math::random() * 0.5);
        set_timeout(connect, Duration::from_millis(delay as u64));
    }

    /// Closes a connection that has been silent for longer than the server's timeout, so it reconnects.
    fn watchdog() {
        set_timeout(
            || {
                LINK.with_borrow(|link| {
                    let silent = js_sys::Date::now() - link.last_heard;
                    if let Some(socket) = link.socket.as_ref().filter(|_| link.acked && silent > link.timeout_ms) {
                        let _ = socket.close();
                    }
                });
                watchdog();
            },
            WATCHDOG,
        );
    }

    fn send_start(link: &Link, id: &str, body: &Value) {
        let Some((_, auth)) = &link.endpoint else { return };
        let start = json!({
            "id": id,
            "type": "start",
            "payload": { "data": body.to_string(), "extensions": { "authorization": auth } },
        });
        send(link, &start);
    }

    fn send(link: &Link, message: &Value) {
        if let Some(socket) = &link.socket {
            let _ = socket.send_with_str(&message.to_string());
        }
    }
}
