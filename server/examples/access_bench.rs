//! Signed-cookie throughput: how many playback authorizations' cookies one core signs per second, and how many media
//! requests the gate checks per second (the first request of an authorization, which verifies the RSA signature, and
//! the later ones, which find it verified), each against the bare RSA operation, measured in the same run.
//!
//!     cargo run --release -p caravan-server --example access_bench [iterations]

use std::{hint::black_box, net::Ipv4Addr, time::Instant};

use caravan_server::access::{
    cloudfront::{CookieSigner, CookieVerifier, HashAlgorithm, Policy, PresentedCookies},
    signing_key,
};
use rsa::{
    pkcs1v15::{SigningKey, VerifyingKey},
    signature::{Signer, Verifier},
};

/// Runs `f` `n` times; operations per second.
fn rate(n: u32, mut f: impl FnMut()) -> f64 {
    let started = Instant::now();
    for _ in 0..n {
        f();
    }
    f64::from(n) / started.elapsed().as_secs_f64()
}

fn main() {
    let n: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let dir = std::env::temp_dir().join(format!("caravan-access-bench-{}", std::process::id()));
    let key = signing_key::load_or_create(&dir.join("cloudfront-dev.pem")).expect("a signing key");
    let now = 1_800_000_000;
    let policy = Policy {
        resource: "https://media.example.com/media/demo/clearkey/*".into(),
        date_less_than: now + 3600,
        date_greater_than: None,
        ip_address: None,
    };
    let json = policy.to_json();
    let url = "https://media.example.com/media/demo/clearkey/720p/7.m4s";
    let keys = vec![("K".to_string(), key.to_public_key())];

    println!("| operation | hash | per second | bare RSA per second | ratio |");
    println!("|---|---|---|---|---|");
    for hash in [HashAlgorithm::Sha1, HashAlgorithm::Sha256] {
        let signer = CookieSigner::new("K".into(), key.clone(), hash);
        let issue = rate(n, || {
            black_box(signer.sign(black_box(&policy)));
        });
        let bare_sign = match hash {
            HashAlgorithm::Sha1 => {
                let raw = SigningKey::<sha1::Sha1>::new(key.clone());
                rate(n, || {
                    black_box(raw.sign(black_box(json.as_bytes())));
                })
            }
            HashAlgorithm::Sha256 => {
                let raw = SigningKey::<sha2::Sha256>::new(key.clone());
                rate(n, || {
                    black_box(raw.sign(black_box(json.as_bytes())));
                })
            }
        };
        println!(
            "| cookie issuance (policy, signature, encoding) | {} | {issue:.0} | {bare_sign:.0} | {:.2} |",
            hash.name(),
            bare_sign / issue
        );

        let cookies = signer.sign(&policy);
        let presented = PresentedCookies {
            policy: Some(&cookies.policy),
            signature: Some(&cookies.signature),
            key_pair_id: Some(&cookies.key_pair_id),
            hash_algorithm: cookies.hash_algorithm,
        };
        let checks = n * 5;
        // The first request of an authorization: a fresh verifier, so the signature is checked.
        let first = rate(checks, || {
            CookieVerifier::new(keys.clone())
                .check(black_box(presented), url, Ipv4Addr::LOCALHOST, now)
                .expect("valid cookies");
        });
        // Every later request with the same cookies: the verified policy is remembered.
        let verifier = CookieVerifier::new(keys.clone());
        let later = rate(checks * 20, || {
            verifier
                .check(black_box(presented), url, Ipv4Addr::LOCALHOST, now)
                .expect("valid cookies");
        });
        let signature_bytes = caravan_server::access::cloudfront::decode(&cookies.signature).unwrap();
        let signature = rsa::pkcs1v15::Signature::try_from(signature_bytes.as_slice()).unwrap();
        let bare_verify = match hash {
            HashAlgorithm::Sha1 => {
                let raw = VerifyingKey::<sha1::Sha1>::new(key.to_public_key());
                rate(checks, || raw.verify(black_box(json.as_bytes()), &signature).unwrap())
            }
            HashAlgorithm::Sha256 => {
                let raw = VerifyingKey::<sha2::Sha256>::new(key.to_public_key());
                rate(checks, || raw.verify(black_box(json.as_bytes()), &signature).unwrap())
            }
        };
        println!(
            "| gate check, first request (decode, RSA verify, policy) | {} | {first:.0} | {bare_verify:.0} | {:.2} |",
            hash.name(),
            bare_verify / first
        );
        println!(
            "| gate check, later requests (verified policy remembered) | {} | {later:.0} | {bare_verify:.0} | {:.3} |",
            hash.name(),
            bare_verify / later
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
