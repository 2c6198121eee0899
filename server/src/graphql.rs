//! The GraphQL API of `graphql/schema.graphql`: `POST /graphql` for clients, and in-process execution for
//! server-side rendering (see [`ssr_executor`]).

mod http;
mod query;
mod scalars;
mod types;

use async_graphql::{EmptyMutation, EmptySubscription, Schema};
use caravan::api::GraphqlExecutor;
pub use http::router;

use crate::store::Store;

pub type CaravanSchema = Schema<query::QueryRoot, EmptyMutation, EmptySubscription>;

pub fn schema(store: Store) -> CaravanSchema {
    Schema::build(query::QueryRoot, EmptyMutation, EmptySubscription)
        .data(store)
        .finish()
}

/// Lends the schema to server-side rendering: the app's GraphQL operations run in-process, without HTTP.
pub fn ssr_executor(schema: CaravanSchema) -> GraphqlExecutor {
    GraphqlExecutor::new(move |request: serde_json::Value| {
        let schema = schema.clone();
        async move {
            let response = match serde_json::from_value::<async_graphql::Request>(request) {
                Ok(request) => schema.execute(request).await,
                Err(e) => {
                    async_graphql::Response::from_errors(vec![async_graphql::ServerError::new(
                        format!("invalid GraphQL request: {e}"),
                        None,
                    )])
                }
            };
            serde_json::to_value(response).unwrap_or_else(|e| {
                serde_json::json!({ "errors": [{ "message": format!("unserializable response: {e}") }] })
            })
        }
    })
}
