//! One encoder on air, whatever carries its stream (RTMP, or SRT's MPEG-TS remuxed to FLV): its tags go to its
//! show's channel once checked (a picture, in H.264), and its show hears when it goes.

use std::sync::Arc;

use super::{Channel, Ingest, InputSize, OnAir, flv::VideoTag, rtmp::session::Metadata};
use crate::ingest::rtmp::session::MediaKind;

/// An accepted publisher: its show's channel, and what it said of its stream.
pub struct Broadcast {
    pub on_air: OnAir,
    channel: Arc<tokio::sync::Mutex<Channel>>,
    size: InputSize,
    /// The first video tag said H.264 (checked once).
    checked: bool,
    /// The timestamp of the first audio tag while no video has come.
    audio_since: Option<u32>,
}

/// Audio alone for this long (of the stream's time) ends the publish: a show needs a picture.
const NO_VIDEO_MS: u32 = 5_000;

impl Broadcast {
    pub fn new(ingest: &Ingest, on_air: OnAir) -> Self {
        Self {
            channel: ingest.channel(&on_air.event),
            on_air,
            size: InputSize::default(),
            checked: false,
            audio_since: None,
        }
    }

    /// What the encoder says of its picture (its metadata; sizes beyond 8K are not believed).
    pub fn metadata(&mut self, metadata: &Metadata) {
        let pixels = |n: Option<f64>| n.filter(|n| (1.0..=8640.0).contains(n)).map(|n| n as u32);
        self.size = InputSize {
            width: pixels(metadata.width),
            height: pixels(metadata.height),
            video_kbps: metadata
                .video_kbps
                .filter(|kbps| (1.0..=1_000_000.0).contains(kbps))
                .map(|kbps| kbps as u32),
        };
    }

    /// Passes one audio or video tag to the show's channel; `Err` ends the publish.
    pub async fn media(&mut self, ingest: &Ingest, kind: MediaKind, timestamp: u32, data: &[u8]) -> Result<(), String> {
        if kind == MediaKind::Audio && !self.checked {
            let since = *self.audio_since.get_or_insert(timestamp);
            if timestamp.saturating_sub(since) >= NO_VIDEO_MS {
                return Err("the stream has no video: add a video source (H.264) to the encoder".into());
            }
        }
        if kind == MediaKind::Video && !self.checked {
            self.checked = true;
            if !VideoTag::parse(data).is_some_and(|tag| tag.avc) {
                return Err("the video is not H.264: set the encoder to x264/H.264".into());
            }
        }
        let mut channel = self.channel.lock().await;
        ingest
            .media(&mut channel, self.on_air.role, self.size, (kind, timestamp, data))
            .await
    }

    pub async fn finish(self, ingest: &Ingest) {
        ingest.gone(&self.on_air.event.id, self.on_air.role).await;
        tracing::info!(show = %self.on_air.event.id, role = self.on_air.role.as_str(), "publisher gone");
    }
}
