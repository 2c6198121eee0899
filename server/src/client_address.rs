//! Who is asking, by address: the client's address (the socket's peer, or what a trusted proxy says it forwarded
//! for), and per-address limits on what anyone can do without an account, where a fresh viewer cookie costs nothing:
//! placing orders, taking waiting-room numbers, likes, playback analytics, accepting terms, and failed sign-ins.
//! Each limit is a token bucket per address (an IPv6 client by its /64, the block one subscriber gets), generous
//! enough for the many phones behind one carrier NAT, and configurable; past it the answer is 429 with
//! `Retry-After`.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, HeaderName},
    middleware::Next,
    response::{IntoResponse, Response},
};
use ipnet::IpNet;

use crate::{error::AppError, rate_limit::RateLimiter};

/// The client's address, as `identify` resolved it (a request extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AddressConfigError {
    #[error("trusted_proxies: \"{0}\" is not an address or CIDR range")]
    Proxy(String),
    #[error("client_address_header: \"{0}\" is not a header name")]
    Header(String),
    #[error("address_limits: \"{0}\" is not name=requests-per-minute with a known name ({names})", names = Family::NAMES)]
    Limit(String),
}

/// Where the client's address comes from.
#[derive(Debug, Clone)]
pub struct AddressPolicy {
    trusted: Arc<Vec<IpNet>>,
    header: HeaderName,
}

impl AddressPolicy {
    /// `trusted`: the proxies' addresses or ranges, comma-separated (empty: the socket's peer is the client);
    /// `header`: where they put the client's address (`X-Forwarded-For` style: a list, the nearest last).
    pub fn new(trusted: &str, header: &str) -> Result<Self, AddressConfigError> {
        let trusted = trusted
            .split(',')
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(|text| {
                text.parse::<IpNet>()
                    .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| AddressConfigError::Proxy(text.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let header = HeaderName::try_from(header.trim()).map_err(|_| AddressConfigError::Header(header.to_owned()))?;
        Ok(Self {
            trusted: Arc::new(trusted),
            header,
        })
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.trusted.iter().any(|range| range.contains(&canonical(address)))
    }

    /// The client: the peer, unless the peer is a trusted proxy; then, walking the header's list from its nearest
    /// end, the first address that is not a trusted proxy (what a client writes in the header itself is never
    /// believed past that). A malformed entry stops the walk at the last address known.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        let forwarded = headers
            .get_all(&self.header)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for entry in forwarded.into_iter().rev() {
            let Some(address) = parse_forwarded(entry) else {
                break;
            };
            client = canonical(address);
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

/// An address as a forwarding header writes it: `a.b.c.d`, `a.b.c.d:port`, an IPv6 address, or `[v6]:port`.
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
}

/// An IPv4 client reached over an IPv6 socket (`::ffff:a.b.c.d`) is that IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// Resolves the client's address once per request and keeps it as a `ClientAddress` extension (and in the
/// request's log lines). A request without a peer (built in a test) is 127.0.0.1's.
pub async fn identify(State(policy): State<AddressPolicy>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |peer| peer.0.ip());
    let client = policy.client(peer, request.headers());
    tracing::Span::current().record("client", tracing::field::display(client));
    request.extensions_mut().insert(ClientAddress(client));
    next.run(request).await
}

/// A response extension: the request's credentials were refused without a 401 (the console's sign-in form answers
/// with a redirect).
#[derive(Debug, Clone, Copy)]
pub struct CredentialsRefused;

/// Guessing credentials: a request that carries them (`Authorization`, `x-api-key`, the console's sign-in) from an
/// address whose `failed_sign_in` budget is spent is answered 429 before they are even compared; a refusal (401, or
/// `CredentialsRefused`) spends one and is logged with the address.
pub async fn throttle_refused_credentials(
    State(limits): State<AddressLimits>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let carries = headers.contains_key(axum::http::header::AUTHORIZATION)
        || headers.contains_key("x-api-key")
        || request.uri().path() == "/api/admin/login";
    if !carries {
        return next.run(request).await;
    }
    let client = request
        .extensions()
        .get::<ClientAddress>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |client| client.0);
    let path = request.uri().path().to_owned();
    if let Err(wait) = limits.peek(Family::FailedSignIn, client, Instant::now()) {
        tracing::warn!(%client, path, "credentials not checked: too many refused from this address");
        return crate::error::AppError::TooManyRequests(wait).into_response();
    }
    let response = next.run(request).await;
    if response.status() == axum::http::StatusCode::UNAUTHORIZED
        || response.extensions().get::<CredentialsRefused>().is_some()
    {
        tracing::warn!(%client, path, "refused credentials");
        let _ = limits.check(Family::FailedSignIn, client, Instant::now());
    }
    response
}

/// What a per-address limit is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// `POST /api/orders`.
    Orders,
    /// `POST /waiting-room/assign_queue_num`.
    WaitingRoom,
    /// Like taps (counted per tap, not per call).
    Likes,
    /// `POST /api/analytics/{slug}` batches.
    Analytics,
    /// Accepting a show's terms.
    Terms,
    /// Refused credentials: the operator token or a sign-in.
    FailedSignIn,
}

impl Family {
    const ALL: [Family; 6] = [
        Family::Orders,
        Family::WaitingRoom,
        Family::Likes,
        Family::Analytics,
        Family::Terms,
        Family::FailedSignIn,
    ];
    const NAMES: &str = "orders, waiting_room, likes, analytics, terms, failed_sign_in";

    fn name(self) -> &'static str {
        match self {
            Family::Orders => "orders",
            Family::WaitingRoom => "waiting_room",
            Family::Likes => "likes",
            Family::Analytics => "analytics",
            Family::Terms => "terms",
            Family::FailedSignIn => "failed_sign_in",
        }
    }
}

