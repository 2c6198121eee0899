//! Waiting rooms: each show's room, its counters, and the viewers' places in it (see `crate::waiting_room`).
//!
//! Every change runs in a write transaction, so numbers are given once and the counter moves exactly, whichever
//! replica the viewers and the operator reach.

use chrono::{DateTime, Duration, Utc};

use super::{At, Flag, MaybeAt, Scope, Store, StoreError};

crate::text_enum! {
    /// How the serving counter moves besides the operator's hand.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Inlet {
        /// Only the operator moves it.
        Manual = "manual",
        /// At most `inlet_size` shoppers in checkout at once: as they finish (or their places lapse), more go in.
        MaxSize = "max_size",
        /// `inlet_size` more each minute.
        PerMinute = "per_minute",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoomRecord {
    pub event_id: String,
    #[sqlx(try_from = "Flag")]
    pub armed: bool,
    pub inlet: Inlet,
    pub inlet_size: i64,
    pub serving_counter: i64,
    pub last_number: i64,
}

/// What the operator sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomSettings {
    pub armed: bool,
    pub inlet: Inlet,
    pub inlet_size: i64,
}

/// How long places and tokens last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// A place served and not claimed lapses after this (AWS: `QueuePositionExpiryPeriod`, 15 min).
    pub position: Duration,
    /// A token is valid this long (AWS: `ValidityPeriod`, 1 h).
    pub token: Duration,
}

crate::text_enum! {
    /// Where a place is, as kept.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum PlaceState {
        /// Waiting, or served (see [`PlaceStatus`]).
        Waiting = "waiting",
        /// Its order was placed.
        Completed = "completed",
        /// The viewer left the queue.
        Abandoned = "abandoned",
    }
}

/// Where a place stands at a given time (what `queue_num` answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceStatus {
    Waiting,
    /// The counter reached it: its token may be claimed (or was).
    Served,
    /// Served and not claimed in time, or its token expired.
    Expired,
    Completed,
    Abandoned,
}

impl PlaceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceStatus::Waiting => "waiting",
            PlaceStatus::Served => "served",
            PlaceStatus::Expired => "expired",
            PlaceStatus::Completed => "completed",
            PlaceStatus::Abandoned => "abandoned",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PositionRecord {
    pub request_id: String,
    pub event_id: String,
    pub viewer_id: String,
    pub queue_number: i64,
    #[sqlx(try_from = "At")]
    pub entered_at: DateTime<Utc>,
    #[sqlx(try_from = "MaybeAt")]
    pub served_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "MaybeAt")]
    pub token_at: Option<DateTime<Utc>>,
    pub state: PlaceState,
}

impl PositionRecord {
    /// When a served place lapses unless claimed: `None` while it waits, or once claimed.
    pub fn claim_by(&self, lifetimes: Lifetimes) -> Option<DateTime<Utc>> {
        match (self.served_at, self.token_at) {
            (Some(served), None) => Some(served + lifetimes.position),
            _ => None,
        }
    }

    /// Whether the place still holds at `now`: waiting, or served and claimed in time, its token still valid.
    pub fn live(&self, now: DateTime<Utc>, lifetimes: Lifetimes) -> bool {
        self.state == PlaceState::Waiting
            && self.claim_by(lifetimes).is_none_or(|by| now < by)
            && self.token_at.is_none_or(|at| now < at + lifetimes.token)
    }

    /// Where the place stands at `now`.
    pub fn status(&self, now: DateTime<Utc>, lifetimes: Lifetimes) -> PlaceStatus {
        match self.state {
            PlaceState::Completed => PlaceStatus::Completed,
            PlaceState::Abandoned => PlaceStatus::Abandoned,
            PlaceState::Waiting if !self.live(now, lifetimes) => PlaceStatus::Expired,
            PlaceState::Waiting if self.served_at.is_some() => PlaceStatus::Served,
            PlaceState::Waiting => PlaceStatus::Waiting,
        }
    }
}

const ROOM_COLUMNS: &str = "event_id, armed, inlet, inlet_size, serving_counter, last_number";
const POSITION_COLUMNS: &str = "request_id, event_id, viewer_id, queue_number, entered_at, served_at, token_at, state";

/// An armed room that lets people in by itself, as its inlet reads it.
#[derive(sqlx::FromRow)]
struct MovingRoom {
    inlet: Inlet,
    inlet_size: i64,
    serving_counter: i64,
    last_number: i64,
    inlet_at: MaybeAt,
}

