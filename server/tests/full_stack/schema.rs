//! The server serves the schema AppSync deploys: `graphql/schema.graphql` and the SDL this server prints describe
//! the same types, fields, arguments and directives (descriptions and order aside).

use async_graphql::parser::{
    parse_schema,
    types::{ConstDirective, TypeKind, TypeSystemDefinition},
};
use async_graphql::{Positioned, SDLExportOptions};
use caravan_server::{graphql, publish::Publisher, realtime::Hub, secret::Secret, store::Store};

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
    let publisher = Publisher::new(hub);
    let (likes, _) =
        caravan_server::likes::Likes::new(store.clone(), publisher.clone(), tokio::sync::watch::channel(false).1);
    let feed = caravan_server::feed::Feed::new(store.clone(), publisher.clone());
    let ingest = caravan_server::ingest::Ingest::new(
        store.clone(),
        publisher.clone(),
        caravan_server::settings::ingest(
            &caravan_server::config::Config::for_tests(dir.path(), dir.path()),
            &caravan_server::tools::Tools::default(),
            caravan_server::media_store::MediaStore::open(&caravan_server::media_store::MediaStoreSettings::Local(
                dir.path().join("media"),
            ))
            .unwrap(),
        )
        .unwrap(),
    );
    let served = graphql::schema(store, publisher, likes, feed, ingest).sdl_with_options(SDLExportOptions::new());

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

/// AppSync's own scalars: built in, so a schema that declares one does not deploy.
const APPSYNC_SCALARS: &[&str] = &[
    "AWSDate",
    "AWSTime",
    "AWSDateTime",
    "AWSTimestamp",
    "AWSEmail",
    "AWSJSON",
    "AWSURL",
    "AWSPhone",
    "AWSIPAddress",
];
/// AppSync's directives (its auth modes and subscriptions), and GraphQL's own that it accepts.
const APPSYNC_DIRECTIVES: &[&str] = &[
    "aws_api_key",
    "aws_iam",
    "aws_oidc",
    "aws_cognito_user_pools",
    "aws_lambda",
    "aws_auth",
    "aws_subscribe",
    "deprecated",
];

/// The named type under lists and non-nulls (`[Product!]!` → `Product`).
fn base_type(ty: &async_graphql::parser::types::Type) -> String {
    use async_graphql::parser::types::BaseType;
    match &ty.base {
        BaseType::Named(name) => name.to_string(),
        BaseType::List(inner) => base_type(inner),
    }
}

/// The rules AppSync applies when it deploys a schema, checked on `graphql/schema.graphql` as the file is (the
/// deploy itself needs an AWS account): it declares none of AppSync's scalars or directives; it names only types it
/// declares, GraphQL's scalars and AppSync's; it uses only AppSync's directives; each `@aws_subscribe` names
/// mutations that exist and return the subscription field's type; and each subscription argument is a field of that
/// type (AppSync filters deliveries by comparing them).
#[test]
fn the_schema_file_follows_appsyncs_rules() {
    use std::collections::{BTreeMap, BTreeSet};

    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("graphql/schema.graphql")).unwrap();
    let document = parse_schema(&text).unwrap_or_else(|e| panic!("schema.graphql is not valid SDL: {e}"));
    let mut declared = BTreeSet::new();
    let mut fields: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut used_types = BTreeSet::new();
    let mut used_directives = BTreeSet::new();
    let mut subscriptions = Vec::new();
    let mut schema_roots = None;
    let note_directives = |list: &[Positioned<ConstDirective>], used: &mut BTreeSet<String>| {
        for d in list {
            used.insert(d.node.name.node.to_string());
        }
    };
    for definition in &document.definitions {
        match definition {
            TypeSystemDefinition::Schema(schema) => {
                let name = |t: &Option<Positioned<async_graphql::Name>>| t.as_ref().map(|n| n.node.to_string());
                schema_roots = Some((
                    name(&schema.node.query),
                    name(&schema.node.mutation),
                    name(&schema.node.subscription),
                ));
            }
            TypeSystemDefinition::Directive(d) => panic!("schema.graphql declares the directive @{}", d.node.name.node),
            TypeSystemDefinition::Type(ty) => {
                let name = ty.node.name.node.to_string();
                assert!(
                    !APPSYNC_SCALARS.contains(&name.as_str()),
                    "schema.graphql declares AppSync's scalar {name}"
                );
                declared.insert(name.clone());
                note_directives(&ty.node.directives, &mut used_directives);
                let TypeKind::Object(object) = &ty.node.kind else {
                    continue;
                };
                for field in &object.fields {
                    let field_type = base_type(&field.node.ty.node);
                    used_types.insert(field_type.clone());
                    note_directives(&field.node.directives, &mut used_directives);
                    for argument in &field.node.arguments {
                        used_types.insert(base_type(&argument.node.ty.node));
                    }
                    fields
                        .entry(name.clone())
                        .or_default()
                        .insert(field.node.name.node.to_string(), field_type.clone());
                    if name == "Subscription" {
                        subscriptions.push(field.node.clone());
                    }
                }
            }
        }
    }
    assert_eq!(
        schema_roots,
        Some((
            Some("Query".into()),
            Some("Mutation".into()),
            Some("Subscription".into())
        ))
    );
    for ty in &used_types {
        assert!(
            declared.contains(ty)
                || APPSYNC_SCALARS.contains(&ty.as_str())
                || ["ID", "String", "Int", "Float", "Boolean"].contains(&ty.as_str()),
            "schema.graphql uses the type {ty}, which neither it nor AppSync declares"
        );
    }
    for directive in &used_directives {
        assert!(
            APPSYNC_DIRECTIVES.contains(&directive.as_str()),
            "@{directive} is not one of AppSync's directives"
        );
    }
    let mutations = &fields["Mutation"];
    let mut checked = 0;
    for subscription in &subscriptions {
        let name = subscription.name.node.to_string();
        let delivered = base_type(&subscription.ty.node);
        let Some(subscribe) = subscription
            .directives
            .iter()
            .find(|d| d.node.name.node == "aws_subscribe")
        else {
            continue;
        };
        let (_, list) = subscribe
            .node
            .arguments
            .iter()
            .find(|(n, _)| n.node == "mutations")
            .unwrap_or_else(|| panic!("{name}: @aws_subscribe without mutations"));
        let async_graphql::Value::List(named) = &list.node else {
            panic!("{name}: @aws_subscribe(mutations:) is not a list")
        };
        assert!(!named.is_empty(), "{name}: @aws_subscribe names no mutation");
        for mutation in named {
            let async_graphql::Value::String(mutation) = mutation else {
                panic!("{name}: a mutation name is not a string")
            };
            assert_eq!(
                mutations.get(mutation),
                Some(&delivered),
                "{name} delivers {mutation}, which must exist and return {delivered}"
            );
        }
        for argument in &subscription.arguments {
            let argument = argument.node.name.node.to_string();
            assert!(
                fields[&delivered].contains_key(&argument),
                "{name}({argument}:): AppSync filters on the argument, so {delivered} needs a field {argument}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 3, "the subscriptions with @aws_subscribe: {checked}");
}
