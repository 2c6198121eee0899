//! Tasks that run on one replica at a time (the feed poller, the waiting room's inlets): every replica asks for the
//! task's lead (`Store::try_lead`, a PostgreSQL advisory lock; always granted on SQLite), the one holding it runs the
//! task, and when that replica goes another takes over within [`LEAD_CHECK`].

use std::{future::Future, time::Duration};

use tokio::sync::watch;

use crate::store::Store;

/// How often the leader checks that it still leads, and the others that nobody does.
pub const LEAD_CHECK: Duration = Duration::from_secs(5);

/// Waits `duration`, or until `stop` turns true: whether it did (the caller then stops).
pub async fn stopped_within(stop: &mut watch::Receiver<bool>, duration: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(duration) => false,
        _ = stop.wait_for(|stopped| *stopped) => true,
    }
}

/// Runs `task` whenever this replica holds the lead `name`, until `stop` turns true. `task` is given a receiver
/// that turns true when it must end (the lead was lost, or the server stops), and is awaited before the lead is
/// asked for again.
pub async fn while_leading<F, T>(store: Store, name: &str, mut stop: watch::Receiver<bool>, task: F)
where
    F: Fn(watch::Receiver<bool>) -> T,
    T: Future<Output = ()> + Send + 'static,
{
    loop {
        match store.try_lead(name).await {
            Ok(Some(mut lead)) => {
                tracing::info!(lead = name, "this server leads");
                let (quit, quitting) = watch::channel(false);
                let running = tokio::spawn(task(quitting));
                while !stopped_within(&mut stop, LEAD_CHECK).await {
                    if !lead.held().await {
                        tracing::warn!(lead = name, "the lead was lost; another server may take it now");
                        break;
                    }
                }
                quit.send_replace(true);
                let _ = running.await;
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, lead = name, "cannot ask for the lead"),
        }
        if stopped_within(&mut stop, LEAD_CHECK).await {
            return;
        }
    }
}
