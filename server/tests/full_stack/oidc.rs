//! Member login against a local fake OpenID Connect provider (discovery, JWKS, an authorize endpoint that consents at
//! once, a token endpoint that checks the client and PKCE): the sign-in flow, plan shows opening to members of their
//! plan, bearer access tokens for API clients, and every way a token or a callback can be wrong.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use crate::support::{TestApp, cookie_header, set_cookies};
use axum::{
    Form, Json, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use caravan_server::{
    config::Config,
    secret::Secret,
    store::{Access, EventRecord},
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::{RsaPrivateKey, pkcs1::EncodeRsaPrivateKey, traits::PublicKeyParts};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CLIENT_ID: &str = "caravan-web";
const CLIENT_SECRET: &str = "client-secret-9d2c";
const AUDIENCE: &str = "https://api.caravan.example";
const PLAN_CLAIM: &str = "https://caravan.example/plans";

/// The provider: its signing key, what /authorize was asked, and how often the JWKS was fetched.
struct Provider {
    issuer: String,
    key: RsaPrivateKey,
    /// code → (nonce, PKCE challenge, redirect URI)
    codes: Mutex<HashMap<String, (String, String, String)>>,
    jwks_fetches: Mutex<usize>,
    plans: Value,
}

impl Provider {
    fn token(&self, key: &RsaPrivateKey, kid: &str, claims: Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.into());
        let der = key.to_pkcs1_der().unwrap();
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_der(der.as_bytes())).unwrap()
    }

    /// Claims for `aud`, valid for an hour from now shifted by `offset` seconds.
    fn claims(&self, aud: &str, offset: i64) -> Value {
        let now = chrono::Utc::now().timestamp() + offset;
        json!({
            "iss": self.issuer, "sub": "auth0|fan-1", "aud": aud, "iat": now, "exp": now + 3600,
            PLAN_CLAIM: self.plans,
        })
    }
}

fn rsa_key() -> RsaPrivateKey {
    let dir = tempfile::tempdir().unwrap();
    caravan_server::access::signing_key::load_or_create(&dir.path().join("key.pem")).unwrap()
}

async fn fake_provider(plans: Value) -> Arc<Provider> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let provider = Arc::new(Provider {
        issuer: format!("http://{addr}/"),
        key: rsa_key(),
        codes: Mutex::default(),
        jwks_fetches: Mutex::default(),
        plans,
    });
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(|State(p): State<Arc<Provider>>| async move {
                Json(json!({
                    "issuer": p.issuer,
                    "authorization_endpoint": format!("{}authorize", p.issuer),
                    "token_endpoint": format!("{}oauth/token", p.issuer),
                    "jwks_uri": format!("{}.well-known/jwks.json", p.issuer),
                }))
            }),
        )
        .route(
            "/.well-known/jwks.json",
            get(|State(p): State<Arc<Provider>>| async move {
                *p.jwks_fetches.lock().unwrap() += 1;
                let public = p.key.to_public_key();
                Json(json!({ "keys": [{
                    "kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
                    "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
                    "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
                }]}))
            }),
        )
        .route(
            "/authorize",
            get(
                |State(p): State<Arc<Provider>>, Query(q): Query<HashMap<String, String>>| async move {
                    // The user signs in and consents at once.
                    let code = format!("code-{}", p.codes.lock().unwrap().len());
                    p.codes.lock().unwrap().insert(
                        code.clone(),
                        (
                            q["nonce"].clone(),
                            q["code_challenge"].clone(),
                            q["redirect_uri"].clone(),
                        ),
                    );
                    Redirect::to(&format!("{}?code={code}&state={}", q["redirect_uri"], q["state"]))
                },
            ),
        )
        .route(
            "/oauth/token",
            post(
                |State(p): State<Arc<Provider>>, Form(f): Form<HashMap<String, String>>| async move {
                    let refuse = |why: &str| -> Response {
                        (
                            StatusCode::FORBIDDEN,
                            Json(json!({ "error": "invalid_grant", "error_description": why })),
                        )
                            .into_response()
                    };
                    let Some((nonce, challenge, redirect)) = p.codes.lock().unwrap().remove(&f["code"]) else {
                        return refuse("unknown code");
                    };
                    if f["client_id"] != CLIENT_ID || f.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET)
                    {
                        return refuse("client");
                    }
                    if URL_SAFE_NO_PAD.encode(Sha256::digest(f["code_verifier"].as_bytes())) != challenge {
                        return refuse("PKCE");
                    }
                    if f["redirect_uri"] != redirect || f["grant_type"] != "authorization_code" {
                        return refuse("redirect");
                    }
                    let mut claims = p.claims(CLIENT_ID, 0);
                    claims["nonce"] = nonce.into();
                    Json(json!({ "id_token": p.token(&p.key, "k1", claims), "token_type": "Bearer" })).into_response()
                },
            ),
        )
        .with_state(provider.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    provider
}