/// A room whose serving counter an inlet moved, and where to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterMove {
    pub event_id: String,
    pub serving_counter: i64,
}

impl Store {
    /// The room of `event_id`, when it has one.
    pub async fn waiting_room(&self, event_id: &str) -> Result<Option<RoomRecord>, StoreError> {
        Ok(
            sqlx::query_as(&format!("SELECT {ROOM_COLUMNS} FROM waiting_rooms WHERE event_id = $1"))
                .bind(event_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Arms, disarms or re-sets the room of `event_id` (made on first use); the counters stay.
    pub async fn configure_waiting_room(
        &self,
        event_id: &str,
        settings: RoomSettings,
        now: DateTime<Utc>,
    ) -> Result<RoomRecord, StoreError> {
        Ok(sqlx::query_as(&format!(
            "INSERT INTO waiting_rooms (event_id, armed, inlet, inlet_size, serving_counter, last_number, updated_at) \
             VALUES ($1, $2, $3, $4, 0, 0, $5) \
             ON CONFLICT (event_id) DO UPDATE SET armed = excluded.armed, inlet = excluded.inlet, \
             inlet_size = excluded.inlet_size, updated_at = excluded.updated_at \
             RETURNING {ROOM_COLUMNS}"
        ))
        .bind(event_id)
        .bind(Flag(settings.armed))
        .bind(settings.inlet)
        .bind(settings.inlet_size)
        .bind(At(now))
        .fetch_one(&self.pool)
        .await?)
    }

    /// Starts the room of `event_id` over: no places, both counters at 0 (AWS: `reset_initial_state`).
    pub async fn reset_waiting_room(&self, event_id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.write_transaction(&[Scope::Room(event_id)]).await?;
        sqlx::query("DELETE FROM waiting_positions WHERE event_id = $1")
            .bind(event_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE waiting_rooms SET serving_counter = 0, last_number = 0, inlet_at = NULL, updated_at = $2 \
             WHERE event_id = $1",
        )
        .bind(event_id)
        .bind(At(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A place in the armed room of `event_id` for `viewer_id`: the viewer's place when it still holds, or the next
    /// number under `request_id`. `None` when the room is not armed.
    pub async fn enter_waiting_room(
        &self,
        event_id: &str,
        viewer_id: &str,
        request_id: &str,
        now: DateTime<Utc>,
        lifetimes: Lifetimes,
    ) -> Result<Option<PositionRecord>, StoreError> {
        let mut tx = self.write_transaction(&[Scope::Room(event_id)]).await?;
        let room: Option<RoomRecord> = sqlx::query_as(&format!(
            "SELECT {ROOM_COLUMNS} FROM waiting_rooms WHERE event_id = $1 AND armed = 1"
        ))
        .bind(event_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(room) = room else {
            return Ok(None);
        };
        let held: Option<PositionRecord> = sqlx::query_as(&format!(
            "SELECT {POSITION_COLUMNS} FROM waiting_positions WHERE event_id = $1 AND viewer_id = $2 \
             AND state = 'waiting' ORDER BY queue_number DESC LIMIT 1"
        ))
        .bind(event_id)
        .bind(viewer_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(place) = held.filter(|p| p.live(now, lifetimes)) {
            return Ok(Some(place));
        }
        let number = room.last_number + 1;
        // A number the counter has already passed (the room had room) is served as it is given.
        let served_at = (number <= room.serving_counter).then_some(At(now));
        sqlx::query("UPDATE waiting_rooms SET last_number = $2 WHERE event_id = $1")
            .bind(event_id)
            .bind(number)
            .execute(&mut *tx)
            .await?;
        let place: PositionRecord = sqlx::query_as(&format!(
            "INSERT INTO waiting_positions (request_id, event_id, viewer_id, queue_number, entered_at, served_at, \
             state) VALUES ($1, $2, $3, $4, $5, $6, 'waiting') RETURNING {POSITION_COLUMNS}"
        ))
        .bind(request_id)
        .bind(event_id)
        .bind(viewer_id)
        .bind(number)
        .bind(At(now))
        .bind(served_at)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(place))
    }

    /// The place `request_id` of `event_id`.
    pub async fn waiting_position(
        &self,
        event_id: &str,
        request_id: &str,
    ) -> Result<Option<PositionRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {POSITION_COLUMNS} FROM waiting_positions WHERE event_id = $1 AND request_id = $2"
        ))
        .bind(event_id)
        .bind(request_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// How many wait in the room of `event_id`: places the counter has not reached.
    pub async fn waiting_count(&self, event_id: &str) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM waiting_positions p JOIN waiting_rooms r ON r.event_id = p.event_id \
             WHERE p.event_id = $1 AND p.state = 'waiting' AND p.queue_number > r.serving_counter",
        )
        .bind(event_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// How many are in checkout now (served, not finished, not lapsed): AWS's active tokens, and what `max_size`
    /// keeps under its size.
    pub async fn in_checkout(
        &self,
        event_id: &str,
        now: DateTime<Utc>,
        lifetimes: Lifetimes,
    ) -> Result<i64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(count_in_checkout(&mut conn, event_id, now, lifetimes).await?)
    }

    /// Moves the serving counter of `event_id` by `by` (down too, never under 0), serving the places it reaches;
    /// the counter now, or `None` without a room.
    pub async fn advance_serving_counter(
        &self,
        event_id: &str,
        by: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.write_transaction(&[Scope::Room(event_id)]).await?;
        let counter: Option<i64> = sqlx::query_scalar(
            "UPDATE waiting_rooms SET serving_counter = CASE WHEN serving_counter + $2 < 0 THEN 0 \
             ELSE serving_counter + $2 END, updated_at = $3 WHERE event_id = $1 RETURNING serving_counter",
        )
        .bind(event_id)
        .bind(by)
        .bind(At(now))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(counter) = counter {
            mark_served(&mut tx, event_id, counter, now).await?;
        }
        tx.commit().await?;
        Ok(counter)
    }

    /// Lets people in where a room moves by itself (`max_size`, `per_minute`): the rooms whose counter moved, and
    /// where to. Run by one replica at a time (the waiting room's lead); each room in a transaction of its own.
    pub async fn run_inlets(&self, now: DateTime<Utc>, lifetimes: Lifetimes) -> Result<Vec<CounterMove>, StoreError> {
        let rooms: Vec<String> =
            sqlx::query_scalar("SELECT event_id FROM waiting_rooms WHERE armed = 1 AND inlet <> 'manual'")
                .fetch_all(&self.pool)
                .await?;
        let mut moved = Vec::new();
        for event_id in rooms {
            moved.extend(self.run_inlet(&event_id, now, lifetimes).await?);
        }
        Ok(moved)
    }

    /// Lets people into the room of `event_id` when it moves by itself: where its counter moved to, if it did.
    async fn run_inlet(
        &self,
        event_id: &str,
        now: DateTime<Utc>,
        lifetimes: Lifetimes,
    ) -> Result<Option<CounterMove>, StoreError> {
        let mut tx = self.write_transaction(&[Scope::Room(event_id)]).await?;
        // As it is now that the room is ours (disarmed or made manual since it was listed: it stays).
        let room: Option<MovingRoom> = sqlx::query_as(
            "SELECT inlet, inlet_size, serving_counter, last_number, inlet_at FROM waiting_rooms \
             WHERE event_id = $1 AND armed = 1",
        )
        .bind(event_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(MovingRoom {
            inlet,
            inlet_size: size,
            serving_counter: counter,
            last_number,
            inlet_at: MaybeAt(inlet_at),
        }) = room
        else {
            return Ok(None);
        };
        // How many may go in now; the counter may run ahead of the numbers given by that much (newcomers then go
        // straight in), and never further.
        let free = match inlet {
            Inlet::Manual => return Ok(None),
            Inlet::MaxSize => (size - count_in_checkout(&mut tx, event_id, now, lifetimes).await?).max(0),
            Inlet::PerMinute if inlet_at.is_some_and(|at| now < at + Duration::minutes(1)) => return Ok(None),
            Inlet::PerMinute => size,
        };
        let target = counter.max((counter + free).min(last_number + free));
        if inlet == Inlet::PerMinute {
            sqlx::query("UPDATE waiting_rooms SET inlet_at = $2 WHERE event_id = $1")
                .bind(event_id)
                .bind(At(now))
                .execute(&mut *tx)
                .await?;
        }
        let moved = if target == counter {
            None
        } else {
            sqlx::query("UPDATE waiting_rooms SET serving_counter = $2, updated_at = $3 WHERE event_id = $1")
                .bind(event_id)
                .bind(target)
                .bind(At(now))
                .execute(&mut *tx)
                .await?;
            mark_served(&mut tx, event_id, target, now).await?;
            Some(CounterMove {
                event_id: event_id.to_owned(),
                serving_counter: target,
            })
        };
        tx.commit().await?;
        Ok(moved)
    }

    /// Records that the token of `request_id` is issued (the first time: its issue time is kept, so asking again
    /// gives the same token): the issue time.
    pub async fn issue_waiting_token(
        &self,
        event_id: &str,
        request_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<MaybeAt> = sqlx::query_scalar(
            "UPDATE waiting_positions SET token_at = COALESCE(token_at, $3) \
             WHERE event_id = $1 AND request_id = $2 RETURNING token_at",
        )
        .bind(event_id)
        .bind(request_id)
        .bind(At(now))
        .fetch_optional(&self.pool)
        .await?;
        Ok(at.and_then(|MaybeAt(at)| at))
    }

    /// Ends a place (`completed`: its order was placed; `abandoned`: the viewer left); whether it was waiting.
    pub async fn finish_waiting_position(
        &self,
        event_id: &str,
        request_id: &str,
        state: PlaceState,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE waiting_positions SET state = $3 WHERE event_id = $1 AND request_id = $2 AND state = 'waiting'",
        )
        .bind(event_id)
        .bind(request_id)
        .bind(state)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

/// Places of `event_id` in checkout at `now`: served and not finished, neither lapsed unclaimed nor past their token.
async fn count_in_checkout(
    conn: &mut sqlx::AnyConnection,
    event_id: &str,
    now: DateTime<Utc>,
    lifetimes: Lifetimes,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM waiting_positions WHERE event_id = $1 AND state = 'waiting' AND served_at IS NOT NULL \
         AND ((token_at IS NULL AND served_at > $2) OR (token_at IS NOT NULL AND token_at > $3))",
    )
    .bind(event_id)
    .bind(At(now - lifetimes.position))
    .bind(At(now - lifetimes.token))
    .fetch_one(conn)
    .await
}

/// Serves the places of `event_id` the counter has reached.
async fn mark_served(
    tx: &mut sqlx::AnyConnection,
    event_id: &str,
    counter: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE waiting_positions SET served_at = $3 \
         WHERE event_id = $1 AND served_at IS NULL AND queue_number <= $2",
    )
    .bind(event_id)
    .bind(counter)
    .bind(At(now))
    .execute(tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(serving_counter: i64) -> CounterMove {
        CounterMove {
            event_id: "evt_demo".into(),
            serving_counter,
        }
    }
    use crate::store::tests::fresh_store;

    const LIFETIMES: Lifetimes = Lifetimes {
        position: Duration::minutes(15),
        token: Duration::hours(1),
    };

    fn settings(armed: bool, inlet: Inlet, inlet_size: i64) -> RoomSettings {
        RoomSettings {
            armed,
            inlet,
            inlet_size,
        }
    }

    #[tokio::test]
    async fn numbers_are_given_in_order_once_per_viewer_and_served_by_the_counter() {
        let (store, _db) = fresh_store().await;
        store.seed_demo().await.unwrap();
        let now = Utc::now();
        assert!(
            store
                .enter_waiting_room("evt_demo", "v1", "r1", now, LIFETIMES)
                .await
                .unwrap()
                .is_none(),
            "no room"
        );
        store
            .configure_waiting_room("evt_demo", settings(true, Inlet::Manual, 0), now)
            .await
            .unwrap();
        let first = store
            .enter_waiting_room("evt_demo", "v1", "r1", now, LIFETIMES)
            .await
            .unwrap()
            .unwrap();
        let second = store
            .enter_waiting_room("evt_demo", "v2", "r2", now, LIFETIMES)
            .await
            .unwrap()
            .unwrap();
        let again = store
            .enter_waiting_room("evt_demo", "v1", "r3", now, LIFETIMES)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((first.queue_number, second.queue_number), (1, 2));
        assert_eq!(again.request_id, "r1", "a viewer keeps their place");
        assert_eq!(store.waiting_count("evt_demo").await.unwrap(), 2);

        assert_eq!(
            store.advance_serving_counter("evt_demo", 1, now).await.unwrap(),
            Some(1)
        );
        let first = store.waiting_position("evt_demo", "r1").await.unwrap().unwrap();
        assert_eq!(first.served_at, Some(now));
        assert_eq!(store.waiting_count("evt_demo").await.unwrap(), 1);
        assert_eq!(store.in_checkout("evt_demo", now, LIFETIMES).await.unwrap(), 1);
        assert_eq!(
            store.advance_serving_counter("evt_demo", -5, now).await.unwrap(),
            Some(0),
            "never under 0"
        );
        assert_eq!(store.advance_serving_counter("evt_nope", 1, now).await.unwrap(), None);

        // Served and not claimed for 15 minutes: the place lapses and the viewer starts again at the back.
        let later = now + Duration::minutes(16);
        assert!(!first.live(later, LIFETIMES));
        assert_eq!(store.in_checkout("evt_demo", later, LIFETIMES).await.unwrap(), 0);
        let back = store
            .enter_waiting_room("evt_demo", "v1", "r4", later, LIFETIMES)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back.queue_number, 3);

        // A token claimed in time keeps its first issue time.
        store.advance_serving_counter("evt_demo", 2, later).await.unwrap();
        let issued = store.issue_waiting_token("evt_demo", "r2", later).await.unwrap();
        assert_eq!(issued, Some(later));
        let again = store
            .issue_waiting_token("evt_demo", "r2", later + Duration::minutes(1))
            .await
            .unwrap();
        assert_eq!(again, Some(later));
        assert!(
            store
                .finish_waiting_position("evt_demo", "r2", PlaceState::Completed)
                .await
                .unwrap()
        );
        assert!(
            !store
                .finish_waiting_position("evt_demo", "r2", PlaceState::Abandoned)
                .await
                .unwrap()
        );

        store.reset_waiting_room("evt_demo", later).await.unwrap();
        let room = store.waiting_room("evt_demo").await.unwrap().unwrap();
        assert_eq!((room.serving_counter, room.last_number, room.armed), (0, 0, true));
    }

    #[tokio::test]
    async fn inlets_keep_checkout_under_its_size_or_let_some_in_each_minute() {
        let (store, _db) = fresh_store().await;
        store.seed_demo().await.unwrap();
        let now = Utc::now();
        store
            .configure_waiting_room("evt_demo", settings(true, Inlet::MaxSize, 3), now)
            .await
            .unwrap();
        for i in 0..5 {
            let viewer = format!("v{i}");
            store
                .enter_waiting_room("evt_demo", &viewer, &format!("r{i}"), now, LIFETIMES)
                .await
                .unwrap();
        }
        assert_eq!(store.run_inlets(now, LIFETIMES).await.unwrap(), [counter(3)]);
        assert_eq!(store.run_inlets(now, LIFETIMES).await.unwrap(), [], "checkout is full");
        store
            .finish_waiting_position("evt_demo", "r0", PlaceState::Completed)
            .await
            .unwrap();
        assert_eq!(store.run_inlets(now, LIFETIMES).await.unwrap(), [counter(4)]);
        // Places served and never claimed lapse and free theirs.
        let later = now + Duration::minutes(16);
        assert_eq!(store.run_inlets(later, LIFETIMES).await.unwrap(), [counter(7)]);
        // The counter ran ahead of the numbers by the free room (3): newcomers go straight in, up to it.
        let newcomer = store
            .enter_waiting_room("evt_demo", "v9", "r9", later, LIFETIMES)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(newcomer.queue_number, 6);
        assert!(newcomer.served_at.is_some());

        store
            .configure_waiting_room("evt_demo", settings(true, Inlet::PerMinute, 2), now)
            .await
            .unwrap();
        store.reset_waiting_room("evt_demo", now).await.unwrap();
        for i in 0..5 {
            let viewer = format!("w{i}");
            store
                .enter_waiting_room("evt_demo", &viewer, &format!("s{i}"), now, LIFETIMES)
                .await
                .unwrap();
        }
        assert_eq!(store.run_inlets(now, LIFETIMES).await.unwrap(), [counter(2)]);
        assert_eq!(
            store.run_inlets(now + Duration::seconds(30), LIFETIMES).await.unwrap(),
            []
        );
        let minute = now + Duration::seconds(61);
        assert_eq!(store.run_inlets(minute, LIFETIMES).await.unwrap(), [counter(4)]);

        store
            .configure_waiting_room("evt_demo", settings(false, Inlet::PerMinute, 2), now)
            .await
            .unwrap();
        assert_eq!(
            store
                .run_inlets(minute + Duration::minutes(5), LIFETIMES)
                .await
                .unwrap(),
            [],
            "disarmed"
        );
    }
}
