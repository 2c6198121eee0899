//! The start-up summary: said once, when the server starts, so that whoever runs it knows what works. Each line is
//! a tool or an integration: on (and with what), off (and the setting that turns it on), or missing (a tool the
//! configuration wants: what stops working, and the command that installs it). Nothing secret is named, only
//! whether it is set.

use std::fmt;

use crate::{config::Config, store::Backend, tools::Tools};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    On,
    Off,
    /// Wanted by the configuration but not installed.
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub state: State,
    pub text: String,
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = match self.state {
            State::On => "on",
            State::Off => "off",
            State::Missing => "MISSING",
        };
        write!(f, "{mark:>7}  {}", self.text)
    }
}

fn line(state: State, text: impl Into<String>) -> Line {
    Line {
        state,
        text: text.into(),
    }
}

/// What `config` turns on, with the `tools` found.
pub fn summary(config: &Config, tools: &Tools) -> Vec<Line> {
    let mut lines = demo_media(config, tools);
    let database = match Backend::of(config.database_url().expose()) {
        Ok(Backend::Postgres) => "PostgreSQL (replicas may share it)".to_owned(),
        _ => format!("SQLite, in {}", config.data_dir.display()),
    };
    lines.push(line(State::On, format!("database: {database}")));
    lines.push(match config.media_store.trim() {
        "" => line(
            State::On,
            format!(
                "media kept in {} (CARAVAN_MEDIA_STORE=s3://bucket/prefix: one store for every replica)",
                config.media_dir().display()
            ),
        ),
        store => line(State::On, format!("media kept in {store}")),
    });
    lines.push(match &config.public_media_url {
        Some(url) => line(State::On, format!("media delivered through {url}")),
        None => line(
            State::On,
            "media served by this server (CARAVAN_PUBLIC_MEDIA_URL: a CDN)",
        ),
    });
    lines.push(match (config.rtmp_addr.trim(), &tools.ffmpeg) {
        ("", _) => line(State::Off, "live ingest: CARAVAN_RTMP_ADDR is empty"),
        (addr, Some(_)) => {
            let srt = match config.srt_addr.trim() {
                "" => String::new(),
                srt => format!(", SRT on {srt} (streamid #!::r=live/<stream key>,m=publish)"),
            };
            line(
                State::On,
                format!("live ingest: RTMP on {addr} (encoders publish to rtmp://HOST:PORT/live/<stream key>){srt}"),
            )
        }
        (addr, None) => line(
            State::Missing,
            format!(
                "ffmpeg is not installed: encoders publishing to RTMP on {addr} are refused (nothing would transcode \
                 them). Install it with `./dev setup`, or `sudo apt-get install ffmpeg`"
            ),
        ),
    });
    lines.push(match config.smtp_url {
        Some(_) => line(State::On, "mail: sent by SMTP"),
        None => line(
            State::Off,
            "mail: CARAVAN_SMTP_URL is not set, so mail is held in the console's outbox",
        ),
    });
    let local = config.checkout_provider == crate::config::CheckoutProvider::Local;
    lines.push(line(
        State::On,
        if local {
            "checkout: the local test provider (test mode: no money moves)"
        } else {
            "checkout: Stripe"
        },
    ));
    lines.push(match (&config.stripe_secret_key, &config.stripe_webhook_secret) {
        (Some(_), Some(_)) => line(State::On, "Stripe, with its webhook"),
        (Some(_), None) => line(
            State::On,
            "Stripe (CARAVAN_STRIPE_WEBHOOK_SECRET is not set: no webhook)",
        ),
        (None, _) => line(State::Off, "Stripe: CARAVAN_STRIPE_SECRET_KEY is not set"),
    });
    lines.push(match &config.shopify_store_domain {
        Some(shop) => line(State::On, format!("Shopify: {shop}")),
        None => line(State::Off, "Shopify: CARAVAN_SHOPIFY_STORE_DOMAIN is not set"),
    });
    lines.push(match &config.oidc_issuer {
        Some(issuer) => line(State::On, format!("member sign-in (OpenID Connect): {issuer}")),
        None => line(
            State::Off,
            "member sign-in: CARAVAN_OIDC_ISSUER is not set (operators grant access to paid shows)",
        ),
    });
    lines.push(if config.feed_x_queries.trim().is_empty() {
        line(State::Off, "X in the feed: CARAVAN_FEED_X_QUERIES is not set")
    } else {
        line(State::On, "X in the feed (recent search)")
    });
    lines.push(match &config.feed_mastodon_url {
        Some(instance) if !config.feed_mastodon_tags.trim().is_empty() => {
            line(State::On, format!("Mastodon in the feed: {instance}"))
        }
        _ => line(
            State::Off,
            "Mastodon in the feed: CARAVAN_FEED_MASTODON_TAGS is not set",
        ),
    });
    let vendors: Vec<&str> = [
        ("Widevine", &config.drm_widevine_license_url),
        ("PlayReady", &config.drm_playready_license_url),
        ("FairPlay", &config.drm_fairplay_license_url),
    ]
    .into_iter()
    .filter_map(|(name, url)| url.as_ref().map(|_| name))
    .collect();
    lines.push(if vendors.is_empty() {
        line(
            State::On,
            "DRM: ClearKey (built in); no vendor's license server is set (CARAVAN_DRM_WIDEVINE_LICENSE_URL …)",
        )
    } else {
        line(State::On, format!("DRM: ClearKey (built in), {}", vendors.join(", ")))
    });
    if config.dev_gallery {
        lines.push(line(
            State::On,
            "the designers' gallery at /dev/gallery (development only)",
        ));
    }
    lines
}

