//! Orders: placing one (stock and price checked and stock taken in one transaction, idempotent by the buyer's key),
//! moving it between states (each move recorded with its cause, with the jobs it starts in the same transaction), and
//! the webhook deliveries already handled.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::{At, Scope, Store, StoreError, jobs::schedule_job_in};

crate::text_enum! {
    /// Where an order is.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum OrderState {
        Created = "created",
        Paid = "paid",
        Fulfilled = "fulfilled",
        Failed = "failed",
        Refunded = "refunded",
    }
}

crate::text_enum! {
    /// Who takes the payment.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum PaymentProvider {
        /// The embedded test provider: no third party, test mode.
        Local = "local",
        Stripe = "stripe",
        Shopify = "shopify",
    }
}

impl PaymentProvider {
    /// Whether our stock count is the stock: Shopify keeps its products' stock itself (checked again at its
    /// checkout), and our count of a Shopify product is its availability, so orders neither take nor return it.
    pub fn counts_stock_here(self) -> bool {
        self != PaymentProvider::Shopify
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderRecord {
    pub id: String,
    pub event_id: String,
    pub viewer_id: String,
    pub provider: PaymentProvider,
    pub state: OrderState,
    pub currency: String,
    /// Tax included, in minor units.
    pub total: i64,
    /// The tax within `total`.
    pub tax: i64,
    pub email: Option<String>,
    pub payment_ref: Option<String>,
    /// Where the buyer pays, for a provider with its own checkout page (Shopify).
    pub checkout_url: Option<String>,
    #[sqlx(try_from = "At")]
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderLine {
    pub product_id: String,
    pub variant_id: Option<String>,
    pub title: String,
    pub unit_price: i64,
    pub tax_rate_bp: i64,
    pub quantity: i64,
}

/// A line as the buyer asks for it: the price they saw is checked against today's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRequest {
    pub product_id: String,
    /// Required for a product with variants, refused for one without.
    pub variant_id: Option<String>,
    pub quantity: i64,
    pub expected_price: i64,
}

#[derive(Debug, Clone)]
pub struct NewOrder {
    pub id: String,
    pub event_id: String,
    pub viewer_id: String,
    pub provider: PaymentProvider,
    pub email: Option<String>,
    pub idempotency_key: String,
    pub request_hash: String,
    pub lines: Vec<LineRequest>,
    /// When the order's hold on its stock ends: its `ORDER_EXPIRY` job is scheduled then, with the order, and
    /// cancelled when the order is paid or fails first.
    pub hold_until: Option<DateTime<Utc>>,
    /// The viewer's unpaid orders (in any show) at most, this one included.
    pub max_open: i64,
}

/// Why an order was not placed.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    #[error("{title} is sold out")]
    SoldOut {
        product_id: String,
        title: String,
        left: i64,
    },
    #[error("the price of {title} is now {price}")]
    PriceChanged {
        product_id: String,
        title: String,
        price: i64,
    },
    #[error("no product {0} in this show")]
    UnknownProduct(String),
    #[error("choose which {title} (a size or colour)")]
    VariantRequired { product_id: String, title: String },
    #[error("{title} has no variant {variant_id}")]
    UnknownVariant { title: String, variant_id: String },
    #[error("the products are in more than one currency")]
    MixedCurrencies,
    /// The viewer has this many unpaid orders already.
    #[error("{0} orders are waiting for payment")]
    TooManyOpen(i64),
    /// The same key with the same request: the order placed the first time.
    #[error("already placed")]
    Replay(Box<OrderRecord>),
    /// The same key with another request.
    #[error("this Idempotency-Key was used for another order")]
    KeyReused,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for PlaceError {
    fn from(e: sqlx::Error) -> Self {
        PlaceError::Store(e.into())
    }
}

/// A job a transition starts: (kind, dedupe key, payload).
pub type JobStart = (String, String, String);

/// The job kind that ends an unpaid order's hold on its stock (`commerce::expiry` runs it); its payload is the
/// order's id.
pub const ORDER_EXPIRY: &str = "order_expiry";

fn expiry_key(order_id: &str) -> String {
    format!("{ORDER_EXPIRY}:{order_id}")
}

const ORDER_COLUMNS: &str =
    "id, event_id, viewer_id, provider, state, currency, total, tax, email, payment_ref, checkout_url, created_at";

async fn order_in(conn: &mut AnyConnection, id: &str) -> Result<Option<OrderRecord>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// A move of an order from one state to another, and why.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderTransition {
    /// `None` for the order's first state.
    pub from_state: Option<String>,
    pub to_state: String,
    pub cause: String,
}

/// An entry of a buyer's order history.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderHistoryEntry {
    pub order_id: String,
    pub summary: String,
}

