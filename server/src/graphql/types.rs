use std::collections::HashMap;

use async_graphql::{Context, Enum, ErrorExtensions, ID, Object, Result};
use chrono::Utc;

use super::{
    directives::{aws_api_key, aws_lambda},
    scalars::AwsDateTime,
};
use crate::{
    error::OrInternal,
    store::{self, EventRecord, PickupRecord, ProductRecord, Store, VariantRecord},
};

/// `type Event` of the schema.
pub struct Event(pub EventRecord);

#[Object(directive = aws_api_key::apply(), directive = aws_lambda::apply())]
impl Event {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// The event's address on the page: /live/{slug}.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn starts_at(&self) -> AwsDateTime {
        AwsDateTime(self.0.starts_at)
    }
    async fn ends_at(&self) -> Option<AwsDateTime> {
        self.0.ends_at.map(AwsDateTime)
    }
    /// The live stream's HLS master playlist (a path on this server or an absolute URL), when the show has one.
    async fn live_url(&self) -> Option<&str> {
        self.0.live_url.as_deref()
    }
    /// The on-demand recording's HLS master playlist, played once the show has ended.
    async fn archive_url(&self) -> Option<&str> {
        self.0.archive_url.as_deref()
    }
    /// Derived from startsAt and endsAt at the time of the query.
    async fn status(&self) -> EventStatus {
        self.0.status_at(Utc::now()).into()
    }
    /// The event's products, in display order.
    #[graphql(complexity = "super::limits::list_cost(super::limits::PRODUCTS, child_complexity)")]
    async fn products(&self, ctx: &Context<'_>) -> Result<Vec<Product>> {
        products_of_event(ctx, &self.0.id).await
    }
    /// The pick-up banner now (as Query.pickup).
    #[graphql(complexity = "super::limits::read_cost(child_complexity)")]
    async fn pickup(&self, ctx: &Context<'_>) -> Result<Option<Pickup>> {
        pickup_of_event(ctx, &self.0.id).await
    }
    /// The like total now (as Query.likes).
    #[graphql(complexity = "super::limits::read_cost(child_complexity)")]
    async fn likes(&self, ctx: &Context<'_>) -> Result<LikeCount> {
        like_count_of_event(ctx, &self.0.id).await
    }
    /// The newest visible posts of the hashtag feed (as Query.feed).
    #[graphql(complexity = "super::limits::feed_cost(limit, child_complexity)")]
    async fn feed(&self, ctx: &Context<'_>, limit: Option<i64>) -> Result<Vec<FeedPost>> {
        feed_of_event(ctx, &self.0.id, limit).await
    }
    /// Where the show's stream stands now (as onStreamStatus tells it).
    #[graphql(complexity = "super::limits::read_cost(child_complexity)")]
    async fn stream_status(&self, ctx: &Context<'_>) -> Result<StreamStatus> {
        let ingest = ctx.data::<crate::ingest::Ingest>()?;
        Ok(StreamStatus(ingest.status(&self.0).await.or_internal()?))
    }
    /// The pick-up banner's changes as they happened on air, placed on the replay's timeline, in order: empty until
    /// the show has ended with a recording of its own.
    #[graphql(complexity = "super::limits::read_cost(child_complexity)")]
    async fn replay_pickups(&self, ctx: &Context<'_>) -> Result<Vec<ReplayPickup>> {
        let ingest = ctx.data::<crate::ingest::Ingest>()?;
        let pickups = ingest.replay_pickups(&self.0).await.or_internal()?;
        Ok(pickups.into_iter().map(ReplayPickup).collect())
    }
}

/// `type ReplayPickup`: a change of the pick-up banner, placed on the show's replay.
pub struct ReplayPickup(crate::ingest::ReplayPickup);

#[Object(directive = aws_api_key::apply(), directive = aws_lambda::apply())]
impl ReplayPickup {
    /// The product shown (or kept while hidden).
    async fn product_id(&self) -> Option<ID> {
        self.0.product_id.clone().map(ID)
    }
    async fn visible(&self) -> bool {
        self.0.visible
    }
    /// Seconds from the replay's start.
    async fn offset(&self) -> f64 {
        self.0.offset
    }
}

/// An event's newest visible feed posts, newest first: `limit` of them (1 to 50, 50 when not given).
pub async fn feed_of_event(ctx: &Context<'_>, event_id: &str, limit: Option<i64>) -> Result<Vec<FeedPost>> {
    let limit = limit.unwrap_or(crate::feed::PAGE_SIZE);
    if !(1..=crate::feed::PAGE_SIZE).contains(&limit) {
        return Err(
            async_graphql::Error::new(format!("limit must be 1 to {}", crate::feed::PAGE_SIZE))
                .extend_with(|_, e| e.set("errorType", "BadRequestException")),
        );
    }
    let posts = ctx.data::<Store>()?.feed(event_id, limit).await.or_internal()?;
    Ok(posts.into_iter().map(FeedPost).collect())
}

