//! What both real-time protocols do with a new operation: read it, check it, and register a subscription with the
//! hub (or run a query or mutation once, for graphql-transport-ws).

use std::{sync::Arc, time::Duration};

use async_graphql::{
    Name, Request, Variables,
    parser::{
        parse_query,
        types::{OperationType, Selection},
    },
};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::hub::{Hub, SubscribeError, SubscriptionSpec};
use crate::{
    auth::{Caller, Credentials},
    graphql::{CaravanSchema, appsync_json, mutations_of},
};

/// Largest message a client may send: a GraphQL request's limit, as on `POST /graphql`.
pub const MAX_MESSAGE_BYTES: usize = crate::graphql::limits::MAX_REQUEST_BYTES;
/// How long a client may take to send `connection_init` (both protocols): a socket that never says who it is holds
/// nothing for long.
pub const INIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Everything a real-time connection needs from the server.
#[derive(Clone)]
pub struct Realtime {
    pub schema: CaravanSchema,
    pub hub: Hub,
    pub credentials: Credentials,
    pub keepalive: Duration,
    pub connection_timeout: Duration,
}

/// A GraphQL request as both protocols carry it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationRequest {
    pub query: String,
    #[serde(default)]
    pub variables: Option<Map<String, Value>>,
    #[serde(default)]
    pub operation_name: Option<String>,
}

#[derive(Debug)]
pub enum StartError {
    /// The operation is a query or mutation; AppSync serves only subscriptions here.
    NotSubscription,
    /// GraphQL errors (syntax, validation, authorization), as AppSync error objects.
    Graphql(Vec<Value>),
    Subscribe(SubscribeError),
}

/// An operation, read.
pub enum Operation {
    Subscription(SubscriptionSpec),
    QueryOrMutation(Box<Request>),
}

/// Reads an operation: its kind and, for a subscription, its root field's filter and mutations.
pub fn read(request: OperationRequest, caller: Caller) -> Result<Operation, StartError> {
    let variables = request.variables.unwrap_or_default();
    let document = parse_query(&request.query).map_err(|e| graphql_error(e.to_string()))?;
    let operation = match &request.operation_name {
        Some(name) => document
            .operations
            .iter()
            .find(|(n, _)| n.map(Name::as_str) == Some(name.as_str())),
        None => {
            let mut all = document.operations.iter();
            match (all.next(), all.next()) {
                (Some(only), None) => Some(only),
                _ => {
                    return Err(graphql_error(
                        "operationName is required with several operations".into(),
                    ));
                }
            }
        }
    }
    .map(|(_, operation)| operation)
    .ok_or_else(|| graphql_error("no such operation in the document".into()))?;

    if operation.node.ty != OperationType::Subscription {
        let mut graphql = Request::new(request.query.clone())
            .variables(Variables::from_json(Value::Object(variables)))
            .data(caller);
        if let Some(name) = request.operation_name {
            graphql = graphql.operation_name(name);
        }
        return Ok(Operation::QueryOrMutation(Box::new(graphql)));
    }

    let mut fields = operation.node.selection_set.node.items.iter();
    let field = match (fields.next().map(|s| &s.node), fields.next()) {
        (Some(Selection::Field(field)), None) => &field.node,
        _ => return Err(graphql_error("a subscription selects exactly one root field".into())),
    };
    let defaults: Map<String, Value> = operation
        .node
        .variable_definitions
        .iter()
        .filter_map(|d| {
            let default = d.node.default_value.as_ref()?.node.clone().into_json().ok()?;
            Some((d.node.name.node.to_string(), default))
        })
        .collect();
    let mut filter = Map::new();
    for (name, value) in &field.arguments {
        let value = value
            .node
            .clone()
            .into_const_with(|variable| {
                let value = variables
                    .get(variable.as_str())
                    .or_else(|| defaults.get(variable.as_str()));
                Ok::<_, std::convert::Infallible>(
                    value
                        .and_then(|v| async_graphql::Value::from_json(v.clone()).ok())
                        .unwrap_or_default(),
                )
            })
            .map_err(|e: std::convert::Infallible| match e {})?;
        let value = value.into_json().map_err(|e| graphql_error(e.to_string()))?;
        filter.insert(name.node.to_string(), value);
    }
    let mutations = mutations_of(field.name.node.as_str());
    Ok(Operation::Subscription(SubscriptionSpec {
        query: request.query,
        operation_name: request.operation_name,
        variables,
        caller,
        filter,
        mutations,
    }))
}

