//! The web page: server-side rendering of the app's routes with leptos_axum, the hydrate bundle under
//! `/pkg/<build>/` (content-hashed, precompressed, cached for a year) and the files of `public/`.

use std::{
    future::Future,
    path::Path,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use axum::{
    Json, Router,
    extract::{FromRef, State},
    handler::HandlerWithoutStateExt,
    http::{HeaderValue, header, request::Parts},
    routing::get,
};
use caravan::{
    App,
    api::{
        ClientConfig,
        console::{
            AccessGranter, BackOffice, CatalogRefresher, DeadJob, OperatorAccess, OperatorSession, OutboxMail,
            PlaybackSummary,
        },
        playback::RenderAuthorizer,
    },
    shell,
};
use leptos::{
    config::LeptosOptions,
    prelude::{Owner, provide_context, use_context},
};
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list, render_app_to_stream_with_context};
use serde::Deserialize;
use tower_http::{
    compression::{CompressionLayer, CompressionLevel},
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
};

use crate::{
    access::{http::AccessHttp, http::playback::authorize_at_render, playback::grant_entitlement},
    auth::Caller,
    commerce::{CommerceState, catalog::RefreshError},
    error::AppError,
    graphql::{self, CaravanSchema},
    realtime::Hub,
    session::Sessions,
    store::{EntitlementKind, Store},
};

/// Written by the build next to the bundle: which `pkg/<build>` folder is current.
#[derive(Deserialize)]
struct Manifest {
    pkg: String,
}

