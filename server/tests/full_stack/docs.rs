//! The deployment guide stays true to the server: every setting it names is one the configuration reference
//! documents, every endpoint path it names is served, and its systemd unit starts the binary's `serve` command.

use std::collections::BTreeSet;

fn read(path: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The `CARAVAN_*` names in `text`.
fn settings(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("CARAVAN_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        rest = &rest[at + name.len()..];
        names.insert(name.trim_end_matches('_').to_string());
    }
    names
}

/// The text of every Rust file under `dir`.
fn sources_in(dir: &std::path::Path, into: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources_in(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
}

#[test]
fn the_deployment_guide_names_only_real_settings_and_endpoints() {
    let guide = read("docs/DEPLOY.md");
    let reference = read("docs/CONFIGURATION.md");
    let documented = settings(&reference);
    let named = settings(&guide);
    assert!(named.len() > 20, "{named:?}");
    let unknown: Vec<_> = named.difference(&documented).collect();
    assert!(
        unknown.is_empty(),
        "DEPLOY.md names settings CONFIGURATION.md does not: {unknown:?}"
    );

    // The paths it tells operators to route, allow or subscribe, as the server's sources name them.
    let mut sources = String::new();
    sources_in(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut sources,
    );
    for path in [
        "/webhooks/stripe",
        "/webhooks/shopify",
        "/graphql/realtime",
        "/healthz",
        "/waiting-room/public_key",
        "/api/playback/",
        "/drm/",
    ] {
        assert!(guide.contains(path), "DEPLOY.md no longer mentions {path}");
        assert!(
            sources.contains(path),
            "the server does not route {path}, which DEPLOY.md names"
        );
    }

    // The systemd unit runs `serve` and gives the server its own writable data folder.
    assert!(guide.contains("ExecStart=/srv/caravan/caravan-server serve"));
    assert!(guide.contains("Environment=CARAVAN_DATA_DIR=/var/lib/caravan"));
    assert!(guide.contains("ReadWritePaths=/var/lib/caravan"));
}
