//! caravan-server: serves the Caravan app (SSR + hydration) and its APIs. `main.rs` only parses the command line;
//! everything else is here so tests can build the same [`Application`] on a free port.
// The live page's view type (rendered here for SSR) is deeper than the default limit allows.
#![recursion_limit = "256"]

pub mod access;
pub mod analytics;
pub mod auth;
pub mod client_address;
pub mod commerce;
pub mod config;
pub mod console;
pub mod embed;
pub mod error;
pub mod extract;
pub mod feed;
pub mod graphql;
pub mod hardening;
pub mod health;
pub mod ingest;
pub mod jobs;
pub mod lead;
pub mod likes;
pub mod listen;
pub mod mail;
pub mod media;
pub mod media_store;
pub mod outbound;
pub mod publish;
pub mod rate_limit;
pub mod realtime;
pub mod secret;
pub mod session;
pub mod settings;
pub mod site;
pub mod state;
pub mod store;
pub mod summary;
pub mod telemetry;
pub mod tools;
pub mod waiting_room;

use std::{future::Future, net::SocketAddr, time::Duration};

use anyhow::Context;
use axum::{Router, extract::FromRef};
use caravan::api::ClientConfig;
use tokio::net::TcpListener;

use crate::{
    access::http::AccessHttp,
    auth::Credentials,
    config::Config,
    realtime::{Hub, Realtime},
    session::Sessions,
    state::AppState,
    store::Store,
};

/// A server bound to its address, ready to serve.
pub struct Application {
    listener: TcpListener,
    router: Router,
    /// Header read timeout and the per-address connection cap.
    connection_limits: listen::ConnectionLimits,
    state: AppState,
    /// The demo's media to make and run while serving (demo mode).
    demo_media: Option<media::DemoVod>,
    /// Runs scheduled jobs (reminders) and sends mail while serving.
    jobs: jobs::Worker,
    jobs_poll: Duration,
    /// Turns true when serving ends: the background tasks stop.
    stopping: tokio::sync::watch::Sender<bool>,
    /// The likes' writer and broadcaster, started with the server.
    like_tasks: std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
    /// What the capabilities announce to open pages (the hub delivers it).
    publisher: publish::Publisher,
    /// The shows' feed sources, polled while serving.
    feed_sources: feed::poller::FeedSources,
    /// The RTMP listener and the ingest it feeds (unless the ingest is off).
    rtmp: Option<(TcpListener, ingest::Ingest)>,
    /// The SRT listener and the ingest it feeds (unless SRT is off).
    srt: Option<(ingest::srt::Listener, ingest::Ingest)>,
}

