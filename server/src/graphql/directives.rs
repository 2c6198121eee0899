//! AppSync's directives, so the schema this server prints is the schema AppSync deploys
//! (`graphql/schema.graphql`; a test compares them). Names are AppSync's, hence not camelCase.
#![allow(non_snake_case)]

use async_graphql::TypeDirective;

/// Readable with the API key (AppSync API_KEY mode): viewers.
#[TypeDirective(location = "Object", location = "FieldDefinition")]
pub fn aws_api_key() {}

/// Readable with the operator token (AppSync AWS_LAMBDA mode): operators.
#[TypeDirective(location = "Object", location = "FieldDefinition")]
pub fn aws_lambda() {}

/// A subscription that delivers the results of these mutations.
#[TypeDirective(location = "FieldDefinition")]
pub fn aws_subscribe(mutations: Vec<String>) {}
