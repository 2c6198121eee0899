//! Amazon CloudFront signed cookies, both sides: signing (what `POST /api/playback/{slug}` sets) and checking (what
//! the embedded media gate does in CloudFront's place). Custom policies only: they carry the wildcard Resource a
//! stream's many files need.
//!
//! - Policy: compact JSON, key order `Resource`, `Condition{DateLessThan, DateGreaterThan, IpAddress}` (as the AWS
//!   JavaScript SDK writes it), epoch seconds as integers, IPv4 CIDR.
//! - Signature: RSA PKCS#1 v1.5 over the policy bytes, SHA-1 (CloudFront's default) or SHA-256 (then the
//!   `CloudFront-Hash-Algorithm: SHA256` cookie says so).
//! - Encoding: standard base64 with padding, then `+`→`-`, `=`→`_`, `/`→`~`.
//!
//! See shared/reference/protocols.md §3 and CloudFront's developer guide, "Setting signed cookies using a custom
//! policy".

use std::net::Ipv4Addr;

use base64::{Engine, engine::general_purpose::STANDARD};
use rsa::{
    RsaPrivateKey, RsaPublicKey,
    pkcs1v15::{Signature, SigningKey, VerifyingKey},
    signature::{SignatureEncoding, Signer, Verifier},
};

pub const POLICY_COOKIE: &str = "CloudFront-Policy";
pub const SIGNATURE_COOKIE: &str = "CloudFront-Signature";
pub const KEY_PAIR_ID_COOKIE: &str = "CloudFront-Key-Pair-Id";
pub const HASH_ALGORITHM_COOKIE: &str = "CloudFront-Hash-Algorithm";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    Sha1,
    Sha256,
}

impl HashAlgorithm {
    /// The `CloudFront-Hash-Algorithm` value.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha1 => "SHA1",
            HashAlgorithm::Sha256 => "SHA256",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "SHA1" => Some(HashAlgorithm::Sha1),
            "SHA256" => Some(HashAlgorithm::Sha256),
            _ => None,
        }
    }
}

/// A custom policy's one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// `http(s)://…` with `*` (any run of characters) and `?` (one character) wildcards.
    pub resource: String,
    /// Epoch seconds: valid before this.
    pub date_less_than: i64,
    /// Epoch seconds: valid after this.
    pub date_greater_than: Option<i64>,
    /// The viewer's address range.
    pub ip_address: Option<Ipv4Cidr>,
}

/// The `Resource` for every file under one folder of one origin: `{origin}/{folder}/*`. `None` when either part
/// holds a wildcard (`*`, `?`) or the folder is empty or climbs (`..`): a policy built from stored or configured
/// values never opens more than that folder.
pub fn folder_resource(origin: &str, folder: &str) -> Option<String> {
    let folder = folder.trim_matches('/');
    let wild = |text: &str| text.contains(['*', '?']);
    let climbs = folder.split('/').any(|segment| matches!(segment, "" | "." | ".."));
    (!wild(origin) && !wild(folder) && !climbs).then(|| format!("{}/{folder}/*", origin.trim_end_matches('/')))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Cidr {
    pub address: Ipv4Addr,
    pub prefix: u8,
}

impl Ipv4Cidr {
    /// `a.b.c.d` (a /32) or `a.b.c.d/nn`.
    pub fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, prefix.parse().ok().filter(|p| *p <= 32)?),
            None => (text, 32),
        };
        Some(Self {
            address: address.parse().ok()?,
            prefix,
        })
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
        u32::from(ip) & mask == u32::from(self.address) & mask
    }
}

impl std::fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

