//! The operator console's calls: server functions, so the console works without JavaScript (plain form posts) and
//! never holds the operator token. caravan-server provides every request its [`OperatorSession`]: the operator's
//! powers ([`OperatorAccess`]) only when it carries a valid operator session; without them every call here is
//! refused.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{FeedPost, Pickup, StreamState};

/// What the console shows besides the products: the banner now, how many pages follow the show, and playback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsoleState {
    pub pickup: Option<Pickup>,
    /// Open pages subscribed to the show's pick-up banner.
    pub viewers: usize,
    pub playback: PlaybackSummary,
    /// The newest mail to viewers (rental reminders), held or sent.
    pub outbox: Vec<OutboxMail>,
    /// Background work that failed for good (dead letters), newest first.
    pub dead_jobs: Vec<DeadJob>,
    /// The Shopify collection the show's products come from, if they do.
    pub shopify_collection: Option<String>,
    /// The newest visible posts of the show's feed, newest first.
    pub feed: Vec<FeedPost>,
    /// The broadcast: where the stream stands and how its encoders are doing.
    pub stream: StreamHealth,
}

/// Where a show's stream stands, with its encoders' and transcoder's readings (the schema's `StreamStatus`, as the
/// operator reads it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamHealth {
    pub state: StreamState,
    /// The encoders publishing, primary first.
    pub encoders: Vec<EncoderHealth>,
    pub transcoder: Option<TranscoderHealth>,
    /// `KEYFRAME_INTERVAL_TOO_LONG`, `TRANSCODER_TOO_SLOW`, `NO_BACKUP`.
    pub warnings: Vec<String>,
    /// The ladder's segment length, which an encoder's keyframe interval should not exceed.
    pub segment_seconds: i64,
}

/// An encoder publishing to the show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncoderHealth {
    /// `PRIMARY` or `BACKUP`.
    pub role: String,
    pub on_air: bool,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub frame_rate: Option<f64>,
    pub bitrate_kbps: Option<i64>,
    pub keyframe_interval: Option<f64>,
}

/// How the show's transcoder keeps up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscoderHealth {
    /// × real time.
    pub speed: Option<f64>,
    pub dropped_frames: i64,
}

/// A stream key as issued: shown to the operator this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedKey {
    /// `PRIMARY` or `BACKUP`.
    pub role: String,
    /// The encoder's server (`rtmp://host:port/live`).
    pub rtmp_url: String,
    pub srt_url: Option<String>,
    pub key: String,
}

/// What the console reads of the back office: the mail outbox and the dead letters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BackOffice {
    pub outbox: Vec<OutboxMail>,
    pub dead_jobs: Vec<DeadJob>,
}

/// A job that failed after all its retries (an order's e-mail, export, …), which the operator may retry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadJob {
    pub id: i64,
    /// What it was: `order_step:<order>:<step>`, `rental_reminder:<event>:<viewer>`.
    pub key: String,
    pub attempts: i64,
    pub error: Option<String>,
}

/// A message to a viewer, as the console lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMail {
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// `held` (no SMTP server configured), `queued`, `sent` or `failed`.
    pub state: String,
    /// RFC 3339.
    pub created_at: String,
}

/// The show's playback, from the players' analytics batches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlaybackSummary {
    /// Page views that started playing.
    pub plays: i64,
    /// Page views playing now.
    pub watching: i64,
    /// Watch time of all page views, in seconds.
    pub watched_seconds: i64,
    /// Times the picture stopped to wait for data.
    pub rebuffers: i64,
    /// Playback failures players reported.
    pub errors: i64,
}

#[cfg(feature = "ssr")]
pub use server::{
    AccessGranter, BackOfficeReader, CatalogRefresher, JobRetrier, OperatorAccess, OperatorSession, PlaybackReader,
};

#[cfg(feature = "ssr")]
mod server {
    use std::{future::Future, pin::Pin, sync::Arc};

    use leptos::prelude::*;

    use super::{BackOffice, PlaybackSummary};
    use crate::api::GraphqlExecutor;

    /// What a console action answers, in time: a confirmation to show, or what is wrong.
    pub type ActionAnswer = Pin<Box<dyn Future<Output = Result<String, String>> + Send>>;

    /// The playback summary of an event (by id), or why it cannot be read.
    pub type PlaybackReader =
        Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<PlaybackSummary, String>> + Send>> + Send + Sync>;

    /// The newest mail of the outbox and the dead letters, or why they cannot be read.
    pub type BackOfficeReader =
        Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<BackOffice, String>> + Send>> + Send + Sync>;

    /// Retries a dead job (by id): a confirmation to show, or what is wrong.
    pub type JobRetrier = Arc<dyn Fn(i64) -> ActionAnswer + Send + Sync>;

