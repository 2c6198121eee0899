//! A newcomer's first run: the server binary started the way `./dev run` starts it, from the folder it runs in with
//! nothing configured (a relative data directory, Shaka Packager at its default relative path under
//! `node_modules/`), and every demo show has media to play: the live stream (through the ingest), the recording,
//! and the paid show's ClearKey recording, whose manifest, segments and key a granted viewer gets.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use base64::Engine;
use serde_json::{Value, json};

use crate::support::{
    cookie_header,
    process::{free_port, kill, wait_up},
    set_cookies,
};

/// The development operator token: the server runs with the built-in defaults.
const OPERATOR_TOKEN: &str = "caravan-dev-operator-token";

/// The server started in `dir` as `./dev run` starts it in the repository: no configuration but the port.
fn start_as_a_newcomer(dir: &Path, port: u16) -> Child {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    std::os::unix::fs::symlink(repository.join("node_modules"), dir.join("node_modules")).unwrap();
    let log = std::fs::File::create(dir.join("server.log")).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_caravan-server"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CARAVAN_") {
            command.env_remove(name);
        }
    }
    command
        .arg("serve")
        .current_dir(dir)
        .env("CARAVAN_ADDR", format!("127.0.0.1:{port}"))
        // The one default a test cannot keep: 1935 may be taken on this machine (by `./dev run`).
        .env("CARAVAN_RTMP_ADDR", "127.0.0.1:0")
        .env("CARAVAN_SRT_ADDR", "127.0.0.1:0")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("the server starts")
}

struct Newcomer {
    client: reqwest::Client,
    base: String,
    dir: PathBuf,
    /// The server, killed (its encoders with it) when the test ends, passed or not.
    server: Option<Child>,
}

impl Drop for Newcomer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            kill(server);
        }
    }
}

