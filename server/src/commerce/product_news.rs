//! Product changes reach open pages: each `ProductChange` the store announces (a product sold out, or back in
//! stock) is read back and published as the result of `publishProduct`, so `onProductChanged(eventId)` subscribers
//! get the product as it is now. In AppSync the back office calls `publishProduct` itself; here the server does.

use tokio::sync::{broadcast::error::RecvError, watch};

use crate::{
    publish::{Announcement, Publisher},
    store::{ProductRecord, Store, StoreError},
};

/// Reads the product now and hands it to the subscribers. `None` when there is no such product.
#[tracing::instrument(skip(store, publisher))]
pub async fn publish_product(
    store: &Store,
    publisher: &Publisher,
    product_id: &str,
) -> Result<Option<ProductRecord>, StoreError> {
    let product = store.product(product_id).await?;
    if let Some(product) = &product {
        publisher.publish(Announcement::Product(product.clone()));
    }
    Ok(product)
}

/// Publishes every product change until `stop` turns true.
#[tracing::instrument(name = "product_news", skip_all)]
pub async fn forward_changes(store: Store, publisher: Publisher, mut stop: watch::Receiver<bool>) {
    let mut changes = store.product_changes();
    loop {
        let change = tokio::select! {
            change = changes.recv() => change,
            _ = stop.wait_for(|stopped| *stopped) => return,
        };
        match change {
            Ok(change) => {
                if let Err(e) = publish_product(&store, &publisher, &change.product_id).await {
                    tracing::error!(error = %e, product = %change.product_id, "cannot publish a product change");
                }
            }
            // Pages re-read the catalog when their link comes back; a fall this far behind means a stalled runtime.
            Err(RecvError::Lagged(missed)) => tracing::warn!(missed, "product changes were missed"),
            Err(RecvError::Closed) => return,
        }
    }
}
