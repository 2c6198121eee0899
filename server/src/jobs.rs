//! Durable scheduled jobs, and the worker that runs them. A job lives in the database from the moment it is
//! scheduled (so it survives restarts), is claimed with a lease (a worker that dies leaves it to be claimed again),
//! and is finished in the transaction that records its effect. Failures are retried with backoff, then kept as
//! failed with their error.
//!
//! The kinds, each run by the capability that owns it: the rental reminder (`access::reminders`); the steps of a paid order (`commerce::pipeline`); and the
//! expiry of an unpaid order's hold on its stock (`commerce::expiry`).

use std::{sync::Arc, time::Duration as StdDuration};

use chrono::{DateTime, Duration, Utc};
use tracing::Instrument;

use crate::{
    access::reminders::{self, RENTAL_REMINDER},
    commerce::{
        expiry::{self, Expired},
        pipeline::{ORDER_STEP, Pipeline},
        stripe::Stripe,
    },
    mail::Mailer,
    store::{Effect, JobRecord, ORDER_EXPIRY, Store, StoreError},
};

/// How long a claimed job is a worker's before another may take it.
const LEASE: Duration = Duration::minutes(2);
/// Attempts before a job is failed for good.
const MAX_ATTEMPTS: i64 = 8;

/// Runs the jobs: claims what is due, does it, finishes it.
#[derive(Debug, Clone)]
pub struct Worker {
    pub store: Store,
    pub mailer: Arc<Mailer>,
    /// The site's public address, for links in mail.
    pub site_url: String,
    /// Where the order pipeline writes its exports.
    pub exports_dir: std::path::PathBuf,
    /// Cancels the PaymentIntents of orders that expire unpaid.
    pub stripe: Option<Stripe>,
}

/// What one job came to.
enum Outcome {
    Done(Option<Effect>),
    /// Nothing left to do (the rental was refunded or renewed meanwhile).
    Cancelled,
}

impl Worker {
    /// Runs every job due at `now` (the clock is the caller's: tests pass their own); how many finished.
    pub async fn run_due(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut finished = 0;
        while let Some(job) = self.store.claim_due_job(now, LEASE).await? {
            // Each job in a span of its own: its id, kind and attempt (never its payload, which holds addresses).
            let span = tracing::info_span!("job", id = job.id, kind = %job.kind, attempt = job.attempts);
            if self.run_one(&job, now).instrument(span).await? {
                finished += 1;
            }
        }
        Ok(finished)
    }