impl Policy {
    /// The exact bytes that are signed: compact JSON, keys in the SDK's order (written by hand: a JSON map would
    /// sort them).
    pub fn to_json(&self) -> String {
        let resource = serde_json::Value::from(self.resource.as_str());
        let mut condition = format!(r#""DateLessThan":{{"AWS:EpochTime":{}}}"#, self.date_less_than);
        if let Some(after) = self.date_greater_than {
            condition += &format!(r#","DateGreaterThan":{{"AWS:EpochTime":{after}}}"#);
        }
        if let Some(range) = self.ip_address {
            condition += &format!(r#","IpAddress":{{"AWS:SourceIp":"{range}"}}"#);
        }
        format!(r#"{{"Statement":[{{"Resource":{resource},"Condition":{{{condition}}}}}]}}"#)
    }

    /// Reads a policy as CloudFront does: one statement, whitespace anywhere, conditions in any order.
    pub fn from_json(text: &str) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        let [statement] = value.get("Statement")?.as_array()?.as_slice() else {
            return None;
        };
        let condition = statement.get("Condition")?;
        let epoch = |name: &str| condition.get(name)?.get("AWS:EpochTime")?.as_i64();
        Some(Self {
            resource: statement.get("Resource")?.as_str()?.to_string(),
            date_less_than: epoch("DateLessThan")?,
            date_greater_than: match condition.get("DateGreaterThan") {
                Some(_) => Some(epoch("DateGreaterThan")?),
                None => None,
            },
            ip_address: match condition.get("IpAddress") {
                Some(ip) => Some(Ipv4Cidr::parse(ip.get("AWS:SourceIp")?.as_str()?)?),
                None => None,
            },
        })
    }
}

/// CloudFront's URL-safe base64: standard alphabet with padding, then `+`→`-`, `=`→`_`, `/`→`~`.
pub fn encode(bytes: &[u8]) -> String {
    STANDARD
        .encode(bytes)
        .chars()
        .map(|c| match c {
            '+' => '-',
            '=' => '_',
            '/' => '~',
            c => c,
        })
        .collect()
}

pub fn decode(text: &str) -> Option<Vec<u8>> {
    let standard: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '=',
            '~' => '/',
            c => c,
        })
        .collect();
    STANDARD.decode(standard).ok()
}

/// The cookie values, unencoded for HTTP (each is a cookie-safe string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCookies {
    pub policy: String,
    pub signature: String,
    pub key_pair_id: String,
    /// Only with SHA-256 (CloudFront assumes SHA-1 without it).
    pub hash_algorithm: Option<&'static str>,
}

impl SignedCookies {
    /// (name, value) pairs, one `Set-Cookie` each.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut pairs = vec![
            (POLICY_COOKIE, self.policy.as_str()),
            (SIGNATURE_COOKIE, self.signature.as_str()),
            (KEY_PAIR_ID_COOKIE, self.key_pair_id.as_str()),
        ];
        if let Some(algorithm) = self.hash_algorithm {
            pairs.push((HASH_ALGORITHM_COOKIE, algorithm));
        }
        pairs
    }
}

#[derive(Clone)]
pub struct CookieSigner {
    key_pair_id: String,
    key: RsaPrivateKey,
    hash: HashAlgorithm,
}

impl std::fmt::Debug for CookieSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookieSigner")
            .field("key_pair_id", &self.key_pair_id)
            .field("key", &"********")
            .field("hash", &self.hash)
            .finish()
    }
}

impl CookieSigner {
    pub fn new(key_pair_id: String, key: RsaPrivateKey, hash: HashAlgorithm) -> Self {
        Self { key_pair_id, key, hash }
    }

    pub fn public_key(&self) -> RsaPublicKey {
        self.key.to_public_key()
    }

    pub fn key_pair_id(&self) -> &str {
        &self.key_pair_id
    }

    pub fn sign(&self, policy: &Policy) -> SignedCookies {
        let json = policy.to_json();
        let signature = match self.hash {
            HashAlgorithm::Sha1 => SigningKey::<sha1::Sha1>::new(self.key.clone())
                .sign(json.as_bytes())
                .to_vec(),
            HashAlgorithm::Sha256 => SigningKey::<sha2::Sha256>::new(self.key.clone())
                .sign(json.as_bytes())
                .to_vec(),
        };
        SignedCookies {
            policy: encode(json.as_bytes()),
            signature: encode(&signature),
            key_pair_id: self.key_pair_id.clone(),
            hash_algorithm: (self.hash == HashAlgorithm::Sha256).then_some(HashAlgorithm::Sha256.name()),
        }
    }
}

