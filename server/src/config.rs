//! Configuration, layered: the built-in defaults (`server/defaults.toml`, enough to run on a laptop), then an
//! optional TOML file (`caravan.toml`, or the path in `CARAVAN_CONFIG`), then `CARAVAN_*` environment variables.
//! Every key is documented in docs/CONFIGURATION.md.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use serde::Deserialize;

use crate::secret::Secret;

const DEFAULTS: &str = include_str!("../defaults.toml");
/// The SQLite database's file in the data directory, when no database URL is configured.
pub const SQLITE_FILE: &str = "caravan.db";
const DEFAULT_FILE: &str = "caravan.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the server listens on.
    pub addr: SocketAddr,
    /// Directory for the SQLite database and other files the server writes.
    pub data_dir: PathBuf,
    /// The built site: `pkg/<build>/…` and the files of `public/`.
    pub site_dir: PathBuf,
    /// Tracing filter (RUST_LOG syntax).
    pub log: String,
    /// Seed the demo show on first start.
    pub demo: bool,
    /// Make the demo's media: its live stream (ffmpeg) while serving, its recording and ClearKey variant once.
    pub demo_media: bool,
    /// The Shaka Packager binary (the demo's ClearKey variant).
    pub shaka_packager: PathBuf,
    /// Database URL (`sqlite:…` or `postgres://…`); `None` means a SQLite file in `data_dir`.
    pub database_url: Option<Secret<String>>,
    /// The key viewers' requests carry in `x-api-key` (AppSync's API_KEY mode).
    pub api_key: Secret<String>,
    /// The token operators' requests carry in `Authorization` (AppSync's AWS_LAMBDA mode).
    pub operator_token: Secret<String>,
    /// GraphQL endpoint the page talks to.
    pub public_graphql_url: String,
    /// Real-time endpoint the page subscribes at; empty: the page's own host.
    pub public_realtime_url: String,
    /// Interval of the real-time keep-alive message.
    pub realtime_keepalive_ms: u64,
    /// Idle real-time connections are closed after this long.
    pub realtime_connection_timeout_ms: u64,
    /// Signs session cookies; `None`: a key generated into the data directory.
    pub session_secret: Option<Secret<String>>,
    /// Whether cookies carry `Secure`.
    pub cookie_secure: bool,
    /// CloudFront's id of the public key that checks the signed cookies.
    pub cf_key_pair_id: String,
    /// The PEM private key that signs them; `None`: a development key in the data directory.
    pub cf_private_key_file: Option<PathBuf>,
    /// `SHA1` or `SHA256`.
    pub cf_hash_algorithm: CfHashAlgorithm,
    /// The longest a playback authorization lasts.
    pub playback_authorization_seconds: u64,
    /// Bind each policy to the viewer's IPv4 address.
    pub cf_bind_viewer_ip: bool,
    /// How long before a scheduled show's start its signed cookies open its media.
    pub cf_open_before_start_seconds: u64,
    /// The signed cookies' Path.
    pub cf_cookie_path: String,
    /// The signed cookies' Domain.
    pub cf_cookie_domain: Option<String>,
    /// Where viewers fetch media (a CDN); `None`: this server.
    pub public_media_url: Option<String>,
    /// The DRM vendor's Widevine license server the proxy forwards to; `None`: Widevine off.
    pub drm_widevine_license_url: Option<String>,
    /// The PlayReady license server.
    pub drm_playready_license_url: Option<String>,
    /// The FairPlay key server (KSM).
    pub drm_fairplay_license_url: Option<String>,
    /// Where the FairPlay application certificate is fetched from.
    pub drm_fairplay_certificate_url: Option<String>,
    /// How the proxy proves itself to the license servers.
    pub drm_upstream_auth: DrmUpstreamAuth,
    /// The header that carries `drm_upstream_secret` (`header` mode).
    pub drm_upstream_header: Option<String>,
    /// The header's value (`header` mode), or the base64 communication key (`axinom` mode).
    pub drm_upstream_secret: Option<Secret<String>>,
    /// The communication key's id (`axinom` mode).
    pub drm_axinom_com_key_id: Option<String>,
    /// How long the proxy waits for a license server.
    pub drm_upstream_timeout_ms: u64,
    /// The largest license request accepted, in bytes.
    pub drm_license_max_bytes: usize,
    /// The site's public address, for links in mail.
    pub public_site_url: String,
    /// The reverse proxies (addresses or CIDR ranges, comma-separated) whose forwarding header is believed.
    pub trusted_proxies: String,
    /// The header those proxies put the client's address in.
    pub client_address_header: String,
    /// Per-address limits, `family=requests_per_minute` pairs (see `client_address::Family`).
    pub address_limits: String,
    /// The longest a client may take to send a request's headers.
    pub header_read_timeout_ms: u64,
    /// Connections one address may hold open at once (0: no cap).
    pub max_connections_per_address: usize,
    /// The SMTP server mail goes to (`smtp://`, `smtps://`, with credentials); `None`: mail is held in the outbox.
    pub smtp_url: Option<Secret<String>>,
    /// The sender of mail.
    pub mail_from: String,
    /// How often the job worker looks for due jobs.
    pub jobs_poll_ms: u64,
    /// The PEM private key that signs waiting-room tokens; `None`: one made in the data directory.
    pub waiting_room_key_file: Option<PathBuf>,
    /// How long a waiting-room token is valid.
    pub waiting_room_token_seconds: u64,
    /// How long a served place may wait to be claimed.
    pub waiting_room_position_seconds: u64,
    /// The OpenID Connect issuer members sign in with; `None`: member login off.
    pub oidc_issuer: Option<String>,
    /// This application's client id at the issuer.
    pub oidc_client_id: Option<String>,
    /// Its client secret (confidential clients).
    pub oidc_client_secret: Option<Secret<String>>,
    /// The `aud` of API clients' access tokens; the client id when unset.
    pub oidc_audience: Option<String>,
    /// The claim that carries the member's plan or plans.
    pub oidc_plan_claim: String,
    /// The scopes asked for at sign-in.
    pub oidc_scopes: String,
    /// Who takes the payments of the shows not named in `checkout_providers`: the local test provider or Stripe.
    pub checkout_provider: CheckoutProvider,
    /// Shows with their own provider: `slug=local` or `slug=stripe`, comma-separated.
    pub checkout_providers: String,
    /// How long an unpaid order holds its stock: then it expires and the stock comes back.
    pub order_hold_seconds: u64,
    /// Lets a server others can reach check out with the local test provider (no money moves; buyers mark their own
    /// orders paid): for a staging site, never for a shop.
    pub allow_test_checkout: bool,
    /// Stripe's secret API key (`sk_…`).
    pub stripe_secret_key: Option<Secret<String>>,
    /// The signing secret of the Stripe webhook endpoint (`whsec_…`).
    pub stripe_webhook_secret: Option<Secret<String>>,
    /// Stripe's API (tests point it at a fake).
    pub stripe_api_base: String,
    /// Stripe's publishable key (`pk_…`): public, the page's Payment Element uses it.
    pub stripe_publishable_key: Option<String>,
    /// Stripe.js, which the page loads when a Stripe payment starts (tests point it at a fake).
    pub stripe_js_url: String,
    /// The Shopify shop (`example.myshopify.com`).
    pub shopify_store_domain: Option<String>,
    /// The Storefront API token.
    pub shopify_storefront_token: Option<Secret<String>>,
    /// The secret Shopify signs webhooks with (the app's client secret).
    pub shopify_webhook_secret: Option<Secret<String>>,
    /// Shopify's API base; `None`: `https://<store domain>`.
    pub shopify_api_base: Option<String>,
    /// Shows whose catalog is a Shopify collection: `slug=collection-handle`, comma-separated.
    pub shopify_collections: String,
    /// The consumption tax rate (basis points) of Shopify products: the Storefront API does not give it.
    pub shopify_tax_rate_bp: i64,
    /// How often each show's feed sources are polled, in milliseconds.
    pub feed_poll_ms: u64,
    /// X API v2's app bearer token; `None`: no X searches.
    pub feed_x_bearer_token: Option<Secret<String>>,
    /// X's API (tests point it at a fake).
    pub feed_x_api_base: String,
    /// Shows with an X recent search: `slug=query`, comma-separated.
    pub feed_x_queries: String,
    /// The Mastodon instance whose hashtag timelines are read; `None`: no Mastodon.
    pub feed_mastodon_url: Option<String>,
    /// Its app token (`read:statuses`), when the instance requires one.
    pub feed_mastodon_token: Option<Secret<String>>,
    /// Shows with a Mastodon hashtag: `slug=tag`, comma-separated.
    pub feed_mastodon_tags: String,
    /// Origins that may frame every show's embed (`/embed/{slug}`), comma-separated.
    pub embed_allowed_origins: String,
    /// Shows with a list of their own: `slug=origin origin`, comma-separated.
    pub embed_show_origins: String,
    /// Serve the designers' component gallery at `/dev/gallery` (development only).
    pub dev_gallery: bool,
    /// Where the RTMP ingest listens (`host:port`); empty: no ingest.
    pub rtmp_addr: String,
    /// The host (or `host:port`) encoders reach the ingest at, for the URLs operators are given; empty: the host of
    /// `public_site_url`.
    pub rtmp_public_host: String,
    /// Where the SRT ingest listens (`host:port`, UDP); empty: no SRT.
    pub srt_addr: String,
    /// The passphrase SRT callers must encrypt with (10 to 79 characters); `None`: unencrypted.
    pub srt_passphrase: Option<Secret<String>>,
    /// The live ladder: `HEIGHT:VIDEO_KBPS:AUDIO_KBPS` rungs, comma-separated, highest first.
    pub ingest_ladder: String,
    /// The length of a live stream's segments.
    pub ingest_segment_seconds: u32,
    /// Add the encoder's own picture, unchanged, as the top rung.
    pub ingest_passthrough: bool,
    /// Where media is kept: empty for `{data_dir}/media`, or an S3-compatible bucket as `s3://bucket/prefix`.
    pub media_store: String,
    /// The S3-compatible service's address (MinIO, R2, a test server); `None`: AWS's for `s3_region`.
    pub s3_endpoint: Option<String>,
    pub s3_region: String,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<Secret<String>>,
}

