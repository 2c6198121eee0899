//! An encoder's health, measured from what it sends: its frame rate and bitrate over the last few seconds of its
//! stream, and the time between its keyframes. Pure: the stream's own timestamps are the clock, so a burst of tags
//! (an encoder catching up after a network hiccup) does not read as a higher rate.

use std::collections::VecDeque;

use super::{flv::VideoTag, rtmp::session::MediaKind};

/// The span of stream time the rates are measured over.
pub const WINDOW_MS: u32 = 5_000;
/// A jump back in the stream's time by more than this starts the measure again (the encoder restarted its clock).
const RESTART_MS: u32 = 1_000;

/// One encoder's recent tags.
#[derive(Debug, Default)]
pub struct Meter {
    /// Each tag of the window: its timestamp, its size, whether it is a video frame.
    tags: VecDeque<(u32, usize, bool)>,
    /// The timestamps of the last two keyframes.
    keyframes: (Option<u32>, Option<u32>),
    /// The latest timestamp seen (the window ends there).
    newest: u32,
}

/// What the meter reads now.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Reading {
    pub frame_rate: Option<f64>,
    pub bitrate_kbps: Option<u32>,
    /// Seconds between the last two keyframes.
    pub keyframe_interval: Option<f64>,
}

impl Meter {
    /// A tag of the encoder's stream.
    pub fn observe(&mut self, kind: MediaKind, timestamp: u32, body: &[u8]) {
        if !self.tags.is_empty() && timestamp.saturating_add(RESTART_MS) < self.newest {
            *self = Self::default();
        }
        let video = match kind {
            MediaKind::Video => VideoTag::parse(body).filter(|tag| !tag.sequence_header),
            MediaKind::Audio => None,
        };
        if video.is_some_and(|tag| tag.keyframe) {
            self.keyframes = (self.keyframes.1, Some(timestamp));
        }
        self.tags.push_back((timestamp, body.len(), video.is_some()));
        self.newest = self.newest.max(timestamp);
        while self
            .tags
            .front()
            .is_some_and(|&(t, _, _)| t.saturating_add(WINDOW_MS) < self.newest)
        {
            self.tags.pop_front();
        }
    }

    pub fn reading(&self) -> Reading {
        let span = |frames_only: bool| {
            let mut times = self.tags.iter().filter(|t| !frames_only || t.2).map(|t| t.0);
            let first = times.next()?;
            let (low, high) = times.fold((first, first), |(low, high), t| (low.min(t), high.max(t)));
            (high > low).then(|| f64::from(high - low) / 1000.0)
        };
        let frames = self.tags.iter().filter(|t| t.2).count();
        let frame_rate = span(true).map(|seconds| (frames - 1) as f64 / seconds);
        let bytes: usize = self.tags.iter().map(|t| t.1).sum();
        let bitrate_kbps = span(false).map(|seconds| (bytes as f64 * 8.0 / 1000.0 / seconds).round() as u32);
        let keyframe_interval = match self.keyframes {
            (Some(before), Some(last)) if last > before => Some(f64::from(last - before) / 1000.0),
            _ => None,
        };
        Reading {
            frame_rate,
            bitrate_kbps,
            keyframe_interval,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = &[0x17, 0x01, 0, 0, 0];
    const INTER: &[u8] = &[0x27, 0x01, 0, 0, 0];

    /// `seconds` of a 25 fps stream with a keyframe every `gop` frames and 1000-byte frames, from `start` ms.
    fn feed(meter: &mut Meter, start: u32, seconds: u32, gop: u32) {
        for frame in 0..seconds * 25 {
            let body = if frame % gop == 0 { KEY } else { INTER };
            let mut bytes = body.to_vec();
            bytes.resize(1000, 0);
            meter.observe(MediaKind::Video, start + frame * 40, &bytes);
        }
    }

    #[test]
    fn rates_are_read_over_the_stream_own_time() {
        let mut meter = Meter::default();
        assert_eq!(meter.reading(), Reading::default());
        feed(&mut meter, 0, 10, 50);
        let reading = meter.reading();
        assert!((reading.frame_rate.unwrap() - 25.0).abs() < 0.01, "{reading:?}");
        // 25 frames of 8 kbit a second: 200 kbit/s (the window holds the frames at both of its ends: 1 % more).
        assert!((199..=203).contains(&reading.bitrate_kbps.unwrap()), "{reading:?}");
        assert_eq!(reading.keyframe_interval, Some(2.0));
    }

    #[test]
    fn a_clock_that_starts_again_starts_the_measure_again() {
        let mut meter = Meter::default();
        feed(&mut meter, 600_000, 10, 25);
        feed(&mut meter, 0, 3, 100);
        let reading = meter.reading();
        assert!((reading.frame_rate.unwrap() - 25.0).abs() < 0.01, "{reading:?}");
        assert_eq!(reading.keyframe_interval, None, "one keyframe since the restart");
    }

    #[test]
    fn sequence_headers_and_audio_are_not_frames() {
        let mut meter = Meter::default();
        meter.observe(MediaKind::Video, 0, &[0x17, 0x00, 1, 2, 3]);
        meter.observe(MediaKind::Audio, 0, &[0xaf, 0x00, 0x12]);
        meter.observe(MediaKind::Audio, 1000, &[0xaf, 0x01, 0x12]);
        let reading = meter.reading();
        assert_eq!(reading.frame_rate, None);
        assert_eq!(reading.keyframe_interval, None);
        assert!(reading.bitrate_kbps.is_some());
    }
}
