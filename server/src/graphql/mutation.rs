use async_graphql::{Context, ErrorExtensions, ID, Object, Result};

use super::{
    directives::aws_lambda,
    guards::OperatorOnly,
    types::{Pickup, Product},
};
use crate::{
    error::OrInternal,
    realtime::{Hub, catalog},
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

    /// Operator or back office: tells open pages a product's current state (price, stock, sold out) after a change
    /// made elsewhere. The server calls it by itself when an order sells a product out or a refund brings it back.
    #[graphql(directive = aws_lambda::apply(), guard = "OperatorOnly::new(\"publishProduct\", \"Mutation\")")]
    async fn publish_product(&self, ctx: &Context<'_>, event_id: ID, product_id: ID) -> Result<Option<Product>> {
        let store = ctx.data::<Store>()?;
        let hub = ctx.data::<Hub>()?;
        let known = store.product(&product_id).await.or_internal()?;
        if known.as_ref().is_none_or(|product| product.event_id != *event_id) {
            return Err(
                async_graphql::Error::new(format!("the event has no product {}", *product_id))
                    .extend_with(|_, e| e.set("errorType", "BadRequestException")),
            );
        }
        Ok(catalog::publish_product(store, hub, &product_id)
            .await
            .or_internal()?
            .map(Product))
    }
}