/// The order an `Idempotency-Key` placed before, and the hash of its request.
#[derive(sqlx::FromRow)]
struct EarlierOrder {
    id: String,
    request_hash: String,
}

/// A product as an order line needs it.
#[derive(sqlx::FromRow)]
struct ProductForSale {
    title: String,
    price: i64,
    currency: String,
    tax_rate_bp: i64,
    stock: i64,
}

/// A variant as an order line needs it.
#[derive(sqlx::FromRow)]
struct VariantForSale {
    id: String,
    title: String,
    price: i64,
    stock: i64,
}

/// Where stock is counted: a product's own, or a variant's.
#[derive(Debug, Clone, Copy)]
enum Stock {
    Product,
    Variant,
}

/// Takes `quantity` from the stock of the product or variant `id` when that many are left: the stock left then, or
/// `None` (nothing taken).
async fn take_stock(tx: &mut AnyConnection, of: Stock, id: &str, quantity: i64) -> Result<Option<i64>, sqlx::Error> {
    let statement = match of {
        Stock::Product => {
            sqlx::query_scalar("UPDATE products SET stock = stock - $1 WHERE id = $2 AND stock >= $3 RETURNING stock")
        }
        Stock::Variant => sqlx::query_scalar(
            "UPDATE product_variants SET stock = stock - $1 WHERE id = $2 AND stock >= $3 RETURNING stock",
        ),
    };
    statement
        .bind(quantity)
        .bind(id)
        .bind(quantity)
        .fetch_optional(tx)
        .await
}