/// The options SSR renders with. `site_pkg_dir` is the built bundle's content-hashed folder; without a built site
/// (a bare `cargo run`) pages still render, but nothing hydrates, and the log says so.
pub fn leptos_options(site_dir: &Path, addr: std::net::SocketAddr) -> LeptosOptions {
    let manifest = std::fs::read_to_string(site_dir.join("manifest.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<Manifest>(&text).ok());
    let pkg = match manifest {
        Some(manifest) => manifest.pkg,
        None => {
            tracing::warn!(site = %site_dir.display(), "no built site: pages render but do not hydrate (run ./dev build)");
            "pkg/unbuilt".to_string()
        }
    };
    LeptosOptions::builder()
        .output_name("caravan")
        .site_root(site_dir.to_string_lossy().into_owned())
        .site_pkg_dir(pkg)
        .site_addr(addr)
        .build()
}

/// `GET /api/client-config`: what the page renders into itself, for the client-rendered build of `trunk serve`.
pub fn api_router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    ClientConfig: FromRef<S>,
{
    Router::new().route(
        "/api/client-config",
        get(|State(client): State<ClientConfig>| async move { Json(client) }),
    )
}

/// What the pages render with.
pub struct Site {
    pub leptos: LeptosOptions,
    pub schema: CaravanSchema,
    pub client: ClientConfig,
    /// Who is watching, for the console.
    pub hub: Hub,
    pub store: Store,
    pub sessions: Sessions,
    pub commerce: CommerceState,
    /// The show pages authorize their viewer while they render.
    pub access: AccessHttp,
}

pub fn router<S: Clone + Send + Sync + 'static>(state: Site) -> Router<S> {
    let state = &state;
    let executor = graphql::ssr_executor(state.schema.clone(), Caller::Viewer);
    let client = state.client.clone();
    let operator = OperatorAccess {
        executor: graphql::ssr_executor(state.schema.clone(), Caller::Operator),
        viewers: {
            let hub = state.hub.clone();
            Arc::new(move |event_id: &str| hub.viewers(event_id))
        },
        playback: {
            let store = state.store.clone();
            Arc::new(move |event_id: String| {
                let store = store.clone();
                Box::pin(async move {
                    let stats = store.playback_stats(&event_id, chrono::Utc::now()).await.map_err(|e| {
                        tracing::warn!(error = %e, "cannot read the playback analytics");
                        "The playback figures cannot be read now.".to_string()
                    })?;
                    Ok(PlaybackSummary {
                        plays: stats.plays,
                        watching: stats.watching,
                        watched_seconds: stats.watched_ms / 1000,
                        rebuffers: stats.rebuffers,
                        errors: stats.errors,
                    })
                })
            })
        },
        grant: granter(&state.store),
        back_office: {
            let store = state.store.clone();
            Arc::new(move || {
                let store = store.clone();
                Box::pin(async move {
                    let unreadable = |e: crate::store::StoreError| {
                        tracing::warn!(error = %e, "cannot read the back office");
                        "The mail outbox and the failed jobs cannot be read now.".to_string()
                    };
                    let outbox = store.outbox(20).await.map_err(unreadable)?;
                    let dead = store.dead_jobs(20).await.map_err(unreadable)?;
                    Ok(BackOffice {
                        outbox: outbox
                            .into_iter()
                            .map(|mail| OutboxMail {
                                recipient: mail.recipient,
                                subject: mail.subject,
                                body: mail.body,
                                state: mail.state.as_str().to_string(),
                                created_at: mail.created_at.to_rfc3339(),
                            })
                            .collect(),
                        dead_jobs: dead
                            .into_iter()
                            .map(|job| DeadJob {
                                id: job.id,
                                key: job.dedupe_key,
                                attempts: job.attempts,
                                error: job.last_error,
                            })
                            .collect(),
                    })
                })
            })
        },
        retry: {
            let store = state.store.clone();
            Arc::new(move |id: i64| {
                let store = store.clone();
                Box::pin(async move {
                    match store.retry_job(id, chrono::Utc::now()).await {
                        Ok(true) => Ok("Queued again; it runs within a few seconds.".to_string()),
                        Ok(false) => Err("That job is not waiting for a retry.".to_string()),
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot retry a job");
                            Err("The job cannot be retried now; try again.".to_string())
                        }
                    }
                })
            })
        },
        catalog: catalog_refresher(state),
    };
    let sessions = state.sessions.clone();
    let access = state.access.clone();
    let script_policy =
        crate::hardening::ScriptPolicy::new(state.commerce.stripe.as_ref().map(|stripe| stripe.page.js_url.as_str()));
    // Every render and server function gets the viewer's GraphQL and the page configuration; the operator's powers
    // only with a valid operator session cookie. Every page runs only this server's scripts and those carrying its
    // response's nonce (the hydration's), and Stripe.js when a show checks out with Stripe.
    let context = move || {
        leptos::nonce::provide_nonce();
        if let (Some(nonce), Some(response)) = (
            leptos::nonce::use_nonce(),
            use_context::<leptos_axum::ResponseOptions>(),
        ) && let Ok(value) = HeaderValue::from_str(&script_policy.header(&nonce.to_string()))
        {
            response.insert_header(header::CONTENT_SECURITY_POLICY, value);
        }
        provide_context(executor.clone());
        provide_context(client.clone());
        let parts = use_context::<axum::http::request::Parts>();
        let signed_in = parts.as_ref().is_some_and(|parts| sessions.operator_in(&parts.headers));
        provide_context(OperatorSession(signed_in.then(|| operator.clone())));
        if let (Some(parts), Some(response)) = (parts, use_context::<leptos_axum::ResponseOptions>()) {
            provide_context(render_authorizer(access.clone(), parts, response));
        }
    };
    let options = state.leptos.clone();
    let app = {
        let options = options.clone();
        move || shell(options.clone())
    };
    let site_root = options.site_root.to_string();

    // Unknown paths that are not files render the app, whose router answers with the 404 page.
    let not_found = tower::ServiceBuilder::new()
        .layer(page_compression())
        .service(render_app_to_stream_with_context(context.clone(), app.clone()).into_service());
    let public = ServeDir::new(&site_root)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(not_found);

    let bundle = ServeDir::new(Path::new(&site_root).join("pkg"))
        .precompressed_br()
        .precompressed_gzip();

    Router::<LeptosOptions>::new()
        .leptos_routes_with_context(&options, routes(), context, app)
        .layer(page_compression())
        // A page is written in the viewer's language and theme (Accept-Language, or the cookies that keep a choice):
        // a shared cache must keep one copy per variant.
        .layer(SetResponseHeaderLayer::appending(
            header::VARY,
            HeaderValue::from_static("Accept-Language, Cookie"),
        ))
        .nest_service(
            "/pkg",
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ))
                .service(bundle),
        )
        .fallback_service(public)
        .layer(tower::layer::layer_fn(OwnReactiveScope))
        .with_state(options)
}