/// An event's products with their variants, in two queries (not one more per product).
pub async fn products_of_event(ctx: &Context<'_>, event_id: &str) -> Result<Vec<Product>> {
    let store = ctx.data::<Store>()?;
    let mut variants: HashMap<String, Vec<VariantRecord>> = HashMap::new();
    for variant in store.variants_of_event(event_id).await.or_internal()? {
        variants.entry(variant.product_id.clone()).or_default().push(variant);
    }
    Ok(store
        .products_of_event(event_id)
        .await
        .or_internal()?
        .into_iter()
        .map(|record| {
            let own = variants.remove(&record.id).unwrap_or_default();
            Product(record, Some(own))
        })
        .collect())
}

pub async fn like_count_of_event(ctx: &Context<'_>, event_id: &str) -> Result<LikeCount> {
    let total = ctx.data::<Store>()?.likes(event_id).await.or_internal()?;
    Ok(LikeCount(crate::store::LikeRecord::total(event_id, total)))
}

pub async fn pickup_of_event(ctx: &Context<'_>, event_id: &str) -> Result<Option<Pickup>> {
    Ok(ctx.data::<Store>()?.pickup(event_id).await.or_internal()?.map(Pickup))
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum EventStatus {
    Scheduled,
    Live,
    Ended,
}

impl From<store::EventStatus> for EventStatus {
    fn from(status: store::EventStatus) -> Self {
        match status {
            store::EventStatus::Scheduled => Self::Scheduled,
            store::EventStatus::Live => Self::Live,
            store::EventStatus::Ended => Self::Ended,
        }
    }
}

/// `type Product` of the schema, with its variants when they were read with the rest of its event's (`None`: read
/// them when asked).
pub struct Product(pub ProductRecord, pub Option<Vec<VariantRecord>>);

impl From<ProductRecord> for Product {
    fn from(record: ProductRecord) -> Self {
        Product(record, None)
    }
}

#[Object(directive = aws_api_key::apply(), directive = aws_lambda::apply())]
impl Product {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn event_id(&self) -> ID {
        ID(self.0.event_id.clone())
    }
    /// Title in Japanese (the shop's primary language).
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Title in English, when the shop has one.
    async fn title_en(&self) -> Option<&str> {
        self.0.title_en.as_deref()
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Path or absolute URL of the product image.
    async fn image_url(&self) -> &str {
        &self.0.image_url
    }
    /// Price including tax, in the currency's minor units.
    async fn price(&self) -> i64 {
        self.0.price
    }
    /// ISO 4217 currency code.
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// Consumption tax rate in basis points.
    async fn tax_rate_basis_points(&self) -> i64 {
        self.0.tax_rate_bp
    }
    async fn stock(&self) -> i64 {
        self.0.stock
    }
    async fn sold_out(&self) -> bool {
        self.0.sold_out()
    }
    /// Display order within the event, from 0.
    async fn position(&self) -> i64 {
        self.0.position
    }
    /// Its variants (sizes, colours) in display order; empty for a product sold as one thing.
    #[graphql(complexity = "super::limits::list_cost(super::limits::VARIANTS, child_complexity)")]
    async fn variants(&self, ctx: &Context<'_>) -> Result<Vec<ProductVariant>> {
        let variants = match &self.1 {
            Some(read) => read.clone(),
            None => ctx
                .data::<Store>()?
                .variants_of_product(&self.0.id)
                .await
                .or_internal()?,
        };
        Ok(variants.into_iter().map(ProductVariant).collect())
    }
}

/// `type ProductVariant` of the schema.
pub struct ProductVariant(pub VariantRecord);

#[Object(directive = aws_api_key::apply(), directive = aws_lambda::apply())]
impl ProductVariant {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// What tells it apart: a size, a colour.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Price including tax, in the product's currency's minor units.
    async fn price(&self) -> i64 {
        self.0.price
    }
    async fn stock(&self) -> i64 {
        self.0.stock
    }
    async fn sold_out(&self) -> bool {
        self.0.sold_out()
    }
}

/// `type Pickup` of the schema. Its product is read when the field is resolved, so every delivery carries the
/// product as it is now, not as it was when the operator picked it up.
pub struct Pickup(pub PickupRecord);

#[Object(directive = aws_api_key::apply(), directive = aws_lambda::apply())]
impl Pickup {
    async fn event_id(&self) -> ID {
        ID(self.0.event_id.clone())
    }
    async fn product_id(&self) -> Option<ID> {
        self.0.product_id.clone().map(ID)
    }
    async fn visible(&self) -> bool {
        self.0.visible
    }
    async fn updated_at(&self) -> AwsDateTime {
        AwsDateTime(self.0.updated_at)
    }
    /// The product as it is now (null when no product is set).
    #[graphql(complexity = "super::limits::read_cost(child_complexity)")]
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        let Some(id) = &self.0.product_id else { return Ok(None) };
        Ok(ctx.data::<Store>()?.product(id).await.or_internal()?.map(Product::from))
    }
}

/// `type LikeCount` of the schema.
pub struct LikeCount(pub crate::store::LikeRecord);

#[Object(directive = aws_api_key::apply(), directive = aws_lambda::apply())]
impl LikeCount {
    async fn event_id(&self) -> ID {
        ID(self.0.event_id.clone())
    }
    /// Likes so far: every acknowledged tap.
    async fn total(&self) -> i64 {
        self.0.total
    }
    /// On a `like` answer: how many of that call's taps counted (the rest went over the viewer's rate).
    async fn accepted(&self) -> Option<i64> {
        self.0.accepted
    }
}

/// `type FeedPost` of the schema.
pub struct FeedPost(pub store::FeedPostRecord);

#[Object(directive = aws_api_key::apply(), directive = aws_lambda::apply())]
impl FeedPost {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn event_id(&self) -> ID {
        ID(self.0.event_id.clone())
    }
    async fn source(&self) -> FeedSource {
        self.0.source.into()
    }
    /// Plain text, never markup (a Mastodon post's HTML is reduced to its text): pages find links, hashtags and
    /// mentions in it themselves.
    async fn text(&self) -> &str {
        &self.0.text
    }
    async fn author_name(&self) -> &str {
        &self.0.author_name
    }
    /// The author's handle at the source, such as @name or @name@instance.
    async fn author_handle(&self) -> Option<&str> {
        self.0.author_handle.as_deref()
    }
    /// An http(s) address of the author's picture.
    async fn author_avatar_url(&self) -> Option<&str> {
        self.0.author_avatar_url.as_deref()
    }
    /// The author's profile at the source.
    async fn author_url(&self) -> Option<&str> {
        self.0.author_url.as_deref()
    }
    /// The post at its source.
    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }
    async fn posted_at(&self) -> AwsDateTime {
        AwsDateTime(self.0.posted_at)
    }
    /// True once the operator hid it: pages that show it take it away.
    async fn hidden(&self) -> bool {
        self.0.hidden
    }
}

