//! The server's rooms and their one direction (docs/ARCHITECTURE.md, "Rooms"). Read from the sources, in the spirit
//! of the docs test: every module has a room, and a module names only modules in its own room or below it.
//!
//! - root: `lib.rs` (the composition root), `main.rs`, `settings.rs`, `state.rs` and the start-up `summary.rs`. Only these read
//!   `Config` or name `AppState`.
//! - adapters: HTTP and the real-time transport. Any module named `http` (or under one), and `analytics`,
//!   `console`, `embed`, `extract`, `graphql`, `hardening`, `health`, `listen`, `realtime`, `site`.
//! - services: the capabilities. Two capabilities never need each other: their imports form no cycle.
//! - leaves: the platform (store, error, secrets, sessions, credentials, outbound, telemetry, the publishing port, …).
//!   `config.rs` is plain data: it names nothing of the crate but `secret`.
//!
//! A new module gets its room in `room` below; the test fails until it has one. There is no list of exceptions.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Room {
    Leaf,
    Service,
    Adapter,
    Root,
}

/// The room of a module (`access::http::drm`).
fn room(module: &str) -> Room {
    let segments: Vec<&str> = module.split("::").collect();
    if segments.contains(&"http") {
        return Room::Adapter;
    }
    match segments[0] {
        "lib" | "main" | "settings" | "state" | "summary" => Room::Root,
        "analytics" | "console" | "embed" | "extract" | "graphql" | "hardening" | "health" | "listen" | "realtime"
        | "site" => Room::Adapter,
        "access" | "commerce" | "feed" | "ingest" | "jobs" | "likes" | "media" | "waiting_room" => Room::Service,
        "auth" | "client_address" | "config" | "error" | "lead" | "mail" | "outbound" | "publish" | "rate_limit"
        | "media_store" | "secret" | "session" | "store" | "telemetry" | "tools" => Room::Leaf,
        other => panic!("`{other}` has no room: give it one in tests/full_stack/rooms.rs (and docs/ARCHITECTURE.md)"),
    }
}

struct Module {
    /// The source without comments.
    code: String,
}

/// Every module of the server, by its path (`lib` and `main` for the crate roots).
fn modules() -> BTreeMap<String, Module> {
    fn walk(dir: &Path, src: &Path, into: &mut BTreeMap<String, Module>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, src, into);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(src).unwrap().with_extension("");
                let name = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("::");
                let code = std::fs::read_to_string(&path)
                    .unwrap()
                    .lines()
                    .map(|line| match line.find("//") {
                        Some(at) if !line[..at].contains('"') => &line[..at],
                        _ => line,
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                into.insert(name, Module { code });
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeMap::new();
    walk(&src, &src, &mut modules);
    modules
}

fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The paths a `use` group names, from just after its `{` (`a::b::C, c::{d, e}, f`): each item's path up to its
/// own group or name (`a::b::C`, `c`, `f`).
fn group_paths(text: &str) -> Vec<Vec<String>> {
    let mut items = vec![String::new()];
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => items.push(String::new()),
            _ => {}
        }
        if depth == 0 && c != ',' && c != '{' {
            items.last_mut().unwrap().push(c);
        }
    }
    items
        .iter()
        .map(|item| {
            item.split_whitespace()
                .next()
                .unwrap_or_default()
                .split("::")
                .map(identifier)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .filter(|path| !path.is_empty())
        .collect()
}

/// The modules `module` names through `crate::` and `super::` paths: the longest prefix of each path that is a
/// module (`crate::store::Store` names `store`, `crate::access::viewer::Viewer` names `access::viewer`).
fn imports(module: &str, code: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut paths = Vec::new();
    let parent: Vec<String> = {
        let mut segments: Vec<String> = module.split("::").map(String::from).collect();
        segments.pop();
        segments
    };
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent)] {
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().last();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let mut segments = base.clone();
            let mut tail = rest;
            loop {
                if let Some(group) = tail.strip_prefix('{') {
                    for item in group_paths(group) {
                        let mut path = segments.clone();
                        path.extend(item);
                        paths.push(path.join("::"));
                    }
                    break;
                }
                let name = identifier(tail);
                if name.is_empty() || tail[name.len()..].starts_with('!') {
                    // A macro exported at the crate's root is no module.
                    if !segments.is_empty() {
                        paths.push(segments.join("::"));
                    }
                    break;
                }
                segments.push(name.to_string());
                tail = &tail[name.len()..];
                match tail.strip_prefix("::") {
                    Some(next) => tail = next,
                    None => {
                        paths.push(segments.join("::"));
                        break;
                    }
                }
            }
        }
    }
    paths
        .into_iter()
        .filter_map(|path| {
            let segments: Vec<&str> = path.split("::").collect();
            (1..=segments.len())
                .rev()
                .map(|n| segments[..n].join("::"))
                .find(|candidate| known.contains(candidate))
        })
        .filter(|target| target != module)
        .collect()
}

struct Graph {
    modules: BTreeMap<String, Module>,
    edges: BTreeMap<String, BTreeSet<String>>,
}

fn graph() -> Graph {
    let modules = modules();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let edges = modules
        .iter()
        .map(|(name, module)| (name.clone(), imports(name, &module.code, &known)))
        .collect();
    Graph { modules, edges }
}

fn capability(module: &str) -> &str {
    module.split("::").next().unwrap()
}

