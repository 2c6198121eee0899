//! Where each show's stream stands, as its ingest last said, with the readings the console shows: kept in the
//! database so that every replica answers the same, whichever one runs the show's ingest.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{At, KeyRole, Store, StoreError};

crate::text_enum! {
    /// Where a show's stream stands.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum StreamState {
        /// Nothing has been published yet.
        Waiting = "waiting",
        /// An encoder is on air.
        Live = "live",
        /// Every encoder dropped before the show ended: viewers see "back in a moment".
        Interrupted = "interrupted",
        /// The show ended.
        Ended = "ended",
    }
}

/// What one encoder sends, measured as it arrives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncoderReading {
    pub role: KeyRole,
    /// Its picture is the one on air (the other encoder stands by).
    pub on_air: bool,
    /// Its picture's size, as its metadata says.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Frames per second over the last few seconds of its stream.
    pub frame_rate: Option<f64>,
    /// Kilobits per second over the last few seconds of its stream (audio and video).
    pub bitrate_kbps: Option<u32>,
    /// Seconds between its last two keyframes.
    pub keyframe_interval: Option<f64>,
}

/// How the show's transcoder keeps up, as ffmpeg reports it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscoderReading {
    /// Encoding speed as a multiple of real time (below 1: it falls behind).
    pub speed: Option<f64>,
    /// Frames it dropped to keep up, since it started.
    pub dropped_frames: u64,
}

/// The readings of a show's stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamReadings {
    /// The encoders publishing, primary first.
    pub encoders: Vec<EncoderReading>,
    pub transcoder: Option<TranscoderReading>,
    /// The ladder's segment length, which an encoder's keyframe interval should not exceed.
    pub segment_seconds: u32,
}

/// A show's stream status, as the schema's `StreamStatus` (and `publishStreamStatus`'s result, which real-time
/// subscribers are matched and served from).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamStatusRecord {
    pub event_id: String,
    pub state: StreamState,
    /// Where the live stream plays from.
    pub live_url: Option<String>,
    /// The replay, once the show ended.
    pub archive_url: Option<String>,
    pub readings: StreamReadings,
    pub updated_at: DateTime<Utc>,
}

/// A show's stream status as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredStreamStatus {
    pub state: StreamState,
    pub readings: StreamReadings,
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// Records where the show's stream stands now.
    pub async fn save_stream_status(
        &self,
        event_id: &str,
        state: StreamState,
        readings: &StreamReadings,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let readings = serde_json::to_string(readings).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO stream_status (event_id, state, readings, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (event_id) DO UPDATE SET state = excluded.state, readings = excluded.readings, \
             updated_at = excluded.updated_at",
        )
        .bind(event_id)
        .bind(state)
        .bind(readings)
        .bind(At(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Where the show's stream stood when its ingest last said; `None` before it ever did.
    pub async fn stream_status(&self, event_id: &str) -> Result<Option<StoredStreamStatus>, StoreError> {
        let row: Option<(StreamState, String, At)> =
            sqlx::query_as("SELECT state, readings, updated_at FROM stream_status WHERE event_id = $1")
                .bind(event_id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(state, readings, updated_at)| {
            Ok(StoredStreamStatus {
                state,
                readings: serde_json::from_str(&readings).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                updated_at: updated_at.0,
            })
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EventRecord, tests::fresh_store};

    #[tokio::test]
    async fn the_last_status_said_is_the_one_read() {
        let (store, _db) = fresh_store().await;
        let now = Utc::now();
        store
            .create_event(&EventRecord::new("evt_1", "one", "One", now), &[])
            .await
            .unwrap();
        assert_eq!(store.stream_status("evt_1").await.unwrap(), None);
        let readings = StreamReadings {
            encoders: vec![EncoderReading {
                role: KeyRole::Backup,
                on_air: true,
                width: Some(1280),
                height: Some(720),
                frame_rate: Some(29.97),
                bitrate_kbps: Some(2500),
                keyframe_interval: Some(2.0),
            }],
            transcoder: Some(TranscoderReading {
                speed: Some(1.02),
                dropped_frames: 3,
            }),
            segment_seconds: 1,
        };
        store
            .save_stream_status("evt_1", StreamState::Live, &readings, now)
            .await
            .unwrap();
        store
            .save_stream_status("evt_1", StreamState::Interrupted, &readings, now)
            .await
            .unwrap();
        let stored = store.stream_status("evt_1").await.unwrap().unwrap();
        assert_eq!(stored.state, StreamState::Interrupted);
        assert_eq!(stored.readings, readings);
        assert_eq!(stored.updated_at.timestamp(), now.timestamp());
    }
}