/// Why a request's cookies do not open a URL (the gate's 403 says it, briefly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("missing signed cookies")]
    Missing,
    #[error("unknown key pair id")]
    UnknownKey,
    #[error("malformed signed cookies")]
    Malformed,
    #[error("bad signature")]
    BadSignature,
    #[error("the policy does not cover this URL")]
    WrongResource,
    #[error("the policy has expired")]
    Expired,
    #[error("the policy is not valid yet")]
    NotYetValid,
    #[error("the policy does not cover this address")]
    WrongAddress,
}

/// The public keys CloudFront would trust (a key group), by key pair id.
#[derive(Debug, Clone, Default)]
pub struct CookieVerifier {
    keys: Vec<(String, RsaPublicKey)>,
    /// Policies whose signature has been verified, by a SHA-256 of exactly what was presented (key id, hash,
    /// policy, signature). A viewer sends the same cookies with every segment, so the RSA check runs once per
    /// authorization, not once per request; the policy's conditions are still checked on every request.
    verified: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<[u8; 32], Policy>>>,
}

/// Verified policies kept at most (then the cache starts over).
const VERIFIED_CAPACITY: usize = 100_000;

/// The signed cookies of a request.
#[derive(Debug, Default, Clone, Copy)]
pub struct PresentedCookies<'a> {
    pub policy: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub key_pair_id: Option<&'a str>,
    pub hash_algorithm: Option<&'a str>,
}

impl CookieVerifier {
    pub fn new(keys: Vec<(String, RsaPublicKey)>) -> Self {
        Self {
            keys,
            verified: Default::default(),
        }
    }

    /// Whether CloudFront would serve `url` to a viewer at `ip` at `now` (epoch seconds) with these cookies.
    pub fn check(&self, cookies: PresentedCookies<'_>, url: &str, ip: Ipv4Addr, now: i64) -> Result<(), Refusal> {
        let (Some(policy_b64), Some(signature_b64), Some(key_id)) =
            (cookies.policy, cookies.signature, cookies.key_pair_id)
        else {
            return Err(Refusal::Missing);
        };
        let digest: [u8; 32] = {
            use sha2::Digest;
            let mut hasher = sha2::Sha256::new();
            for part in [key_id, cookies.hash_algorithm.unwrap_or(""), policy_b64, signature_b64] {
                hasher.update((part.len() as u64).to_le_bytes());
                hasher.update(part.as_bytes());
            }
            hasher.finalize().into()
        };
        let cached = self.verified.lock().ok().and_then(|cache| cache.get(&digest).cloned());
        let policy = match cached {
            Some(policy) => policy,
            None => {
                let policy = self.verify(key_id, cookies.hash_algorithm, policy_b64, signature_b64)?;
                if let Ok(mut cache) = self.verified.lock() {
                    if cache.len() >= VERIFIED_CAPACITY {
                        cache.clear();
                    }
                    cache.insert(digest, policy.clone());
                }
                policy
            }
        };
        if !wildcard_match(&policy.resource, url) {
            return Err(Refusal::WrongResource);
        }
        if now >= policy.date_less_than {
            return Err(Refusal::Expired);
        }
        if policy.date_greater_than.is_some_and(|after| now <= after) {
            return Err(Refusal::NotYetValid);
        }
        if policy.ip_address.is_some_and(|range| !range.contains(ip)) {
            return Err(Refusal::WrongAddress);
        }
        Ok(())
    }
}

impl CookieVerifier {
    /// The policy, when its signature is by the named trusted key.
    fn verify(
        &self,
        key_id: &str,
        hash_algorithm: Option<&str>,
        policy_b64: &str,
        signature_b64: &str,
    ) -> Result<Policy, Refusal> {
        let key = self
            .keys
            .iter()
            .find(|(id, _)| id == key_id)
            .map(|(_, key)| key.clone())
            .ok_or(Refusal::UnknownKey)?;
        let hash = match hash_algorithm {
            None => HashAlgorithm::Sha1,
            Some(name) => HashAlgorithm::from_name(name).ok_or(Refusal::Malformed)?,
        };
        let policy_bytes = decode(policy_b64).ok_or(Refusal::Malformed)?;
        let signature = decode(signature_b64)
            .and_then(|bytes| Signature::try_from(bytes.as_slice()).ok())
            .ok_or(Refusal::Malformed)?;
        let verified = match hash {
            HashAlgorithm::Sha1 => VerifyingKey::<sha1::Sha1>::new(key).verify(&policy_bytes, &signature),
            HashAlgorithm::Sha256 => VerifyingKey::<sha2::Sha256>::new(key).verify(&policy_bytes, &signature),
        };
        verified.map_err(|_| Refusal::BadSignature)?;
        std::str::from_utf8(&policy_bytes)
            .ok()
            .and_then(Policy::from_json)
            .ok_or(Refusal::Malformed)
    }
}