impl Realtime {
    /// Validates a subscription against the schema (and the caller's rights) and registers it.
    pub async fn subscribe(&self, connection: u64, id: Arc<str>, spec: SubscriptionSpec) -> Result<(), StartError> {
        // Run without a published result: a valid, authorized subscription yields nothing; anything else errors.
        let mut check = Request::new(spec.query.clone())
            .variables(Variables::from_json(Value::Object(spec.variables.clone())))
            .data(spec.caller);
        if let Some(name) = &spec.operation_name {
            check = check.operation_name(name.clone());
        }
        if let Some(response) = self.schema.execute_stream(check).next().await {
            let json = appsync_json(response);
            let errors = json
                .get("errors")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if !errors.is_empty() {
                return Err(StartError::Graphql(errors));
            }
        }
        self.hub.subscribe(connection, id, spec).map_err(StartError::Subscribe)
    }

    /// Runs a query or mutation once (graphql-transport-ws allows them over the socket).
    pub async fn run_once(&self, request: Request) -> Value {
        appsync_json(self.schema.execute(request).await)
    }
}

pub fn graphql_error(message: String) -> StartError {
    StartError::Graphql(vec![json!({ "errorType": "ValidationError", "message": message })])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str, variables: Value) -> OperationRequest {
        OperationRequest {
            query: query.into(),
            variables: variables.as_object().cloned(),
            operation_name: None,
        }
    }

    #[test]
    fn a_subscription_filters_on_its_resolved_arguments() {
        let subscription = read(
            request(
                "subscription S($e: ID!) { onPickupChanged(eventId: $e) { visible } }",
                json!({ "e": "evt_a" }),
            ),
            Caller::Viewer,
        );
        let Ok(Operation::Subscription(spec)) = subscription else {
            panic!("a subscription")
        };
        assert_eq!(Value::Object(spec.filter), json!({ "eventId": "evt_a" }));
        assert_eq!(spec.mutations, ["setPickup"]);

        let inline = read(
            request(
                "subscription { onPickupChanged(eventId: \"x\") { visible } }",
                json!({}),
            ),
            Caller::Viewer,
        );
        let Ok(Operation::Subscription(spec)) = inline else {
            panic!("a subscription")
        };
        assert_eq!(Value::Object(spec.filter), json!({ "eventId": "x" }));
    }

    #[test]
    fn variable_defaults_fill_missing_variables() {
        let defaulted = read(
            request(
                "subscription($e: ID = \"evt_d\") { onPickupChanged(eventId: $e) { visible } }",
                json!({}),
            ),
            Caller::Viewer,
        );
        let Ok(Operation::Subscription(spec)) = defaulted else {
            panic!("a subscription")
        };
        assert_eq!(spec.filter["eventId"], "evt_d");
    }

    #[test]
    fn other_operations_and_bad_documents_are_told_apart() {
        assert!(matches!(
            read(request("{ liveEvents { id } }", json!({})), Caller::Viewer),
            Ok(Operation::QueryOrMutation(_))
        ));
        assert!(matches!(
            read(request("subscription {", json!({})), Caller::Viewer),
            Err(StartError::Graphql(_))
        ));
        assert!(matches!(
            read(
                request(
                    "subscription { a: onPickupChanged(eventId: \"1\") { visible } b: onPickupChanged(eventId: \"2\") { visible } }",
                    json!({})
                ),
                Caller::Viewer
            ),
            Err(StartError::Graphql(_))
        ));
        assert!(matches!(
            read(
                request("query A { liveEvents { id } } query B { liveEvents { id } }", json!({})),
                Caller::Viewer
            ),
            Err(StartError::Graphql(_))
        ));
    }
}