/// Pages go compressed to a browser that accepts it (brotli, else gzip): the live page's HTML is about 28 KB, and
/// 6 KB in brotli arrives within a phone's first round trip where 28 KB takes three. Quality 5: each page is
/// compressed as it is rendered, so the cost is per request (brotli's best, 11, is for the bundle, compressed once at
/// build). A page's body carries no secret of the viewer's (authorization travels in cookies and headers), so its
/// compressed length tells an eavesdropper nothing to guess at (BREACH).
fn page_compression() -> CompressionLayer {
    CompressionLayer::new().quality(CompressionLevel::Precise(5))
}

/// Gives each page's or server function's request a reactive owner of its own on the thread it runs on. Leptos keeps
/// the current owner (whose contexts `use_context` reads, and whose arena holds the signals) in a thread-local: a
/// page's render makes its root current and relies on it staying current across the render's awaits (reactive_graph
/// 0.2's `Owner::new_root`, leptos_integration_utils' `from_app`), and a server function's owner is made the child
/// of whatever is current (`Owner::new`). Left alone, a request polled on a worker thread after another's page
/// would read that page's contexts, its operator session among them
/// (`console::a_server_function_never_borrows_the_session_of_a_page_…`), and a page polled after another's would
/// render with the other's owner. So each poll enters the request's own owner (none at first) and leaves the thread
/// with none.
#[derive(Clone)]
struct OwnReactiveScope<S>(S);

impl<S> tower::Service<axum::extract::Request> for OwnReactiveScope<S>
where
    S: tower::Service<axum::extract::Request>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: axum::extract::Request) -> Self::Future {
        let mut scope = RequestScope::default();
        let mut answer = Box::pin(scope.run(|| self.0.call(request)));
        Box::pin(std::future::poll_fn(move |cx| scope.run(|| answer.as_mut().poll(cx))))
    }
}

/// A request's current reactive owner while it is not running.
#[derive(Default)]
struct RequestScope(Option<Owner>);

impl RequestScope {
    /// `step` with this request's owner current (none before it has one), keeping what `step` makes current and
    /// leaving the thread with no current owner.
    fn run<T>(&mut self, step: impl FnOnce() -> T) -> T {
        match &self.0 {
            Some(own) => own.set(),
            None => leave_no_owner(),
        }
        let done = step();
        self.0 = Owner::current();
        leave_no_owner();
        done
    }
}

fn leave_no_owner() {
    if let Some(current) = Owner::current() {
        current.unset();
    }
}

/// The app's routes, listed once per process. Listing runs the app with resource loading suppressed through a flag
/// that is global to the process (leptos_server's `SuppressResourceLoad`): a resource first polled by a render
/// elsewhere in the process meanwhile would wait forever (leptos-rs/leptos#4773). Once, before any server of the
/// process serves, no render can overlap it (several servers in one process: the full-stack tests).
fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// A show page's authorization of its viewer while it renders (the player's first ask, `POST /api/playback/{slug}`'s
/// rules): its cookies go on the page's response.
fn render_authorizer(access: AccessHttp, request: Parts, response: leptos_axum::ResponseOptions) -> RenderAuthorizer {
    let request = Arc::new(request);
    RenderAuthorizer(Arc::new(move |slug: String| {
        let (access, request, response) = (access.clone(), request.clone(), response.clone());
        Box::pin(async move {
            let (grant, cookies) = authorize_at_render(&access, &slug, &request).await?;
            for cookie in cookies {
                response.append_header(header::SET_COOKIE, cookie);
            }
            Some(grant)
        })
    }))
}

