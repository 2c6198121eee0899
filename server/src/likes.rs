//! Likes: viewers' taps, summed on their page and sent as deltas, become each show's total.
//!
//! - A per-viewer token bucket (`limiter`) accepts at most a burst and then a steady rate; excess taps are dropped
//!   quietly (the answer says how many counted).
//! - A delta is acknowledged only once it is durable: the writer (`Writer`) takes every delta waiting, adds them per
//!   show in one transaction (group commit: while one commit runs, the next batch gathers), and only then answers
//!   each caller with the new total. So the stored total is always the sum of the acknowledged deltas, across
//!   restarts.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::sync::{mpsc, oneshot, watch};

use crate::{
    publish::{Announcement, Publisher},
    rate_limit::RateLimiter,
    store::{LikeRecord, Store, StoreError},
};

/// How often a show's changed total is broadcast, whatever the tap rate.
pub const BROADCAST_EVERY: Duration = Duration::from_millis(250);

/// What the `like` mutation needs: the writer, the limiter, the broadcaster, and the shows known to exist.
#[derive(Debug, Clone)]
pub struct Likes {
    pub writer: Writer,
    /// Per viewer: `BURST`, then `RATE_PER_SECOND`.
    pub limiter: RateLimiter,
    pub broadcaster: Arc<Broadcaster>,
    /// Shows found once: the taps' hot path asks the database only about a show it has not seen (shows are not
    /// deleted while the server runs).
    known_events: Arc<Mutex<HashSet<String>>>,
}

impl Likes {
    /// The service and its two tasks (the writer, the broadcaster), which run until `stop` turns true.
    pub fn new(
        store: Store,
        publisher: Publisher,
        mut stop: watch::Receiver<bool>,
    ) -> (Self, impl Future<Output = ()>) {
        let (writer, write) = Writer::new(store);
        let broadcaster = Arc::new(Broadcaster::default());
        let broadcast = broadcaster.clone().run(publisher, stop.clone());
        let tasks = async move {
            let write_until_stopped = async {
                tokio::select! {
                    _ = write => {}
                    _ = stop.wait_for(|stopped| *stopped) => {}
                }
            };
            tokio::join!(write_until_stopped, broadcast);
        };
        let likes = Self {
            writer,
            limiter: RateLimiter::per_second(BURST, RATE_PER_SECOND),
            broadcaster,
            known_events: Arc::default(),
        };
        (likes, tasks)
    }

    /// Whether the show `event_id` exists (a batch naming one that does not would fail whole).
    pub async fn knows_event(&self, store: &Store, event_id: &str) -> Result<bool, StoreError> {
        let lock = || {
            self.known_events
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if lock().contains(event_id) {
            return Ok(true);
        }
        let exists = store.event_by_id(event_id).await?.is_some();
        if exists {
            lock().insert(event_id.to_owned());
        }
        Ok(exists)
    }
}

/// The newest total of each show whose total changed since the last broadcast.
#[derive(Debug, Default)]
pub struct Broadcaster {
    changed: Mutex<HashMap<String, i64>>,
}

impl Broadcaster {
    /// Notes a show's total (the larger wins: answers of concurrent commits can arrive in either order).
    pub fn changed(&self, event_id: &str, total: i64) {
        let mut changed = self.changed.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = changed.entry(event_id.to_owned()).or_insert(total);
        *entry = (*entry).max(total);
    }

    /// Every `BROADCAST_EVERY`, publishes the totals that changed, until `stop` turns true.
    #[tracing::instrument(name = "likes_broadcaster", skip_all)]
    async fn run(self: Arc<Self>, publisher: Publisher, mut stop: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(BROADCAST_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|stopped| *stopped) => return,
            }
            let changed = std::mem::take(&mut *self.changed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
            for (event_id, total) in changed {
                publisher.publish(Announcement::LikeCount(LikeRecord::total(event_id, total)));
            }
        }
    }
}

