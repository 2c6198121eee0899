//! The composition root's half that turns the configuration into each capability's own settings. The capabilities
//! know nothing of `Config`: each takes a settings struct of its own, and the names of the configuration stay here
//! and in `config.rs`.

use anyhow::Context;

use crate::{
    access::{
        AccessSettings, AccessState,
        cloudfront::HashAlgorithm,
        license_proxy::{LicenseProxy, LicenseProxySettings, UpstreamAuth},
        oidc::{Oidc, OidcSettings},
        signing_key::{self, KeyError},
    },
    commerce::{CommerceSettings, CommerceState},
    config::{CfHashAlgorithm, CheckoutProvider, Config, DrmUpstreamAuth, slug_pairs},
    embed::EmbedPolicy,
    feed::poller::{FeedSettings, FeedSources},
    ingest::{IngestSettings, transcode::Rung},
    mail::{MailSettings, Mailer},
    media::DemoVod,
    media_store::{MediaStore, MediaStoreSettings, S3Settings},
    store::PaymentProvider,
    tools::Tools,
};

/// The key that signs CloudFront cookies: the configured file, or the development key (made when missing).
pub fn cloudfront_signing_key(config: &Config) -> Result<rsa::RsaPrivateKey, KeyError> {
    match &config.cf_private_key_file {
        Some(path) => signing_key::load(path),
        None => signing_key::load_or_create(&config.data_dir.join("keys").join("cloudfront-dev.pem")),
    }
}

/// The key that signs waiting-room tokens: the configured file, or one made in the data directory.
pub fn waiting_room_key(config: &Config) -> Result<rsa::RsaPrivateKey, KeyError> {
    match &config.waiting_room_key_file {
        Some(path) => signing_key::load(path),
        None => signing_key::load_or_create(&config.data_dir.join("keys").join("waiting-room.pem")),
    }
}

/// Where media is kept: the data directory's `media/`, or the S3-compatible bucket of `s3://bucket/prefix`.
pub fn media_store(config: &Config) -> anyhow::Result<MediaStoreSettings> {
    let url = config.media_store.trim();
    if url.is_empty() {
        return Ok(MediaStoreSettings::Local(config.media_dir()));
    }
    let Some(location) = url.strip_prefix("s3://") else {
        anyhow::bail!("CARAVAN_MEDIA_STORE must be empty (the data directory) or s3://bucket/prefix, not {url}");
    };
    let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
    if bucket.is_empty() {
        anyhow::bail!("CARAVAN_MEDIA_STORE names no bucket: s3://bucket/prefix");
    }
    let (Some(access_key_id), Some(secret_access_key)) = (&config.s3_access_key_id, &config.s3_secret_access_key)
    else {
        anyhow::bail!("an S3 media store needs CARAVAN_S3_ACCESS_KEY_ID and CARAVAN_S3_SECRET_ACCESS_KEY");
    };
    Ok(MediaStoreSettings::S3(S3Settings {
        bucket: bucket.to_owned(),
        prefix: prefix.to_owned(),
        endpoint: config.s3_endpoint.clone().filter(|e| !e.trim().is_empty()),
        region: config.s3_region.clone(),
        access_key_id: access_key_id.clone(),
        secret_access_key: secret_access_key.clone(),
    }))
}

/// How the demo's on-demand media is made: into the media directory, its key kept outside it, with the packager
/// found at start.
pub fn demo_vod(config: &Config, tools: &Tools, media: MediaStore) -> DemoVod {
    DemoVod {
        media,
        work_dir: config.data_dir.join("work/demo-vod"),
        key_file: config.data_dir.join("keys/demo-clearkey.json"),
        packager: tools.packager.clone(),
    }
}

