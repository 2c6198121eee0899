//! What one GraphQL request may cost, the same on every entry point (`POST /graphql`, AppSync's `start`,
//! graphql-transport-ws, server-side rendering), since they all run through the schema:
//!
//! - **Its size once expanded.** Before anything else looks at a document, [`FieldBudget`] parses it and counts the fields it
//!   selects with every fragment spread expanded (each fragment counted once and remembered, so the count itself is
//!   linear in the document), aliases and repeated fields each counted. A document over [`MAX_FIELDS`] is refused
//!   with one clear error. Without this, fragments that each spread the previous one twice make 2ⁿ fields from a few
//!   hundred bytes, and async-graphql's own validation walks every one of them.
//! - **Depth and complexity**, async-graphql's checks, as a second line ([`MAX_DEPTH`], [`MAX_COMPLEXITY`]).
//! - **Time.** Execution stops after [`TIMEOUT`] with an error.
//! - **Errors.** An answer carries at most [`MAX_ERRORS`] of them ([`cap_errors`]).
//! - **Bytes.** A request body or real-time message is at most [`MAX_REQUEST_BYTES`] (its transport checks: 413 on
//!   `POST /graphql`, the protocol's error on the socket).

use std::{collections::HashMap, sync::Arc, time::Duration};

use async_graphql::{
    Request, Response, ServerError, ServerResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest},
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};
use serde_json::Value;

/// The most fields a document may select, fragments expanded. The app's largest operation (`live_event.graphql`
/// with the shared fragments) counts 99, the standard introspection query 411.
pub const MAX_FIELDS: usize = 1_000;
/// The deepest nesting of selections (the introspection query nests 13 deep).
pub const MAX_DEPTH: usize = 16;
/// async-graphql's complexity (a field costs 1, with its selections).
pub const MAX_COMPLEXITY: usize = MAX_FIELDS;
/// The most directives on one selection (counted here: async-graphql's own check expands every spread).
pub const MAX_DIRECTIVES: usize = 8;
/// How long one execution may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The most errors one answer carries.
pub const MAX_ERRORS: usize = 20;
/// The largest GraphQL request body, or real-time message: AppSync's own limit (240 KB).
pub const MAX_REQUEST_BYTES: usize = 240 * 1024;

/// The schema extension that refuses oversized documents before validation and stops executions that run longer
/// than `timeout` ([`TIMEOUT`] by default).
#[derive(Debug, Clone, Copy)]
pub struct FieldBudget {
    pub timeout: Duration,
}

impl Default for FieldBudget {
    fn default() -> Self {
        Self { timeout: TIMEOUT }
    }
}

impl ExtensionFactory for FieldBudget {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

/// What a field costs in the schema's complexity limit (`limit_complexity`, the second line after the field budget):
/// a field read from the database costs `READ`, and a list costs as many of its items as it may hold, so asking for
/// the products of every live show with their feeds is refused before it runs, while the page's own query (about
/// 640) fits.
pub const READ: usize = 5;
/// The items a list is counted as.
pub const EVENTS: usize = 20;
pub const PRODUCTS: usize = 10;
pub const VARIANTS: usize = 4;

/// A database read and its selection.
pub fn read_cost(child_complexity: usize) -> usize {
    READ.saturating_add(child_complexity)
}

/// A database read returning up to `items`, each with its selection.
pub fn list_cost(items: usize, child_complexity: usize) -> usize {
    READ.saturating_add(items.saturating_mul(child_complexity))
}

/// A feed page: as many posts as `limit` asks (1 to 50; 50 when not given).
pub fn feed_cost(limit: Option<i64>, child_complexity: usize) -> usize {
    let posts = limit.map_or(50, |limit| limit.clamp(1, 50)) as usize;
    list_cost(posts, child_complexity)
}

/// A refusal, typed for AppSync's `errorType`.
fn refusal(message: String, error_type: &'static str) -> ServerError {
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("errorType", error_type);
    let mut error = ServerError::new(message, None);
    error.extensions = Some(extensions);
    error
}

#[async_graphql::async_trait::async_trait]
impl Extension for FieldBudget {
    /// Parses the document (once: async-graphql keeps it) and counts it before anything else walks it. This must come
    /// before parsing's own checks too: async-graphql's recursion-depth and directive checks expand every spread.
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if expanded_fields(request.parsed_query()?, MAX_FIELDS).is_none() {
            return Err(refusal(
                format!(
                    "The query selects more than {MAX_FIELDS} fields once its fragments are expanded, or puts more than \
                     {MAX_DIRECTIVES} directives on one: ask for less"
                ),
                "QueryTooLarge",
            ));
        }
        next.run(ctx, request).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        match tokio::time::timeout(self.timeout, next.run(ctx, operation_name)).await {
            Ok(response) => response,
            Err(_) => {
                tracing::warn!(
                    operation = operation_name.unwrap_or(""),
                    "a GraphQL execution timed out"
                );
                Response::from_errors(vec![refusal(
                    format!(
                        "The request took longer than {} ms and was stopped",
                        self.timeout.as_millis()
                    ),
                    "ExecutionTimeout",
                )])
            }
        }
    }
}

