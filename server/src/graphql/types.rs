use async_graphql::{ComplexObject, Context, Enum, ID, Object, Result, SimpleObject};
use chrono::Utc;

use super::scalars::AwsDateTime;
use crate::{
    error::OrInternal,
    store::{self, EventRecord, ProductRecord, Store},
};

/// `type Event` of the schema.
pub struct Event(pub EventRecord);

#[Object]
impl Event {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
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
    async fn status(&self) -> EventStatus {
        self.0.status_at(Utc::now()).into()
    }
    async fn products(&self, ctx: &Context<'_>) -> Result<Vec<Product>> {
        products_of_event(ctx, &self.0.id).await
    }
}

pub async fn products_of_event(ctx: &Context<'_>, event_id: &str) -> Result<Vec<Product>> {
    let store = ctx.data::<Store>()?;
    Ok(store
        .products_of_event(event_id)
        .await
        .or_internal()?
        .into_iter()
        .map(Product::from)
        .collect())
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

/// `type Product` of the schema.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Product {
    id: ID,
    event_id: ID,
    title: String,
    title_en: Option<String>,
    description: Option<String>,
    image_url: String,
    price: i64,
    currency: String,
    tax_rate_basis_points: i64,
    stock: i64,
    position: i64,
}

#[ComplexObject]
impl Product {
    async fn sold_out(&self) -> bool {
        self.stock == 0
    }
}

impl From<ProductRecord> for Product {
    fn from(record: ProductRecord) -> Self {
        Self {
            id: ID(record.id),
            event_id: ID(record.event_id),
            title: record.title,
            title_en: record.title_en,
            description: record.description,
            image_url: record.image_url,
            price: record.price,
            currency: record.currency,
            tax_rate_basis_points: record.tax_rate_bp,
            stock: record.stock,
            position: record.position,
        }
    }
}
