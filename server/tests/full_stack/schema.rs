//! The server serves the schema AppSync deploys: `graphql/schema.graphql` and the SDL this server prints describe
//! the same types, fields, arguments and directives (descriptions and order aside).

use async_graphql::parser::{
    parse_schema,
    types::{ConstDirective, TypeKind, TypeSystemDefinition},
};
use async_graphql::{Positioned, SDLExportOptions};
use caravan_server::{graphql, realtime::Hub, secret::Secret, store::Store};

/// One line per schema element, sorted, so a difference reads as a diff.
fn normalize(sdl: &str) -> Vec<String> {
    let document = parse_schema(sdl).unwrap_or_else(|e| panic!("invalid SDL: {e}\n{sdl}"));
    let directives = |list: &[Positioned<ConstDirective>]| {
        let mut names: Vec<String> = list
            .iter()
            .map(|d| {
                let mut args: Vec<String> = d
                    .node
                    .arguments
                    .iter()
                    .map(|(n, v)| format!("{}: {}", n.node, v.node))
                    .collect();
                args.sort();
                if args.is_empty() {
                    format!("@{}", d.node.name.node)
                } else {
                    format!("@{}({})", d.node.name.node, args.join(", "))
                }
            })
            .collect();
        names.sort();
        names.join(" ")
    };
    let mut lines = Vec::new();
    for definition in document.definitions {
        match definition {
            TypeSystemDefinition::Schema(schema) => {
                let root = |t: &Option<Positioned<async_graphql::Name>>| {
                    t.as_ref().map(|n| n.node.to_string()).unwrap_or_default()
                };
                lines.push(format!(
                    "schema query={} mutation={} subscription={}",
                    root(&schema.node.query),
                    root(&schema.node.mutation),
                    root(&schema.node.subscription)
                ));
            }
            TypeSystemDefinition::Type(ty) => {
                let name = ty.node.name.node.to_string();
                match &ty.node.kind {
                    // Scalars are AppSync's built-ins (declared for tools), checked through the fields that use them.
                    TypeKind::Scalar => {}
                    TypeKind::Object(object) => {
                        lines.push(format!("type {name} {}", directives(&ty.node.directives)));
                        for field in &object.fields {
                            let mut args: Vec<String> = field
                                .node
                                .arguments
                                .iter()
                                .map(|a| format!("{}: {}", a.node.name.node, a.node.ty.node))
                                .collect();
                            args.sort();
                            lines.push(format!(
                                "field {name}.{}({}): {} {}",
                                field.node.name.node,
                                args.join(", "),
                                field.node.ty.node,
                                directives(&field.node.directives)
                            ));
                        }
                    }
                    TypeKind::Enum(values) => {
                        let mut items: Vec<String> =
                            values.values.iter().map(|v| v.node.value.node.to_string()).collect();
                        items.sort();
                        lines.push(format!("enum {name} {}", items.join(" ")));
                    }
                    other => lines.push(format!("unexpected kind of {name}: {other:?}")),
                }
            }
            // Directive definitions are AppSync's, declared for tools.
            TypeSystemDefinition::Directive(_) => {}
        }
    }
    lines.sort();
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_serves_the_contract() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let contract = std::fs::read_to_string(root.join("graphql/schema.graphql")).unwrap()
        + &std::fs::read_to_string(root.join("graphql/aws-appsync.graphql")).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Secret::new(format!("sqlite://{}", dir.path().join("db").display())))
        .await
        .unwrap();
    let (hub, _worker) = Hub::new();
    let (likes, _) =
        caravan_server::likes::Likes::new(store.clone(), hub.clone(), tokio::sync::watch::channel(false).1);
    let feed = caravan_server::feed::Feed::new(store.clone(), hub.clone());
    let served = graphql::schema(store, hub, likes, feed).sdl_with_options(SDLExportOptions::new());

    let expected = normalize(&contract);
    let actual = normalize(&served);
    assert!(
        expected
            .iter()
            .any(|l| l.contains("@aws_subscribe(mutations: [\"setPickup\"])")),
        "{expected:#?}"
    );
    assert_eq!(actual, expected, "\nserved SDL:\n{served}");
}