impl Application {
    /// Opens the database (migrating and seeding the demo when configured), binds the address and builds the routes.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        config.check_operator_token()?;
        let tools = tools::Tools::locate(&config.shaka_packager);
        summary::log(&summary::summary(config, &tools));
        tokio::fs::create_dir_all(&config.data_dir)
            .await
            .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
        // The data directory is the server's alone: nobody else on the machine reads its database or keys.
        if secret::make_private(&config.data_dir)
            .with_context(|| format!("protecting the data directory {}", config.data_dir.display()))?
        {
            tracing::info!(dir = %config.data_dir.display(), "the data directory is now readable by its owner only");
        }
        let store = Store::open(&config.database_url())
            .await
            .context("opening the database")?;
        let media =
            media_store::MediaStore::open(&settings::media_store(config)?).context("opening the media store")?;
        if config.database_url.is_none() {
            secret::make_private(&config.data_dir.join(config::SQLITE_FILE)).context("protecting the database")?;
        }
        // One server owns a SQLite database: jobs still claimed are a killed process's, to be run again now rather
        // than when their lease ends.
        let released = store.release_job_claims().await.context("releasing job claims")?;
        if released > 0 {
            tracing::info!(released, "jobs claimed before a crash are free to run again");
        }
        if config.demo {
            let seeded = store.seed_demo().await.context("seeding the demo shows")?;
            if seeded > 0 {
                tracing::info!(
                    seeded,
                    "seeded the demo shows; the live one is /live/{}",
                    store::DEMO_SLUG
                );
            }
            register_demo_key(&store, &settings::demo_vod(config, &tools, media.clone()).key_file).await;
        }
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("listening on {}", config.addr))?;
        let addr = listener.local_addr()?;
        let sessions = Sessions::load(config.session_secret.as_ref(), &config.data_dir, config.cookie_secure)
            .await
            .context("loading the session key")?;
        sessions.set_operator_generation(
            store
                .operator_session_generation()
                .await
                .context("reading the operator sessions' generation")?,
        );
        let (stopping, stopped) = tokio::sync::watch::channel(false);
        if store.backend() == store::Backend::Postgres {
            // Another replica's sign-out ends sessions here too, within 2 s.
            tokio::spawn(follow_operator_generation(
                store.clone(),
                sessions.clone(),
                stopped.clone(),
            ));
        }
        // Replicas on PostgreSQL share what each publishes (realtime::bus); one server delivers it directly.
        let (hub, hub_worker) = match store.backend() {
            store::Backend::Sqlite => Hub::new(),
            store::Backend::Postgres => {
                let (hub, worker, outgoing) = Hub::relayed();
                realtime::bus::start(store.clone(), hub.clone(), outgoing, stopped.clone())
                    .await
                    .context("listening to the other replicas")?;
                (hub, worker)
            }
        };
        let publisher = publish::Publisher::new(hub.clone());
        let (likes, like_tasks) = likes::Likes::new(store.clone(), publisher.clone(), stopped);
        let feed = feed::Feed::new(store.clone(), publisher.clone());
        let feed_sources = settings::feed_sources(config).context("configuring the feed")?;
        // The RTMP listener, bound now so that a port in use stops the start like the HTTP one; operators are told
        // the port it got (an ephemeral one in tests).
        let mut ingest_settings = settings::ingest(config, &tools, media.clone()).context("configuring the ingest")?;
        let rtmp_listener = match ingest_settings.rtmp_addr {
            Some(addr) => {
                let listener = TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("listening for RTMP on {addr} (CARAVAN_RTMP_ADDR; empty turns it off)"))?;
                ingest_settings.rtmp_addr = Some(listener.local_addr()?);
                Some(listener)
            }
            None => None,
        };
        let srt_listener = match ingest_settings.srt_addr {
            Some(addr) => {
                let (listener, local) = ingest::srt::bind(addr)
                    .await
                    .with_context(|| format!("listening for SRT on {addr} (CARAVAN_SRT_ADDR; empty turns it off)"))?;
                ingest_settings.srt_addr = Some(local);
                Some(listener)
            }
            None => None,
        };
        let ingest = ingest::Ingest::new(store.clone(), publisher.clone(), ingest_settings);
        let schema = graphql::schema(store.clone(), publisher.clone(), likes, feed.clone(), ingest.clone());
        tokio::spawn(hub_worker.run(schema.clone()));
        let credentials = Credentials::new(config.api_key.clone(), config.operator_token.clone());
        let realtime = Realtime {
            schema: schema.clone(),
            hub,
            credentials: credentials.clone(),
            keepalive: Duration::from_millis(config.realtime_keepalive_ms.max(1)),
            connection_timeout: Duration::from_millis(config.realtime_connection_timeout_ms.max(1)),
        };
        let access = settings::access(config).context("configuring access")?;
        let identity = access::viewer::Identity {
            sessions: sessions.clone(),
            credentials: credentials.clone(),
            oidc: access.oidc.clone(),
        };
        let waiting_room = waiting_room::WaitingRoom::new(
            &settings::waiting_room_key(config).context("the waiting room's signing key")?,
            &config.public_site_url,
            waiting_room::lifetimes(config.waiting_room_token_seconds, config.waiting_room_position_seconds),
        )
        .map_err(|e| anyhow::anyhow!("the waiting room's signing key: {e}"))?;
        let commerce = settings::commerce(config).context("configuring checkout")?;
        // Checkout asks the waiting room whom it admits.
        let checkout = commerce::checkout::Checkout::new(
            store.clone(),
            commerce.clone(),
            std::sync::Arc::new(waiting_room::Rooms {
                store: store.clone(),
                room: waiting_room.clone(),
            }),
        );
        let state = AppState {
            leptos: site::leptos_options(&config.site_dir, addr),
            schema,
            store,
            credentials,
            realtime,
            client: ClientConfig {
                graphql_url: config.public_graphql_url.clone(),
                realtime_url: config.public_realtime_url.clone(),
                api_key: config.api_key.expose().clone(),
                site_url: config.public_site_url.trim_end_matches('/').to_owned(),
                dev_gallery: config.dev_gallery,
            },
            sessions,
            media,
            access,
            commerce,
            checkout,
            feed,
            waiting_room,
            addresses: client_address::AddressPolicy::new(&config.trusted_proxies, &config.client_address_header)
                .context("configuring client addresses")?,
            address_limits: client_address::AddressLimits::parse(&config.address_limits)
                .context("configuring per-address limits")?,
            identity,
        };
        let embedding = settings::embedding(config).context("configuring embedding")?;
        let router = app(state.clone(), embedding);
        let jobs = jobs::Worker {
            store: state.store.clone(),
            mailer: std::sync::Arc::new(settings::mailer(config).context("configuring mail")?),
            site_url: config.public_site_url.clone(),
            exports_dir: config.data_dir.join("exports"),
            stripe: state.commerce.stripe.clone(),
        };
        Ok(Self {
            stopping,
            like_tasks: Box::pin(like_tasks),
            feed_sources,
            srt: srt_listener.map(|listener| (listener, ingest.clone())),
            rtmp: rtmp_listener.map(|listener| (listener, ingest)),
            publisher,
            jobs,
            jobs_poll: Duration::from_millis(config.jobs_poll_ms.max(10)),
            // Without ffmpeg there is nothing to make (the summary has said so).
            demo_media: (config.demo && config.demo_media && tools.ffmpeg.is_some())
                .then(|| settings::demo_vod(config, &tools, state.media.clone())),
            listener,
            router,
            connection_limits: listen::ConnectionLimits {
                header_read: Duration::from_millis(config.header_read_timeout_ms.max(1)),
                per_address: config.max_connections_per_address,
            },
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.state.leptos.site_addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then closes the real-time connections and lets open requests finish.
    /// In demo mode runs the demo's live stream and makes its on-demand media (once), and stops both with the server.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let hub = self.state.realtime.hub.clone();
        // Turns true when serving ends: the demo's stream, the job worker and the product-change forwarder stop.
        let stop_media = self.stopping;
        let media_stopped = stop_media.subscribe();
        let like_tasks = tokio::spawn(self.like_tasks);
        let jobs = tokio::spawn(self.jobs.run(self.jobs_poll, media_stopped.clone()));
        // Shopify catalogs are read again at start (in the background: the page serves what the store has meanwhile).
        if let Some(catalogs) = self.state.commerce.shopify_catalogs.clone() {
            let store = self.state.store.clone();
            tokio::spawn(async move { catalogs.refresh_all(&store).await });
        }
        // A poll under way when serving ends is dropped: it stored nothing, or all of its page with its cursor.
        let feed_poller = tokio::spawn(self.feed_sources.run(
            self.state.feed.clone(),
            self.state.store.clone(),
            media_stopped.clone(),
        ));
        let inlets = tokio::spawn(waiting_room::run_inlets(
            self.state.store.clone(),
            self.state.waiting_room.lifetimes,
            media_stopped.clone(),
        ));
        let demo_broadcast = self.demo_media.as_ref().map(|_| {
            let ingest = self.rtmp.as_ref().map(|(_, ingest)| ingest.clone());
            let (store, stop) = (self.state.store.clone(), media_stopped.clone());
            tokio::spawn(async move {
                match ingest {
                    Some(ingest) => media::broadcast_demo(store, ingest, store::DEMO_EVENT_ID.into(), stop).await,
                    None => tracing::warn!("the demo's live show is not broadcast: the RTMP ingest is off"),
                }
            })
        });
        let srt = self
            .srt
            .map(|(listener, ingest)| tokio::spawn(ingest::srt::serve(listener, ingest, media_stopped.clone())));
        let rtmp = self
            .rtmp
            .map(|(listener, ingest)| tokio::spawn(ingest::rtmp::serve(listener, ingest, media_stopped.clone())));
        let catalog = tokio::spawn(commerce::product_news::forward_changes(
            self.state.store.clone(),
            self.publisher.clone(),
            media_stopped.clone(),
        ));
        // Dropping the task kills its encoder (kill_on_drop), so a shutdown mid-encode leaves only a .partial folder.
        let store = self.state.store.clone();
        let demo_vod = self.demo_media.map(|vod| {
            tokio::spawn(async move {
                // The paid demo's key reaches the license server before its media exists (it is kept across
                // restarts in the key file), so no player finds the encrypted media without a key to play it.
                match vod.content_key().await {
                    Ok(key) => register_content_key(&store, &key).await,
                    Err(e) => tracing::error!(error = %e, "cannot make the demo's content key"),
                }
                if let Err(e) = vod.prepare().await {
                    tracing::error!(error = %e, "cannot make the demo's on-demand media");
                }
            })
        });
        // Each request carries its peer's address (`client_address` starts from it).
        listen::serve(self.listener, self.router, self.connection_limits, async move {
            shutdown.await;
            hub.close_all();
        })
        .await;
        stop_media.send_replace(true);
        let _ = jobs.await;
        let _ = catalog.await;
        let _ = inlets.await;
        let _ = like_tasks.await;
        if let Some(rtmp) = rtmp {
            let _ = rtmp.await;
        }
        if let Some(srt) = srt {
            let _ = srt.await;
        }
        feed_poller.abort();
        if let Some(vod) = demo_vod {
            vod.abort();
        }
        if let Some(broadcast) = demo_broadcast {
            let _ = broadcast.await;
        }
        // Last: the database's connections (PostgreSQL's are the server's to count, shared by every replica).
        self.state.store.close().await;
        Ok(())
    }
}

