//! Protections every request passes, whatever its route: a `Host` that is a host and a port, nothing else; changes
//! only from this site's own pages (`same_origin_writes`), JSON only from JSON (`json_body`); and the
//! headers every response carries (`nosniff`, the referrer kept to this origin, HSTS over HTTPS), with the pages'
//! script policy (`ScriptPolicy`, set where pages are rendered: it needs each response's nonce).

use crate::error::AppError;
use axum::{
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use caravan::api::{Refusal, RefusalCode};

/// What scripts a page may run: this server's files, the inline scripts carrying the response's nonce (Leptos's
/// hydration and streamed resources), WebAssembly, and the payment provider's script when one is configured; workers
/// from this server or a `blob:` (hls.js makes its transmuxing worker so). No plugins, no `<base>`.
#[derive(Debug, Clone)]
pub struct ScriptPolicy {
    extra_sources: String,
}

impl ScriptPolicy {
    /// `stripe_js`: Stripe.js's URL, whose origin may serve scripts.
    pub fn new(stripe_js: Option<&str>) -> Self {
        let extra_sources = stripe_js
            .and_then(|url| url.parse::<axum::http::Uri>().ok())
            .and_then(|uri| Some(format!(" {}://{}", uri.scheme_str()?, uri.authority()?)))
            .unwrap_or_default();
        Self { extra_sources }
    }

    /// The `Content-Security-Policy` of a page rendered with `nonce`.
    pub fn header(&self, nonce: &str) -> String {
        format!(
            "script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'{}; worker-src 'self' blob:; object-src 'none'; \
             base-uri 'none'",
            self.extra_sources
        )
    }
}

/// Whether responses go over HTTPS (HSTS is sent only then: over plain HTTP a browser ignores it anyway, and a
/// development server on 127.0.0.1 must not pin itself).
#[derive(Debug, Clone, Copy)]
pub struct Https(pub bool);

/// `X-Content-Type-Options: nosniff`, `Referrer-Policy: strict-origin-when-cross-origin`, and over HTTPS
/// `Strict-Transport-Security` (a year), on every response.
pub async fn security_headers(State(Https(https)): State<Https>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// A JSON request body, read only when the request says it is JSON (`application/json`, or a `+json` type): a form
/// or a `text/plain` body another site's page can send without asking is never taken as an instruction. `what`
/// names the body in the 400 for malformed JSON.
pub fn json_body<T: serde::de::DeserializeOwned>(
    headers: &axum::http::HeaderMap,
    body: &[u8],
    what: &str,
) -> Result<T, AppError> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if essence != "application/json" && !(essence.starts_with("application/") && essence.ends_with("+json")) {
        return Err(AppError::NotJson);
    }
    serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("invalid {what}: {e}")))
}

/// Where this site's pages are: the configured public origin, and the origin a request reached (the `Host` a browser
/// sent, which its page's `Origin` matches when the page is ours).
#[derive(Debug, Clone)]
pub struct SiteOrigin {
    public: String,
    https: bool,
}

impl SiteOrigin {
    /// `public_url`: the site's public address (`scheme://host[:port]`, a path is ignored).
    pub fn new(public_url: &str, https: bool) -> Self {
        let (scheme, rest) = public_url.split_once("://").unwrap_or(("http", public_url));
        let authority = rest.split('/').next().unwrap_or(rest);
        Self {
            public: format!("{scheme}://{authority}").to_ascii_lowercase(),
            https,
        }
    }

    fn allows(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = origin.to_ascii_lowercase();
        if origin == self.public {
            return true;
        }
        let scheme = if self.https { "https" } else { "http" };
        host.is_some_and(|host| origin == format!("{scheme}://{}", host.to_ascii_lowercase()))
    }
}