/// Taps a viewer may send at once.
pub const BURST: u32 = 60;
/// Taps a second a viewer may keep sending.
pub const RATE_PER_SECOND: f64 = 20.0;
/// Most deltas one commit takes.
const MAX_BATCH: usize = 10_000;

struct Delta {
    event_id: String,
    count: i64,
    ack: oneshot::Sender<Result<i64, String>>,
}

/// Sends deltas to the writer task.
#[derive(Debug, Clone)]
pub struct Writer {
    sender: mpsc::Sender<Delta>,
}

/// Why a delta was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LikeError {
    #[error("the like could not be saved: {0}")]
    Store(String),
    #[error("the server is stopping")]
    Stopped,
}

impl Writer {
    /// The writer and its task, on `store`.
    fn new(store: Store) -> (Self, impl Future<Output = ()>) {
        let (sender, receiver) = mpsc::channel(MAX_BATCH);
        (Self { sender }, run(store, receiver))
    }

    /// Adds `count` to the show's total once it is durable; the total then.
    pub async fn add(&self, event_id: &str, count: i64) -> Result<i64, LikeError> {
        let (ack, answer) = oneshot::channel();
        let delta = Delta {
            event_id: event_id.to_owned(),
            count,
            ack,
        };
        self.sender.send(delta).await.map_err(|_| LikeError::Stopped)?;
        answer.await.map_err(|_| LikeError::Stopped)?.map_err(LikeError::Store)
    }
}

#[tracing::instrument(name = "likes_writer", skip_all)]
async fn run(store: Store, mut receiver: mpsc::Receiver<Delta>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(delta) => batch.push(delta),
                Err(_) => break,
            }
        }
        let mut sums: HashMap<String, i64> = HashMap::new();
        for delta in &batch {
            *sums.entry(delta.event_id.clone()).or_default() += delta.count;
        }
        let result: Result<HashMap<String, i64>, StoreError> = store.add_likes(&sums).await;
        for delta in batch {
            let answer = match &result {
                Ok(totals) => Ok(totals.get(&delta.event_id).copied().unwrap_or_default()),
                Err(e) => Err(e.to_string()),
            };
            let _ = delta.ack.send(answer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::fresh_store;
    use std::time::Instant;

    #[test]
    fn a_viewer_gets_a_burst_then_a_steady_rate() {
        let limiter = RateLimiter::per_second(BURST, RATE_PER_SECOND);
        let start = Instant::now();
        assert_eq!(limiter.admit("v1", 50, start), 50);
        assert_eq!(limiter.admit("v1", 50, start), 10, "the burst is 60");
        assert_eq!(limiter.admit("v1", 5, start), 0);
        // Half a second later, 10 more.
        assert_eq!(limiter.admit("v1", 50, start + Duration::from_millis(500)), 10);
        // Another viewer has their own bucket; nonsense counts count nothing.
        assert_eq!(limiter.admit("v2", 3, start), 3);
        assert_eq!(limiter.admit("v2", -4, start), 0);
        // A long pause refills to the burst, not beyond.
        assert_eq!(limiter.admit("v1", 500, start + Duration::from_secs(60)), 60);
    }

    #[tokio::test]
    async fn concurrent_deltas_are_each_acknowledged_and_all_in_the_total() {
        let (store, _dir) = fresh_store().await;
        store.seed_demo().await.unwrap();
        let (writer, task) = Writer::new(store.clone());
        tokio::spawn(task);
        let adds: Vec<_> = (1..=200)
            .map(|i| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.add("evt_demo", i % 7 + 1).await })
            })
            .collect();
        let mut acknowledged = 0;
        for (i, add) in adds.into_iter().enumerate() {
            let total = add.await.unwrap().unwrap();
            assert!(total > 0);
            acknowledged += (i as i64 + 1) % 7 + 1;
        }
        assert_eq!(store.likes("evt_demo").await.unwrap(), acknowledged);
        // A show that does not exist: that batch fails and says so.
        assert!(matches!(writer.add("evt_nope", 1).await, Err(LikeError::Store(_))));
        assert_eq!(store.likes("evt_demo").await.unwrap(), acknowledged);
    }
}
