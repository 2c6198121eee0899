use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::{Scope, Store, StoreError};

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
            "SELECT {COLUMNS} FROM products WHERE event_id = $1 ORDER BY position"
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

    /// The variants of an event's products, each product's in display order.
    pub async fn variants_of_event(&self, event_id: &str) -> Result<Vec<VariantRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT v.id, v.product_id, v.position, v.title, v.price, v.stock FROM product_variants v \
             JOIN products p ON p.id = v.product_id WHERE p.event_id = $1 ORDER BY v.product_id, v.position",
        )
        .bind(event_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A product's variants in display order (none for a product sold as one thing).
    pub async fn variants_of_product(&self, product_id: &str) -> Result<Vec<VariantRecord>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        variants_in(&mut conn, product_id).await
    }

    pub async fn product(&self, product_id: &str) -> Result<Option<ProductRecord>, StoreError> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM products WHERE id = $1"))
            .bind(product_id)
            .fetch_optional(&self.pool)
            .await?)
    }
}

/// A product of a catalog replacement: the Shopify variant its cart lines name (when sold as one thing), and its
/// own variants, each with the Shopify variant it stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogEntry {
    pub product: ProductRecord,
    pub shopify_variant_id: Option<String>,
    pub variants: Vec<(VariantRecord, Option<String>)>,
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
    /// Makes `entries` (in display order) the catalog of `event_id`, in one transaction: new products are added,
    /// known ones updated where they differ, the rest removed, and each product's variants likewise. Products whose
    /// viewer-visible state changed are announced after the commit (`Store::product_changes`).
    pub async fn replace_catalog(
        &self,
        event_id: &str,
        entries: &[CatalogEntry],
    ) -> Result<CatalogChanges, StoreError> {
        let mut tx = self.write_transaction(&[Scope::Show(event_id)]).await?;
        let before: Vec<ProductRecord> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM products WHERE event_id = $1 ORDER BY position"
        ))
        .bind(event_id)
        .fetch_all(&mut *tx)
        .await?;
        // Positions are unique per event: move the old ones out of the way first.
        sqlx::query("UPDATE products SET position = position + 1000000 WHERE event_id = $1")
            .bind(event_id)
            .execute(&mut *tx)
            .await?;
        let mut changes = CatalogChanges::default();
        let mut announce = Vec::new();
        for (position, entry) in entries.iter().enumerate() {
            let product = ProductRecord {
                event_id: event_id.to_owned(),
                position: position as i64,
                ..entry.product.clone()
            };
            let variants_before = variants_in(&mut tx, &product.id).await?;
            save_product(&mut tx, &product).await?;
            sqlx::query("UPDATE products SET shopify_variant_id = $1 WHERE id = $2")
                .bind(&entry.shopify_variant_id)
                .bind(&product.id)
                .execute(&mut *tx)
                .await?;
            for old in &variants_before {
                if !entry.variants.iter().any(|(variant, _)| variant.id == old.id) {
                    sqlx::query("DELETE FROM product_variants WHERE id = $1")
                        .bind(&old.id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            // Variant positions are unique per product too.
            sqlx::query("UPDATE product_variants SET position = position + 1000000 WHERE product_id = $1")
                .bind(&product.id)
                .execute(&mut *tx)
                .await?;
            for (variant, shopify_id) in &entry.variants {
                save_variant(&mut tx, variant).await?;
                sqlx::query("UPDATE product_variants SET shopify_variant_id = $1 WHERE id = $2")
                    .bind(shopify_id)
                    .bind(&variant.id)
                    .execute(&mut *tx)
                    .await?;
            }
            match before.iter().find(|old| old.id == product.id) {
                None => changes.added += 1,
                Some(old) => {
                    let seen = |p: &ProductRecord| {
                        (
                            p.title.clone(),
                            p.description.clone(),
                            p.image_url.clone(),
                            p.price,
                            p.sold_out(),
                        )
                    };
                    let seen_variants = |vs: &[VariantRecord]| -> Vec<_> {
                        vs.iter()
                            .map(|v| (v.id.clone(), v.title.clone(), v.price, v.sold_out()))
                            .collect()
                    };
                    let new_variants: Vec<VariantRecord> = entry.variants.iter().map(|(v, _)| v.clone()).collect();
                    if seen(old) != seen(&product) || seen_variants(&variants_before) != seen_variants(&new_variants) {
                        changes.updated += 1;
                        announce.push(product.id.clone());
                    } else {
                        changes.unchanged += 1;
                    }
                }
            }
        }
        for old in &before {
            if !entries.iter().any(|entry| entry.product.id == old.id) {
                sqlx::query("DELETE FROM products WHERE id = $1")
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

    /// The Shopify variant a cart line names: the product variant's, or the product's own for a product sold as
    /// one thing (products from a Shopify collection).
    pub async fn shopify_variant(
        &self,
        product_id: &str,
        variant_id: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let found: Option<Option<String>> = match variant_id {
            Some(variant_id) => {
                sqlx::query_scalar("SELECT shopify_variant_id FROM product_variants WHERE id = $1 AND product_id = $2")
                    .bind(variant_id)
                    .bind(product_id)
                    .fetch_optional(&self.pool)
                    .await?
            }
            None => {
                sqlx::query_scalar("SELECT shopify_variant_id FROM products WHERE id = $1")
                    .bind(product_id)
                    .fetch_optional(&self.pool)
                    .await?
            }
        };
        Ok(found.flatten())
    }
}

/// Writes `product`: a new row, or the product's row brought up to date.
pub(super) async fn save_product(conn: &mut AnyConnection, product: &ProductRecord) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO products (id, event_id, position, title, title_en, description, image_url, price, \
             currency, tax_rate_bp, stock) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
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

async fn variants_in(conn: &mut AnyConnection, product_id: &str) -> Result<Vec<VariantRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, product_id, position, title, price, stock FROM product_variants WHERE product_id = $1 \
         ORDER BY position",
    )
    .bind(product_id)
    .fetch_all(conn)
    .await?)
}

/// Writes `variant` (a new row, or the variant's row brought up to date).
pub(super) async fn save_variant(conn: &mut AnyConnection, variant: &VariantRecord) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO product_variants (id, product_id, position, title, price, stock) VALUES ($1, $2, $3, $4, $5, $6) \
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
