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

/// A variant of a product (a size, a colour), with its own price and stock.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct VariantRecord {
    pub id: String,
    pub product_id: String,
    pub position: i64,
    pub title: String,
    pub price: i64,
    pub stock: i64,
}

impl VariantRecord {
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

    /// Adds (or updates) variants of existing products, in one transaction.
    pub async fn add_variants(&self, variants: &[VariantRecord]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for variant in variants {
            save_variant(&mut tx, variant).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A product's variants in display order (none for a product sold as one thing).
    pub async fn variants_of_product(&self, product_id: &str) -> Result<Vec<VariantRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, product_id, position, title, price, stock FROM product_variants WHERE product_id = ? \
             ORDER BY position",
        )
        .bind(product_id)
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

/// What a catalog replacement changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CatalogChanges {
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    pub unchanged: usize,
}

impl Store {
    /// Makes `products` (in display order, each with its Shopify variant) the catalog of `event_id`, in one
    /// transaction: new ones are added, known ones updated where they differ, the rest removed. Products whose
    /// viewer-visible state changed are announced after the commit (`Store::product_changes`).
    pub async fn replace_catalog(
        &self,
        event_id: &str,
        products: &[(ProductRecord, Option<String>)],
    ) -> Result<CatalogChanges, StoreError> {
        let mut tx = self.write_transaction().await?;
        let before: Vec<ProductRecord> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM products WHERE event_id = ? ORDER BY position"
        ))
        .bind(event_id)
        .fetch_all(&mut *tx)
        .await?;
        // Positions are unique per event: move the old ones out of the way first.
        sqlx::query("UPDATE products SET position = position + 1000000 WHERE event_id = ?")
            .bind(event_id)
            .execute(&mut *tx)
            .await?;
        let mut changes = CatalogChanges::default();
        let mut announce = Vec::new();
        for (position, (product, variant)) in products.iter().enumerate() {
            let product = ProductRecord {
                event_id: event_id.to_owned(),
                position: position as i64,
                ..product.clone()
            };
            save_product(&mut tx, &product).await?;
            match before.iter().find(|old| old.id == product.id) {
                None => changes.added += 1,
                Some(old) => {
                    let shown_differently = ProductRecord {
                        position: old.position,
                        stock: if old.sold_out() == product.sold_out() {
                            old.stock
                        } else {
                            product.stock
                        },
                        ..product.clone()
                    } != *old;
                    if shown_differently {
                        changes.updated += 1;
                        announce.push(product.id.clone());
                    } else {
                        changes.unchanged += 1;
                    }
                }
            }
            sqlx::query("UPDATE products SET shopify_variant_id = ? WHERE id = ?")
                .bind(variant)
                .bind(&product.id)
                .execute(&mut *tx)
                .await?;
        }
        for old in &before {
            if !products.iter().any(|(product, _)| product.id == old.id) {
                sqlx::query("DELETE FROM products WHERE id = ?")
                    .bind(&old.id)
                    .execute(&mut *tx)
                    .await?;
                changes.removed += 1;
            }
        }
        tx.commit().await?;
        self.announce_products(event_id, announce);
        Ok(changes)
    }

    /// The Shopify variant a cart line for `product_id` names (products from a Shopify collection).
    pub async fn shopify_variant(&self, product_id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT shopify_variant_id FROM products WHERE id = ?")
                .bind(product_id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }
}

/// Writes `product`: a new row, or the product's row brought up to date.
pub(super) async fn save_product(conn: &mut SqliteConnection, product: &ProductRecord) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO products (id, event_id, position, title, title_en, description, image_url, price, \
             currency, tax_rate_bp, stock) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET position = excluded.position, title = excluded.title, \
             title_en = excluded.title_en, description = excluded.description, image_url = excluded.image_url, \
             price = excluded.price, currency = excluded.currency, tax_rate_bp = excluded.tax_rate_bp, \
             stock = excluded.stock",
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

/// Writes `variant` (a new row, or the variant's row brought up to date).
pub(super) async fn save_variant(conn: &mut SqliteConnection, variant: &VariantRecord) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO product_variants (id, product_id, position, title, price, stock) VALUES (?, ?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET position = excluded.position, title = excluded.title, price = excluded.price, \
             stock = excluded.stock",
    )
    .bind(&variant.id)
    .bind(&variant.product_id)
    .bind(variant.position)
    .bind(&variant.title)
    .bind(variant.price)
    .bind(variant.stock)
    .execute(conn)
    .await?;
    Ok(())
}