/// The demo's media: ffmpeg makes the live stream and the recording, Shaka Packager the ClearKey recording.
fn demo_media(config: &Config, tools: &Tools) -> Vec<Line> {
    if !config.demo {
        return vec![line(State::Off, "the demo shows: CARAVAN_DEMO is false")];
    }
    if !config.demo_media {
        return vec![line(State::Off, "the demo's media: CARAVAN_DEMO_MEDIA is false")];
    }
    let ffmpeg = match &tools.ffmpeg {
        Some(path) => line(
            State::On,
            format!("the demo's live stream and recording (ffmpeg: {})", path.display()),
        ),
        None => line(
            State::Missing,
            "ffmpeg is not installed: the demo shows have no picture (no live stream, no recording). \
             Install it with `./dev setup`, or `sudo apt-get install ffmpeg`",
        ),
    };
    let packager = match (&tools.packager, &tools.ffmpeg) {
        (Some(path), Some(_)) => line(
            State::On,
            format!(
                "the paid demo's ClearKey recording (Shaka Packager: {})",
                path.display()
            ),
        ),
        (Some(_), None) => line(State::Off, "the paid demo's ClearKey recording: it needs ffmpeg too"),
        (None, _) => line(
            State::Missing,
            format!(
                "Shaka Packager is not at {}: the paid demo (/live/demo-paid) has nothing to play. Install it with \
                 `./dev setup` (npm, in the repository), or set CARAVAN_SHAKA_PACKAGER to the program",
                config.shaka_packager.display()
            ),
        ),
    };
    vec![ffmpeg, packager]
}

/// Writes the summary to the log: a heading, then a line each (missing tools as warnings).
pub fn log(lines: &[Line]) {
    tracing::info!("what this server runs with:");
    for line in lines {
        match line.state {
            State::Missing => tracing::warn!("{line}"),
            State::On | State::Off => tracing::info!("{line}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::secret::Secret;

    fn config() -> Config {
        Config::for_tests(Path::new("/srv/caravan/data"), Path::new("/srv/caravan/site"))
    }

    fn states(lines: &[Line], about: &str) -> Vec<State> {
        lines
            .iter()
            .filter(|l| l.text.contains(about))
            .map(|l| l.state)
            .collect()
    }

    #[test]
    fn a_missing_tool_says_what_stops_working_and_how_to_install_it() {
        let mut config = config();
        config.demo_media = true;
        let lines = summary(&config, &Tools::default());
        let missing: Vec<_> = lines.iter().filter(|l| l.state == State::Missing).collect();
        assert_eq!(missing.len(), 3, "{lines:#?}");
        assert!(missing[0].text.contains("ffmpeg") && missing[0].text.contains("apt-get install ffmpeg"));
        assert!(missing[1].text.contains("/live/demo-paid") && missing[1].text.contains("./dev setup"));
        assert!(missing[2].text.contains("RTMP") && missing[2].text.contains("apt-get install ffmpeg"));

        let tools = Tools {
            ffmpeg: Some(PathBuf::from("/usr/bin/ffmpeg")),
            packager: Some(PathBuf::from("/opt/packager")),
        };
        let lines = summary(&config, &tools);
        assert!(lines.iter().all(|l| l.state != State::Missing), "{lines:#?}");
        assert!(lines[0].to_string().contains("/usr/bin/ffmpeg"), "{}", lines[0]);

        config.demo_media = false;
        config.rtmp_addr = String::new();
        let lines = summary(&config, &Tools::default());
        assert_eq!(states(&lines, "the demo's media"), [State::Off], "no tool is wanted");
        assert_eq!(states(&lines, "live ingest"), [State::Off]);
    }

    #[test]
    fn integrations_are_on_when_configured_and_no_secret_is_named() {
        let lines = summary(&config(), &Tools::default());
        for off in ["mail", "Stripe", "Shopify", "member sign-in", "X in", "Mastodon"] {
            assert_eq!(states(&lines, off), [State::Off], "{off}: {lines:#?}");
        }

        let mut config = config();
        config.smtp_url = Some(Secret::new("smtp://mailer:hunter2@mail.example:587".into()));
        config.stripe_secret_key = Some(Secret::new("sk_test_secretvalue".into()));
        config.stripe_webhook_secret = Some(Secret::new("whsec_secretvalue".into()));
        config.shopify_store_domain = Some("shop.myshopify.com".into());
        config.oidc_issuer = Some("https://tenant.auth0.com/".into());
        config.feed_x_bearer_token = Some(Secret::new("x-secret-token".into()));
        config.feed_x_queries = "demo=#caravan".into();
        config.feed_mastodon_url = Some("https://mastodon.example".into());
        config.feed_mastodon_tags = "demo=caravan".into();
        config.drm_widevine_license_url = Some("https://license.example/wv".into());
        config.database_url = Some(Secret::new("postgres://app:pgsecret@db/caravan".into()));
        let lines = summary(&config, &Tools::default());
        for on in [
            "mail",
            "Stripe, with",
            "Shopify",
            "member sign-in",
            "X in",
            "Mastodon",
            "Widevine",
        ] {
            assert_eq!(states(&lines, on), [State::On], "{on}: {lines:#?}");
        }
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        for secret in ["hunter2", "secretvalue", "x-secret-token", "pgsecret"] {
            assert!(!text.contains(secret), "{secret} in\n{text}");
        }
        assert!(text.contains("database: PostgreSQL"), "{text}");
    }
}