pub fn access(config: &Config) -> anyhow::Result<AccessState> {
    let settings = AccessSettings {
        signing_key: cloudfront_signing_key(config).context("the CloudFront signing key")?,
        key_pair_id: config.cf_key_pair_id.clone(),
        hash: match config.cf_hash_algorithm {
            CfHashAlgorithm::Sha1 => HashAlgorithm::Sha1,
            CfHashAlgorithm::Sha256 => HashAlgorithm::Sha256,
        },
        public_site_url: config.public_site_url.clone(),
        public_media_url: config.public_media_url.clone(),
        development: config.is_development(),
        listening: config.addr,
        authorization_seconds: config.playback_authorization_seconds,
        bind_viewer_ip: config.cf_bind_viewer_ip,
        open_before_start_seconds: config.cf_open_before_start_seconds,
        cookie_path: config.cf_cookie_path.clone(),
        cookie_domain: config.cf_cookie_domain.clone(),
        cookie_secure: config.cookie_secure,
    };
    let proxy = LicenseProxy::new(&license_proxy(config)).context("the DRM configuration")?;
    let oidc = Oidc::new(&oidc(config)).context("the member login")?;
    Ok(AccessState::new(settings, proxy, oidc)?)
}

fn license_proxy(config: &Config) -> LicenseProxySettings {
    LicenseProxySettings {
        upstream_auth: match config.drm_upstream_auth {
            DrmUpstreamAuth::None => UpstreamAuth::None,
            DrmUpstreamAuth::Header => UpstreamAuth::Header,
            DrmUpstreamAuth::Axinom => UpstreamAuth::Axinom,
        },
        upstream_header: config.drm_upstream_header.clone(),
        upstream_secret: config.drm_upstream_secret.clone(),
        axinom_com_key_id: config.drm_axinom_com_key_id.clone(),
        upstream_timeout_ms: config.drm_upstream_timeout_ms,
        widevine_license_url: config.drm_widevine_license_url.clone(),
        playready_license_url: config.drm_playready_license_url.clone(),
        fairplay_license_url: config.drm_fairplay_license_url.clone(),
        fairplay_certificate_url: config.drm_fairplay_certificate_url.clone(),
        license_max_bytes: config.drm_license_max_bytes,
    }
}

fn oidc(config: &Config) -> OidcSettings {
    OidcSettings {
        issuer: config.oidc_issuer.clone(),
        client_id: config.oidc_client_id.clone(),
        client_secret: config.oidc_client_secret.clone(),
        audience: config.oidc_audience.clone(),
        plan_claim: config.oidc_plan_claim.clone(),
        scopes: config.oidc_scopes.clone(),
    }
}

/// The payment provider a configured name stands for.
fn payment_provider(provider: CheckoutProvider) -> PaymentProvider {
    match provider {
        CheckoutProvider::Local => PaymentProvider::Local,
        CheckoutProvider::Stripe => PaymentProvider::Stripe,
        CheckoutProvider::Shopify => PaymentProvider::Shopify,
    }
}

pub fn commerce(config: &Config) -> anyhow::Result<CommerceState> {
    let settings = CommerceSettings {
        provider: payment_provider(config.checkout_provider),
        providers: slug_pairs("checkout_providers", &config.checkout_providers)?,
        development: config.is_development(),
        allow_test_checkout: config.allow_test_checkout,
        order_hold_seconds: config.order_hold_seconds,
        stripe_secret_key: config.stripe_secret_key.clone(),
        stripe_publishable_key: config.stripe_publishable_key.clone(),
        stripe_js_url: config.stripe_js_url.clone(),
        stripe_api_base: config.stripe_api_base.clone(),
        stripe_webhook_secret: config.stripe_webhook_secret.clone(),
        shopify_collections: slug_pairs("shopify_collections", &config.shopify_collections)?,
        shopify_storefront_token: config.shopify_storefront_token.clone(),
        shopify_store_domain: config.shopify_store_domain.clone(),
        shopify_api_base: config.shopify_api_base.clone(),
        shopify_tax_rate_bp: config.shopify_tax_rate_bp,
        shopify_webhook_secret: config.shopify_webhook_secret.clone(),
    };
    Ok(CommerceState::new(&settings)?)
}

pub fn embedding(config: &Config) -> anyhow::Result<EmbedPolicy> {
    let shows = slug_pairs("embed_show_origins", &config.embed_show_origins)?;
    Ok(EmbedPolicy::new(&config.embed_allowed_origins, shows)?)
}

