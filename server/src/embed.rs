//! Who may frame the site. Partners embed a show with `/embed.js`, which frames `/embed/{slug}`; the origins allowed
//! to do so are configuration (`embed_allowed_origins` for every show, `embed_show_origins` for a show that has its
//! own list), enforced by the browser through `Content-Security-Policy: frame-ancestors`. Every other page may be
//! framed by the site itself only (and says so to older browsers with `X-Frame-Options`).

use std::borrow::Cow;

use axum::{
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};

/// Why the embedding configuration cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EmbedConfigError {
    #[error("{key}: \"{origin}\" is not an origin (scheme://host[:port], nothing after)")]
    Origin { key: &'static str, origin: String },
}

/// The origins that may frame each show's embed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmbedPolicy {
    /// For every show without a list of its own.
    pub origins: Vec<String>,
    /// By show slug.
    pub shows: Vec<(String, Vec<String>)>,
}

/// `https://host[:port]` (or `http://`), lower-cased, without a trailing slash; `None` for anything else.
fn origin(text: &str) -> Option<String> {
    let text = text.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, rest) = text.split_once("://")?;
    let host_ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    (matches!(scheme, "https" | "http") && host_ok).then_some(text)
}

fn origins(key: &'static str, text: &str, separator: char) -> Result<Vec<String>, EmbedConfigError> {
    text.split(separator)
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|o| {
            origin(o).ok_or_else(|| EmbedConfigError::Origin {
                key,
                origin: o.to_owned(),
            })
        })
        .collect()
}

impl EmbedPolicy {
    /// From `embed_allowed_origins` (comma-separated) and `embed_show_origins` (by show slug, space-separated).
    pub fn new(allowed_origins: &str, show_origins: Vec<(String, String)>) -> Result<Self, EmbedConfigError> {
        let shows = show_origins
            .into_iter()
            .map(|(slug, list)| Ok((slug, origins("embed_show_origins", &list, ' ')?)))
            .collect::<Result<_, EmbedConfigError>>()?;
        Ok(Self {
            origins: origins("embed_allowed_origins", allowed_origins, ',')?,
            shows,
        })
    }

    /// The origins that may frame the embed of the show at `slug`.
    pub fn origins_for(&self, slug: &str) -> &[String] {
        self.shows
            .iter()
            .find(|(s, _)| s == slug)
            .map_or(&self.origins, |(_, origins)| origins)
    }

    /// The `Content-Security-Policy` of a response to `path` (built only for a widget: every other path, the
    /// hot ones among them, gets the site-only policy as it is).
    pub fn frame_ancestors(&self, path: &str) -> Cow<'static, str> {
        let slug = path
            .strip_prefix("/embed/")
            .and_then(|rest| rest.split('/').next())
            .filter(|slug| !slug.is_empty());
        let Some(slug) = slug else {
            return Cow::Borrowed(SITE_ONLY);
        };
        let mut policy = SITE_ONLY.to_owned();
        for origin in self.origins_for(slug) {
            policy.push(' ');
            policy.push_str(origin);
        }
        Cow::Owned(policy)
    }
}

/// The frame policy of every page but the widget.
const SITE_ONLY: &str = "frame-ancestors 'self'";

/// Adds the frame policy to every response (`/embed/{slug}`: its show's origins; the rest: the site itself).
pub async fn frame_policy(State(policy): State<std::sync::Arc<EmbedPolicy>>, request: Request, next: Next) -> Response {
    let frame_ancestors = policy.frame_ancestors(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    match frame_ancestors {
        // Appended: a page also has its script policy (`hardening::ScriptPolicy`); a browser enforces both.
        Cow::Borrowed(site_only) => {
            headers.append(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(site_only));
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
        }
        Cow::Owned(widget) => {
            if let Ok(value) = HeaderValue::from_str(&widget) {
                headers.append(header::CONTENT_SECURITY_POLICY, value);
            }
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(all: &str, shows: &str) -> Result<EmbedPolicy, EmbedConfigError> {
        let shows = shows
            .split(',')
            .filter_map(|pair| pair.split_once('='))
            .map(|(slug, list)| (slug.trim().to_owned(), list.trim().to_owned()))
            .collect();
        EmbedPolicy::new(all, shows)
    }

    #[test]
    fn each_show_has_its_frame_ancestors() {
        let embedding = policy(
            "https://partner.example, https://Shop.Example:8443/",
            "vip=https://vip.example http://127.0.0.1:9000",
        )
        .unwrap();
        assert_eq!(
            embedding.frame_ancestors("/embed/demo"),
            "frame-ancestors 'self' https://partner.example https://shop.example:8443"
        );
        assert_eq!(
            embedding.frame_ancestors("/embed/vip"),
            "frame-ancestors 'self' https://vip.example http://127.0.0.1:9000"
        );
        // The normal page, the console and everything else: the site only.
        for path in ["/live/demo", "/admin/demo", "/", "/embed/", "/embed.js"] {
            assert_eq!(embedding.frame_ancestors(path), "frame-ancestors 'self'", "{path}");
        }
        assert_eq!(
            policy("", "").unwrap().frame_ancestors("/embed/demo"),
            "frame-ancestors 'self'"
        );
    }

    #[test]
    fn anything_but_an_origin_stops_the_start() {
        for bad in [
            "*",
            "partner.example",
            "https://partner.example/path",
            "javascript:alert(1)",
            "https://a b",
        ] {
            assert!(matches!(policy(bad, ""), Err(EmbedConfigError::Origin { .. })), "{bad}");
        }
        assert!(
            policy("", "demo=https://ok.example; script-src *").is_err(),
            "no policy injection"
        );
    }
}