    /// The Shopify collection a show (by slug) sells, if any.
    pub type CollectionOf = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

    /// The Shopify collection of a show (by slug), and reading it again (by slug).
    #[derive(Clone)]
    pub struct CatalogRefresher {
        pub collection: CollectionOf,
        pub refresh: Arc<dyn Fn(String) -> ActionAnswer + Send + Sync>,
    }

    /// Gives a viewer access to a show: (slug, viewer code, kind: `ticket`, `rental` or `grant`, the e-mail address
    /// for a rental's reminder); a confirmation to show, or what is wrong.
    pub type AccessGranter = Arc<dyn Fn(String, String, String, Option<String>) -> ActionAnswer + Send + Sync>;

    /// The operator's powers for one request: GraphQL as the operator, the count of connected viewers, the playback
    /// analytics, giving access, the back office (mail outbox, dead letters), retrying a dead job and refreshing a
    /// Shopify catalog.
    #[derive(Clone)]
    pub struct OperatorAccess {
        pub executor: GraphqlExecutor,
        pub viewers: Arc<dyn Fn(&str) -> usize + Send + Sync>,
        pub playback: PlaybackReader,
        pub grant: AccessGranter,
        pub back_office: BackOfficeReader,
        pub retry: JobRetrier,
        pub catalog: CatalogRefresher,
    }

    /// What a request may do as the operator, provided to every request by the server: `None` without a valid
    /// operator session. Always provided, so the answer is the request's own, never one found further up the
    /// reactive owners.
    #[derive(Clone)]
    pub struct OperatorSession(pub Option<OperatorAccess>);

    /// The operator's powers, or the refusal with what to do. Called as a server function (`/api/console/…`) the
    /// refusal answers 401, a client's error; a console page rendered without a session stays a page (its sign-in
    /// form).
    pub fn operator() -> Result<OperatorAccess, ServerFnError> {
        use_context::<OperatorSession>()
            .and_then(|session| session.0)
            .ok_or_else(|| {
                let called =
                    use_context::<http::request::Parts>().is_some_and(|parts| parts.uri.path().starts_with("/api/"));
                if let (true, Some(response)) = (called, use_context::<leptos_axum::ResponseOptions>()) {
                    response.set_status(http::StatusCode::UNAUTHORIZED);
                }
                ServerFnError::new("Sign in as the operator first.")
            })
    }
}

/// Whether this request comes from a signed-in operator.
#[server(prefix = "/api/console", endpoint = "session")]
pub async fn console_session() -> Result<bool, ServerFnError> {
    Ok(use_context::<OperatorSession>().is_some_and(|session| session.0.is_some()))
}

/// The banner and the viewer count of the show at `slug`, for a signed-in operator; `None` when there is no such show.
#[server(prefix = "/api/console", endpoint = "status")]
pub async fn console_status(slug: String) -> Result<Option<ConsoleState>, ServerFnError> {
    use super::{Event, client::execute_on, operations::LiveEventQuery};

    #[derive(Deserialize)]
    struct Data {
        event: Option<Event>,
    }
    let access = server::operator()?;
    let data: Data =
        execute_on::<LiveEventQuery, Data>(&access.executor, super::operations::live_event_variables(slug))
            .await
            .map_err(|e| ServerFnError::new(e.to_string()))?;
    let Some(event) = data.event else { return Ok(None) };
    let stream = stream_health(&access, event.slug.clone()).await?;
    let playback = (access.playback)(event.id.clone()).await.map_err(ServerFnError::new)?;
    let back_office = (access.back_office)().await.map_err(ServerFnError::new)?;
    Ok(Some(ConsoleState {
        viewers: (access.viewers)(&event.id),
        pickup: event.pickup,
        playback,
        outbox: back_office.outbox,
        dead_jobs: back_office.dead_jobs,
        shopify_collection: (access.catalog.collection)(&event.slug),
        feed: event.feed,
        stream,
    }))
}

/// The show's stream as the operator reads it.
#[cfg(feature = "ssr")]
async fn stream_health(access: &OperatorAccess, slug: String) -> Result<StreamHealth, ServerFnError> {
    use super::{client::execute_on, operations::ConsoleStreamQuery};

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Show {
        stream_status: StreamHealth,
    }
    #[derive(Deserialize)]
    struct Data {
        event: Option<Show>,
    }
    let data: Data =
        execute_on::<ConsoleStreamQuery, Data>(&access.executor, super::operations::console_stream_variables(slug))
            .await
            .map_err(|e| ServerFnError::new(e.to_string()))?;
    Ok(data.event.map(|show| show.stream_status).unwrap_or_default())
}

