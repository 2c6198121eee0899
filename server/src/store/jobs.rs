//! Durable scheduled jobs and the mail outbox they write to.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::{At, Backend, MaybeAt, Store, StoreError};

/// A claimed job: what to do, and how many times it has been tried (this time included).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobRecord {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    #[sqlx(try_from = "At")]
    pub run_at: DateTime<Utc>,
    pub attempts: i64,
}

crate::text_enum! {
    /// Where a piece of mail is.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum MailState {
        /// Kept for the operator console: no SMTP server is configured.
        Held = "held",
        /// Waiting for the SMTP server.
        Queued = "queued",
        Sent = "sent",
        /// The SMTP server refused it every time.
        Failed = "failed",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub state: MailState,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MailRecord {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub state: MailState,
    pub attempts: i64,
    #[sqlx(try_from = "At")]
    pub created_at: DateTime<Utc>,
    #[sqlx(try_from = "MaybeAt")]
    pub sent_at: Option<DateTime<Utc>>,
}

/// What a finished job leaves behind, written in the transaction that finishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A message in the outbox.
    Mail(NewMail),
    /// An entry of a buyer's order history.
    OrderHistory {
        order_id: String,
        viewer_id: String,
        summary: String,
    },
}

/// A job that failed for good, for the console.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeadJob {
    pub id: i64,
    pub dedupe_key: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// Where a job is: its state (`pending`, `done`, `cancelled`, `failed`) and when it runs.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobState {
    pub state: String,
    pub run_at: At,
}

/// See [`Store::schedule_job`]; inside the caller's transaction.
pub(super) async fn schedule_job_in(
    conn: &mut AnyConnection,
    kind: &str,
    dedupe_key: &str,
    payload: &str,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO jobs (kind, dedupe_key, payload, run_at, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (dedupe_key) DO UPDATE SET kind = excluded.kind, payload = excluded.payload, \
         run_at = excluded.run_at, state = 'pending', attempts = 0, locked_until = NULL, last_error = NULL, \
         finished_at = NULL",
    )
    .bind(kind)
    .bind(dedupe_key)
    .bind(payload)
    .bind(At(run_at))
    .bind(At(now))
    .execute(conn)
    .await?;
    Ok(())
}

const MAIL_COLUMNS: &str = "id, recipient, subject, body, state, attempts, created_at, sent_at";

impl Store {
    /// Schedules the job `dedupe_key` at `run_at`; when it exists (in any state) it is moved there and made pending.
    pub async fn schedule_job(
        &self,
        kind: &str,
        dedupe_key: &str,
        payload: &str,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(schedule_job_in(&mut conn, kind, dedupe_key, payload, run_at, now).await?)
    }

