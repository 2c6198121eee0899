//! Who is subscribed to what, and delivery of published mutation results.
//!
//! Subscriptions with the same query, variables and caller form a group: a published result is matched against a
//! group's filter (AppSync: equality of the subscription's arguments with the result's fields), the group's
//! selection runs once, and the same bytes go to every member. Each connection has a bounded queue; delivery only
//! ever `try_send`s, so a slow or dead subscriber never delays the mutation or the others. A connection whose queue
//! is full is told to close (its client reconnects and re-reads the state).

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
};

use async_graphql::{Request, Variables};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tokio::sync::{Notify, mpsc, watch};

use crate::{
    auth::Caller,
    graphql::{CaravanSchema, appsync_json},
    publish::{Announcement, Publish},
};

/// Most subscriptions one connection may hold (AppSync's default quota).
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: usize = 100;
/// Deliveries a connection may have waiting before it counts as fallen behind.
pub const CONNECTION_QUEUE: usize = 64;

/// A mutation's result, as published to subscribers. Inserted into the request data of a subscription's execution,
/// where the subscription field reads it.
#[derive(Debug, Clone)]
pub struct Published {
    mutation: Arc<str>,
    payload: Arc<Value>,
}

impl Published {
    pub fn new(mutation: &str, payload: Value) -> Self {
        Self {
            mutation: mutation.into(),
            payload: Arc::new(payload),
        }
    }

    /// The mutation it is the result of.
    pub fn mutation(&self) -> &str {
        &self.mutation
    }

    /// The result as published.
    pub fn payload(&self) -> &Value {
        &self.payload
    }
    /// The result, when it is of `mutation`.
    pub fn decode<T: DeserializeOwned>(&self, mutation: &str) -> Option<T> {
        (&*self.mutation == mutation)
            .then(|| serde_json::from_value((*self.payload).clone()).ok())
            .flatten()
    }
}

/// The hub delivers what the capabilities announce: at once, on its worker (or every replica's, through the bus).
impl Publish for Hub {
    fn publish(&self, announcement: Announcement) {
        let mutation = announcement.mutation();
        match announcement.payload() {
            Ok(payload) => {
                let published = Published::new(mutation, payload);
                match &self.inner.relay {
                    // Fails only when the bus is gone, that is while the server shuts down.
                    Some(relay) => drop(relay.send(published)),
                    None => self.deliver(published),
                }
            }
            Err(e) => tracing::error!(error = %e, mutation, "unpublishable announcement"),
        }
    }
}

/// One data message for one subscription: the subscription's id and the response JSON (`{"data": …}`).
#[derive(Debug, Clone)]
pub struct Delivery {
    pub subscription_id: Arc<str>,
    pub response: Arc<str>,
}

/// A subscription, checked and ready to register.
#[derive(Debug, Clone)]
pub struct SubscriptionSpec {
    pub query: String,
    pub operation_name: Option<String>,
    pub variables: Map<String, Value>,
    pub caller: Caller,
    /// The subscription field's arguments: equality filters on the published result.
    pub filter: Map<String, Value>,
    /// The mutations the field delivers (its `@aws_subscribe`).
    pub mutations: Vec<String>,
}

impl SubscriptionSpec {
    fn matches(&self, published: &Published) -> bool {
        self.mutations.iter().any(|m| **m == *published.mutation)
            && self
                .filter
                .iter()
                .all(|(name, wanted)| published.payload.get(name).unwrap_or(&Value::Null) == wanted)
    }

