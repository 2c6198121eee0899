//! Protections every request passes, whatever its route: a `Host` that is a host and a port, nothing else.

use axum::{
    extract::Request,
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;

/// `host[:port]`: a DNS name or IPv4 address (letters, digits, `.`, `-`, `_`) or a bracketed IPv6 address, and an
/// optional decimal port. No `*`, `?`, `/`, `@` or spaces, so no `Host` can widen or redirect what it is used for.
pub fn is_host_and_port(text: &str) -> bool {
    let (host, port) = match text.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((v6, after)) => {
                let v6_ok = !v6.is_empty() && v6.chars().all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.'));
                if !v6_ok {
                    return false;
                }
                match after {
                    "" => return true,
                    after => match after.strip_prefix(':') {
                        Some(port) => ("v6", Some(port)),
                        None => return false,
                    },
                }
            }
            None => return false,
        },
        None => match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        },
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    let port_ok = port.is_none_or(|port| {
        (1..=5).contains(&port.len()) && port.chars().all(|c| c.is_ascii_digit()) && port.parse::<u16>().is_ok()
    });
    host_ok && port_ok
}

/// Refuses a request whose `Host` is not `host[:port]` with 400 `bad_host` (a request without one passes: HTTP/1.0,
/// or HTTP/2's `:authority`, which hyper has already parsed).
pub async fn valid_host(request: Request, next: Next) -> Response {
    let host = request.headers().get(header::HOST);
    if host.is_some_and(|host| host.to_str().map_or(true, |host| !is_host_and_port(host))) {
        let body = json!({ "error": "the Host header must be host[:port]", "code": "bad_host" });
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::is_host_and_port;

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
