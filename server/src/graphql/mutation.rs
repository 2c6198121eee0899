use async_graphql::{Context, ErrorExtensions, ID, Object, Result};

use super::{directives::aws_lambda, guards::OperatorOnly, types::Pickup};
use crate::{
    error::OrInternal,
    realtime::Hub,
    store::{PickupError, Store},
};

pub struct MutationRoot;

#[Object(name = "Mutation")]
impl MutationRoot {
    /// Operator: shows a product in the pick-up banner (visible: true with its productId), or hides the banner
    /// (visible: false; productId may name the product to show next).
    #[graphql(directive = aws_lambda::apply(), guard = "OperatorOnly::new(\"setPickup\", \"Mutation\")")]
    async fn set_pickup(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        product_id: Option<ID>,
        visible: bool,
    ) -> Result<Option<Pickup>> {
        let store = ctx.data::<Store>()?;
        let record = match store
            .set_pickup(&event_id, product_id.as_ref().map(|id| id.as_str()), visible)
            .await
        {
            Ok(record) => record,
            Err(PickupError::Store(e)) => return Err(e).or_internal(),
            Err(refused) => {
                return Err(refused.extend_with(|_, e| e.set("errorType", "BadRequestException")));
            }
        };
        ctx.data::<Hub>()?.publish("setPickup", &record);
        Ok(Some(Pickup(record)))
    }
}