    /// Runs one claimed job, each kind by the capability that owns it, and records how it went: whether it finished
    /// (done, or nothing left to do), or failed and waits for its retry.
    async fn run_one(&self, job: &JobRecord, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let outcome = match job.kind.as_str() {
            RENTAL_REMINDER => reminders::run(
                &self.store,
                &self.site_url,
                self.mailer.new_mail_state(),
                &job.payload,
                now,
            )
            .await
            .map(|mail| mail.map_or(Outcome::Cancelled, |mail| Outcome::Done(Some(Effect::Mail(mail))))),
            ORDER_STEP => self
                .pipeline()
                .run(&job.payload, self.mailer.new_mail_state())
                .await
                .map(Outcome::Done),
            ORDER_EXPIRY => match expiry::run(&self.store, self.stripe.as_ref(), &job.payload, now).await {
                Ok(Expired::Yes) => Ok(Outcome::Done(None)),
                Ok(Expired::No) => Ok(Outcome::Cancelled),
                Err(error) => Err(error),
            },
            other => Err(format!("unknown job kind {other}")),
        };
        match outcome {
            Ok(Outcome::Done(effect)) => self.store.finish_job(job.id, "done", effect.as_ref(), now).await?,
            Ok(Outcome::Cancelled) => self.store.finish_job(job.id, "cancelled", None, now).await?,
            Err(error) => {
                tracing::warn!(%error, "job failed");
                let retry_at = (job.attempts < MAX_ATTEMPTS).then(|| now + Duration::minutes(1 << job.attempts));
                self.store.job_attempt_failed(job.id, &error, retry_at, now).await?;
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn pipeline(&self) -> Pipeline<'_> {
        Pipeline {
            store: &self.store,
            exports_dir: &self.exports_dir,
            site_url: &self.site_url,
        }
    }

    /// Runs due jobs and sends queued mail every `poll`, until `stop` turns true.
    pub async fn run(self, poll: StdDuration, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            let now = Utc::now();
            if let Err(error) = self.run_due(now).await {
                tracing::error!(%error, "cannot run jobs");
            }
            if let Err(error) = self.mailer.deliver_queued(&self.store, now).await {
                tracing::error!(%error, "cannot deliver mail");
            }
            if crate::lead::stopped_within(&mut stop, poll).await {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{
        At, EntitlementKind, EntitlementRecord, JobState, MailState,
        tests::{TestDatabase, fresh_store},
    };

    async fn worker() -> (Worker, (TestDatabase, tempfile::TempDir)) {
        let (store, db) = fresh_store().await;
        store.seed_demo().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let worker = Worker {
            store,
            mailer: Arc::new(Mailer::Outbox),
            site_url: "https://shop.example.com/".into(),
            exports_dir: dir.path().join("exports"),
            stripe: None,
        };
        (worker, (db, dir))
    }

    /// v1 rents the paid demo at `bought`, its reminder going to fan@example.com.
    async fn rent(worker: &Worker, bought: DateTime<Utc>) -> EntitlementRecord {
        let rental = rental(bought);
        worker.store.grant(&rental).await.unwrap();
        reminders::schedule(&worker.store, &rental, Some("fan@example.com"), bought)
            .await
            .unwrap();
        rental
    }

    async fn reminder_state(worker: &Worker) -> String {
        let job = worker
            .store
            .job(&reminders::reminder_key("v1", "evt_demo_paid"))
            .await
            .unwrap();
        job.expect("a reminder job").state
    }

    fn rental(bought: DateTime<Utc>) -> EntitlementRecord {
        EntitlementRecord {
            viewer_id: "v1".into(),
            event_id: "evt_demo_paid".into(),
            kind: EntitlementKind::Rental,
            granted_at: bought,
            expires_at: Some(bought + crate::access::entitlement::RENTAL),
        }
    }

    #[tokio::test]
    async fn the_reminder_goes_out_once_five_hours_before_the_end() {
        let (worker, _dir) = worker().await;
        let bought = DateTime::parse_from_rfc3339("2026-11-20T09:00:00Z").unwrap().to_utc();
        rent(&worker, bought).await;
        // The clock moves: nothing at 42 h 59 min, the reminder at 43 h, and only once.
        assert_eq!(
            worker.run_due(bought + Duration::minutes(43 * 60 - 1)).await.unwrap(),
            0
        );
        assert!(worker.store.outbox(10).await.unwrap().is_empty());
        let at = bought + Duration::hours(43);
        assert_eq!(worker.run_due(at).await.unwrap(), 1);
        assert_eq!(worker.run_due(at + Duration::hours(1)).await.unwrap(), 0);
        let outbox = worker.store.outbox(10).await.unwrap();
        assert_eq!(outbox.len(), 1);
        let mail = &outbox[0];
        assert_eq!(
            (mail.recipient.as_str(), mail.state),
            ("fan@example.com", MailState::Held)
        );
        assert_eq!(
            mail.subject,
            "Your rental of “Caravan Demo: a paid show” ends in 5 hours"
        );
        assert!(mail.body.contains("2026-11-22 09:00 UTC"), "{}", mail.body);
        assert!(
            mail.body.contains("https://shop.example.com/live/demo-paid"),
            "{}",
            mail.body
        );
    }

    #[tokio::test]
    async fn refunds_and_renewals_change_the_reminder() {
        let (worker, _dir) = worker().await;
        let bought = Utc::now();
        rent(&worker, bought).await;
        assert!(
            reminders::cancel(&worker.store, "v1", "evt_demo_paid", bought)
                .await
                .unwrap()
        );
        assert_eq!(worker.run_due(bought + Duration::hours(44)).await.unwrap(), 0);

        // Rented again a day later: one reminder, for the new end.
        rent(&worker, bought + Duration::hours(24)).await;
        assert_eq!(worker.run_due(bought + Duration::hours(44)).await.unwrap(), 0);
        assert_eq!(worker.run_due(bought + Duration::hours(67)).await.unwrap(), 1);

        // A reminder whose rental was replaced without cancelling it (a ticket bought) finds nothing to remind of.
        let third = rent(&worker, bought + Duration::hours(100)).await;
        let ticket = EntitlementRecord {
            kind: EntitlementKind::Ticket,
            expires_at: None,
            ..third.clone()
        };
        worker.store.grant(&ticket).await.unwrap();
        assert_eq!(worker.run_due(bought + Duration::hours(200)).await.unwrap(), 1);
        assert_eq!(reminder_state(&worker).await, "cancelled");
        assert_eq!(
            worker.store.outbox(10).await.unwrap().len(),
            1,
            "still only the second rental's"
        );

        // No address, no reminder; a ticket cancels a pending one.
        let quiet = rental(bought + Duration::hours(300));
        reminders::schedule(&worker.store, &quiet, None, quiet.granted_at)
            .await
            .unwrap();
        assert_eq!(reminder_state(&worker).await, "cancelled");
    }

    #[tokio::test]
    async fn a_broken_job_is_retried_with_backoff_then_failed() {
        let (worker, _dir) = worker().await;
        let t0 = Utc::now();
        worker
            .store
            .schedule_job(RENTAL_REMINDER, "bad", "not json", t0, t0)
            .await
            .unwrap();
        let mut at = t0;
        for attempt in 1..=MAX_ATTEMPTS {
            assert_eq!(worker.run_due(at).await.unwrap(), 0);
            let JobState {
                state,
                run_at: At(run_at),
            } = worker.store.job("bad").await.unwrap().unwrap();
            if attempt < MAX_ATTEMPTS {
                assert_eq!(
                    (state.as_str(), run_at),
                    ("pending", at + Duration::minutes(1 << attempt))
                );
                at = run_at;
            } else {
                assert_eq!(state, "failed");
            }
        }
    }
}