    /// Frees the jobs claimed by a worker that is gone: at start, where one server owns the database (SQLite), every
    /// claim is a dead process's. How many were freed. On PostgreSQL the claims may be other replicas' at work, so
    /// none is freed: a dead worker's claim ends with its lease.
    pub async fn release_job_claims(&self) -> Result<u64, StoreError> {
        if self.backend == Backend::Postgres {
            return Ok(0);
        }
        let done =
            sqlx::query("UPDATE jobs SET locked_until = NULL WHERE state = 'pending' AND locked_until IS NOT NULL")
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected())
    }

    /// Cancels the pending job `dedupe_key`; whether there was one.
    pub async fn cancel_job(&self, dedupe_key: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'cancelled', finished_at = $1 WHERE dedupe_key = $2 AND state = 'pending'",
        )
        .bind(At(now))
        .bind(dedupe_key)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Claims the earliest job due at `now` for `lease`: no other worker takes it until the lease ends (a worker
    /// that dies mid-job leaves it to be claimed again then).
    pub async fn claim_due_job(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<JobRecord>, StoreError> {
        // On PostgreSQL, workers of several replicas claim at once: each skips the rows another has locked, where
        // without it both would pick the same job, the second waiting for the first and then claiming it again.
        let claim = match self.backend {
            // sqlite only
            Backend::Sqlite => sqlx::query_as(
                "UPDATE jobs SET locked_until = $1, attempts = attempts + 1 WHERE id = ( \
                     SELECT id FROM jobs WHERE state = 'pending' AND run_at <= $2 \
                     AND (locked_until IS NULL OR locked_until <= $3) ORDER BY run_at, id LIMIT 1) \
                 RETURNING id, kind, payload, run_at, attempts",
            ),
            // postgres only
            Backend::Postgres => sqlx::query_as(
                "UPDATE jobs SET locked_until = $1, attempts = attempts + 1 WHERE id = ( \
                     SELECT id FROM jobs WHERE state = 'pending' AND run_at <= $2 \
                     AND (locked_until IS NULL OR locked_until <= $3) ORDER BY run_at, id LIMIT 1 \
                     FOR UPDATE SKIP LOCKED) \
                 RETURNING id, kind, payload, run_at, attempts",
            ),
        };
        Ok(claim
            .bind(At(now + lease))
            .bind(At(now))
            .bind(At(now))
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Finishes a claimed job as `state` ("done" or "cancelled"), writing its `effect` in the same transaction: the
    /// effect exists exactly when the job is finished, however often the job ran before a crash.
    pub async fn finish_job(
        &self,
        id: i64,
        state: &str,
        effect: Option<&Effect>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        match effect {
            Some(Effect::Mail(mail)) => {
                sqlx::query(
                    "INSERT INTO mail_outbox (recipient, subject, body, state, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&mail.recipient)
                .bind(&mail.subject)
                .bind(&mail.body)
                .bind(mail.state)
                .bind(At(now))
                .execute(&mut *tx)
                .await?;
            }
            Some(Effect::OrderHistory {
                order_id,
                viewer_id,
                summary,
            }) => {
                sqlx::query(
                    "INSERT INTO order_history (order_id, viewer_id, summary, added_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (order_id) DO NOTHING",
                )
                .bind(order_id)
                .bind(viewer_id)
                .bind(summary)
                .bind(At(now))
                .execute(&mut *tx)
                .await?;
            }
            None => {}
        }
        sqlx::query("UPDATE jobs SET state = $1, finished_at = $2, locked_until = NULL WHERE id = $3")
            .bind(state)
            .bind(At(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed attempt: tried again at `retry_at`, or failed for good when `None`.
    pub async fn job_attempt_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let query = match retry_at {
            Some(at) => sqlx::query("UPDATE jobs SET last_error = $1, run_at = $2, locked_until = NULL WHERE id = $3")
                .bind(error)
                .bind(At(at)),
            None => sqlx::query(
                "UPDATE jobs SET last_error = $1, state = 'failed', finished_at = $2, locked_until = NULL WHERE id = $3",
            )
            .bind(error)
            .bind(At(now)),
        };
        query.bind(id).execute(&self.pool).await?;
        Ok(())
    }

    /// Jobs that failed for good, newest first.
    pub async fn dead_jobs(&self, limit: i64) -> Result<Vec<DeadJob>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, dedupe_key, attempts, last_error FROM jobs WHERE state = 'failed' \
             ORDER BY finished_at DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Makes a failed job pending again, due now; whether it was failed.
    pub async fn retry_job(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'pending', attempts = 0, run_at = $1, locked_until = NULL, finished_at = NULL \
             WHERE id = $2 AND state = 'failed'",
        )
        .bind(At(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The state and time of the job `dedupe_key`.
    pub async fn job(&self, dedupe_key: &str) -> Result<Option<JobState>, StoreError> {
        Ok(sqlx::query_as("SELECT state, run_at FROM jobs WHERE dedupe_key = $1")
            .bind(dedupe_key)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The newest mail first.
    pub async fn outbox(&self, limit: i64) -> Result<Vec<MailRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {MAIL_COLUMNS} FROM mail_outbox ORDER BY id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The oldest mail waiting for the SMTP server.
    pub async fn next_queued_mail(&self) -> Result<Option<MailRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {MAIL_COLUMNS} FROM mail_outbox WHERE state = 'queued' ORDER BY id LIMIT 1"
        ))
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Records a delivery attempt: sent, still queued after an error, or failed for good.
    pub async fn mail_attempt(
        &self,
        id: i64,
        state: MailState,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE mail_outbox SET state = $1, attempts = attempts + 1, last_error = $2, \
             sent_at = CASE WHEN $3 = 'sent' THEN $4 ELSE sent_at END WHERE id = $5",
        )
        .bind(state)
        .bind(error)
        .bind(state)
        .bind(At(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::store::tests::fresh_store;

    #[tokio::test]
    async fn a_job_is_claimed_once_per_lease_and_again_after_a_crash() {
        let (store, _dir) = fresh_store().await;
        let t0 = Utc::now();
        let lease = Duration::minutes(1);
        store
            .schedule_job("k", "a", "{}", t0 + Duration::hours(1), t0)
            .await
            .unwrap();
        assert_eq!(store.claim_due_job(t0, lease).await.unwrap(), None, "not due yet");
        let due = t0 + Duration::hours(1);
        let job = store.claim_due_job(due, lease).await.unwrap().unwrap();
        assert_eq!((job.kind.as_str(), job.attempts), ("k", 1));
        assert_eq!(
            store.claim_due_job(due, lease).await.unwrap(),
            None,
            "held by its worker"
        );
        // The worker died: after the lease, another claims it.
        let again = store.claim_due_job(due + lease, lease).await.unwrap().unwrap();
        assert_eq!((again.id, again.attempts), (job.id, 2));
        let mail = NewMail {
            recipient: "a@example.com".into(),
            subject: "s".into(),
            body: "b".into(),
            state: MailState::Held,
        };
        store
            .finish_job(again.id, "done", Some(&Effect::Mail(mail)), due + lease)
            .await
            .unwrap();
        assert_eq!(store.claim_due_job(due + lease * 5, lease).await.unwrap(), None);
        assert_eq!(store.outbox(10).await.unwrap().len(), 1);
        assert_eq!(store.job("a").await.unwrap().unwrap().state, "done");
    }

    #[tokio::test]
    async fn cancelled_and_rescheduled_jobs() {
        let (store, _dir) = fresh_store().await;
        let t0 = Utc::now();
        store.schedule_job("k", "a", "{}", t0, t0).await.unwrap();
        assert!(store.cancel_job("a", t0).await.unwrap());
        assert!(!store.cancel_job("a", t0).await.unwrap(), "only pending jobs");
        assert_eq!(store.claim_due_job(t0, Duration::minutes(1)).await.unwrap(), None);
        store
            .schedule_job("k", "a", "{}", t0 + Duration::hours(2), t0)
            .await
            .unwrap();
        assert_eq!(
            store.job("a").await.unwrap().unwrap(),
            JobState {
                state: "pending".into(),
                run_at: At(t0 + Duration::hours(2))
            },
            "scheduling again revives and moves it"
        );
    }
}
