//! The bus between replicas: on PostgreSQL, every replica's published results (a pickup set, a like total, a post)
//! go out as a notification on one channel, and each replica, the publisher too, delivers what comes in to its own
//! subscribers. A subscriber on replica B thus hears a mutation made through replica A, in the order A published.
//! On SQLite (one server) the hub delivers directly and there is no bus.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{mpsc, watch};

use super::{Hub, Published};
use crate::store::{Listener, Store, StoreError};

/// The notification channel.
const CHANNEL: &str = "caravan_realtime";

/// One published result as it travels.
#[derive(Debug, Serialize, Deserialize)]
struct Message {
    mutation: String,
    payload: Value,
}

/// Starts the bus: listening has begun when this returns (nothing published after is missed). The tasks end when
/// `stopped` turns true.
pub async fn start(
    store: Store,
    hub: Hub,
    outgoing: mpsc::UnboundedReceiver<Published>,
    stopped: watch::Receiver<bool>,
) -> Result<(), StoreError> {
    let Some(listener) = store.listen(CHANNEL).await? else {
        tracing::error!("a relayed hub without a bus: nothing published would be delivered");
        return Ok(());
    };
    tokio::spawn(receive(listener, hub, stopped.clone()));
    tokio::spawn(send(store, outgoing, stopped));
    Ok(())
}

/// Sends this replica's results, one at a time (so they arrive in the order they were published).
async fn send(store: Store, mut outgoing: mpsc::UnboundedReceiver<Published>, mut stopped: watch::Receiver<bool>) {
    loop {
        let published = tokio::select! {
            next = outgoing.recv() => match next {
                Some(published) => published,
                None => return,
            },
            _ = stopped.wait_for(|stopped| *stopped) => return,
        };
        let message = Message {
            mutation: published.mutation().to_owned(),
            payload: published.payload().clone(),
        };
        let text = serde_json::to_string(&message).expect("JSON values serialize");
        if let Err(e) = store.notify(CHANNEL, &text).await {
            tracing::error!(error = %e, mutation = %message.mutation, "cannot send a result to the replicas");
        }
    }
}

/// Delivers every replica's results to this one's subscribers.
async fn receive(mut listener: Listener, hub: Hub, mut stopped: watch::Receiver<bool>) {
    loop {
        let received = tokio::select! {
            received = listener.recv() => received,
            _ = stopped.wait_for(|stopped| *stopped) => return,
        };
        match received.map(|text| serde_json::from_str::<Message>(&text)) {
            Ok(Ok(message)) => hub.deliver(Published::new(&message.mutation, message.payload)),
            Ok(Err(e)) => tracing::error!(error = %e, "an unreadable message on the replicas' bus"),
            Err(e) => {
                tracing::warn!(error = %e, "the replicas' bus failed; listening again");
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }
    }
}
