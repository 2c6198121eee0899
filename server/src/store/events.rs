use chrono::{DateTime, Utc};

use super::{At, Flag, MaybeAt, ProductRecord, Store, StoreError, products::save_product};

/// A show as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EventRecord {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    #[sqlx(try_from = "At")]
    pub starts_at: DateTime<Utc>,
    #[sqlx(try_from = "MaybeAt")]
    pub ends_at: Option<DateTime<Utc>>,
    /// The live stream's HLS master playlist (a `/media` path or an absolute URL).
    pub live_url: Option<String>,
    /// The on-demand recording's HLS master playlist, once the show has ended.
    pub archive_url: Option<String>,
    /// Who may watch.
    pub access: Access,
    /// Viewers accept the terms before any playback.
    #[sqlx(try_from = "Flag")]
    pub terms_required: bool,
    /// The folder under /media holding the event's streams; guarded by signed cookies unless the event is free.
    pub media_prefix: Option<String>,
    /// The membership plan a `plan` event admits; `None`: any plan.
    pub plan: Option<String>,
}

crate::text_enum! {
    /// Who may watch an event.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Access {
        /// Everyone (after the terms, when the event asks for them).
        Free = "free",
        /// Buyers of the event.
        Ticketed = "ticketed",
        /// Buyers of a rental, for 48 h from the purchase.
        Rental = "rental",
        /// Members or subscribers.
        Plan = "plan",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    Scheduled,
    Live,
    Ended,
}

impl EventRecord {
    /// A free show on air from `starts_at`, without end, media or terms: what other shows are described from
    /// (`EventRecord { access: Access::Ticketed, ..EventRecord::new(…) }`).
    pub fn new(id: &str, slug: &str, title: &str, starts_at: DateTime<Utc>) -> Self {
        Self {
            id: id.into(),
            slug: slug.into(),
            title: title.into(),
            description: None,
            starts_at,
            ends_at: None,
            live_url: None,
            archive_url: None,
            access: Access::Free,
            terms_required: false,
            media_prefix: None,
            plan: None,
        }
    }

    /// Whether the show is on air at `now`: after its start, and before its end when it has one.
    pub fn status_at(&self, now: DateTime<Utc>) -> EventStatus {
        if now < self.starts_at {
            EventStatus::Scheduled
        } else if self.ends_at.is_some_and(|end| now >= end) {
            EventStatus::Ended
        } else {
            EventStatus::Live
        }
    }
}

const COLUMNS: &str = "id, slug, title, description, starts_at, ends_at, live_url, archive_url, access, terms_required, media_prefix, plan";

impl Store {
    pub async fn event_by_slug(&self, slug: &str) -> Result<Option<EventRecord>, StoreError> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM events WHERE slug = $1"))
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn event_by_id(&self, id: &str) -> Result<Option<EventRecord>, StoreError> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM events WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Events on air at `now`, earliest start first.
    pub async fn live_events(&self, now: DateTime<Utc>) -> Result<Vec<EventRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM events WHERE starts_at <= $1 AND (ends_at IS NULL OR ends_at > $1) \
             ORDER BY starts_at, id"
        ))
        .bind(At(now))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Ends the show at `now` (unless it had ended already), with its recording as the replay when it has one:
    /// whether it was on.
    pub async fn end_event(&self, id: &str, now: DateTime<Utc>, archive_url: Option<&str>) -> Result<bool, StoreError> {
        let ended = sqlx::query(
            "UPDATE events SET ends_at = $2, archive_url = COALESCE($3, archive_url) \
             WHERE id = $1 AND (ends_at IS NULL OR ends_at > $2)",
        )
        .bind(id)
        .bind(At(now))
        .bind(archive_url)
        .execute(&self.pool)
        .await?;
        Ok(ended.rows_affected() > 0)
    }

    /// Sets where the show's live stream is played from (its ingested stream's master playlist).
    pub async fn set_live_url(&self, id: &str, live_url: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE events SET live_url = $1 WHERE id = $2")
            .bind(live_url)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Creates an event with its products, all or nothing.
    pub async fn create_event(&self, event: &EventRecord, products: &[ProductRecord]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO events (id, slug, title, description, starts_at, ends_at, live_url, archive_url, access, \
             terms_required, media_prefix, plan, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&event.id)
        .bind(&event.slug)
        .bind(&event.title)
        .bind(&event.description)
        .bind(At(event.starts_at))
        .bind(event.ends_at.map(At))
        .bind(&event.live_url)
        .bind(&event.archive_url)
        .bind(event.access)
        .bind(Flag(event.terms_required))
        .bind(&event.media_prefix)
        .bind(&event.plan)
        .bind(At(Utc::now()))
        .execute(&mut *tx)
        .await?;
        for product in products {
            save_product(&mut tx, product).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::store::tests::fresh_store;

    fn event(slug: &str, starts_at: DateTime<Utc>, ends_at: Option<DateTime<Utc>>) -> EventRecord {
        EventRecord {
            ends_at,
            ..EventRecord::new(&format!("evt-{slug}"), slug, &slug.to_uppercase(), starts_at)
        }
    }

    #[test]
    fn status_follows_the_clock() {
        let start = Utc::now();
        let show = event("a", start, Some(start + Duration::hours(1)));
        assert_eq!(show.status_at(start - Duration::seconds(1)), EventStatus::Scheduled);
        assert_eq!(show.status_at(start), EventStatus::Live);
        assert_eq!(show.status_at(start + Duration::hours(1)), EventStatus::Ended);
        let open_ended = event("b", start, None);
        assert_eq!(open_ended.status_at(start + Duration::days(365)), EventStatus::Live);
    }

    #[tokio::test]
    async fn finds_events_by_slug_and_lists_the_live_ones() {
        let (store, _dir) = fresh_store().await;
        let now = Utc::now();
        let later = event("later", now + Duration::hours(2), None);
        let ended = event("ended", now - Duration::hours(3), Some(now - Duration::hours(1)));
        let second = event("second", now - Duration::minutes(5), Some(now + Duration::hours(1)));
        let first = event("first", now - Duration::minutes(30), None);
        for e in [&later, &ended, &second, &first] {
            store.create_event(e, &[]).await.unwrap();
        }
        let found = store.event_by_slug("second").await.unwrap().expect("found");
        assert_eq!(found.id, second.id);
        assert_eq!(
            found.ends_at.map(|t| t.timestamp_micros()),
            second.ends_at.map(|t| t.timestamp_micros())
        );
        assert!(store.event_by_slug("nope").await.unwrap().is_none());

        let live: Vec<_> = store
            .live_events(now)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.slug)
            .collect();
        assert_eq!(live, ["first", "second"]);
    }

    #[tokio::test]
    async fn slugs_are_unique() {
        let (store, _dir) = fresh_store().await;
        let now = Utc::now();
        store.create_event(&event("dup", now, None), &[]).await.unwrap();
        let mut again = event("dup", now, None);
        again.id = "another-id".into();
        assert!(store.create_event(&again, &[]).await.is_err());
    }
}