/// The per-address limits: a bucket per family and address, refilled over a minute.
#[derive(Debug, Clone)]
pub struct AddressLimits {
    limiters: Arc<HashMap<Family, RateLimiter>>,
}

impl AddressLimits {
    /// `name=per_minute` pairs, comma-separated (see `Family::NAMES`); a family not named has no limit.
    pub fn parse(text: &str) -> Result<Self, AddressConfigError> {
        let mut limiters = HashMap::new();
        for pair in text.split(',').map(str::trim).filter(|pair| !pair.is_empty()) {
            let refused = || AddressConfigError::Limit(pair.to_owned());
            let (name, per_minute) = pair.split_once('=').ok_or_else(refused)?;
            let family = Family::ALL
                .into_iter()
                .find(|family| family.name() == name.trim())
                .ok_or_else(refused)?;
            let per_minute: u32 = per_minute.trim().parse().ok().filter(|n| *n > 0).ok_or_else(refused)?;
            limiters.insert(family, RateLimiter::new(per_minute, Duration::from_secs(60)));
        }
        Ok(Self {
            limiters: Arc::new(limiters),
        })
    }

    /// Takes one from `address`'s `family` bucket; `Err(wait)` when it is empty.
    pub fn check(&self, family: Family, address: IpAddr, now: Instant) -> Result<(), Duration> {
        match self.limiters.get(&family) {
            Some(limiter) => limiter.take(&key(address), now),
            None => Ok(()),
        }
    }

    /// Takes one of `family` from the client's budget; 429 with the wait when it is spent.
    pub fn limit(&self, family: Family, client: ClientAddress) -> Result<(), AppError> {
        self.check(family, client.0, Instant::now())
            .map_err(AppError::TooManyRequests)
    }

    /// Whether `address` has any of `family` left, taking nothing.
    pub fn peek(&self, family: Family, address: IpAddr, now: Instant) -> Result<(), Duration> {
        match self.limiters.get(&family) {
            Some(limiter) => limiter.peek(&key(address), now),
            None => Ok(()),
        }
    }

    /// How many of `count` units (like taps) `address` may spend.
    pub fn admit(&self, family: Family, address: IpAddr, count: i64, now: Instant) -> i64 {
        match self.limiters.get(&family) {
            Some(limiter) => limiter.admit(&key(address), count, now),
            None => count,
        }
    }
}

/// The bucket of an address: an IPv4 address, or an IPv6 address's /64.
fn key(address: IpAddr) -> String {
    match canonical(address) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn the_client_is_the_peer_unless_a_trusted_proxy_forwarded_it() {
        let none = AddressPolicy::new("", "x-forwarded-for").unwrap();
        let peer: IpAddr = "10.0.0.5".parse().unwrap();
        // Without trusted proxies the header is the client's own words: ignored.
        assert_eq!(none.client(peer, &forwarded("1.2.3.4")), peer);

        let proxies = AddressPolicy::new("10.0.0.0/8, 192.168.1.1", "X-Forwarded-For").unwrap();
        // The proxy appended the client; whatever the client wrote before that is not believed.
        assert_eq!(
            proxies.client(peer, &forwarded("6.6.6.6, 203.0.113.7")),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        // Two trusted hops: the first untrusted address from the near end.
        assert_eq!(
            proxies.client(peer, &forwarded("203.0.113.7, 192.168.1.1")),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            proxies.client(peer, &forwarded("[2001:db8::1]:443")),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
        // A malformed entry: the last address known (the proxy) is the client.
        assert_eq!(proxies.client(peer, &forwarded("junk")), peer);
        // A peer that is no proxy is the client, whatever it sends.
        let stranger: IpAddr = "198.51.100.9".parse().unwrap();
        assert_eq!(proxies.client(stranger, &forwarded("1.2.3.4")), stranger);
        // An IPv4 client over an IPv6 socket.
        let mapped: IpAddr = "::ffff:198.51.100.9".parse().unwrap();
        assert_eq!(none.client(mapped, &HeaderMap::new()), stranger);

        assert!(AddressPolicy::new("10.0.0.0/33", "x-forwarded-for").is_err());
        assert!(AddressPolicy::new("", "bad header").is_err());
    }

    #[test]
    fn limits_are_per_address_and_an_ipv6_subscriber_is_one_address() {
        let limits = AddressLimits::parse("orders=2, likes=100").unwrap();
        let now = Instant::now();
        let a: IpAddr = "198.51.100.9".parse().unwrap();
        assert!(limits.check(Family::Orders, a, now).is_ok());
        assert!(limits.check(Family::Orders, a, now).is_ok());
        let wait = limits.check(Family::Orders, a, now).unwrap_err();
        assert!((29..=30).contains(&wait.as_secs()), "{wait:?}");
        assert!(
            limits
                .check(Family::Orders, "198.51.100.10".parse().unwrap(), now)
                .is_ok()
        );
        // Unnamed families are not limited.
        assert!((0..10).all(|_| limits.check(Family::Terms, a, now).is_ok()));
        // One /64: one bucket.
        let v6a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert_eq!(limits.admit(Family::Likes, v6a, 80, now), 80);
        assert_eq!(limits.admit(Family::Likes, v6b, 80, now), 20);
        assert_eq!(
            limits.admit(Family::Likes, "2001:db8:1:3::1".parse().unwrap(), 80, now),
            80
        );

        for bad in ["orders", "orders=0", "orders=x", "nope=3"] {
            assert!(AddressLimits::parse(bad).is_err(), "{bad}");
        }
    }
}