/// Who takes the payments of shows without a provider of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckoutProvider {
    /// The embedded test provider: no money moves.
    Local,
    Stripe,
    /// Named only to be refused with a reason: Shopify checks out the shows of `shopify_collections`.
    Shopify,
}

/// How the license proxy authenticates to the DRM vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DrmUpstreamAuth {
    /// Nothing added (a license server on a private network).
    None,
    /// A static header, such as DRMtoday's `x-dt-custom-data` or PallyCon's `pallycon-customdata-v2`.
    Header,
    /// Axinom's `X-AxDRM-Message`: an HS256 JWT per request naming the event's content keys.
    Axinom,
}

/// The hash of CloudFront cookie signatures, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum CfHashAlgorithm {
    #[serde(rename = "SHA1")]
    Sha1,
    #[serde(rename = "SHA256")]
    Sha256,
}

/// The shortest operator token a server others can reach accepts.
pub const MIN_OPERATOR_TOKEN_CHARS: usize = 24;

/// Why the operator token is refused outside development.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WeakOperatorToken {
    #[error(
        "CARAVAN_OPERATOR_TOKEN is the public development default, outside development (listening beyond this \
         machine, or over HTTPS): set your own (openssl rand -base64 32)"
    )]
    Default,
    #[error(
        "CARAVAN_OPERATOR_TOKEN is shorter than 24 characters, outside development (listening beyond this machine, \
         or over HTTPS): set a longer one (openssl rand -base64 32)"
    )]
    Short,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
    /// Relative paths are made absolute against the working directory, which must be readable.
    #[error("cannot read the working directory, which relative paths are taken from: {0}")]
    WorkingDirectory(std::io::Error),
}