/// The fields `document` selects with its fragments expanded: every operation's, and every fragment definition's
/// (validation reads those too). `None` once the count passes `limit`, for a selection with more than
/// [`MAX_DIRECTIVES`] directives, or for a fragment that spreads itself (which validation refuses anyway; here it
/// must not recurse forever).
pub fn expanded_fields(document: &ExecutableDocument, limit: usize) -> Option<usize> {
    let mut counter = Counter {
        document,
        limit,
        fragments: HashMap::new(),
    };
    let mut total = 0usize;
    for (_, operation) in document.operations.iter() {
        total = total.checked_add(counter.selection_set(&operation.node.selection_set.node)?)?;
    }
    for name in document.fragments.keys() {
        total = total.checked_add(counter.fragment(name.as_str())?)?;
    }
    (total <= limit).then_some(total)
}

struct Counter<'a> {
    document: &'a ExecutableDocument,
    limit: usize,
    /// Each fragment's expanded count once known; `None` while it is being counted (a spread of it then is a cycle).
    fragments: HashMap<&'a str, Option<usize>>,
}

impl<'a> Counter<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) -> Option<usize> {
        let mut total = 0usize;
        for item in &set.items {
            let (directives, count) = match &item.node {
                Selection::Field(field) => (
                    field.node.directives.len(),
                    1 + self.selection_set(&field.node.selection_set.node)?,
                ),
                Selection::InlineFragment(inline) => (
                    inline.node.directives.len(),
                    self.selection_set(&inline.node.selection_set.node)?,
                ),
                Selection::FragmentSpread(spread) => (
                    spread.node.directives.len(),
                    self.fragment(spread.node.fragment_name.node.as_str())?,
                ),
            };
            if directives > MAX_DIRECTIVES {
                return None;
            }
            total = total.checked_add(count).filter(|total| *total <= self.limit)?;
        }
        Some(total)
    }

    /// A fragment's expanded count, counted once; an unknown fragment counts nothing (validation names it).
    fn fragment(&mut self, name: &'a str) -> Option<usize> {
        match self.fragments.get(name) {
            Some(Some(count)) => return Some(*count),
            Some(None) => return None,
            None => {}
        }
        let Some((name, definition)) = self.document.fragments.get_key_value(name) else {
            return Some(0);
        };
        self.fragments.insert(name.as_str(), None);
        let count = self.selection_set(&definition.node.selection_set.node)?;
        self.fragments.insert(name.as_str(), Some(count));
        Some(count)
    }
}