/// CloudFront's Resource matching: `*` is any run of characters (also none), `?` exactly one.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((star_p, star_t)) = star {
            pi = star_p + 1;
            ti = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_resource_opens_that_folder_and_nothing_wider() {
        assert_eq!(
            folder_resource("https://media.example/", "media/demo/clearkey").as_deref(),
            Some("https://media.example/media/demo/clearkey/*")
        );
        for (origin, folder) in [
            ("http://*", "media/a"),
            ("http://h?", "media/a"),
            ("http://h", "media/*"),
            ("http://h", "media/a?b"),
            ("http://h", "media/../other"),
            ("http://h", "media//a"),
            ("http://h", ""),
        ] {
            assert_eq!(folder_resource(origin, folder), None, "{origin} {folder}");
        }
    }

    #[test]
    fn wildcards_match_as_cloudfront_documents() {
        assert!(wildcard_match(
            "https://d1.example/training/*",
            "https://d1.example/training/a/b.m3u8"
        ));
        assert!(wildcard_match(
            "https://d1.example/training/*",
            "https://d1.example/training/"
        ));
        assert!(!wildcard_match(
            "https://d1.example/training/*",
            "https://d1.example/other/a.ts"
        ));
        assert!(wildcard_match("https://*", "https://anything/at/all"));
        assert!(wildcard_match("http://h/seg_?.ts", "http://h/seg_1.ts"));
        assert!(!wildcard_match("http://h/seg_?.ts", "http://h/seg_10.ts"));
        assert!(wildcard_match("http://h/*/index.m3u8", "http://h/720p/index.m3u8"));
        assert!(!wildcard_match("http://h/a", "http://h/ab"));
    }

    #[test]
    fn cidr_ranges() {
        let range = Ipv4Cidr::parse("192.0.2.0/24").unwrap();
        assert!(range.contains("192.0.2.200".parse().unwrap()));
        assert!(!range.contains("192.0.3.1".parse().unwrap()));
        let one = Ipv4Cidr::parse("127.0.0.1").unwrap();
        assert_eq!(one.to_string(), "127.0.0.1/32");
        assert!(
            Ipv4Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(Ipv4Cidr::parse("1.2.3.4/33").is_none());
        assert!(Ipv4Cidr::parse("::1").is_none());
    }

    #[test]
    fn policies_are_compact_in_the_sdks_key_order_and_read_back() {
        let policy = Policy {
            resource: "https://media.example/demo/*".into(),
            date_less_than: 1_800_000_000,
            date_greater_than: Some(1_700_000_000),
            ip_address: Ipv4Cidr::parse("192.0.2.0/24"),
        };
        assert_eq!(
            policy.to_json(),
            r#"{"Statement":[{"Resource":"https://media.example/demo/*","Condition":{"DateLessThan":{"AWS:EpochTime":1800000000},"DateGreaterThan":{"AWS:EpochTime":1700000000},"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"}}}]}"#
        );
        assert_eq!(Policy::from_json(&policy.to_json()), Some(policy.clone()));
        let spaced = "{ \"Statement\" : [ { \"Condition\" : { \"DateLessThan\" : { \"AWS:EpochTime\" : 5 } },\n\
                      \"Resource\" : \"http://x/*\" } ] }";
        assert_eq!(Policy::from_json(spaced).unwrap().date_less_than, 5);
        assert!(Policy::from_json(r#"{"Statement":[]}"#).is_none());
    }

    #[test]
    fn the_base64_mapping_round_trips() {
        let bytes = [0xfb, 0xff, 0xbf, 0x3e, 0x00];
        let encoded = encode(&bytes);
        assert_eq!(STANDARD.encode(bytes), "+/+/PgA=");
        assert_eq!(encoded, "-~-~PgA_");
        assert_eq!(decode(&encoded).unwrap(), bytes);
    }
}