impl Newcomer {
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    async fn get(&self, path: &str, cookie: &str) -> (u16, Vec<u8>) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.bytes().await.unwrap().to_vec())
    }

    /// `path` once it answers 200 with a body `ready` accepts (waiting up to 3 minutes: the recordings are encoded
    /// on first start, on a machine that also runs the rest of the suite).
    async fn wait_for(&self, path: &str, cookie: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let (status, body) = self.get(path, cookie).await;
            let body = String::from_utf8_lossy(&body).into_owned();
            if status == 200 && ready(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "{path} did not become ready ({status}: {body}); the server's log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// `POST /api/playback/{slug}` as the viewer with `cookie`, accepting the terms: the status, the answer, and the
    /// viewer's cookies with any new ones.
    async fn playback(&self, slug: &str, cookie: &str) -> (u16, Value, String) {
        let response = self
            .client
            .post(format!("{}/api/playback/{slug}", self.base))
            .header("cookie", cookie)
            .json(&json!({ "acceptTerms": true }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let set = cookie_header(&set_cookies(&response));
        let cookie = [cookie, &set]
            .into_iter()
            .filter(|c| !c.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        (status, response.json().await.unwrap(), cookie)
    }

    /// The stream at `manifest` plays: its master playlist lists renditions, the first rendition's playlist lists
    /// segments, and its first segment (and init segment, for fMP4) are served. The first segment's bytes.
    async fn expect_playable(&self, manifest: &str, cookie: &str) -> Vec<u8> {
        let master = self
            .wait_for(manifest, cookie, |body| body.contains("#EXT-X-STREAM-INF"))
            .await;
        let rendition = master
            .lines()
            .skip_while(|line| !line.starts_with("#EXT-X-STREAM-INF"))
            .nth(1)
            .unwrap_or_else(|| panic!("a rendition in {master}"));
        let folder = |playlist: &str| {
            playlist
                .rsplit_once('/')
                .map_or(String::new(), |(dir, _)| format!("{dir}/"))
        };
        let playlist_path = format!("{}{rendition}", folder(manifest));
        let playlist = self
            .wait_for(&playlist_path, cookie, |body| body.contains("#EXTINF"))
            .await;
        let here = folder(&playlist_path);
        if let Some(map) = playlist.lines().find(|line| line.starts_with("#EXT-X-MAP:")) {
            let uri = map.split('"').nth(1).expect("the init segment's URI");
            let (status, init) = self.get(&format!("{here}{uri}"), cookie).await;
            assert_eq!(status, 200, "{here}{uri}");
            assert!(init.windows(4).any(|w| w == b"moov"), "an fMP4 init segment");
        }
        let segment = playlist
            .lines()
            .skip_while(|line| !line.starts_with("#EXTINF"))
            .find(|line| !line.starts_with('#'))
            .expect("a segment");
        let (status, bytes) = self.get(&format!("{here}{segment}"), cookie).await;
        assert_eq!(status, 200, "{here}{segment}");
        assert!(bytes.len() > 1000, "{here}{segment}: {} bytes", bytes.len());
        bytes
    }
}

fn base64url_of_hex(hex: &str) -> String {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_first_start_with_the_defaults_every_demo_show_plays() {
    caravan_server::outbound::install_tls();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let newcomer = Newcomer {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
        base: format!("http://127.0.0.1:{port}"),
        dir: dir.path().to_path_buf(),
        server: Some(start_as_a_newcomer(dir.path(), port)),
    };
    wait_up(&newcomer.client, port).await;

    // The live show, broadcast into the server's own ingest.
    let (status, live, _) = newcomer.playback("demo", "").await;
    assert_eq!(status, 200, "{live}");
    let segment = newcomer
        .expect_playable(live["manifestUrl"].as_str().unwrap(), "")
        .await;
    assert_eq!(segment[0], 0x47, "an MPEG-TS segment");
    // The upcoming show has no stream until an encoder publishes with one of its keys.
    let (status, upcoming, _) = newcomer.playback("demo-upcoming", "").await;
    assert_eq!(status, 400, "{upcoming}");
    assert_eq!(upcoming["error"], "this show has no video to play now");

    // The ended show's recording.
    let (status, archive, _) = newcomer.playback("demo-archive", "").await;
    assert_eq!(status, 200, "{archive}");
    newcomer
        .expect_playable(archive["manifestUrl"].as_str().unwrap(), "")
        .await;

    // The paid show: refused until the operator grants a ticket, then its encrypted recording and its key.
    let (status, refusal, viewer) = newcomer.playback("demo-paid", "").await;
    assert_eq!(
        (status, refusal["reason"].as_str()),
        (403, Some("entitlement")),
        "{refusal}"
    );
    let granted = newcomer
        .client
        .post(format!("{}/api/admin/entitlements", newcomer.base))
        .header("authorization", OPERATOR_TOKEN)
        .json(&json!({ "slug": "demo-paid", "viewerId": refusal["viewerId"], "kind": "ticket" }))
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status(), 204);
    let (status, paid, signed) = newcomer.playback("demo-paid", &viewer).await;
    assert_eq!(status, 200, "{paid}");
    let segment = newcomer
        .expect_playable(paid["manifestUrl"].as_str().unwrap(), &signed)
        .await;
    assert!(segment.windows(4).any(|w| w == b"senc"), "an encrypted segment");
    let key: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("data/keys/demo-clearkey.json")).unwrap())
            .unwrap();
    let kid = base64url_of_hex(key["keyId"].as_str().unwrap());
    let license_url = paid["drm"]["clearkey"]["licenseUrl"]
        .as_str()
        .expect("a ClearKey license server");
    let deadline = Instant::now() + Duration::from_secs(30);
    let license = loop {
        let response = newcomer
            .client
            .post(format!("{}{license_url}", newcomer.base))
            .header("cookie", &viewer)
            .json(&json!({ "kids": [kid], "type": "temporary" }))
            .send()
            .await
            .unwrap();
        if response.status() == 200 {
            break response.json::<Value>().await.unwrap();
        }
        assert!(Instant::now() < deadline, "no license: {}", response.status());
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(license["keys"][0]["kid"], kid.as_str());
    assert_eq!(
        license["keys"][0]["k"],
        base64url_of_hex(key["key"].as_str().unwrap()).as_str()
    );

    // Everything is where the relative data directory puts it, once, and is the server's alone; the start-up
    // summary said what runs.
    let data = dir.path().join("data");
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: PathBuf| std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(data.clone()), 0o700, "the data directory");
    for file in ["caravan.db", "session.key", "keys/demo-clearkey.json"] {
        assert_eq!(mode(data.join(file)), 0o600, "{file}");
    }
    assert!(
        !data.join("work/demo-vod/data").exists(),
        "nothing written relative to the encoders' folder"
    );
    let log = newcomer.log();
    assert!(log.contains("what this server runs with"), "{log}");
    assert!(!log.contains("MISSING"), "{log}");
    assert!(!log.contains("ERROR"), "{log}");
}