/// A request that changes something (not GET, HEAD or OPTIONS) from a browser page of another origin is refused
/// with 403 `cross_origin`: cookies alone (SameSite lets a sibling subdomain's pages send them) never carry an
/// operator's or a viewer's authority to another site's forms. Requests without `Origin` (payment providers'
/// webhooks, command-line clients, which prove themselves otherwise) pass.
pub async fn same_origin_writes(State(site): State<SiteOrigin>, request: Request, next: Next) -> Response {
    let safe = matches!(request.method().as_str(), "GET" | "HEAD" | "OPTIONS");
    let headers = request.headers();
    if let (false, Some(origin)) = (safe, headers.get(header::ORIGIN)) {
        let host = headers.get(header::HOST).and_then(|host| host.to_str().ok());
        if !origin.to_str().is_ok_and(|origin| site.allows(origin, host)) {
            let refusal = Refusal::new(
                RefusalCode::CrossOrigin,
                "this request must come from this site's own pages",
            );
            return AppError::refused(StatusCode::FORBIDDEN, refusal).into_response();
        }
    }
    next.run(request).await
}

/// The longest name a file system takes (and longer than any slug or id here).
const MAX_SEGMENT_BYTES: usize = 255;

/// A path with a segment (decoded) longer than any file name can be names nothing here: 404 `not_found` at once (the static
/// file services would otherwise fail on the file system's "name too long" with a 500).
pub async fn no_overlong_names(request: Request, next: Next) -> Response {
    let overlong = |segment: &str| percent_encoding::percent_decode_str(segment).count() > MAX_SEGMENT_BYTES;
    if request.uri().path().split('/').any(overlong) {
        return AppError::NotFound.into_response();
    }
    next.run(request).await
}

/// Refuses a request whose `Host` is not `host[:port]` with 400 `bad_host` (a request without one passes: HTTP/1.0,
/// or HTTP/2's `:authority`, which hyper has already parsed).
pub async fn valid_host(request: Request, next: Next) -> Response {
    let host = request.headers().get(header::HOST);
    if host.is_some_and(|host| {
        host.to_str()
            .map_or(true, |host| !crate::client_address::is_host_and_port(host))
    }) {
        let refusal = Refusal::new(RefusalCode::BadHost, "the Host header must be host[:port]");
        return AppError::refused(StatusCode::BAD_REQUEST, refusal).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::{ScriptPolicy, SiteOrigin};
    use crate::client_address::is_host_and_port;

    #[test]
    fn the_sites_own_origins_are_the_public_one_and_the_one_reached() {
        let site = SiteOrigin::new("https://Live.Example.com/", true);
        assert!(site.allows("https://live.example.com", Some("10.0.0.1:3000")));
        assert!(site.allows("https://10.0.0.1:3000", Some("10.0.0.1:3000")));
        for other in [
            "https://shop.example.com",
            "http://live.example.com",
            "null",
            "https://live.example.com.evil",
        ] {
            assert!(!site.allows(other, Some("live.example.com")), "{other}");
        }
    }

    #[test]
    fn the_script_policy_names_the_nonce_and_the_payment_providers_origin() {
        assert_eq!(
            ScriptPolicy::new(None).header("abc"),
            "script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'"
        );
        assert_eq!(
            ScriptPolicy::new(Some("https://js.stripe.com/v3/")).header("n"),
            "script-src 'self' 'nonce-n' 'wasm-unsafe-eval' https://js.stripe.com; worker-src 'self' blob:; \
             object-src 'none'; base-uri 'none'"
        );
    }

    #[test]
    fn a_host_is_a_name_or_address_and_a_port() {
        for good in [
            "live.example.com",
            "live.example.com:8443",
            "127.0.0.1:3000",
            "localhost",
            "[::1]",
            "[::1]:3000",
            "[2001:db8::1]:443",
            "my_host",
        ] {
            assert!(is_host_and_port(good), "{good}");
        }
        for bad in [
            "",
            "*",
            "a*",
            "a?b",
            "a/media/x",
            "user@host",
            "host:",
            "host:99999",
            "host:80:80",
            "host :80",
            "[::1",
            "[::1]x",
            "[zz]",
            "[]",
            "host#x",
            "ho st",
        ] {
            assert!(!is_host_and_port(bad), "{bad}");
        }
    }
}
