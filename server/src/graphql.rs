//! The GraphQL API of `graphql/schema.graphql`: `POST /graphql`, the real-time endpoint's subscriptions
//! (`crate::realtime`), and in-process execution for server-side rendering (see [`ssr_executor`]).

pub mod directives;
mod guards;
mod http;
pub mod limits;
mod mutation;
mod query;
mod scalars;
mod subscription;
mod types;

use async_graphql::{Request, Response, Schema};
use caravan::api::GraphqlExecutor;
pub use http::router;
use serde_json::Value;
pub use subscription::mutations_of;

use crate::{auth::Caller, publish::Publisher, store::Store};

pub type CaravanSchema = Schema<query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot>;

pub fn schema(
    store: Store,
    publisher: Publisher,
    likes: crate::likes::Likes,
    feed: crate::feed::Feed,
    ingest: crate::ingest::Ingest,
) -> CaravanSchema {
    Schema::build(query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot)
        .data(store)
        .data(publisher)
        .data(likes)
        .data(feed)
        .data(ingest)
        .extension(limits::FieldBudget::default())
        .limit_depth(limits::MAX_DEPTH)
        .limit_complexity(limits::MAX_COMPLEXITY)
        .finish()
}

/// Who sent a request, for per-viewer limits: the viewer's id from their cookie, else their address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientKey(pub String);

/// Runs a query or mutation for `caller` and answers with AppSync's JSON.
pub async fn execute(schema: &CaravanSchema, request: Request, caller: Caller) -> Value {
    appsync_json(schema.execute(request.data(caller)).await)
}

/// A response as AppSync writes it: an error's `errorType` stands beside its `message`, not under `extensions`.
pub fn appsync_json(response: Response) -> Value {
    let mut json = serde_json::to_value(&response).unwrap_or_else(|e| {
        tracing::error!(error = %e, "unserializable GraphQL response");
        serde_json::json!({ "errors": [{ "message": "Internal server error" }] })
    });
    if let Some(errors) = json.get_mut("errors").and_then(Value::as_array_mut) {
        for error in errors {
            let Some(object) = error.as_object_mut() else { continue };
            let error_type = object
                .get_mut("extensions")
                .and_then(Value::as_object_mut)
                .and_then(|extensions| extensions.remove("errorType"));
            if let Some(error_type) = error_type {
                object.insert("errorType".into(), error_type);
            }
            if object
                .get("extensions")
                .and_then(Value::as_object)
                .is_some_and(|e| e.is_empty())
            {
                object.remove("extensions");
            }
        }
    }
    limits::cap_errors(&mut json);
    json
}

/// Lends the schema to server-side rendering: the app's GraphQL operations run in-process, as `caller`.
pub fn ssr_executor(schema: CaravanSchema, caller: Caller) -> GraphqlExecutor {
    GraphqlExecutor::new(move |request: Value| {
        let schema = schema.clone();
        async move {
            match serde_json::from_value::<Request>(request) {
                Ok(request) => execute(&schema, request, caller).await,
                Err(e) => serde_json::json!({ "errors": [{ "message": format!("invalid GraphQL request: {e}") }] }),
            }
        }
    })
}
