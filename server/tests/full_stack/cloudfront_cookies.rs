//! CloudFront signed cookies against an independent implementation: Node's own crypto (OpenSSL) signs and verifies
//! the same policies, and the JavaScript SDK's policy layout (JSON.stringify) is the reference for the bytes.

use std::{net::Ipv4Addr, path::Path, process::Command};

use caravan_server::access::{
    cloudfront::{self, CookieSigner, CookieVerifier, HashAlgorithm, Ipv4Cidr, Policy, PresentedCookies, Refusal},
    signing_key,
};

/// Runs a Node script with arguments; returns its standard output.
fn node(script: &str, args: &[&str]) -> String {
    let output = Command::new("node")
        .arg("-e")
        .arg(script)
        .arg("--")
        .args(args)
        .output()
        .expect("node runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// An RSA 2048 key made by Node (PKCS#8 PEM), written to `dir`.
fn node_key(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("key.pem");
    node(
        "const c = require('crypto'); const fs = require('fs');
         const { privateKey } = c.generateKeyPairSync('rsa', { modulusLength: 2048 });
         fs.writeFileSync(process.argv[1], privateKey.export({ type: 'pkcs8', format: 'pem' }));",
        &[path.to_str().unwrap()],
    );
    path
}

/// Node's signature of `policy` (CloudFront's base64 mapping applied in JavaScript).
fn node_signature(key: &Path, algorithm: &str, policy: &str) -> String {
    node(
        "const c = require('crypto'); const fs = require('fs');
         const [key, algorithm, policy] = process.argv.slice(1);
         const signature = c.createSign(algorithm).update(policy).sign(fs.readFileSync(key, 'utf8'), 'base64');
         console.log(signature.replace(/\\+/g, '-').replace(/=/g, '_').replace(/\\//g, '~'));",
        &[key.to_str().unwrap(), algorithm, policy],
    )
}

/// Whether Node verifies the cookies' signature over their policy with the public key in `pem`.
fn node_verifies(pem: &Path, algorithm: &str, cookies: &cloudfront::SignedCookies) -> bool {
    node(
        "const c = require('crypto'); const fs = require('fs');
         const [pem, algorithm, policy, signature] = process.argv.slice(1);
         const unmap = (s) => Buffer.from(s.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');
         const key = fs.readFileSync(pem, 'utf8');
         console.log(c.createVerify(algorithm).update(unmap(policy)).verify(key, unmap(signature)));",
        &[pem.to_str().unwrap(), algorithm, &cookies.policy, &cookies.signature],
    ) == "true"
}

const NOW: i64 = 1_800_000_000;

fn policy() -> Policy {
    Policy {
        resource: "http://127.0.0.1:3000/media/demo/clearkey/*".into(),
        date_less_than: NOW + 3600,
        date_greater_than: Some(NOW - 60),
        ip_address: Ipv4Cidr::parse("127.0.0.0/8"),
    }
}

#[test]
fn the_policy_is_the_sdks_json_and_signatures_equal_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = node_key(dir.path());
    let key = signing_key::load(&key_file).expect("a PKCS#8 key from Node loads");
    let policy = policy();

    let sdk_json = node(
        "const [resource, lessThan, greaterThan, ip] = process.argv.slice(1);
         console.log(JSON.stringify({ Statement: [{ Resource: resource, Condition: {
           DateLessThan: { 'AWS:EpochTime': Number(lessThan) },
           DateGreaterThan: { 'AWS:EpochTime': Number(greaterThan) },
           IpAddress: { 'AWS:SourceIp': ip } } }] }));",
        &[
            &policy.resource,
            &policy.date_less_than.to_string(),
            &policy.date_greater_than.unwrap().to_string(),
            "127.0.0.0/8",
        ],
    );
    assert_eq!(policy.to_json(), sdk_json);

    for (hash, node_algorithm, hash_cookie) in [
        (HashAlgorithm::Sha1, "RSA-SHA1", None),
        (HashAlgorithm::Sha256, "RSA-SHA256", Some("SHA256")),
    ] {
        let cookies = CookieSigner::new("K2JCJMDEHXQW5F".into(), key.clone(), hash).sign(&policy);
        assert_eq!(
            cookies.signature,
            node_signature(&key_file, node_algorithm, &sdk_json),
            "{hash:?}"
        );
        assert_eq!(cloudfront::decode(&cookies.policy).unwrap(), sdk_json.as_bytes());
        assert_eq!(cookies.hash_algorithm, hash_cookie);
        assert_eq!(cookies.key_pair_id, "K2JCJMDEHXQW5F");
        for (_, value) in cookies.pairs() {
            assert!(!value.contains(['+', '/', '=', ';', ' ']), "cookie-safe: {value}");
        }
    }
}

#[test]
fn node_verifies_our_signature_with_the_public_key_we_print() {
    let dir = tempfile::tempdir().unwrap();
    let key = signing_key::load_or_create(&dir.path().join("key.pem")).unwrap();
    let public_pem = dir.path().join("public.pem");
    std::fs::write(&public_pem, signing_key::public_key_pem(&key)).unwrap();
    let cookies = CookieSigner::new("KDEV".into(), key, HashAlgorithm::Sha1).sign(&policy());
    assert!(node_verifies(&public_pem, "RSA-SHA1", &cookies));
}

#[test]
fn the_gate_accepts_what_cloudfront_would_and_refuses_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = node_key(dir.path());
    let key = signing_key::load(&key_file).unwrap();
    let other = signing_key::load_or_create(&dir.path().join("other.pem")).unwrap();
    let verifier = CookieVerifier::new(vec![("KGOOD".into(), key.to_public_key())]);
    let url = "http://127.0.0.1:3000/media/demo/clearkey/720p/1.m4s";
    let here = Ipv4Addr::new(127, 0, 0, 1);
    let check = |policy: &str, signature: &str, key_id: &str, hash: Option<&str>, url: &str, ip: Ipv4Addr, now: i64| {
        verifier.check(
            PresentedCookies {
                policy: Some(policy),
                signature: Some(signature),
                key_pair_id: Some(key_id),
                hash_algorithm: hash,
            },
            url,
            ip,
            now,
        )
    };

    // Signed by Node, not by us: the gate checks CloudFront's format, not its own signer.
    let json = policy().to_json();
    let node_policy = cloudfront::encode(json.as_bytes());
    let node_sig = node_signature(&key_file, "RSA-SHA1", &json);
    assert_eq!(check(&node_policy, &node_sig, "KGOOD", None, url, here, NOW), Ok(()));
    let node_sig256 = node_signature(&key_file, "RSA-SHA256", &json);
    assert_eq!(
        check(&node_policy, &node_sig256, "KGOOD", Some("SHA256"), url, here, NOW),
        Ok(())
    );
    assert_eq!(
        check(&node_policy, &node_sig256, "KGOOD", None, url, here, NOW),
        Err(Refusal::BadSignature),
        "a SHA-256 signature without its cookie is checked as SHA-1"
    );

    let ok = CookieSigner::new("KGOOD".into(), key.clone(), HashAlgorithm::Sha1).sign(&policy());
    let (p, s) = (ok.policy.as_str(), ok.signature.as_str());
    assert_eq!(check(p, s, "KGOOD", None, url, here, NOW), Ok(()));
    assert_eq!(check(p, s, "KGOOD", None, url, here, NOW + 3600), Err(Refusal::Expired));
    assert_eq!(
        check(p, s, "KGOOD", None, url, here, NOW - 60),
        Err(Refusal::NotYetValid)
    );
    assert_eq!(
        check(
            p,
            s,
            "KGOOD",
            None,
            "http://127.0.0.1:3000/media/demo/live/master.m3u8",
            here,
            NOW
        ),
        Err(Refusal::WrongResource)
    );
    assert_eq!(
        check(p, s, "KGOOD", None, url, Ipv4Addr::new(192, 0, 2, 1), NOW),
        Err(Refusal::WrongAddress)
    );
    assert_eq!(check(p, s, "KUNKNOWN", None, url, here, NOW), Err(Refusal::UnknownKey));

    // A policy edited after signing (a later DateLessThan), and a signature with one character changed.
    let longer = Policy {
        date_less_than: NOW + 365 * 86_400,
        ..policy()
    };
    let tampered_policy = cloudfront::encode(longer.to_json().as_bytes());
    assert_eq!(
        check(&tampered_policy, s, "KGOOD", None, url, here, NOW),
        Err(Refusal::BadSignature)
    );
    let mut tampered_sig = s.to_string();
    let flipped = if tampered_sig.starts_with('A') { "B" } else { "A" };
    tampered_sig.replace_range(0..1, flipped);
    assert_eq!(
        check(p, &tampered_sig, "KGOOD", None, url, here, NOW),
        Err(Refusal::BadSignature)
    );

    // Signed by a key the gate does not trust, under a trusted key id.
    let forged = CookieSigner::new("KGOOD".into(), other, HashAlgorithm::Sha1).sign(&policy());
    assert_eq!(
        check(&forged.policy, &forged.signature, "KGOOD", None, url, here, NOW),
        Err(Refusal::BadSignature)
    );
    assert_eq!(
        verifier.check(PresentedCookies::default(), url, here, NOW),
        Err(Refusal::Missing)
    );
    assert_eq!(check("!!!", s, "KGOOD", None, url, here, NOW), Err(Refusal::Malformed));
}

#[test]
fn the_server_prints_the_public_key_of_the_key_it_signs_with() {
    let dir = tempfile::tempdir().unwrap();
    let print = || {
        let output = Command::new(env!("CARGO_BIN_EXE_caravan-server"))
            .arg("cloudfront-public-key")
            .env("CARAVAN_DATA_DIR", dir.path())
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let printed = print();
    assert!(printed.starts_with("-----BEGIN PUBLIC KEY-----\n") && printed.ends_with("-----END PUBLIC KEY-----\n"));
    assert_eq!(print(), printed, "the development key is kept");

    // What the server signs with that key verifies against what it printed (checked by Node).
    let key = signing_key::load(&dir.path().join("keys/cloudfront-dev.pem")).unwrap();
    let cookies = CookieSigner::new("K".into(), key, HashAlgorithm::Sha256).sign(&policy());
    let public_pem = dir.path().join("printed.pem");
    std::fs::write(&public_pem, &printed).unwrap();
    assert!(node_verifies(&public_pem, "RSA-SHA256", &cookies));
}