/// Gives the license server the paid demo's content key, when its key file exists (made by this server or an earlier
/// start on the same data).
async fn register_demo_key(store: &Store, key_file: &std::path::Path) {
    if let Some(key) = media::ContentKey::read(key_file).await {
        register_content_key(store, &key).await;
    }
}

/// Gives the license server `key` as the paid demo's.
async fn register_content_key(store: &Store, key: &media::ContentKey) {
    if let Err(e) = store
        .put_content_key(store::DEMO_PAID_EVENT_ID, &key.key_id, &key.key)
        .await
    {
        tracing::error!(error = %e, "cannot register the demo's content key");
    }
}

/// Keeps this replica's operator-session generation the store's, reading it every 2 s until `stop`.
#[tracing::instrument(name = "operator_sessions_follower", skip_all)]
async fn follow_operator_generation(store: Store, sessions: Sessions, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        match store.operator_session_generation().await {
            Ok(generation) => sessions.set_operator_generation(generation),
            Err(error) => tracing::warn!(%error, "cannot read the operator sessions' generation"),
        }
        if lead::stopped_within(&mut stop, Duration::from_secs(2)).await {
            return;
        }
    }
}

/// Every route of the server, with the shared layers (`embedding`: who may frame which page; `hardening`: what every
/// request must be; `client_address`: who sent it, and the throttle on refused credentials).
pub fn app(state: AppState, embedding: embed::EmbedPolicy) -> Router {
    let (addresses, address_limits) = (state.addresses.clone(), state.address_limits.clone());
    let https = hardening::Https(state.access.cookie_secure());
    let site = hardening::SiteOrigin::new(&state.access.site_url, state.access.cookie_secure());
    let router = Router::<AppState>::new()
        .merge(health::router())
        .merge(analytics::router())
        .merge(access::http::router())
        .merge(commerce::http::orders::router())
        .merge(commerce::http::webhooks::router())
        .merge(commerce::http::catalog::router())
        .merge(feed::http::router())
        .merge(waiting_room::http::router())
        .merge(site::api_router())
        .merge(console::router())
        .merge(graphql::router())
        .merge(realtime::router())
        .merge(media::http::router(state.media.clone(), AccessHttp::from_ref(&state)))
        .merge(site::router(site::Site {
            leptos: state.leptos.clone(),
            schema: state.schema.clone(),
            client: state.client.clone(),
            hub: state.realtime.hub.clone(),
            store: state.store.clone(),
            sessions: state.sessions.clone(),
            commerce: state.commerce.clone(),
            access: axum::extract::FromRef::from_ref(&state),
        }))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(embedding),
            embed::frame_policy,
        ))
        // Inner to outer: refused credentials are throttled by the client's address, found first.
        .layer(axum::middleware::from_fn_with_state(
            address_limits,
            client_address::throttle_refused_credentials,
        ))
        .layer(axum::middleware::from_fn_with_state(
            addresses,
            client_address::identify,
        ))
        .layer(axum::middleware::from_fn_with_state(
            site,
            hardening::same_origin_writes,
        ))
        // A body that stops arriving ends (each frame within 10 s), so a trickling upload holds nothing for long.
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(Duration::from_secs(
            10,
        )))
        .layer(axum::middleware::from_fn(hardening::no_overlong_names))
        .layer(axum::middleware::from_fn(hardening::valid_host))
        .layer(axum::middleware::from_fn_with_state(https, hardening::security_headers));
    telemetry::layer(router)
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
