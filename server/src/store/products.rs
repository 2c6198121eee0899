use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use super::{Store, StoreError};

/// A product as stored. `price` includes tax, in the currency's minor units. Serialized with camelCase names: it is
/// also what `publishProduct` hands the real-time hub, which matches `onProductChanged(eventId)` on `eventId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct ProductRecord {
    pub id: String,
    pub event_id: String,
    pub position: i64,
    pub title: String,
    pub title_en: Option<String>,
    pub description: Option<String>,
    pub image_url: String,
    pub price: i64,
    pub currency: String,
    pub tax_rate_bp: i64,
    pub stock: i64,
}

impl ProductRecord {
    pub fn sold_out(&self) -> bool {
        self.stock == 0
    }
}

const COLUMNS: &str =
    "id, event_id, position, title, title_en, description, image_url, price, currency, tax_rate_bp, stock";

impl Store {
    /// An event's products in display order.
    pub async fn products_of_event(&self, event_id: &str) -> Result<Vec<ProductRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM products WHERE event_id = ? ORDER BY position"
        ))
        .bind(event_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn product(&self, product_id: &str) -> Result<Option<ProductRecord>, StoreError> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM products WHERE id = ?"))
            .bind(product_id)
            .fetch_optional(&self.pool)
            .await?)
    }
}

pub(super) async fn insert_product(conn: &mut SqliteConnection, product: &ProductRecord) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO products (id, event_id, position, title, title_en, description, image_url, price, \
             currency, tax_rate_bp, stock) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&product.id)
    .bind(&product.event_id)
    .bind(product.position)
    .bind(&product.title)
    .bind(&product.title_en)
    .bind(&product.description)
    .bind(&product.image_url)
    .bind(product.price)
    .bind(&product.currency)
    .bind(product.tax_rate_bp)
    .bind(product.stock)
    .execute(conn)
    .await?;
    Ok(())
}
