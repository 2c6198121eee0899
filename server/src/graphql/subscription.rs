use async_graphql::{Context, ID, Result, Subscription};
use futures_util::{Stream, stream};
use serde::de::DeserializeOwned;

use super::{
    directives::{aws_api_key, aws_lambda, aws_subscribe},
    types::{FeedPost, LikeCount, Pickup, Product, StreamStatus},
};
use crate::{
    publish::{
        HIDE_FEED_POST, POST_FEED, PUBLISH_FEED_POST, PUBLISH_LIKE_COUNT, PUBLISH_PRODUCT, PUBLISH_STREAM_STATUS,
        SET_PICKUP,
    },
    realtime::Published,
    store::{FeedPostRecord, PickupRecord, ProductRecord, StreamStatusRecord},
};

/// The mutations each subscription field delivers (its `@aws_subscribe`).
const SUBSCRIPTIONS: &[(&str, &[&str])] = &[
    ("onPickupChanged", &[SET_PICKUP]),
    ("onProductChanged", &[PUBLISH_PRODUCT]),
    ("onLikeCount", &[PUBLISH_LIKE_COUNT]),
    ("onFeedPost", &[POST_FEED, HIDE_FEED_POST, PUBLISH_FEED_POST]),
    ("onStreamStatus", &[PUBLISH_STREAM_STATUS]),
];

/// The mutations the subscription field `field` delivers: its `@aws_subscribe` in the schema, and what the real-time
/// hub matches published results with. None for a field that is not a subscription.
pub fn mutations_of(field: &str) -> Vec<String> {
    SUBSCRIPTIONS
        .iter()
        .find(|(name, _)| *name == field)
        .map(|(_, mutations)| mutations.iter().map(|m| m.to_string()).collect())
        .unwrap_or_default()
}

pub struct SubscriptionRoot;

/// The published result this execution delivers to the subscription field `field` (one of the mutations its
/// `@aws_subscribe` lists), decoded; `None` while a new subscription is validated.
fn delivery<R: DeserializeOwned>(ctx: &Context<'_>, field: &str) -> Option<R> {
    let published = ctx.data_opt::<Published>()?;
    let (_, mutations) = SUBSCRIPTIONS.iter().find(|(name, _)| *name == field)?;
    mutations.iter().find_map(|mutation| published.decode(mutation))
}

/// Subscriptions are served by the real-time endpoint (`/graphql/realtime`), which runs each subscription's
/// selection on a published mutation result (`Published` in the request's data). Without one, a field yields
/// nothing: that is how the endpoint validates a new subscription.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Every change of the event's pick-up banner.
    #[graphql(
        directive = aws_subscribe::apply(mutations_of("onPickupChanged")),
        directive = aws_api_key::apply(),
        directive = aws_lambda::apply()
    )]
    async fn on_pickup_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "eventId")] _event_id: ID,
    ) -> Result<impl Stream<Item = Option<Pickup>>> {
        let pickup = delivery::<PickupRecord>(ctx, "onPickupChanged");
        // Nullable like setPickup's result: AppSync requires a subscription to return its mutations' type.
        Ok(stream::iter(pickup.map(|record| Some(Pickup(record)))))
    }

    /// A product of the event changed (sold out, back in stock, a new price): the product as it is now.
    #[graphql(
        directive = aws_subscribe::apply(mutations_of("onProductChanged")),
        directive = aws_api_key::apply(),
        directive = aws_lambda::apply()
    )]
    async fn on_product_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "eventId")] _event_id: ID,
    ) -> Result<impl Stream<Item = Option<Product>>> {
        let product = delivery::<ProductRecord>(ctx, "onProductChanged");
        Ok(stream::iter(product.map(|record| Some(Product::from(record)))))
    }

    /// The event's like total, at most a few times a second however fast people tap.
    #[graphql(
        directive = aws_subscribe::apply(mutations_of("onLikeCount")),
        directive = aws_api_key::apply(),
        directive = aws_lambda::apply()
    )]
    async fn on_like_count(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "eventId")] _event_id: ID,
    ) -> Result<impl Stream<Item = LikeCount>> {
        let count = delivery::<crate::store::LikeRecord>(ctx, "onLikeCount");
        Ok(stream::iter(count.map(LikeCount)))
    }

    /// A post of the event's feed: a new one (from X, Mastodon or the operator), or one the operator hid
    /// (hidden: true; take it away).
    #[graphql(
        directive = aws_subscribe::apply(mutations_of("onFeedPost")),
        directive = aws_api_key::apply(),
        directive = aws_lambda::apply()
    )]
    async fn on_feed_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "eventId")] _event_id: ID,
    ) -> Result<impl Stream<Item = Option<FeedPost>>> {
        let post = delivery::<FeedPostRecord>(ctx, "onFeedPost");
        Ok(stream::iter(post.map(|record| Some(FeedPost(record)))))
    }

    /// Where the event's stream stands: at each change (on air, interrupted, ended with its replay), and every 2 s
    /// with fresh readings while it is on air.
    #[graphql(
        directive = aws_subscribe::apply(mutations_of("onStreamStatus")),
        directive = aws_api_key::apply(),
        directive = aws_lambda::apply()
    )]
    async fn on_stream_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "eventId")] _event_id: ID,
    ) -> Result<impl Stream<Item = StreamStatus>> {
        let status = delivery::<StreamStatusRecord>(ctx, "onStreamStatus");
        Ok(stream::iter(status.map(StreamStatus)))
    }
}
