//! Generates the app's typed GraphQL operations (all of them into `$OUT_DIR/operations.rs`) from
//! `graphql/operations/*.graphql`, checked against
//! `graphql/schema.graphql`. The schema stays deployable to AWS AppSync as it is (AppSync forbids declaring its own
//! scalars), so the AppSync built-ins from `graphql/aws-appsync.graphql` are appended for the code generator only.

use std::{env, fs, path::PathBuf};

use graphql_client_codegen::{CodegenMode, GraphQLClientCodegenOptions, generate_module_token_stream};
use syn::Visibility;

fn main() {
    println!("cargo::rerun-if-changed=graphql");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    let schema = ["graphql/schema.graphql", "graphql/aws-appsync.graphql"]
        .map(|path| fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}")))
        .join("\n");
    let schema_path = out_dir.join("schema.graphql");
    fs::write(&schema_path, schema).expect("writing the combined schema");

    let mut operations: Vec<PathBuf> = fs::read_dir("graphql/operations")
        .expect("reading graphql/operations")
        .map(|entry| entry.expect("listing graphql/operations").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "graphql"))
        .collect();
    operations.sort();

    let mut generated = String::new();
    for operation in operations {
        let mut options = GraphQLClientCodegenOptions::new(CodegenMode::Cli);
        // Responses decode into the app's own types (src/api/models.rs); the generated ones only prove the documents.
        options.set_response_derives("Debug".into());
        options.set_module_visibility(syn::parse_str::<Visibility>("pub").expect("a visibility"));
        options.set_variables_derives("Debug, Clone".into());
        options.set_custom_scalars_module(syn_path("crate::api::scalars"));
        let tokens = generate_module_token_stream(operation.clone(), &schema_path, options)
            .unwrap_or_else(|e| panic!("{}: {e}", operation.display()));
        generated.push_str(&tokens.to_string());
        generated.push('\n');
    }
    fs::write(out_dir.join("operations.rs"), generated).expect("writing generated code");
}

fn syn_path(path: &str) -> syn::Path {
    syn::parse_str(path).expect("a valid Rust path")
}