impl Store {
    /// Places an order: every product of the show, at the price the buyer saw, in stock (which is taken now; the
    /// products it sells out are announced, see `Store::product_changes`), for a viewer with fewer than
    /// `max_open` unpaid orders; its `hold` job is scheduled with it.
    /// The same `(viewer, key)` again answers the first order (or `KeyReused` for another request).
    pub async fn place_order(&self, new: &NewOrder, now: DateTime<Utc>) -> Result<OrderRecord, PlaceError> {
        let mut tx = self
            .write_transaction(&[Scope::Show(&new.event_id), Scope::Viewer(&new.viewer_id)])
            .await?;
        let earlier: Option<EarlierOrder> =
            sqlx::query_as("SELECT id, request_hash FROM orders WHERE viewer_id = $1 AND idempotency_key = $2")
                .bind(&new.viewer_id)
                .bind(&new.idempotency_key)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(earlier) = earlier {
            if earlier.request_hash != new.request_hash {
                return Err(PlaceError::KeyReused);
            }
            let order = order_in(&mut tx, &earlier.id).await?.ok_or(PlaceError::KeyReused)?;
            return Err(PlaceError::Replay(Box::new(order)));
        }
        let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE viewer_id = $1 AND state = $2")
            .bind(&new.viewer_id)
            .bind(OrderState::Created)
            .fetch_one(&mut *tx)
            .await?;
        if open >= new.max_open {
            return Err(PlaceError::TooManyOpen(open));
        }
        let mut lines = Vec::with_capacity(new.lines.len());
        let mut sold_out = Vec::new();
        let mut currency: Option<String> = None;
        for request in &new.lines {
            let product: Option<ProductForSale> = sqlx::query_as(
                "SELECT title, price, currency, tax_rate_bp, stock FROM products WHERE id = $1 AND event_id = $2",
            )
            .bind(&request.product_id)
            .bind(&new.event_id)
            .fetch_optional(&mut *tx)
            .await?;
            let ProductForSale {
                title,
                price,
                currency: product_currency,
                tax_rate_bp,
                stock,
            } = product.ok_or_else(|| PlaceError::UnknownProduct(request.product_id.clone()))?;
            if currency.get_or_insert_with(|| product_currency.clone()) != &product_currency {
                return Err(PlaceError::MixedCurrencies);
            }
            // A product with variants is ordered by variant: its title, price and stock.
            let variant: Option<VariantForSale> = match &request.variant_id {
                None => None,
                Some(variant_id) => Some(
                    sqlx::query_as(
                        "SELECT id, title, price, stock FROM product_variants WHERE id = $1 AND product_id = $2",
                    )
                    .bind(variant_id)
                    .bind(&request.product_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| PlaceError::UnknownVariant {
                        title: title.clone(),
                        variant_id: variant_id.clone(),
                    })?,
                ),
            };
            if variant.is_none() {
                let variants: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM product_variants WHERE product_id = $1")
                    .bind(&request.product_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if variants > 0 {
                    return Err(PlaceError::VariantRequired {
                        product_id: request.product_id.clone(),
                        title,
                    });
                }
            }
            let (title, price, stock) = match &variant {
                Some(variant) => (format!("{title} ({})", variant.title), variant.price, variant.stock),
                None => (title, price, stock),
            };
            if price != request.expected_price {
                return Err(PlaceError::PriceChanged {
                    product_id: request.product_id.clone(),
                    title,
                    price,
                });
            }
            let sold_out_error = || PlaceError::SoldOut {
                product_id: request.product_id.clone(),
                title: title.clone(),
                left: stock,
            };
            if new.provider.counts_stock_here() {
                // The variant's stock first (its choice showing sold out changes the product for viewers), then the
                // product's, which is the sum of its variants'.
                if let Some(variant) = &variant {
                    let left = take_stock(&mut tx, Stock::Variant, &variant.id, request.quantity).await?;
                    if left.ok_or_else(sold_out_error)? == 0 {
                        sold_out.push(request.product_id.clone());
                    }
                }
                let left = take_stock(&mut tx, Stock::Product, &request.product_id, request.quantity).await?;
                if left.ok_or_else(sold_out_error)? == 0 {
                    sold_out.push(request.product_id.clone());
                }
            } else if stock <= 0 {
                // Available or not: the provider checks the quantity at its checkout.
                return Err(sold_out_error());
            }
            lines.push(OrderLine {
                product_id: request.product_id.clone(),
                variant_id: request.variant_id.clone(),
                title,
                unit_price: price,
                tax_rate_bp,
                quantity: request.quantity,
            });
        }
        let total: i64 = lines.iter().map(|l| l.unit_price * l.quantity).sum();
        let order = OrderRecord {
            id: new.id.clone(),
            event_id: new.event_id.clone(),
            viewer_id: new.viewer_id.clone(),
            provider: new.provider,
            state: OrderState::Created,
            currency: currency.unwrap_or_else(|| "JPY".into()),
            total,
            tax: caravan::money::included_tax(lines.iter().map(|l| (l.unit_price * l.quantity, l.tax_rate_bp))),
            email: new.email.clone(),
            payment_ref: None,
            checkout_url: None,
            created_at: now,
        };
        let inserted = sqlx::query(
            "INSERT INTO orders (id, event_id, viewer_id, provider, state, currency, total, tax, email, \
             idempotency_key, request_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&order.id)
        .bind(&order.event_id)
        .bind(&order.viewer_id)
        .bind(order.provider)
        .bind(order.state)
        .bind(&order.currency)
        .bind(order.total)
        .bind(order.tax)
        .bind(&order.email)
        .bind(&new.idempotency_key)
        .bind(&new.request_hash)
        .bind(At(now))
        .bind(At(now))
        .execute(&mut *tx)
        .await;
        if let Err(sqlx::Error::Database(e)) = &inserted
            && e.is_unique_violation()
        {
            // The same key placed by a concurrent request a moment ago: answer as a replay.
            drop(tx);
            return Box::pin(self.place_order(new, now)).await;
        }
        inserted?;
        for (i, line) in lines.iter().enumerate() {
            sqlx::query(
                "INSERT INTO order_lines (order_id, line, product_id, variant_id, title, unit_price, tax_rate_bp, \
                 quantity) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&order.id)
            .bind(i64::try_from(i).unwrap_or(i64::MAX))
            .bind(&line.product_id)
            .bind(&line.variant_id)
            .bind(&line.title)
            .bind(line.unit_price)
            .bind(line.tax_rate_bp)
            .bind(line.quantity)
            .execute(&mut *tx)
            .await?;
        }
        record_transition(&mut tx, &order.id, None, OrderState::Created, "placed", now).await?;
        if let Some(until) = new.hold_until {
            schedule_job_in(&mut tx, ORDER_EXPIRY, &expiry_key(&order.id), &order.id, until, now).await?;
        }
        tx.commit().await?;
        sold_out.sort_unstable();
        sold_out.dedup();
        self.announce_products(&order.event_id, sold_out);
        Ok(order)
    }

    /// Moves an order from one of `from` to `to` for `cause`, starting `jobs` in the same transaction; a move to
    /// failed or refunded from created or paid gives the stock back (and announces the products back in stock). `None` (and nothing changed) when the order
    /// is in none of `from`: a repeated or late event.
    pub async fn transition_order(
        &self,
        id: &str,
        from: &[OrderState],
        to: OrderState,
        cause: &str,
        jobs: &[JobStart],
        now: DateTime<Utc>,
    ) -> Result<Option<OrderRecord>, StoreError> {
        let mut tx = self.write_transaction(&[]).await?;
        // An order's show never changes: read it, take the show's turn (the stock may come back), then read the order
        // as it is now.
        let show: Option<String> = sqlx::query_scalar("SELECT event_id FROM orders WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(show) = show else {
            return Ok(None);
        };
        self.enter(&mut tx, &[Scope::Show(&show)]).await?;
        let Some(order) = order_in(&mut tx, id).await? else {
            return Ok(None);
        };
        if !from.contains(&order.state) {
            return Ok(None);
        }
        let moved = sqlx::query("UPDATE orders SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
            .bind(to)
            .bind(At(now))
            .bind(id)
            .bind(order.state)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() == 0 {
            return Ok(None);
        }
        let mut back_in_stock = Vec::new();
        if matches!(to, OrderState::Failed | OrderState::Refunded)
            && matches!(order.state, OrderState::Created | OrderState::Paid)
            && order.provider.counts_stock_here()
        {
            back_in_stock = sqlx::query_scalar(
                "SELECT id FROM products WHERE stock = 0 AND id IN (SELECT product_id FROM order_lines WHERE order_id = $1) \
                 UNION SELECT product_id FROM product_variants WHERE stock = 0 \
                 AND id IN (SELECT variant_id FROM order_lines WHERE order_id = $1)",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            // The variants' stock and the products' (their sum) come back together.
            sqlx::query(
                "UPDATE product_variants SET stock = stock + (SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) \
                 FROM order_lines WHERE order_id = $1 AND variant_id = product_variants.id) \
                 WHERE id IN (SELECT variant_id FROM order_lines WHERE order_id = $1)",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE products SET stock = stock + (SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) \
                 FROM order_lines WHERE order_id = $1 AND product_id = products.id) \
                 WHERE id IN (SELECT product_id FROM order_lines WHERE order_id = $1)",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        record_transition(&mut tx, id, Some(order.state), to, cause, now).await?;
        if order.state == OrderState::Created {
            // Paid or failed: nothing is held any more.
            sqlx::query(
                "UPDATE jobs SET state = 'cancelled', finished_at = $1 WHERE dedupe_key = $2 AND state = 'pending'",
            )
            .bind(At(now))
            .bind(expiry_key(id))
            .execute(&mut *tx)
            .await?;
        }
        for (kind, key, payload) in jobs {
            schedule_job_in(&mut tx, kind, key, payload, now, now).await?;
        }
        tx.commit().await?;
        self.announce_products(&order.event_id, back_in_stock);
        Ok(Some(OrderRecord { state: to, ..order }))
    }

    /// Records the provider's reference for the payment (a PaymentIntent id).
    pub async fn set_payment_ref(&self, id: &str, payment_ref: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE orders SET payment_ref = $1 WHERE id = $2")
            .bind(payment_ref)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records the provider's checkout for the order: its reference (a Shopify cart id) and where the buyer pays.
    pub async fn set_checkout(&self, id: &str, payment_ref: &str, checkout_url: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE orders SET payment_ref = $1, checkout_url = $2 WHERE id = $3")
            .bind(payment_ref)
            .bind(checkout_url)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn order(&self, id: &str) -> Result<Option<OrderRecord>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(order_in(&mut conn, id).await?)
    }

    pub async fn order_by_payment_ref(&self, payment_ref: &str) -> Result<Option<OrderRecord>, StoreError> {
        Ok(
            sqlx::query_as(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE payment_ref = $1"))
                .bind(payment_ref)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn order_lines(&self, id: &str) -> Result<Vec<OrderLine>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT product_id, variant_id, title, unit_price, tax_rate_bp, quantity FROM order_lines WHERE order_id = $1 \
             ORDER BY line",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The order's moves, oldest first: (from, to, cause).
    pub async fn order_transitions(&self, id: &str) -> Result<Vec<OrderTransition>, StoreError> {
        Ok(
            sqlx::query_as("SELECT from_state, to_state, cause FROM order_transitions WHERE order_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The buyer's order history, newest first.
    pub async fn order_history(&self, viewer_id: &str) -> Result<Vec<OrderHistoryEntry>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT order_id, summary FROM order_history WHERE viewer_id = $1 ORDER BY added_at DESC, order_id",
        )
        .bind(viewer_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records a webhook delivery; `false` when it was handled before.
    /// Whether the delivery `event_id` of `provider` was recorded already.
    pub async fn webhook_recorded(&self, provider: &str, event_id: &str) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM webhook_events WHERE provider = $1 AND event_id = $2")
                .bind(provider)
                .bind(event_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    pub async fn record_webhook(&self, provider: &str, event_id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO webhook_events (provider, event_id, received_at) VALUES ($1, $2, $3) \
             ON CONFLICT (provider, event_id) DO NOTHING",
        )
        .bind(provider)
        .bind(event_id)
        .bind(At(now))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

async fn record_transition(
    conn: &mut AnyConnection,
    id: &str,
    from: Option<OrderState>,
    to: OrderState,
    cause: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO order_transitions (order_id, from_state, to_state, cause, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(cause)
    .bind(At(now))
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ProductChange, tests::fresh_store};

    fn new_order(key: &str, lines: Vec<LineRequest>) -> NewOrder {
        NewOrder {
            id: format!("ord_{key}"),
            event_id: "evt_demo".into(),
            viewer_id: "v1".into(),
            provider: PaymentProvider::Local,
            email: None,
            idempotency_key: key.into(),
            request_hash: format!("hash-{}", lines.len()),
            lines,
            hold_until: None,
            max_open: 100,
        }
    }

    #[tokio::test]
    async fn orders_take_stock_check_prices_and_replay_by_key() {
        let (store, _dir) = fresh_store().await;
        store.seed_demo().await.unwrap();
        let product = store
            .products_of_event("evt_demo")
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.stock >= 2)
            .unwrap();
        let now = Utc::now();
        let ask = |quantity, expected_price| LineRequest {
            product_id: product.id.clone(),
            variant_id: None,
            quantity,
            expected_price,
        };
        let order = store
            .place_order(&new_order("k1", vec![ask(2, product.price)]), now)
            .await
            .unwrap();
        assert_eq!((order.state, order.total), (OrderState::Created, product.price * 2));
        assert_eq!(
            store.product(&product.id).await.unwrap().unwrap().stock,
            product.stock - 2
        );

        // The same key and request: the same order, no more stock taken; another request: refused.
        match store
            .place_order(&new_order("k1", vec![ask(2, product.price)]), now)
            .await
        {
            Err(PlaceError::Replay(again)) => assert_eq!(again.id, order.id),
            other => panic!("{other:?}"),
        }
        let mut other = new_order("k1", vec![ask(1, product.price)]);
        other.request_hash = "another".into();
        assert!(matches!(
            store.place_order(&other, now).await,
            Err(PlaceError::KeyReused)
        ));
        assert_eq!(
            store.product(&product.id).await.unwrap().unwrap().stock,
            product.stock - 2
        );

        assert!(matches!(
            store.place_order(&new_order("k2", vec![ask(1, product.price - 1)]), now).await,
            Err(PlaceError::PriceChanged { price, .. }) if price == product.price
        ));
        assert!(matches!(
            store
                .place_order(&new_order("k3", vec![ask(product.stock, product.price)]), now)
                .await,
            Err(PlaceError::SoldOut { .. })
        ));
        assert_eq!(
            store.product(&product.id).await.unwrap().unwrap().stock,
            product.stock - 2,
            "a refused order takes nothing"
        );

        // Failing gives the stock back, once.
        let failed = store
            .transition_order(
                &order.id,
                &[OrderState::Created],
                OrderState::Failed,
                "card declined",
                &[],
                now,
            )
            .await
            .unwrap();
        assert_eq!(failed.map(|o| o.state), Some(OrderState::Failed));
        assert!(
            store
                .transition_order(&order.id, &[OrderState::Created], OrderState::Failed, "again", &[], now)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(store.product(&product.id).await.unwrap().unwrap().stock, product.stock);
        let moves = store.order_transitions(&order.id).await.unwrap();
        assert_eq!(
            moves,
            [
                OrderTransition {
                    from_state: None,
                    to_state: "created".into(),
                    cause: "placed".into()
                },
                OrderTransition {
                    from_state: Some("created".into()),
                    to_state: "failed".into(),
                    cause: "card declined".into()
                }
            ]
        );
    }

    #[tokio::test]
    async fn selling_out_and_coming_back_are_announced_once_committed() {
        let (store, _dir) = fresh_store().await;
        store.seed_demo().await.unwrap();
        let product = store
            .products_of_event("evt_demo")
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.stock >= 3)
            .unwrap();
        let mut changes = store.product_changes();
        let now = Utc::now();
        let line = |quantity| LineRequest {
            product_id: product.id.clone(),
            variant_id: None,
            quantity,
            expected_price: product.price,
        };
        // Taking some leaves it on sale: nothing to announce.
        store.place_order(&new_order("some", vec![line(1)]), now).await.unwrap();
        assert!(changes.try_recv().is_err());
        // Taking the rest sells it out.
        let last = store
            .place_order(&new_order("rest", vec![line(product.stock - 1)]), now)
            .await
            .unwrap();
        let sold_out = ProductChange {
            event_id: "evt_demo".into(),
            product_id: product.id.clone(),
        };
        assert_eq!(changes.try_recv().unwrap(), sold_out);
        // A refused order changes nothing.
        assert!(store.place_order(&new_order("more", vec![line(1)]), now).await.is_err());
        assert!(changes.try_recv().is_err());
        // A refund puts it back on sale.
        store
            .transition_order(
                &last.id,
                &[OrderState::Created],
                OrderState::Refunded,
                "refund",
                &[],
                now,
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(changes.try_recv().unwrap(), sold_out);
        assert!(changes.try_recv().is_err());
    }
}