/// The console's "give access": the same rules as `POST /api/admin/entitlements`.
fn granter(store: &Store) -> AccessGranter {
    let store = store.clone();
    Arc::new(
        move |slug: String, viewer_id: String, kind: String, email: Option<String>| {
            let store = store.clone();
            Box::pin(async move {
                let (kind, given) = match kind.as_str() {
                    "ticket" => (EntitlementKind::Ticket, "a ticket"),
                    "rental" => (EntitlementKind::Rental, "a 48-hour rental"),
                    "grant" => (EntitlementKind::Grant, "complimentary access"),
                    _ => return Err("Choose a ticket, a rental or complimentary access.".to_string()),
                };
                let now = chrono::Utc::now();
                match grant_entitlement(&store, &slug, viewer_id.clone(), kind, email.as_deref(), now).await {
                    Ok(entitlement) => Ok(match (entitlement.expires_at, email) {
                        (Some(_), Some(email)) => {
                            format!(
                                "Gave {given} to viewer {viewer_id}; the reminder goes to {email} 5 hours before it ends."
                            )
                        }
                        _ => format!("Gave {given} to viewer {viewer_id}."),
                    }),
                    Err(AppError::BadRequest(message)) => Err(message),
                    Err(AppError::NotFound) => Err("There is no such show.".to_string()),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot grant access");
                        Err("Access cannot be given now; try again.".to_string())
                    }
                }
            })
        },
    )
}

/// The console's view of the Shopify catalogs: which collection a show sells, and reading it again.
fn catalog_refresher(state: &Site) -> CatalogRefresher {
    let catalogs = state.commerce.shopify_catalogs.clone();
    let store = state.store.clone();
    CatalogRefresher {
        collection: {
            let catalogs = catalogs.clone();
            Arc::new(move |slug: &str| catalogs.as_ref()?.collection_of(slug).map(str::to_owned))
        },
        refresh: Arc::new(move |slug: String| {
            let (catalogs, store) = (catalogs.clone(), store.clone());
            Box::pin(async move {
                let catalogs = catalogs.ok_or("This show's products do not come from Shopify.")?;
                match catalogs.refresh(&store, &slug).await {
                    Ok(c) => Ok(format!(
                        "Read from Shopify: {} added, {} updated, {} removed, {} unchanged.",
                        c.added, c.updated, c.removed, c.unchanged
                    )),
                    Err(RefreshError::Store(e)) => {
                        tracing::warn!(error = %e, "cannot store a Shopify catalog");
                        Err("The catalog cannot be saved now; try again.".to_string())
                    }
                    Err(e) => Err(format!("{e}; the products stay as they were.")),
                }
            })
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone)]
    struct Marker;

    #[test]
    fn a_request_reads_no_context_of_a_page_left_current_on_its_thread() {
        // A page's render leaves its root current, with its contexts (leptos_integration_utils' build_response).
        let page = Owner::new_root(None);
        provide_context(Marker);

        let inherited = RequestScope::default().run(|| Owner::new().with(|| use_context::<Marker>().is_some()));
        assert!(!inherited, "a server function's owner is not the page's child");
        assert!(Owner::current().is_none(), "the thread is left with no current owner");
        drop(page);
    }

    #[test]
    fn a_request_keeps_its_own_owner_from_one_poll_to_the_next() {
        let mut request = RequestScope::default();
        let root = request.run(|| {
            let root = Owner::new_root(None);
            provide_context(Marker);
            root
        });
        assert!(Owner::current().is_none());
        // Another request runs on the thread between the two polls.
        let other = Owner::new_root(None);
        assert!(
            request.run(|| use_context::<Marker>().is_some()),
            "its own contexts, not the other's"
        );
        drop((root, other));
    }
}