/// Where a feed post comes from.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum FeedSource {
    X,
    Mastodon,
    /// Written by the operator.
    Local,
}

impl From<store::FeedSource> for FeedSource {
    fn from(source: store::FeedSource) -> Self {
        match source {
            store::FeedSource::X => Self::X,
            store::FeedSource::Mastodon => Self::Mastodon,
            store::FeedSource::Local => Self::Local,
        }
    }
}

/// Which of a show's two encoders a stream key is for.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum StreamKeyRole {
    Primary,
    /// Takes over when the primary drops.
    Backup,
}

impl From<StreamKeyRole> for store::KeyRole {
    fn from(role: StreamKeyRole) -> Self {
        match role {
            StreamKeyRole::Primary => store::KeyRole::Primary,
            StreamKeyRole::Backup => store::KeyRole::Backup,
        }
    }
}

/// `type StreamKey`: a show's stream key as issued.
pub struct StreamKey {
    pub role: StreamKeyRole,
    pub issued: crate::ingest::IssuedKey,
}

#[Object(directive = aws_lambda::apply())]
impl StreamKey {
    async fn role(&self) -> StreamKeyRole {
        self.role
    }

    /// The encoder's server: rtmp://host:port/live.
    async fn rtmp_url(&self) -> &str {
        &self.issued.rtmp_url
    }

    /// The SRT address (caller mode, the key in its streamid), when SRT ingest is on.
    async fn srt_url(&self) -> Option<&str> {
        self.issued.srt_url.as_deref()
    }

    /// The stream key: rtmpUrl + "/" + key is the whole publish address.
    async fn key(&self) -> &str {
        &self.issued.key
    }
}

/// `type StreamStatus`: where a show's stream stands; its readings are the operators'.
pub struct StreamStatus(pub store::StreamStatusRecord);

