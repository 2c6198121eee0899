use async_graphql::{Context, ID, Object, Result};
use chrono::Utc;

use super::types::{Event, Product, products_of_event};
use crate::{error::OrInternal, store::Store};

pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// The event with this slug, or null when there is none.
    async fn event(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Event>> {
        Ok(ctx
            .data::<Store>()?
            .event_by_slug(&slug)
            .await
            .or_internal()?
            .map(Event))
    }

    /// Events that are live now, earliest start first.
    async fn live_events(&self, ctx: &Context<'_>) -> Result<Vec<Event>> {
        Ok(ctx
            .data::<Store>()?
            .live_events(Utc::now())
            .await
            .or_internal()?
            .into_iter()
            .map(Event)
            .collect())
    }

    /// The products of an event, in their display order.
    async fn products(&self, ctx: &Context<'_>, event_id: ID) -> Result<Vec<Product>> {
        products_of_event(ctx, &event_id).await
    }
}