pub fn feed_sources(config: &Config) -> anyhow::Result<FeedSources> {
    let settings = FeedSettings {
        x_queries: slug_pairs("feed_x_queries", &config.feed_x_queries)?,
        x_bearer_token: config.feed_x_bearer_token.clone(),
        x_api_base: config.feed_x_api_base.clone(),
        mastodon_tags: slug_pairs("feed_mastodon_tags", &config.feed_mastodon_tags)?,
        mastodon_url: config.feed_mastodon_url.clone(),
        mastodon_token: config.feed_mastodon_token.clone(),
        poll_ms: config.feed_poll_ms,
    };
    Ok(FeedSources::new(&settings)?)
}

pub fn mailer(config: &Config) -> anyhow::Result<Mailer> {
    let settings = MailSettings {
        smtp_url: config.smtp_url.clone(),
        from: config.mail_from.clone(),
    };
    Ok(Mailer::new(&settings)?)
}

/// The live ingest's settings: the RTMP address (empty: off), the host encoders are told, the ladder.
pub fn ingest(config: &Config, tools: &Tools, media: MediaStore) -> anyhow::Result<IngestSettings> {
    let rtmp_addr = match config.rtmp_addr.trim() {
        "" => None,
        addr => Some(
            addr.parse()
                .map_err(|_| anyhow::anyhow!("CARAVAN_RTMP_ADDR must be host:port (or empty), not {addr:?}"))?,
        ),
    };
    let srt_addr = match config.srt_addr.trim() {
        "" => None,
        addr => Some(
            addr.parse()
                .map_err(|_| anyhow::anyhow!("CARAVAN_SRT_ADDR must be host:port (or empty), not {addr:?}"))?,
        ),
    };
    if let Some(passphrase) = &config.srt_passphrase
        && !(10..=79).contains(&passphrase.expose().chars().count())
    {
        anyhow::bail!("CARAVAN_SRT_PASSPHRASE must be 10 to 79 characters (SRT's rule)");
    }
    let public_host = match config.rtmp_public_host.trim() {
        "" => site_host(&config.public_site_url),
        host => host.to_owned(),
    };
    if !(1..=10).contains(&config.ingest_segment_seconds) {
        anyhow::bail!(
            "CARAVAN_INGEST_SEGMENT_SECONDS must be 1 to 10, not {}",
            config.ingest_segment_seconds
        );
    }
    Ok(IngestSettings {
        rtmp_addr,
        srt_addr,
        srt_passphrase: config.srt_passphrase.clone(),
        public_host,
        media,
        // The demo's broadcast never ends: only its live window is kept.
        endless: (config.demo && config.demo_media)
            .then(|| crate::store::DEMO_EVENT_ID.to_owned())
            .into_iter()
            .collect(),
        work_dir: config.data_dir.join("work/ingest"),
        ffmpeg: tools.ffmpeg.clone(),
        ladder: ladder(&config.ingest_ladder)?,
        segment_seconds: config.ingest_segment_seconds,
        passthrough: config.ingest_passthrough,
        idle: std::time::Duration::from_secs(10),
    })
}

/// The host of the site's address (`https://shop.example:8443/x` → `shop.example`).
fn site_host(url: &str) -> String {
    let authority = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = authority.split(['/', '?', '#']).next().unwrap_or_default();
    match authority.strip_prefix('[') {
        Some(v6) => format!("[{}]", v6.split(']').next().unwrap_or_default()),
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host)
            .to_owned(),
    }
}

