use async_graphql::{Context, ID, Object, Result};
use chrono::Utc;

use super::{
    directives::{aws_api_key, aws_lambda},
    types::{
        Event, FeedPost, LikeCount, Pickup, Product, feed_of_event, like_count_of_event, pickup_of_event,
        products_of_event,
    },
};
use crate::{error::OrInternal, store::Store};

pub struct QueryRoot;

#[Object(name = "Query")]
impl QueryRoot {
    /// The event with this slug, or null when there is none.
    #[graphql(directive = aws_api_key::apply(), directive = aws_lambda::apply())]
    async fn event(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Event>> {
        Ok(ctx
            .data::<Store>()?
            .event_by_slug(&slug)
            .await
            .or_internal()?
            .map(Event))
    }

    /// Events that are live now, earliest start first.
    #[graphql(
        directive = aws_api_key::apply(),
        directive = aws_lambda::apply(),
        complexity = "super::limits::list_cost(super::limits::EVENTS, child_complexity)"
    )]
    async fn live_events(&self, ctx: &Context<'_>) -> Result<Vec<Event>> {
        let events = ctx.data::<Store>()?.live_events(Utc::now()).await.or_internal()?;
        Ok(events.into_iter().map(Event).collect())
    }

    /// The products of an event, in their display order.
    #[graphql(
        directive = aws_api_key::apply(),
        directive = aws_lambda::apply(),
        complexity = "super::limits::list_cost(super::limits::PRODUCTS, child_complexity)"
    )]
    async fn products(&self, ctx: &Context<'_>, event_id: ID) -> Result<Vec<Product>> {
        products_of_event(ctx, &event_id).await
    }

    /// What the pick-up banner of an event shows now; null before the operator first sets it.
    #[graphql(directive = aws_api_key::apply(), directive = aws_lambda::apply())]
    async fn pickup(&self, ctx: &Context<'_>, event_id: ID) -> Result<Option<Pickup>> {
        pickup_of_event(ctx, &event_id).await
    }

    /// The event's like total.
    #[graphql(directive = aws_api_key::apply(), directive = aws_lambda::apply())]
    async fn likes(&self, ctx: &Context<'_>, event_id: ID) -> Result<LikeCount> {
        like_count_of_event(ctx, &event_id).await
    }

    /// The event's newest visible feed posts, newest first (limit: 1 to 50, 50 when not given).
    #[graphql(
        directive = aws_api_key::apply(),
        directive = aws_lambda::apply(),
        complexity = "super::limits::feed_cost(limit, child_complexity)"
    )]
    async fn feed(&self, ctx: &Context<'_>, event_id: ID, limit: Option<i64>) -> Result<Vec<FeedPost>> {
        feed_of_event(ctx, &event_id, limit).await
    }
}