    fn key(&self) -> GroupKey {
        GroupKey {
            query: self.query.clone(),
            operation_name: self.operation_name.clone(),
            variables: Value::Object(self.variables.clone()).to_string(),
            caller: self.caller,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct GroupKey {
    query: String,
    operation_name: Option<String>,
    variables: String,
    caller: Caller,
}

#[derive(Clone)]
struct Member {
    sender: mpsc::Sender<Delivery>,
    overflow: Arc<Notify>,
}

struct Group {
    spec: Arc<SubscriptionSpec>,
    members: HashMap<(u64, Arc<str>), Member>,
}

/// A group a published result goes to: its subscription and its members (subscription id and queue).
struct Target {
    spec: Arc<SubscriptionSpec>,
    members: Vec<(Arc<str>, Member)>,
}

struct ConnectionEntry {
    member: Member,
    subscriptions: HashMap<Arc<str>, GroupKey>,
}

#[derive(Default)]
struct Registry {
    groups: HashMap<GroupKey, Group>,
    connections: HashMap<u64, ConnectionEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SubscribeError {
    #[error("Duplicate subscription ID detected")]
    Duplicate,
    #[error("Too many subscriptions on this connection (at most {MAX_SUBSCRIPTIONS_PER_CONNECTION})")]
    TooMany,
}

/// The real-time hub, shared by the GraphQL schema (mutations publish) and the real-time endpoint.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Mutex<Registry>,
    /// The worker's queue: what is delivered here.
    events: mpsc::UnboundedSender<Published>,
    /// Where `publish` sends when replicas share the results (the bus); `None`: straight to `events`.
    relay: Option<mpsc::UnboundedSender<Published>>,
    next_connection: AtomicU64,
    closing: watch::Sender<bool>,
}

/// The receiving end of published results; [`HubWorker::run`] delivers them.
pub struct HubWorker {
    hub: Hub,
    events: mpsc::UnboundedReceiver<Published>,
}

/// A connection's side of the hub: its id, its deliveries, and the signal that it fell behind.
pub struct Connection {
    pub id: u64,
    pub deliveries: mpsc::Receiver<Delivery>,
    pub overflow: Arc<Notify>,
}

impl Hub {
    /// A hub delivering what it publishes (one server).
    pub fn new() -> (Hub, HubWorker) {
        Self::build(None)
    }

    /// A hub whose published results go to `relay`'s receiver instead (the bus between replicas), and are delivered
    /// when they come back through [`Hub::deliver`], on every replica alike.
    pub fn relayed() -> (Hub, HubWorker, mpsc::UnboundedReceiver<Published>) {
        let (relay, relayed) = mpsc::unbounded_channel();
        let (hub, worker) = Self::build(Some(relay));
        (hub, worker, relayed)
    }

    fn build(relay: Option<mpsc::UnboundedSender<Published>>) -> (Hub, HubWorker) {
        let (events, receiver) = mpsc::unbounded_channel();
        let hub = Hub {
            inner: Arc::new(Inner {
                registry: Mutex::default(),
                events,
                relay,
                next_connection: AtomicU64::new(1),
                closing: watch::Sender::new(false),
            }),
        };
        (hub.clone(), HubWorker { hub, events: receiver })
    }

    /// Delivers a result published on some replica to this one's subscribers.
    pub fn deliver(&self, published: Published) {
        // Fails only when the worker is gone, that is while the server shuts down.
        let _ = self.inner.events.send(published);
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        // The registry stays consistent across a panic elsewhere (every update is a single insert or removal).
        self.inner
            .registry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn connect(&self) -> Connection {
        let id = self.inner.next_connection.fetch_add(1, Ordering::Relaxed);
        let (sender, deliveries) = mpsc::channel(CONNECTION_QUEUE);
        let overflow = Arc::new(Notify::new());
        let member = Member {
            sender,
            overflow: overflow.clone(),
        };
        self.registry().connections.insert(
            id,
            ConnectionEntry {
                member,
                subscriptions: HashMap::new(),
            },
        );
        Connection {
            id,
            deliveries,
            overflow,
        }
    }

    pub fn subscribe(&self, connection: u64, id: Arc<str>, spec: SubscriptionSpec) -> Result<(), SubscribeError> {
        let mut registry = self.registry();
        let Registry { groups, connections } = &mut *registry;
        let Some(entry) = connections.get_mut(&connection) else {
            return Ok(());
        };
        if entry.subscriptions.contains_key(&id) {
            return Err(SubscribeError::Duplicate);
        }
        if entry.subscriptions.len() >= MAX_SUBSCRIPTIONS_PER_CONNECTION {
            return Err(SubscribeError::TooMany);
        }
        let key = spec.key();
        let group = groups.entry(key.clone()).or_insert_with(|| Group {
            spec: Arc::new(spec),
            members: HashMap::new(),
        });
        group.members.insert((connection, id.clone()), entry.member.clone());
        entry.subscriptions.insert(id, key);
        Ok(())
    }

    /// Ends one subscription; whether it existed.
    pub fn unsubscribe(&self, connection: u64, id: &str) -> bool {
        let mut registry = self.registry();
        let Registry { groups, connections } = &mut *registry;
        let Some((id, key)) = connections
            .get_mut(&connection)
            .and_then(|entry| entry.subscriptions.remove_entry(id))
        else {
            return false;
        };
        remove_member(groups, &key, connection, id);
        true
    }

    pub fn subscription_count(&self, connection: u64) -> usize {
        self.registry()
            .connections
            .get(&connection)
            .map_or(0, |entry| entry.subscriptions.len())
    }

    pub fn disconnect(&self, connection: u64) {
        let mut registry = self.registry();
        let Registry { groups, connections } = &mut *registry;
        if let Some(entry) = connections.remove(&connection) {
            for (id, key) in entry.subscriptions {
                remove_member(groups, &key, connection, id);
            }
        }
    }

    /// How many connections follow this event's pick-up banner: the viewers with the page open.
    pub fn viewers(&self, event_id: &str) -> usize {
        let registry = self.registry();
        let wanted = Value::String(event_id.into());
        let watching: HashSet<u64> = registry
            .groups
            .values()
            .filter(|group| group.spec.mutations.iter().any(|m| m == "setPickup"))
            .filter(|group| group.spec.filter.get("eventId") == Some(&wanted))
            .flat_map(|group| group.members.keys().map(|(connection, _)| *connection))
            .collect();
        watching.len()
    }

    /// Tells every connection that the server is going away.
    pub fn close_all(&self) {
        self.inner.closing.send_replace(true);
    }

    pub fn closing(&self) -> watch::Receiver<bool> {
        self.inner.closing.subscribe()
    }

    /// The groups a published result goes to, with their members at this moment.
    fn targets(&self, published: &Published) -> Vec<Target> {
        self.registry()
            .groups
            .values()
            .filter(|group| group.spec.matches(published))
            .map(|group| {
                let members = group
                    .members
                    .iter()
                    .map(|((_, id), member)| (id.clone(), member.clone()))
                    .collect();
                Target {
                    spec: group.spec.clone(),
                    members,
                }
            })
            .collect()
    }
}

fn remove_member(groups: &mut HashMap<GroupKey, Group>, key: &GroupKey, connection: u64, id: Arc<str>) {
    if let Some(group) = groups.get_mut(key) {
        group.members.remove(&(connection, id));
        if group.members.is_empty() {
            groups.remove(key);
        }
    }
}

impl HubWorker {
    /// Delivers published results until the hub is dropped.
    pub async fn run(mut self, schema: CaravanSchema) {
        while let Some(published) = self.events.recv().await {
            for Target { spec, members } in self.hub.targets(&published) {
                let Some(response) = run_selection(&schema, &spec, &published).await else {
                    continue;
                };
                for (subscription_id, member) in members {
                    let delivery = Delivery {
                        subscription_id,
                        response: response.clone(),
                    };
                    if let Err(mpsc::error::TrySendError::Full(_)) = member.sender.try_send(delivery) {
                        member.overflow.notify_one();
                    }
                }
            }
        }
    }
}

/// Runs a subscription's selection on a published result: the response its subscribers receive.
async fn run_selection(schema: &CaravanSchema, spec: &SubscriptionSpec, published: &Published) -> Option<Arc<str>> {
    let mut request = Request::new(spec.query.clone())
        .variables(Variables::from_json(Value::Object(spec.variables.clone())))
        .data(spec.caller)
        .data(published.clone());
    if let Some(name) = &spec.operation_name {
        request = request.operation_name(name.clone());
    }
    let response = schema.execute_stream(request).next().await?;
    Some(appsync_json(response).to_string().into())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec(event_id: &str) -> SubscriptionSpec {
        SubscriptionSpec {
            query: "subscription($e: ID!) { onPickupChanged(eventId: $e) { visible } }".into(),
            operation_name: None,
            variables: json!({ "e": event_id }).as_object().unwrap().clone(),
            caller: Caller::Viewer,
            filter: json!({ "eventId": event_id }).as_object().unwrap().clone(),
            mutations: vec!["setPickup".into()],
        }
    }

    #[test]
    fn filters_are_equality_on_the_result_fields() {
        let spec = spec("evt_a");
        assert!(spec.matches(&Published::new(
            "setPickup",
            json!({ "eventId": "evt_a", "visible": true })
        )));
        assert!(!spec.matches(&Published::new("setPickup", json!({ "eventId": "evt_b" }))));
        assert!(!spec.matches(&Published::new("somethingElse", json!({ "eventId": "evt_a" }))));
        let mut wants_null = spec.clone();
        wants_null.filter.insert("productId".into(), Value::Null);
        assert!(wants_null.matches(&Published::new(
            "setPickup",
            json!({ "eventId": "evt_a", "productId": null })
        )));
        assert!(!wants_null.matches(&Published::new(
            "setPickup",
            json!({ "eventId": "evt_a", "productId": "p" })
        )));
    }

    #[test]
    fn same_subscriptions_share_a_group_and_leave_it_cleanly() {
        let (hub, _worker) = Hub::new();
        let a = hub.connect();
        let b = hub.connect();
        hub.subscribe(a.id, "1".into(), spec("evt_a")).unwrap();
        hub.subscribe(b.id, "1".into(), spec("evt_a")).unwrap();
        hub.subscribe(b.id, "2".into(), spec("evt_b")).unwrap();
        assert_eq!(hub.registry().groups.len(), 2);
        assert_eq!(hub.viewers("evt_a"), 2);
        assert_eq!(hub.viewers("evt_b"), 1);

        assert_eq!(
            hub.subscribe(a.id, "1".into(), spec("evt_b")),
            Err(SubscribeError::Duplicate)
        );
        assert!(hub.unsubscribe(a.id, "1"));
        assert!(!hub.unsubscribe(a.id, "1"));
        assert_eq!(hub.viewers("evt_a"), 1);
        hub.disconnect(b.id);
        assert!(hub.registry().groups.is_empty());
        assert_eq!(hub.viewers("evt_a"), 0);
    }

    #[test]
    fn a_connection_holds_at_most_the_quota() {
        let (hub, _worker) = Hub::new();
        let c = hub.connect();
        for i in 0..MAX_SUBSCRIPTIONS_PER_CONNECTION {
            hub.subscribe(c.id, i.to_string().into(), spec("evt_a")).unwrap();
        }
        assert_eq!(
            hub.subscribe(c.id, "one more".into(), spec("evt_a")),
            Err(SubscribeError::TooMany)
        );
        assert_eq!(hub.subscription_count(c.id), MAX_SUBSCRIPTIONS_PER_CONNECTION);
    }
}