impl Config {
    /// Reads the layers from the process environment. `CARAVAN_CONFIG` names the file; without it `caravan.toml` in
    /// the working directory is read when present.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var_os("CARAVAN_CONFIG").map(PathBuf::from);
        Self::from_layers(file.as_deref().unwrap_or(Path::new(DEFAULT_FILE)))
    }

    /// The three layers with `file` as the middle one (a missing file is an empty layer), every path in them made
    /// absolute against the working directory.
    pub fn from_layers(file: &Path) -> Result<Self, ConfigError> {
        let config: Self = Figment::new()
            .merge(Toml::string(DEFAULTS))
            .merge(Toml::file(file))
            .merge(Env::prefixed("CARAVAN_").ignore(&["config"]))
            .extract()
            .map_err(|e| ConfigError::Invalid(Box::new(e)))?;
        let here = std::env::current_dir().map_err(ConfigError::WorkingDirectory)?;
        Ok(config.anchored_at(&here))
    }

    /// Every configured path made absolute against `base`, once, so that nothing later depends on the working
    /// directory: the encoders run in folders of their own and are handed these paths. A program named without a
    /// folder (`packager`) stays a name, looked up on `PATH` as a shell would.
    fn anchored_at(mut self, base: &Path) -> Self {
        for path in [&mut self.data_dir, &mut self.site_dir] {
            *path = anchored(base, path);
        }
        for path in [&mut self.cf_private_key_file, &mut self.waiting_room_key_file]
            .into_iter()
            .flatten()
        {
            *path = anchored(base, path);
        }
        // A program named with a folder (`./bin/packager`) is a path; a bare name is looked up on `PATH`.
        if self.shaka_packager.components().count() > 1 {
            self.shaka_packager = anchored(base, &self.shaka_packager);
        }
        if let Some(url) = &self.database_url {
            let absolute = anchored_sqlite_url(base, url.expose());
            self.database_url = Some(Secret::new(absolute));
        }
        self
    }

    /// The built-in defaults alone (`server/defaults.toml`, checked by the tests to load).
    fn defaults() -> Self {
        Figment::new()
            .merge(Toml::string(DEFAULTS))
            .extract()
            .expect("the built-in defaults are valid")
    }

    /// The database to open: the configured URL, or `caravan.db` in the data directory.
    pub fn database_url(&self) -> Secret<String> {
        self.database_url
            .clone()
            .unwrap_or_else(|| Secret::new(format!("sqlite://{}", self.data_dir.join(SQLITE_FILE).display())))
    }

    /// Where media files live: the demo's stream, and later the events' media.
    pub fn media_dir(&self) -> PathBuf {
        self.data_dir.join("media")
    }

    /// The credentials still at their public built-in values, by variable name: fine on a laptop, printed at start
    /// so nobody mistakes them for secrets.
    pub fn development_credentials(&self) -> Vec<(&'static str, &str)> {
        let defaults = Self::defaults();
        let mut found = Vec::new();
        if defaults.api_key.matches(self.api_key.expose().as_bytes()) {
            found.push(("CARAVAN_API_KEY", self.api_key.expose().as_str()));
        }
        if defaults.operator_token.matches(self.operator_token.expose().as_bytes()) {
            found.push(("CARAVAN_OPERATOR_TOKEN", self.operator_token.expose().as_str()));
        }
        found
    }

    /// Development: a server on this machine only (a loopback address) and over plain HTTP. A server others can
    /// reach, or one behind an HTTPS proxy (`cookie_secure`), is not: the public defaults that make a laptop work are
    /// refused there.
    pub fn is_development(&self) -> bool {
        self.addr.ip().is_loopback() && !self.cookie_secure
    }

    /// Outside development the operator token must be the operator's own and at least `MIN_OPERATOR_TOKEN_CHARS`
    /// long: what guards every operator action cannot be guessable. In development the public default is fine (it is
    /// printed at start).
    pub fn check_operator_token(&self) -> Result<(), WeakOperatorToken> {
        if self.is_development() {
            return Ok(());
        }
        let token = self.operator_token.expose();
        if Self::defaults().operator_token.matches(token.as_bytes()) {
            return Err(WeakOperatorToken::Default);
        }
        if token.chars().count() < MIN_OPERATOR_TOKEN_CHARS {
            return Err(WeakOperatorToken::Short);
        }
        Ok(())
    }

    /// A configuration for tests: the defaults, with the given data and site directories and an ephemeral port.
    pub fn for_tests(data_dir: &Path, site_dir: &Path) -> Self {
        let mut config = Self::defaults();
        config.addr = SocketAddr::from(([127, 0, 0, 1], 0));
        config.data_dir = data_dir.to_path_buf();
        config.site_dir = site_dir.to_path_buf();
        // A real-time encoder per test server would take the machine: tests that need the stream turn it on.
        config.demo_media = false;
        // An ephemeral port: test servers side by side never compete for 1935.
        config.rtmp_addr = "127.0.0.1:0".into();
        config.srt_addr = "127.0.0.1:0".into();
        config
    }
}

