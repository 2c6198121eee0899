use async_graphql::{Context, ErrorExtensions, Guard, Result};

use crate::auth::Caller;

/// Lets only operators (AppSync AWS_LAMBDA mode) through, with AppSync's field-level error otherwise.
pub struct OperatorOnly {
    field: &'static str,
    parent: &'static str,
}

impl OperatorOnly {
    pub fn new(field: &'static str, parent: &'static str) -> Self {
        Self { field, parent }
    }
}

impl Guard for OperatorOnly {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        match ctx.data_opt::<Caller>() {
            Some(Caller::Operator) => Ok(()),
            _ => Err(async_graphql::Error::new(format!(
                "Not Authorized to access {} on type {}",
                self.field, self.parent
            ))
            .extend_with(|_, e| e.set("errorType", "Unauthorized"))),
        }
    }
}