#[test]
fn the_import_reader_finds_paths_groups_and_super() {
    let known: BTreeSet<String> = [
        "store",
        "access",
        "access::viewer",
        "commerce",
        "commerce::pipeline",
        "secret",
    ]
    .map(String::from)
    .into();
    let code = "use crate::{access::viewer::{Viewer, identify}, secret::random_token, store};\n\
                use super::pipeline;\nlet x = crate::store::Store::open();\ncrate::text_enum! {}";
    let found = imports("commerce::orders", code, &known);
    assert_eq!(
        found,
        ["access::viewer", "commerce::pipeline", "secret", "store"]
            .map(String::from)
            .into()
    );
}

#[test]
fn every_module_names_only_its_own_room_or_below() {
    let graph = graph();
    assert!(graph.modules.len() > 50, "{} modules", graph.modules.len());
    let mut upward = Vec::new();
    for (module, targets) in &graph.edges {
        for target in targets {
            if room(target) > room(module) {
                upward.push(format!(
                    "{module} ({:?}) names {target} ({:?})",
                    room(module),
                    room(target)
                ));
            }
        }
    }
    assert!(upward.is_empty(), "imports that run upward:\n{}", upward.join("\n"));
}

#[test]
fn only_the_root_reads_the_configuration_and_names_the_shared_state() {
    let graph = graph();
    let mut offenders = Vec::new();
    for (module, targets) in &graph.edges {
        if room(module) == Room::Root {
            continue;
        }
        if targets.contains("config") && module != "config" {
            offenders.push(format!("{module} reads `config`"));
        }
        let code = &graph.modules[module].code;
        if code.contains("AppState") {
            offenders.push(format!("{module} names `AppState`"));
        }
    }
    let config: Vec<_> = graph.edges["config"].iter().filter(|t| *t != "secret").collect();
    if !config.is_empty() {
        offenders.push(format!("config names {config:?}"));
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}

/// What a service may name of axum: HTTP's own vocabulary (a status, a header), which its errors and answers carry,
/// and a body's bytes. Routers, extractors, responses and middleware are the adapters'.
const AXUM_FOR_SERVICES: [&str; 2] = ["axum::http", "axum::body::Bytes"];

#[test]
fn services_know_nothing_of_axum_but_http_itself() {
    let graph = graph();
    let mut offenders = Vec::new();
    for (module, source) in &graph.modules {
        if room(module) != Room::Service {
            continue;
        }
        let code = &source.code;
        for (at, _) in code.match_indices("axum::") {
            let rest = &code["axum::".len() + at..];
            let named: Vec<String> = match rest.strip_prefix('{') {
                Some(group) => group_paths(group).iter().map(|path| path.join("::")).collect(),
                None => vec![
                    rest.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                        .next()
                        .unwrap_or_default()
                        .into(),
                ],
            };
            for path in named {
                let path = format!("axum::{path}");
                if !AXUM_FOR_SERVICES.iter().any(|allowed| path.starts_with(allowed)) {
                    offenders.push(format!("{module}: {path}"));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "services name axum beyond {AXUM_FOR_SERVICES:?} (move it into the capability's `http`):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_capabilities_need_each_other_in_one_direction_only() {
    let graph = graph();
    // Capability to capability, among the services and the leaves (adapters may share a transport both ways).
    let mut needs: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (module, targets) in &graph.edges {
        if room(module) > Room::Service {
            continue;
        }
        for target in targets {
            if capability(target) != capability(module) {
                needs.entry(capability(module)).or_default().insert(capability(target));
            }
        }
    }
    // Depth-first search for a cycle.
    fn visit<'a>(
        node: &'a str,
        needs: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        trail: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(at) = trail.iter().position(|n| *n == node) {
            let mut cycle = trail[at..].to_vec();
            cycle.push(node);
            return Some(cycle);
        }
        if !done.insert(node) {
            return None;
        }
        trail.push(node);
        for next in needs.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, needs, trail, done) {
                return Some(cycle);
            }
        }
        trail.pop();
        None
    }
    let mut done = BTreeSet::new();
    for node in needs.keys() {
        if let Some(cycle) = visit(node, &needs, &mut Vec::new(), &mut done) {
            panic!("capabilities that need each other: {}", cycle.join(" → "));
        }
    }
}

/// Whether a function's signature takes what axum extracts from a request: it is a handler.
fn is_handler(signature: &str) -> bool {
    [
        "State(",
        "Extension(",
        "Path(",
        "Query(",
        "Form(",
        "Viewer(",
        "MaybeViewer(",
        ": Operator",
    ]
    .iter()
    .any(|extractor| signature.contains(extractor))
}

#[test]
fn handlers_are_thin() {
    // A handler parses, authorizes, calls one service method and maps the result: its body fits in this many lines.
    const MOST: usize = 30;
    let graph = graph();
    let mut long = Vec::new();
    for (module, source) in &graph.modules {
        let lines: Vec<&str> = source.code.lines().collect();
        let mut at = 0;
        while at < lines.len() {
            let line = lines[at].trim_start_matches("pub ");
            let Some(name) = line.strip_prefix("async fn ").map(identifier) else {
                at += 1;
                continue;
            };
            let opens = (at..lines.len()).find(|&n| lines[n].ends_with('{')).unwrap_or(at);
            let signature = lines[at..=opens].join(" ");
            let closes = (opens..lines.len()).find(|&n| lines[n] == "}").unwrap_or(opens);
            if is_handler(&signature) && closes - opens - 1 > MOST {
                long.push(format!("{module}::{name}: {} lines", closes - opens - 1));
            }
            at = closes + 1;
        }
    }
    assert!(
        long.is_empty(),
        "handlers longer than {MOST} lines (move the rules into a service):\n{}",
        long.join("\n")
    );
}