fn configure(config: &mut Config, provider: &Provider) {
    config.oidc_issuer = Some(provider.issuer.clone());
    config.oidc_client_id = Some(CLIENT_ID.into());
    config.oidc_client_secret = Some(Secret::new(CLIENT_SECRET.into()));
    config.oidc_audience = Some(AUDIENCE.into());
    config.oidc_plan_claim = PLAN_CLAIM.into();
}

/// A plan show for members of `gold`, with media under `members/`.
async fn members_show(app: &TestApp) {
    let starts_at = chrono::Utc::now() - chrono::Duration::hours(1);
    let event = EventRecord {
        live_url: Some("/media/members/master.m3u8".into()),
        access: Access::Plan,
        media_prefix: Some("members".into()),
        plan: Some("gold".into()),
        ..EventRecord::new("evt_members", "members", "Members' night", starts_at)
    };
    app.store.create_event(&event, &[]).await.unwrap();
}

async fn playback(app: &TestApp, slug: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url(&format!("/api/playback/{slug}")))
        .json(&json!({}));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Signs in through the fake provider: the member cookie (and what the browser had), as a cookie header.
async fn sign_in(app: &TestApp, browser_cookies: &str) -> String {
    let start = app
        .client
        .get(app.url("/auth/login?next=/live/members"))
        .header("cookie", browser_cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 303);
    let authorize = start.headers()["location"].to_str().unwrap().to_string();
    for part in [
        "response_type=code",
        "client_id=caravan-web",
        "code_challenge_method=S256",
        "nonce=",
        "audience=",
    ] {
        assert!(authorize.contains(part), "{part} in {authorize}");
    }
    let flow = cookie_header(&set_cookies(&start));
    let consent = app.client.get(&authorize).send().await.unwrap();
    let back = reqwest::Url::parse(consent.headers()["location"].to_str().unwrap()).unwrap();
    let callback = app
        .client
        .get(app.url(&format!("/auth/callback?{}", back.query().unwrap())))
        .header("cookie", format!("{browser_cookies}; {flow}"))
        .send()
        .await
        .unwrap();
    assert_eq!(callback.status(), 303, "{:?}", callback.text().await);
    assert_eq!(callback.headers()["location"], "/live/members");
    let member = set_cookies(&callback)
        .into_iter()
        .find(|c| c.starts_with("caravan_member=") && c.contains("HttpOnly"))
        .expect("the member cookie");
    format!("{browser_cookies}; {}", member.split(';').next().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_sign_in_and_watch_their_plans_shows() {
    let provider = fake_provider(json!(["gold"])).await;
    let app = TestApp::spawn_configured(|config| configure(config, &provider)).await;
    members_show(&app).await;

    let (status, refusal) = playback(&app, "members", &[]).await;
    assert_eq!((status, refusal["reason"].as_str()), (403, Some("plan")), "{refusal}");
    assert_eq!(refusal["signInUrl"], "/auth/login?next=/live/members");

    // A viewer with a ticket to the paid demo signs in: the member keeps it, and the plan show opens.
    let (anonymous, _) = app.entitled_viewer("demo-paid", "ticket").await;
    let member = sign_in(&app, &anonymous).await;
    let (status, answer) = playback(&app, "members", &[("cookie", &member)]).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["manifestUrl"], "/media/members/master.m3u8");
    assert_eq!(playback(&app, "demo-paid", &[("cookie", &member)]).await.0, 200);

    // Signing out ends it.
    let out = app
        .client
        .post(app.url("/auth/logout"))
        .form(&[("next", "/live/members")])
        .send()
        .await
        .unwrap();
    assert!(
        set_cookies(&out)
            .iter()
            .any(|c| c.starts_with("caravan_member=;") && c.contains("Max-Age=0"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_that_is_not_ours_is_refused() {
    let provider = fake_provider(json!("gold")).await;
    let app = TestApp::spawn_configured(|config| configure(config, &provider)).await;
    let start = app.get("/auth/login?next=https://evil.example/").await;
    let flow = cookie_header(&set_cookies(&start));
    let authorize = start.headers()["location"].to_str().unwrap().to_string();
    let consent = app.client.get(&authorize).send().await.unwrap();
    let back = reqwest::Url::parse(consent.headers()["location"].to_str().unwrap()).unwrap();
    let query: HashMap<_, _> = back.query_pairs().into_owned().collect();
    let callback = |query: String, cookie: String| {
        let request = app
            .client
            .get(app.url(&format!("/auth/callback?{query}")))
            .header("cookie", cookie);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string());
            (status, location, response.text().await.unwrap())
        }
    };
    let code = &query["code"];
    let (status, _, body) = callback(format!("code={code}&state=forged"), flow.clone()).await;
    assert_eq!(status, 400, "{body}");
    let (status, _, _) = callback(format!("code={code}&state={}", query["state"]), String::new()).await;
    assert_eq!(status, 400, "no sign-in started in this browser");
    let (status, _, body) = callback("error=access_denied&state=x".into(), flow.clone()).await;
    assert_eq!(status, 400);
    assert!(body.contains("access_denied"), "{body}");
    let (status, _, body) = callback(format!("code=made-up&state={}", query["state"]), flow.clone()).await;
    assert_eq!(status, 400, "the provider refuses an unknown code: {body}");

    // The real one works once, and `next` never leaves the site.
    let (status, location, body) = callback(back.query().unwrap().into(), flow).await;
    assert_eq!((status, location.as_deref()), (303, Some("/")), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_access_tokens_are_verified_against_the_jwks() {
    let provider = fake_provider(json!("gold")).await;
    let app = TestApp::spawn_configured(|config| configure(config, &provider)).await;
    members_show(&app).await;
    let bearer = |token: String| format!("Bearer {token}");

    let valid = provider.token(&provider.key, "k1", provider.claims(AUDIENCE, 0));
    let (status, answer) = playback(&app, "members", &[("authorization", &bearer(valid))]).await;
    assert_eq!(status, 200, "{answer}");

    let impostor = rsa_key();
    let wrong = [
        (
            "expired",
            provider.token(&provider.key, "k1", provider.claims(AUDIENCE, -7200)),
        ),
        (
            "another audience",
            provider.token(&provider.key, "k1", provider.claims(CLIENT_ID, 0)),
        ),
        (
            "another signer",
            provider.token(&impostor, "k1", provider.claims(AUDIENCE, 0)),
        ),
        (
            "unknown key id",
            provider.token(&provider.key, "k2", provider.claims(AUDIENCE, 0)),
        ),
        ("HS256", {
            let claims = provider.claims(AUDIENCE, 0);
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(b"k")).unwrap()
        }),
        ("garbage", "not.a.token".into()),
    ];
    for (case, token) in wrong {
        let (status, body) = playback(&app, "members", &[("authorization", &bearer(token))]).await;
        assert_eq!(status, 401, "{case}: {body}");
    }
    assert_eq!(
        *provider.jwks_fetches.lock().unwrap(),
        1,
        "an unknown key id does not send us to the provider each time"
    );

    let silver = fake_provider(json!(["silver"])).await;
    let app = TestApp::spawn_configured(|config| configure(config, &silver)).await;
    members_show(&app).await;
    let token = silver.token(&silver.key, "k1", silver.claims(AUDIENCE, 0));
    let (status, body) = playback(&app, "members", &[("authorization", &bearer(token))]).await;
    assert_eq!((status, body["reason"].as_str()), (403, Some("plan")), "{body}");
    assert!(body["signInUrl"].is_null(), "already signed in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_provider_there_is_no_sign_in() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/auth/login").await.status(), 404);
    let (status, _) = playback(&app, "demo", &[("authorization", "Bearer x.y.z")]).await;
    assert_eq!(status, 401);
    let (status, refusal) = playback(&app, "demo-paid", &[]).await;
    assert_eq!(status, 403);
    assert!(refusal["signInUrl"].is_null());
}
