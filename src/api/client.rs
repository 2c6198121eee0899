use graphql_client::{GraphQLQuery, QueryBody, Response};
use serde::de::DeserializeOwned;

use super::ApiError;

/// Runs one operation and returns its data decoded as `R` (an app type with the operation's shape), or the errors
/// the server gave.
///
/// On the server (SSR) the operation runs in-process through the [`GraphqlExecutor`] that caravan-server provides as
/// context, so rendering a page never makes an HTTP request to itself. In the browser it is a `POST` to the
/// configured endpoint with the API key.
pub async fn execute<Q, R>(variables: Q::Variables) -> Result<R, ApiError>
where
    Q: GraphQLQuery,
    R: DeserializeOwned + Send + 'static,
{
    data_of(transport(Q::build_query(variables)).await?)
}

/// The data of a response, or its errors.
fn data_of<R>(response: Response<R>) -> Result<R, ApiError> {
    match (response.data, response.errors) {
        (_, Some(errors)) if !errors.is_empty() => Err(ApiError::Graphql(
            errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "),
        )),
        (Some(data), _) => Ok(data),
        (None, _) => Err(ApiError::Decode("no data and no errors".into())),
    }
}

fn decode<T: DeserializeOwned>(json: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(json).map_err(|e| ApiError::Decode(e.to_string()))
}

#[cfg(feature = "ssr")]
pub use server::GraphqlExecutor;

#[cfg(feature = "ssr")]
mod server {
    use std::{future::Future, pin::Pin, sync::Arc};

    type Execution = Pin<Box<dyn Future<Output = serde_json::Value> + Send>>;

    /// How caravan-server lends its GraphQL schema to server-side rendering: a GraphQL request as JSON in, the
    /// GraphQL response as JSON out. The server provides it with `provide_context` for each render.
    #[derive(Clone)]
    pub struct GraphqlExecutor(Arc<dyn Fn(serde_json::Value) -> Execution + Send + Sync>);

    impl GraphqlExecutor {
        pub fn new<F, Fut>(execute: F) -> Self
        where
            F: Fn(serde_json::Value) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = serde_json::Value> + Send + 'static,
        {
            Self(Arc::new(move |request| Box::pin(execute(request))))
        }

        pub(super) async fn execute(&self, request: serde_json::Value) -> serde_json::Value {
            (self.0)(request).await
        }
    }
}

#[cfg(feature = "ssr")]
async fn transport<V, R>(body: QueryBody<V>) -> Result<Response<R>, ApiError>
where
    V: serde::Serialize,
    R: DeserializeOwned,
{
    let executor = leptos::prelude::use_context::<GraphqlExecutor>()
        .ok_or_else(|| ApiError::Network("no GraphQL executor in this render".into()))?;
    run_on(&executor, body).await
}

/// Runs a request on an executor (the viewer's of every render, or the operator's of a signed-in console).
#[cfg(feature = "ssr")]
async fn run_on<V, R>(executor: &GraphqlExecutor, body: QueryBody<V>) -> Result<Response<R>, ApiError>
where
    V: serde::Serialize,
    R: DeserializeOwned,
{
    let request = serde_json::to_value(&body).map_err(|e| ApiError::Decode(e.to_string()))?;
    decode(executor.execute(request).await)
}

/// Like [`execute`], on a given executor.
#[cfg(feature = "ssr")]
pub async fn execute_on<Q, R>(executor: &GraphqlExecutor, variables: Q::Variables) -> Result<R, ApiError>
where
    Q: GraphQLQuery,
    R: DeserializeOwned,
{
    data_of(run_on(executor, Q::build_query(variables)).await?)
}

#[cfg(all(feature = "browser", not(feature = "ssr")))]
async fn transport<V, R>(body: QueryBody<V>) -> Result<Response<R>, ApiError>
where
    V: serde::Serialize,
    R: DeserializeOwned + 'static,
{
    use leptos::prelude::on_cleanup;
    use send_wrapper::SendWrapper;

    // Abort the request when the component that asked for it goes away (navigation, re-render).
    let controller = SendWrapper::new(web_sys::AbortController::new().ok());
    let signal = controller.as_ref().map(|c| c.signal());
    on_cleanup(move || {
        if let Some(controller) = controller.take() {
            controller.abort();
        }
    });

    SendWrapper::new(async move {
        let config = super::config::client_config().await?;
        let response = gloo_net::http::Request::post(&config.graphql_url)
            .header("x-api-key", &config.api_key)
            .abort_signal(signal.as_ref())
            .json(&body)
            .map_err(|e| ApiError::Decode(e.to_string()))?
            .send()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        let json: serde_json::Value = response
            .json()
            .await
            .map_err(|e| ApiError::Decode(format!("HTTP {}: {e}", response.status())))?;
        decode(json)
    })
    .await
}

/// Without a target (a plain `cargo check` of the lib) there is nobody to ask.
#[cfg(not(any(feature = "ssr", feature = "browser")))]
async fn transport<V, R>(_body: QueryBody<V>) -> Result<Response<R>, ApiError> {
    Err(ApiError::Network(
        "built without the ssr, hydrate or csr feature".into(),
    ))
}
