use async_graphql::{Context, ErrorExtensions, ID, Object, Result};

use super::{
    directives::aws_lambda,
    guards::OperatorOnly,
    types::{Event, FeedPost, LikeCount, Pickup, Product, StreamKey, StreamKeyRole, StreamStatus},
};
use crate::{
    commerce::product_news,
    error::OrInternal,
    feed::{Feed, FeedError},
    publish::{Announcement, Publisher},
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
        ctx.data::<Publisher>()?.publish(Announcement::Pickup(record.clone()));
        Ok(Some(Pickup(record)))
    }

    /// Operator or back office: tells open pages a product's current state (price, stock, sold out) after a change
    /// made elsewhere. The server calls it by itself when an order sells a product out or a refund brings it back.
    #[graphql(directive = aws_lambda::apply(), guard = "OperatorOnly::new(\"publishProduct\", \"Mutation\")")]
    async fn publish_product(&self, ctx: &Context<'_>, event_id: ID, product_id: ID) -> Result<Option<Product>> {
        let store = ctx.data::<Store>()?;
        let publisher = ctx.data::<Publisher>()?;
        let known = store.product(&product_id).await.or_internal()?;
        if known.as_ref().is_none_or(|product| product.event_id != *event_id) {
            return Err(
                async_graphql::Error::new(format!("the event has no product {}", *product_id))
                    .extend_with(|_, e| e.set("errorType", "BadRequestException")),
            );
        }
        Ok(product_news::publish_product(store, publisher, &product_id)
            .await
            .or_internal()?
            .map(Product::from))
    }

    /// A viewer's taps: `count` (1 to 1000, summed on the page) added to the event's total once durable. Taps over
    /// the viewer's rate are dropped quietly; `accepted` says how many counted.
    #[graphql(directive = super::directives::aws_api_key::apply(), directive = aws_lambda::apply())]
    async fn like(&self, ctx: &Context<'_>, event_id: ID, count: i64) -> Result<LikeCount> {
        if !(1..=1000).contains(&count) {
            return Err(bad_request("count must be 1 to 1000"));
        }
        let store = ctx.data::<Store>()?;
        let likes = ctx.data::<crate::likes::Likes>()?;
        if !likes.knows_event(store, &event_id).await.or_internal()? {
            return Err(bad_request(&format!("there is no event {}", *event_id)));
        }
        let client = ctx
            .data_opt::<super::ClientKey>()
            .map_or("server", |key| key.0.as_str());
        let now = std::time::Instant::now();
        let mut accepted = likes.limiter.admit(client, count, now);
        // And per address: fresh viewer cookies do not multiply the rate.
        if let (Some(limits), Some(address)) = (
            ctx.data_opt::<crate::client_address::AddressLimits>(),
            ctx.data_opt::<crate::client_address::ClientAddress>(),
        ) {
            accepted = limits.admit(crate::client_address::Family::Likes, address.0, accepted, now);
        }
        let total = if accepted == 0 {
            store.likes(&event_id).await.or_internal()?
        } else {
            let total = likes.writer.add(&event_id, accepted).await.or_internal()?;
            likes.broadcaster.changed(&event_id, total);
            total
        };
        Ok(LikeCount(crate::store::LikeRecord {
            event_id: event_id.to_string(),
            total,
            accepted: Some(accepted),
        }))
    }

    /// Operator or back office: tells open pages an event's like total. The server does so by itself, coalesced.
    #[graphql(directive = aws_lambda::apply(), guard = "OperatorOnly::new(\"publishLikeCount\", \"Mutation\")")]
    async fn publish_like_count(&self, ctx: &Context<'_>, event_id: ID) -> Result<LikeCount> {
        let count = super::types::like_count_of_event(ctx, &event_id).await?;
        ctx.data::<Publisher>()?
            .publish(Announcement::LikeCount(count.0.clone()));
        Ok(count)
    }

    /// Operator: a post of the show's own in its feed (author: the name shown, "Host" when not given).
    #[graphql(directive = aws_lambda::apply(), guard = "OperatorOnly::new(\"postFeed\", \"Mutation\")")]
    async fn post_feed(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        text: String,
        author: Option<String>,
    ) -> Result<Option<FeedPost>> {
        match ctx
            .data::<Feed>()?
            .post_local(&event_id, &text, author.as_deref())
            .await
        {
            Ok(post) => Ok(Some(FeedPost(post))),
            Err(FeedError::Store(e)) => Err(e).or_internal(),
            Err(FeedError::Internal(e)) => Err(e).or_internal(),
            Err(refused) => Err(bad_request(&refused.to_string())),
        }
    }

    /// Operator: hides a post of the show's feed; every page showing it takes it away.
    #[graphql(directive = aws_lambda::apply(), guard = "OperatorOnly::new(\"hideFeedPost\", \"Mutation\")")]
    async fn hide_feed_post(&self, ctx: &Context<'_>, event_id: ID, post_id: ID) -> Result<Option<FeedPost>> {
        let hidden = ctx.data::<Feed>()?.hide(&event_id, &post_id).await.or_internal()?;
        hidden
            .map(|post| Some(FeedPost(post)))
            .ok_or_else(|| bad_request(&format!("the event has no post {}", *post_id)))
    }

    /// Operator or back office: sends a post of the show's feed to open pages. The server calls it by itself for
    /// each post it polls from X or Mastodon.
    #[graphql(directive = aws_lambda::apply(), guard = "OperatorOnly::new(\"publishFeedPost\", \"Mutation\")")]
    async fn publish_feed_post(&self, ctx: &Context<'_>, event_id: ID, post_id: ID) -> Result<Option<FeedPost>> {
        let post = ctx.data::<Feed>()?.publish(&event_id, &post_id).await.or_internal()?;
        post.map(|post| Some(FeedPost(post)))
            .ok_or_else(|| bad_request(&format!("the event has no post {}", *post_id)))
    }

    /// Operator: a new stream key for the event's primary or backup encoder, replacing the one before (which no longer
    /// publishes). The key is in this answer only: the server keeps its hash.
    #[graphql(directive = aws_lambda::apply(), guard = "OperatorOnly::new(\"issueStreamKey\", \"Mutation\")")]
    async fn issue_stream_key(&self, ctx: &Context<'_>, event_id: ID, role: StreamKeyRole) -> Result<StreamKey> {
        let ingest = ctx.data::<crate::ingest::Ingest>()?;
        let issued = for_show(ingest.issue_key(&event_id, role.into()).await, &event_id)?;
        Ok(StreamKey { role, issued })
    }

    /// Operator or back office: tells open pages where the show's stream stands. The server does so by itself at each
    /// change and every 2 s while the show is on air.
    #[graphql(directive = aws_lambda::apply(), guard = "OperatorOnly::new(\"publishStreamStatus\", \"Mutation\")")]
    async fn publish_stream_status(&self, ctx: &Context<'_>, event_id: ID) -> Result<StreamStatus> {
        let store = ctx.data::<Store>()?;
        let event = store
            .event_by_id(&event_id)
            .await
            .or_internal()?
            .ok_or_else(|| bad_request(&format!("no event with id {}", event_id.as_str())))?;
        let status = ctx
            .data::<crate::ingest::Ingest>()?
            .status(&event)
            .await
            .or_internal()?;
        ctx.data::<Publisher>()?
            .publish(Announcement::StreamStatus(status.clone()));
        Ok(StreamStatus(status))
    }

    /// Operator: ends the show now. An encoder on air is ended and none is admitted any more; the show's recording
    /// becomes its replay (archiveUrl), final once its last segment is in.
    #[graphql(directive = aws_lambda::apply(), guard = "OperatorOnly::new(\"endShow\", \"Mutation\")")]
    async fn end_show(&self, ctx: &Context<'_>, event_id: ID) -> Result<Event> {
        let ingest = ctx.data::<crate::ingest::Ingest>()?;
        Ok(Event(for_show(ingest.end_show(&event_id).await, &event_id)?))
    }
}

fn bad_request(message: &str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("errorType", "BadRequestException"))
}

/// A show's answer as the other operator mutations word a refusal (setPickup's): an unknown show is the operator's
/// mistake (BadRequestException); anything else is internal.
fn for_show<T>(result: std::result::Result<T, crate::error::AppError>, event_id: &ID) -> Result<T> {
    match result {
        Err(e) if e.code() == caravan::api::RefusalCode::NotFound => {
            Err(bad_request(&format!("no event with id {}", event_id.as_str())))
        }
        other => other.or_internal(),
    }
}