/// `HEIGHT:VIDEO_KBPS:AUDIO_KBPS` rungs, comma-separated, highest first.
fn ladder(text: &str) -> anyhow::Result<Vec<Rung>> {
    let rung = |part: &str| -> Option<Rung> {
        let mut numbers = part.trim().split(':').map(|n| n.trim().parse::<u32>().ok());
        let (Some(Some(height)), Some(Some(video)), Some(Some(audio)), None) =
            (numbers.next(), numbers.next(), numbers.next(), numbers.next())
        else {
            return None;
        };
        let fits = (144..=4320).contains(&height)
            && height % 2 == 0
            && (100..=60_000).contains(&video)
            && (32..=512).contains(&audio);
        fits.then(|| Rung::new(height, video, audio))
    };
    let rungs: Vec<Rung> = text
        .split(',')
        .map(|part| {
            rung(part).with_context(|| {
                format!(
                    "CARAVAN_INGEST_LADDER: {part:?} is not HEIGHT:VIDEO_KBPS:AUDIO_KBPS (an even height of 144 to 4320, \
                     video 100 to 60000 kbit/s, audio 32 to 512)"
                )
            })
        })
        .collect::<anyhow::Result<_>>()?;
    if rungs.windows(2).any(|pair| pair[0].height <= pair[1].height) {
        anyhow::bail!("CARAVAN_INGEST_LADDER: the rungs go from the highest to the lowest, each lower than the last");
    }
    Ok(rungs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{access::AccessConfigError, commerce::CommerceConfigError, secret::Secret};

    fn config(edit: impl FnOnce(&mut Config)) -> Config {
        let mut config = Config::for_tests(std::path::Path::new("/tmp/data"), std::path::Path::new("/tmp/site"));
        edit(&mut config);
        config
    }

    fn commerce_refusal(config: &Config) -> CommerceConfigError {
        commerce(config).unwrap_err().downcast::<CommerceConfigError>().unwrap()
    }

    #[test]
    fn each_show_checks_out_with_its_own_provider() {
        let state = commerce(&config(|c| {
            c.checkout_providers = "demo-paid=stripe".into();
            c.stripe_secret_key = Some(Secret::new("sk_test_1".into()));
            c.stripe_publishable_key = Some("pk_test_1".into());
        }))
        .unwrap();
        assert_eq!(state.provider_for("demo-paid"), PaymentProvider::Stripe);
        assert_eq!(state.provider_for("demo"), PaymentProvider::Local);
        assert!(
            state
                .stripe
                .is_some_and(|stripe| stripe.page.publishable_key == "pk_test_1")
        );

        // Stripe named without its keys, an unknown provider, Shopify by name: refused at start.
        let refused = |edit: fn(&mut Config)| commerce_refusal(&config(edit));
        assert_eq!(
            refused(|c| c.checkout_providers = "demo=stripe".into()),
            CommerceConfigError::StripeKey
        );
        assert_eq!(
            refused(|c| c.checkout_providers = "demo=paypal".into()),
            CommerceConfigError::UnknownProvider("paypal".into())
        );
        assert_eq!(
            refused(|c| c.checkout_providers = "demo=shopify".into()),
            CommerceConfigError::Shopify
        );
        assert_eq!(
            refused(|c| c.checkout_provider = CheckoutProvider::Shopify),
            CommerceConfigError::Shopify
        );
    }

    #[test]
    fn the_test_checkout_is_never_a_silent_default_outside_development() {
        let public = |c: &mut Config| c.addr = "0.0.0.0:3000".parse().unwrap();
        let refused = commerce_refusal(&config(public));
        assert_eq!(refused, CommerceConfigError::TestCheckoutInProduction);
        // One show on the test provider is enough to refuse.
        let stripe = |c: &mut Config| {
            public(c);
            c.checkout_provider = CheckoutProvider::Stripe;
            c.stripe_secret_key = Some(Secret::new("sk_live_1".into()));
            c.stripe_publishable_key = Some("pk_live_1".into());
        };
        assert!(commerce(&config(stripe)).is_ok());
        let mixed = commerce(&config(|c| {
            stripe(c);
            c.checkout_providers = "demo=local".into();
        }));
        assert_eq!(
            mixed.unwrap_err().downcast::<CommerceConfigError>().unwrap(),
            CommerceConfigError::TestCheckoutInProduction
        );
        // Asked for (a staging site): allowed.
        let staging = commerce(&config(|c| {
            public(c);
            c.allow_test_checkout = true;
        }));
        assert!(staging.is_ok());
    }

    #[test]
    fn a_server_others_can_reach_refuses_to_sign_for_localhost() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_tests(dir.path(), dir.path());
        config.addr = "0.0.0.0:3000".parse().unwrap();
        assert!(matches!(
            access(&config).unwrap_err().downcast::<AccessConfigError>(),
            Ok(AccessConfigError::LocalOrigin { .. })
        ));
        config.public_site_url = "https://live.example.com".into();
        let state = access(&config).unwrap();
        assert_eq!(state.media_origin(), "https://live.example.com");
        config.public_media_url = Some("https://d111111abcdef8.cloudfront.net/".into());
        let state = access(&config).unwrap();
        assert_eq!(state.media_origin(), "https://d111111abcdef8.cloudfront.net");
        // On this machine only, the development default is fine.
        config.addr = "127.0.0.1:3000".parse().unwrap();
        config.public_site_url = "http://127.0.0.1:3000".into();
        config.public_media_url = None;
        assert!(access(&config).is_ok());
    }

    #[test]
    fn the_media_store_is_the_data_directory_or_a_bucket() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_tests(dir.path(), dir.path());
        assert!(
            matches!(media_store(&config).unwrap(), MediaStoreSettings::Local(path) if path == dir.path().join("media"))
        );
        config.media_store = "s3://caravan-media/shows/tokyo".into();
        let error = format!("{:#}", media_store(&config).unwrap_err());
        assert!(error.contains("CARAVAN_S3_ACCESS_KEY_ID"), "{error}");
        config.s3_access_key_id = Some("AKIDEXAMPLE".into());
        config.s3_secret_access_key = Some(Secret::new("wJalrXUtnFEMI/K7MDENG".to_owned()));
        config.s3_endpoint = Some("http://127.0.0.1:9000".into());
        let MediaStoreSettings::S3(s3) = media_store(&config).unwrap() else {
            panic!("a bucket");
        };
        assert_eq!(
            (s3.bucket.as_str(), s3.prefix.as_str()),
            ("caravan-media", "shows/tokyo")
        );
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        let opened = MediaStore::open(&MediaStoreSettings::S3(s3)).unwrap();
        let described = format!("{opened} {opened:?}");
        assert!(!described.contains("wJalr"), "no secret in {described}");
        for wrong in ["/srv/media", "s3://", "s3:///prefix", "gs://bucket"] {
            config.media_store = wrong.into();
            assert!(media_store(&config).is_err(), "{wrong}");
        }
    }

    #[test]
    fn the_ingest_reads_its_ladder_and_address_or_says_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_tests(dir.path(), dir.path());
        config.rtmp_addr = "0.0.0.0:1935".into();
        config.public_site_url = "https://shop.example:8443/live".into();
        config.ingest_ladder = "1080:4500:128, 720:2000:128,360:600:96".into();
        let media = MediaStore::open(&MediaStoreSettings::Local(dir.path().join("media"))).unwrap();
        let settings = ingest(&config, &Tools::default(), media.clone()).unwrap();
        assert_eq!(settings.rtmp_addr, Some("0.0.0.0:1935".parse().unwrap()));
        assert_eq!(settings.public_host, "shop.example");
        let names: Vec<_> = settings.ladder.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["1080p", "720p", "360p"]);

        config.rtmp_addr = String::new();
        assert_eq!(
            ingest(&config, &Tools::default(), media.clone()).unwrap().rtmp_addr,
            None
        );
        for (ladder, says) in [
            ("720:2000", "is not HEIGHT:VIDEO_KBPS:AUDIO_KBPS"),
            ("721:2000:128", "is not HEIGHT"),
            ("360:600:96,720:2000:128", "from the highest to the lowest"),
            ("", "is not HEIGHT"),
        ] {
            config.ingest_ladder = ladder.into();
            let error = format!("{:#}", ingest(&config, &Tools::default(), media.clone()).unwrap_err());
            assert!(error.contains(says), "{ladder}: {error}");
        }
        config.ingest_ladder = "720:2000:128".into();
        config.rtmp_addr = "somewhere".into();
        assert!(
            format!("{:#}", ingest(&config, &Tools::default(), media.clone()).unwrap_err())
                .contains("CARAVAN_RTMP_ADDR")
        );
        assert_eq!(site_host("http://[::1]:3000"), "[::1]");
        assert!(settings.endless.is_empty(), "no demo broadcast in tests");
        assert_eq!(site_host("http://localhost:3000/"), "localhost");
    }
}