/// `path` against `base` when relative, without `.` components (`./data` is `<base>/data`).
fn anchored(base: &Path, path: &Path) -> PathBuf {
    base.join(path)
        .components()
        .filter(|c| *c != std::path::Component::CurDir)
        .collect()
}

/// A SQLite URL whose file is a relative path (`sqlite://data/x.db`, `sqlite:x.db`) with that path anchored at
/// `base`; any other URL (PostgreSQL, an absolute file, `sqlite::memory:`) as it is.
fn anchored_sqlite_url(base: &Path, url: &str) -> String {
    let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) else {
        return url.to_owned();
    };
    let (file, query) = rest
        .split_once('?')
        .map_or((rest, None), |(file, query)| (file, Some(query)));
    if file.is_empty() || file.starts_with('/') || file.starts_with(':') {
        return url.to_owned();
    }
    let file = anchored(base, Path::new(file));
    match query {
        Some(query) => format!("sqlite://{}?{query}", file.display()),
        None => format!("sqlite://{}", file.display()),
    }
}

/// A `slug=value` pair of a configuration key that is not one.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{key}: \"{pair}\" is not slug=value")]
pub struct PairError {
    key: &'static str,
    pair: String,
}

/// `slug=value, slug2=value2` (configuration `key`) as pairs: the keys that give shows something of their own.
pub fn slug_pairs(key: &'static str, text: &str) -> Result<Vec<(String, String)>, PairError> {
    text.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((slug, value)) if !slug.trim().is_empty() && !value.trim().is_empty() => {
                Ok((slug.trim().to_owned(), value.trim().to_owned()))
            }
            _ => Err(PairError {
                key,
                pair: pair.to_owned(),
            }),
        })
        .collect()
}