/// A new stream key for the show's `role` encoder (`primary` or `backup`), replacing the one before, as the operator.
#[server(prefix = "/api/console", endpoint = "issue_stream_key")]
pub async fn issue_stream_key(event_id: String, role: String) -> Result<IssuedKey, ServerFnError> {
    use super::{client::execute_on, operations::IssueStreamKeyMutation};

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        issue_stream_key: IssuedKey,
    }
    let access = server::operator()?;
    let variables = super::operations::issue_stream_key_variables(event_id, &role)
        .ok_or_else(|| ServerFnError::new(format!("no encoder role {role:?}: primary or backup")))?;
    execute_on::<IssueStreamKeyMutation, Data>(&access.executor, variables)
        .await
        .map(|data| data.issue_stream_key)
        .map_err(|e| ServerFnError::new(e.to_string()))
}

/// Ends the show now, as the operator: its encoders are ended and its recording becomes its replay.
#[server(prefix = "/api/console", endpoint = "end_show")]
pub async fn end_show(event_id: String) -> Result<String, ServerFnError> {
    use super::{client::execute_on, operations::EndShowMutation};

    let access = server::operator()?;
    execute_on::<EndShowMutation, serde::de::IgnoredAny>(
        &access.executor,
        super::operations::end_show_variables(event_id),
    )
    .await
    .map(|_| "The show has ended: its page now plays the replay.".to_string())
    .map_err(|e| ServerFnError::new(e.to_string()))
}

/// Reads the show's Shopify collection again, as the operator: what changed.
#[server(prefix = "/api/console", endpoint = "refresh_catalog")]
pub async fn refresh_catalog(slug: String) -> Result<String, ServerFnError> {
    let access = server::operator()?;
    (access.catalog.refresh)(slug).await.map_err(ServerFnError::new)
}

/// Shows a product in the pick-up banner (`visible`) or hides the banner, as the operator.
#[server(prefix = "/api/console", endpoint = "set_pickup")]
pub async fn set_pickup(event_id: String, product_id: Option<String>, visible: bool) -> Result<(), ServerFnError> {
    use super::{client::execute_on, operations::SetPickupMutation};

    let access = server::operator()?;
    execute_on::<SetPickupMutation, serde::de::IgnoredAny>(
        &access.executor,
        super::operations::set_pickup_variables(event_id, product_id.filter(|id| !id.is_empty()), visible),
    )
    .await
    .map(|_| ())
    .map_err(|e| ServerFnError::new(e.to_string()))
}

/// Gives the viewer with this code access to the show at `slug`, as the operator (until commerce sells tickets); a
/// rental's reminder goes to `email` when one is given.
#[server(prefix = "/api/console", endpoint = "grant_access")]
pub async fn grant_access(
    slug: String,
    viewer_id: String,
    kind: String,
    #[server(default)] email: Option<String>,
) -> Result<String, ServerFnError> {
    let access = server::operator()?;
    let email = email.map(|e| e.trim().to_string()).filter(|e| !e.is_empty());
    (access.grant)(slug, viewer_id.trim().to_string(), kind, email)
        .await
        .map_err(ServerFnError::new)
}

/// Runs a dead job again (its attempts start over), as the operator.
#[server(prefix = "/api/console", endpoint = "retry_job")]
pub async fn retry_job(id: i64) -> Result<String, ServerFnError> {
    let access = server::operator()?;
    (access.retry)(id).await.map_err(ServerFnError::new)
}

/// Posts to the show's feed as the operator (`author`: the name shown; "Host" when empty).
#[server(prefix = "/api/console", endpoint = "post_feed")]
pub async fn post_feed(
    event_id: String,
    text: String,
    #[server(default)] author: Option<String>,
) -> Result<String, ServerFnError> {
    use super::{client::execute_on, operations::PostFeedMutation};

    let access = server::operator()?;
    let author = author.map(|a| a.trim().to_string()).filter(|a| !a.is_empty());
    execute_on::<PostFeedMutation, serde::de::IgnoredAny>(
        &access.executor,
        super::operations::post_feed_variables(event_id, text, author),
    )
    .await
    .map(|_| "Posted to the feed.".to_string())
    .map_err(|e| ServerFnError::new(e.to_string()))
}

/// Hides a post of the show's feed from every page, as the operator.
#[server(prefix = "/api/console", endpoint = "hide_feed_post")]
pub async fn hide_feed_post(event_id: String, post_id: String) -> Result<String, ServerFnError> {
    use super::{client::execute_on, operations::HideFeedPostMutation};

    let access = server::operator()?;
    execute_on::<HideFeedPostMutation, serde::de::IgnoredAny>(
        &access.executor,
        super::operations::hide_feed_post_variables(event_id, post_id),
    )
    .await
    .map(|_| "The post is hidden.".to_string())
    .map_err(|e| ServerFnError::new(e.to_string()))
}
