//! Generates the app's typed GraphQL operations (all of them into `$OUT_DIR/operations.rs`) from
//! `graphql/operations/*.graphql`, checked against `graphql/schema.graphql`. Each operation gets the fragments of
//! `graphql/fragments.graphql` it uses. The schema stays deployable to AWS AppSync as it is (AppSync forbids declaring
//! its own scalars), so the AppSync built-ins from `graphql/aws-appsync.graphql` are appended for the code generator
//! only.

use std::{env, fs, path::PathBuf};

use graphql_client_codegen::{CodegenMode, GraphQLClientCodegenOptions, generate_module_token_stream_from_string};
use syn::Visibility;

fn main() {
    println!("cargo::rerun-if-changed=graphql");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    let schema = ["graphql/schema.graphql", "graphql/aws-appsync.graphql"]
        .map(|path| fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}")))
        .join("\n");
    let schema_path = out_dir.join("schema.graphql");
    fs::write(&schema_path, schema).expect("writing the combined schema");
    let fragments = fragments(&fs::read_to_string("graphql/fragments.graphql").expect("reading fragments"));

    let mut operations: Vec<PathBuf> = fs::read_dir("graphql/operations")
        .expect("reading graphql/operations")
        .map(|entry| entry.expect("listing graphql/operations").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "graphql"))
        .collect();
    operations.sort();

    let mut generated = String::new();
    for operation in operations {
        let text = fs::read_to_string(&operation).expect("reading an operation");
        let document = with_fragments(&text, &fragments);
        let mut options = GraphQLClientCodegenOptions::new(CodegenMode::Cli);
        // Responses decode into the app's own types (src/api/models.rs); the generated ones only prove the documents.
        options.set_response_derives("Debug".into());
        options.set_variables_derives("Debug, Clone".into());
        options.set_module_visibility(syn::parse_str::<Visibility>("pub").expect("a visibility"));
        options.set_custom_scalars_module(syn::parse_str("crate::api::scalars").expect("a path"));
        let tokens = generate_module_token_stream_from_string(&document, &schema_path, options)
            .unwrap_or_else(|e| panic!("{}: {e}", operation.display()));
        generated.push_str(&tokens.to_string());
        generated.push('\n');
    }
    fs::write(out_dir.join("operations.rs"), generated).expect("writing generated code");
}

/// The fragments of a file, by name: `(name, text)`.
fn fragments(file: &str) -> Vec<(String, String)> {
    let definitions: String = file
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    definitions
        .split("fragment ")
        .skip(1)
        .map(|rest| {
            let name = rest.split_whitespace().next().expect("a fragment name").to_owned();
            let body = rest.trim_end();
            (name, format!("fragment {body}\n"))
        })
        .collect()
}

/// The operation with every fragment it uses, directly or through another fragment.
fn with_fragments(operation: &str, fragments: &[(String, String)]) -> String {
    let mut document = operation.to_owned();
    let mut added: Vec<&str> = Vec::new();
    loop {
        let missing = fragments
            .iter()
            .find(|(name, _)| !added.contains(&name.as_str()) && document.contains(&format!("...{name}")));
        match missing {
            Some((name, text)) => {
                added.push(name);
                document.push('\n');
                document.push_str(text);
            }
            None => return document,
        }
    }
}