// figment's `Jail` closures must return `figment::Error`, which is large; that is its API, not our choice.
#[cfg(test)]
#[allow(clippy::result_large_err)]
mod tests {
    use figment::Jail;

    use super::*;

    #[test]
    fn pairs_are_slug_value() {
        assert_eq!(slug_pairs("k", ""), Ok(vec![]));
        assert_eq!(
            slug_pairs("k", "demo=summer-live, other = autumn "),
            Ok(vec![
                ("demo".into(), "summer-live".into()),
                ("other".into(), "autumn".into())
            ])
        );
        assert_eq!(
            slug_pairs("k", "demo").unwrap_err().to_string(),
            "k: \"demo\" is not slug=value"
        );
        assert!(slug_pairs("k", "=handle").is_err());
    }

    fn load_in(jail: &Jail) -> Result<Config, ConfigError> {
        Config::from_layers(&jail.directory().join(DEFAULT_FILE))
    }

    #[test]
    fn defaults_run_on_a_laptop() {
        Jail::expect_with(|jail| {
            let config = load_in(jail).expect("defaults load");
            assert_eq!(config.addr, "127.0.0.1:3000".parse().unwrap());
            // Relative defaults are taken from the working directory (the jail's), once, at load.
            let here = jail.directory();
            assert_eq!(config.data_dir, here.join("data"));
            assert_eq!(config.site_dir, here.join("target/site"));
            assert_eq!(
                config.shaka_packager,
                here.join("node_modules/shaka-packager/bin/packager-linux-x64")
            );
            assert_eq!(
                config.database_url().expose(),
                &format!("sqlite://{}/data/caravan.db", here.display())
            );
            assert!(config.demo);
            assert_eq!(
                config.development_credentials().len(),
                2,
                "the public dev credentials are in use"
            );
            Ok(())
        });
    }

    #[test]
    fn configured_credentials_are_not_reported_as_development_ones() {
        Jail::expect_with(|jail| {
            jail.set_env("CARAVAN_API_KEY", "da2-production");
            let config = load_in(jail).expect("loads");
            let names: Vec<_> = config
                .development_credentials()
                .into_iter()
                .map(|(name, _)| name)
                .collect();
            assert_eq!(names, ["CARAVAN_OPERATOR_TOKEN"]);
            assert!(!format!("{config:?}").contains("da2-production"));
            Ok(())
        });
    }

    #[test]
    fn a_server_others_can_reach_needs_its_own_long_operator_token() {
        let mut config = Config::defaults();
        assert_eq!(
            config.check_operator_token(),
            Ok(()),
            "on 127.0.0.1 the default is fine"
        );
        config.addr = "0.0.0.0:3000".parse().unwrap();
        assert_eq!(config.check_operator_token(), Err(WeakOperatorToken::Default));
        config.operator_token = Secret::new("short-but-mine".into());
        assert_eq!(config.check_operator_token(), Err(WeakOperatorToken::Short));
        config.operator_token = Secret::new("a-long-operator-token-of-my-own".into());
        assert_eq!(config.check_operator_token(), Ok(()));
        // Behind an HTTPS proxy on this machine is not development either.
        let mut proxied = Config::defaults();
        proxied.cookie_secure = true;
        assert_eq!(proxied.check_operator_token(), Err(WeakOperatorToken::Default));
    }