/// Keeps at most [`MAX_ERRORS`] of an answer's errors, the last one saying how many were left out.
pub fn cap_errors(json: &mut Value) {
    let Some(errors) = json.get_mut("errors").and_then(Value::as_array_mut) else {
        return;
    };
    if errors.len() > MAX_ERRORS {
        let left_out = errors.len() - (MAX_ERRORS - 1);
        errors.truncate(MAX_ERRORS - 1);
        errors.push(serde_json::json!({
            "errorType": "TooManyErrors",
            "message": format!("{left_out} more errors were left out"),
        }));
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn count(query: &str) -> Option<usize> {
        expanded_fields(&parse_query(query).expect("parses"), MAX_FIELDS)
    }

    /// Fragments that each spread the one before twice: 2ⁿ fields in a few hundred bytes.
    fn doubling(n: usize) -> String {
        let mut query =
            format!("query {{ likes(eventId: \"evt_demo\") {{ ...F{n} }} }} fragment F0 on Likes {{ total }}");
        for i in 1..=n {
            query += &format!(" fragment F{i} on Likes {{ ...F{} ...F{} }}", i - 1, i - 1);
        }
        query
    }

    #[test]
    fn fields_are_counted_with_fragments_expanded_once_each() {
        assert_eq!(count("{ likes(eventId: \"e\") { total } }"), Some(2));
        // Aliases and repeats each count.
        assert_eq!(
            count("{ a: likes(eventId: \"e\") { total } b: likes(eventId: \"e\") { total total } }"),
            Some(5)
        );
        assert_eq!(
            count("{ ... on Query { likes(eventId: \"e\") { ...T } } } fragment T on Likes { total }"),
            // The operation's 2, and the fragment definition's own 1.
            Some(3)
        );
        assert_eq!(
            count(&doubling(5)),
            Some(1 + 32 + (1..=5).map(|i| 1 << i).sum::<usize>() + 1)
        );
    }

    #[test]
    fn an_exponential_document_is_refused_at_once() {
        let query = doubling(60);
        assert!(query.len() < 3_000, "{} bytes", query.len());
        let started = std::time::Instant::now();
        assert_eq!(count(&query), None);
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(count(&format!("{{ {} }}", "__typename ".repeat(MAX_FIELDS + 1))), None);
    }

    #[test]
    fn too_many_directives_on_one_selection_end_the_count() {
        let directives = "@include(if: true) ".repeat(MAX_DIRECTIVES);
        assert_eq!(count(&format!("{{ __typename {directives} }}")), Some(1));
        assert_eq!(count(&format!("{{ __typename {directives} @skip(if: false) }}")), None);
    }

    #[test]
    fn a_fragment_that_spreads_itself_ends_the_count() {
        assert_eq!(
            count("{ likes(eventId: \"e\") { ...A } } fragment A on Likes { total ...B } fragment B on Likes { ...A }"),
            None
        );
    }

    #[test]
    fn the_apps_operations_and_introspection_fit_with_room() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../graphql");
        let fragments = std::fs::read_to_string(dir.join("fragments.graphql")).unwrap();
        for entry in std::fs::read_dir(dir.join("operations")).unwrap() {
            let path = entry.unwrap().path();
            let document = format!("{}\n{fragments}", std::fs::read_to_string(&path).unwrap());
            let fields = count(&document).unwrap_or_else(|| panic!("{} is over the limit", path.display()));
            assert!(fields * 4 < MAX_FIELDS, "{}: {fields} fields", path.display());
        }
        let introspection = count(INTROSPECTION).expect("introspection fits");
        assert!(introspection * 2 < MAX_FIELDS, "{introspection}");
    }

    #[tokio::test]
    async fn an_execution_past_its_time_is_stopped_with_an_error() {
        struct Query;
        #[async_graphql::Object]
        impl Query {
            async fn slow(&self) -> i32 {
                tokio::time::sleep(Duration::from_secs(5)).await;
                1
            }
            async fn quick(&self) -> i32 {
                2
            }
        }
        let schema =
            async_graphql::Schema::build(Query, async_graphql::EmptyMutation, async_graphql::EmptySubscription)
                .extension(FieldBudget {
                    timeout: Duration::from_millis(50),
                })
                .finish();
        let answer = serde_json::to_value(schema.execute("{ slow }").await).unwrap();
        assert_eq!(
            answer["errors"][0]["extensions"]["errorType"], "ExecutionTimeout",
            "{answer}"
        );
        let answer = serde_json::to_value(schema.execute("{ quick }").await).unwrap();
        assert_eq!(answer["data"]["quick"], 2, "{answer}");
    }

    #[test]
    fn errors_past_the_cap_are_summed_up() {
        let mut json =
            serde_json::json!({ "errors": (0..50).map(|i| serde_json::json!({ "message": i })).collect::<Vec<_>>() });
        cap_errors(&mut json);
        let errors = json["errors"].as_array().unwrap();
        assert_eq!(errors.len(), MAX_ERRORS);
        assert_eq!(errors[MAX_ERRORS - 1]["message"], "31 more errors were left out");
        let mut few = serde_json::json!({ "errors": [{ "message": "one" }] });
        cap_errors(&mut few);
        assert_eq!(few["errors"].as_array().unwrap().len(), 1);
    }

    /// The introspection query GraphQL tools send (graphql-js's `getIntrospectionQuery()`).
    pub const INTROSPECTION: &str = r#"
        query IntrospectionQuery {
          __schema {
            queryType { name } mutationType { name } subscriptionType { name }
            types { ...FullType }
            directives { name description locations args { ...InputValue } }
          }
        }
        fragment FullType on __Type {
          kind name description
          fields(includeDeprecated: true) {
            name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
          }
          inputFields { ...InputValue }
          interfaces { ...TypeRef }
          enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
          possibleTypes { ...TypeRef }
        }
        fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
        fragment TypeRef on __Type {
          kind name
          ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
            ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
        }
    "#;
}