#[Object(directive = aws_api_key::apply(), directive = aws_lambda::apply())]
impl StreamStatus {
    async fn event_id(&self) -> ID {
        ID(self.0.event_id.clone())
    }
    async fn state(&self) -> StreamState {
        self.0.state.into()
    }
    /// The live stream's HLS master playlist, when the show has one.
    async fn live_url(&self) -> Option<&str> {
        self.0.live_url.as_deref()
    }
    /// The replay's HLS master playlist, once the show ended with a recording.
    async fn archive_url(&self) -> Option<&str> {
        self.0.archive_url.as_deref()
    }
    /// Operators: the encoders publishing, primary first.
    #[graphql(
        directive = aws_lambda::apply(),
        guard = "super::guards::OperatorOnly::new(\"encoders\", \"StreamStatus\")"
    )]
    async fn encoders(&self) -> Vec<EncoderStatus> {
        self.0.readings.encoders.iter().cloned().map(EncoderStatus).collect()
    }
    /// Operators: how the transcoder keeps up (null while none runs).
    #[graphql(
        directive = aws_lambda::apply(),
        guard = "super::guards::OperatorOnly::new(\"transcoder\", \"StreamStatus\")"
    )]
    async fn transcoder(&self) -> Option<TranscoderStatus> {
        self.0.readings.transcoder.map(TranscoderStatus)
    }
    /// Operators: what needs their attention while the show is on air.
    #[graphql(
        directive = aws_lambda::apply(),
        guard = "super::guards::OperatorOnly::new(\"warnings\", \"StreamStatus\")"
    )]
    async fn warnings(&self) -> Vec<StreamWarning> {
        crate::ingest::warnings(&self.0).into_iter().map(Into::into).collect()
    }
    /// Operators: the ladder's segment length in seconds, which an encoder's keyframe interval should not exceed.
    #[graphql(
        directive = aws_lambda::apply(),
        guard = "super::guards::OperatorOnly::new(\"segmentSeconds\", \"StreamStatus\")"
    )]
    async fn segment_seconds(&self) -> u32 {
        self.0.readings.segment_seconds
    }
    /// When the ingest last said.
    async fn updated_at(&self) -> AwsDateTime {
        AwsDateTime(self.0.updated_at)
    }
}

/// Where a show's stream stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum StreamState {
    /// Nothing is on air yet.
    Waiting,
    /// On air.
    Live,
    /// Every encoder dropped before the show ended: it will be back in a moment.
    Interrupted,
    /// The show ended (its replay, when recorded, is archiveUrl).
    Ended,
}

impl From<store::StreamState> for StreamState {
    fn from(state: store::StreamState) -> Self {
        match state {
            store::StreamState::Waiting => Self::Waiting,
            store::StreamState::Live => Self::Live,
            store::StreamState::Interrupted => Self::Interrupted,
            store::StreamState::Ended => Self::Ended,
        }
    }
}

/// `type EncoderStatus`: an encoder publishing to a show, measured as its stream arrives.
pub struct EncoderStatus(store::EncoderReading);

#[Object(directive = aws_lambda::apply())]
impl EncoderStatus {
    async fn role(&self) -> StreamKeyRole {
        match self.0.role {
            store::KeyRole::Primary => StreamKeyRole::Primary,
            store::KeyRole::Backup => StreamKeyRole::Backup,
        }
    }
    /// Its picture is the one on air (the other encoder stands by).
    async fn on_air(&self) -> bool {
        self.0.on_air
    }
    /// Its picture's size, as its metadata says.
    async fn width(&self) -> Option<u32> {
        self.0.width
    }
    async fn height(&self) -> Option<u32> {
        self.0.height
    }
    /// Frames per second over the last 5 s of its stream.
    async fn frame_rate(&self) -> Option<f64> {
        self.0.frame_rate
    }
    /// Kilobits per second over the last 5 s of its stream, audio and video.
    async fn bitrate_kbps(&self) -> Option<u32> {
        self.0.bitrate_kbps
    }
    /// Seconds between its last two keyframes.
    async fn keyframe_interval(&self) -> Option<f64> {
        self.0.keyframe_interval
    }
}

/// `type TranscoderStatus`: how a show's transcoder keeps up.
pub struct TranscoderStatus(store::TranscoderReading);

#[Object(directive = aws_lambda::apply())]
impl TranscoderStatus {
    /// Encoding speed as a multiple of real time: below 1 it falls behind.
    async fn speed(&self) -> Option<f64> {
        self.0.speed
    }
    /// Frames dropped to keep up, since it started.
    async fn dropped_frames(&self) -> u64 {
        self.0.dropped_frames
    }
}

/// What needs an operator's attention in a show on air.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum StreamWarning {
    /// An encoder's keyframes are further apart than a segment: a switch to it waits for its next keyframe. Set its
    /// keyframe interval to the segment length.
    KeyframeIntervalTooLong,
    /// The transcoder encodes slower than real time: viewers will stall. Lower the input or the ladder.
    TranscoderTooSlow,
    /// One encoder publishes: nothing takes over when it drops.
    NoBackup,
}

impl From<crate::ingest::StreamWarning> for StreamWarning {
    fn from(warning: crate::ingest::StreamWarning) -> Self {
        match warning {
            crate::ingest::StreamWarning::KeyframeIntervalTooLong => Self::KeyframeIntervalTooLong,
            crate::ingest::StreamWarning::TranscoderTooSlow => Self::TranscoderTooSlow,
            crate::ingest::StreamWarning::NoBackup => Self::NoBackup,
        }
    }
}