    #[test]
    fn the_file_overrides_defaults_and_the_environment_overrides_the_file() {
        Jail::expect_with(|jail| {
            jail.create_file(
                DEFAULT_FILE,
                r#"
                    addr = "0.0.0.0:8080"
                    data_dir = "/var/lib/caravan"
                    demo = false
                "#,
            )?;
            let config = load_in(jail).expect("file loads");
            assert_eq!(config.addr, "0.0.0.0:8080".parse().unwrap());
            assert_eq!(config.data_dir, PathBuf::from("/var/lib/caravan"));
            assert!(!config.demo);

            jail.set_env("CARAVAN_ADDR", "127.0.0.1:4000");
            jail.set_env("CARAVAN_DATABASE_URL", "sqlite:///tmp/other.db");
            let config = load_in(jail).expect("env loads");
            assert_eq!(config.addr, "127.0.0.1:4000".parse().unwrap());
            assert_eq!(config.data_dir, PathBuf::from("/var/lib/caravan"), "file value kept");
            assert_eq!(config.database_url().expose(), "sqlite:///tmp/other.db");

            // Values with = and , stay one string (commerce::catalog parses the pairs).
            jail.set_env("CARAVAN_SHOPIFY_COLLECTIONS", "demo=summer-live,other=autumn");
            let config = load_in(jail).expect("env loads");
            assert_eq!(config.shopify_collections, "demo=summer-live,other=autumn");
            Ok(())
        });
    }

    #[test]
    fn every_configured_path_is_made_absolute_once() {
        Jail::expect_with(|jail| {
            jail.set_env("CARAVAN_DATA_DIR", "./var/../state");
            jail.set_env("CARAVAN_CF_PRIVATE_KEY_FILE", "keys/cf.pem");
            jail.set_env("CARAVAN_WAITING_ROOM_KEY_FILE", "/etc/caravan/room.pem");
            jail.set_env("CARAVAN_SHAKA_PACKAGER", "packager");
            jail.set_env("CARAVAN_DATABASE_URL", "sqlite:db/caravan.db?mode=rwc");
            let config = load_in(jail).expect("loads");
            let here = jail.directory();
            assert_eq!(config.data_dir, here.join("var/../state"));
            assert_eq!(config.cf_private_key_file, Some(here.join("keys/cf.pem")));
            assert_eq!(
                config.waiting_room_key_file,
                Some(PathBuf::from("/etc/caravan/room.pem"))
            );
            assert_eq!(
                config.shaka_packager,
                PathBuf::from("packager"),
                "a bare name is looked up on PATH"
            );
            assert_eq!(
                config.database_url().expose(),
                &format!("sqlite://{}/db/caravan.db?mode=rwc", here.display())
            );
            Ok(())
        });
    }

    #[test]
    fn only_relative_sqlite_files_are_anchored() {
        let base = Path::new("/srv/caravan");
        assert_eq!(
            anchored_sqlite_url(base, "sqlite://data/a.db"),
            "sqlite:///srv/caravan/data/a.db"
        );
        assert_eq!(
            anchored_sqlite_url(base, "sqlite://./a.db"),
            "sqlite:///srv/caravan/a.db"
        );
        for unchanged in [
            "sqlite:///var/lib/a.db",
            "sqlite::memory:",
            "postgres://app:pw@db/caravan",
        ] {
            assert_eq!(anchored_sqlite_url(base, unchanged), unchanged);
        }
    }

    #[test]
    fn mistakes_are_reported_with_the_key() {
        Jail::expect_with(|jail| {
            jail.set_env("CARAVAN_ADDR", "not an address");
            let message = load_in(jail).unwrap_err().to_string();
            assert!(message.contains("addr"), "{message}");

            jail.clear_env();
            jail.create_file(DEFAULT_FILE, "adress = \"127.0.0.1:1\"")?;
            let message = load_in(jail).unwrap_err().to_string();
            assert!(message.contains("adress"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn the_database_url_is_a_secret() {
        Jail::expect_with(|jail| {
            jail.set_env("CARAVAN_DATABASE_URL", "postgres://app:hunter2@db/caravan");
            let config = load_in(jail).expect("loads");
            assert!(!format!("{config:?}").contains("hunter2"));
            Ok(())
        });
    }
}
