//! The playlists viewers read, written by the server rather than ffmpeg (RFC 8216): ffmpeg 5.1 never writes
//! `EXT-X-DISCONTINUITY-SEQUENCE`, computes a master playlist's `BANDWIDTH` from configured rates only, and dates
//! segments from its own start rather than the stream's arrival. Pure: segments in, text out.
//!
//! - The live playlist is a window over the last segments: `EXT-X-MEDIA-SEQUENCE` is the first one's number, which
//!   never goes back, and `EXT-X-DISCONTINUITY-SEQUENCE` counts the discontinuities that left the window, so the
//!   playlist stays valid across a restart of the transcoder (RFC 8216, 6.2.1 and 6.2.2).
//! - The recording lists every segment: `EVENT` while the show is on air, `VOD` with `EXT-X-ENDLIST` after.
//! - Every segment carries its `EXT-X-PROGRAM-DATE-TIME`, dated from when its first frame arrived at the ingest.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};

use super::transcode::Rung;

/// One segment of a rung.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Its media sequence number (and file name, `{sequence}.ts`).
    pub sequence: u64,
    pub seconds: f64,
    /// When its first frame arrived.
    pub date: DateTime<Utc>,
    /// The first after a restart of the transcoder (timestamps and encoder state start over).
    pub discontinuity: bool,
}

/// What a media playlist is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The last `window` segments of a stream on air; `earlier` discontinuities were in segments no longer given.
    Live { window: usize, earlier: usize },
    /// Every segment, more to come.
    Event,
    /// Every segment, the stream ended.
    Vod,
}

/// A rung's media playlist over `segments` (in order), naming each segment `{prefix}{sequence}.ts`.
pub fn media(segments: &[Segment], kind: Kind, prefix: &str) -> String {
    let shown = match kind {
        Kind::Live { window, .. } => &segments[segments.len().saturating_sub(window)..],
        Kind::Event | Kind::Vod => segments,
    };
    let first = shown.first().map_or(0, |s| s.sequence);
    // Discontinuities that left the window. One that opens the window keeps its tag, so every segment's
    // discontinuity number (this, plus the tags before it) stays what it was in the playlists before.
    let earlier = match kind {
        Kind::Live { earlier, .. } => earlier,
        Kind::Event | Kind::Vod => 0,
    };
    let discontinuity_sequence = earlier
        + segments
            .iter()
            .take_while(|s| s.sequence < first)
            .filter(|s| s.discontinuity)
            .count();
    let target = shown.iter().map(|s| s.seconds.round() as u64).max().unwrap_or(1).max(1);
    let mut text = String::from("#EXTM3U\n#EXT-X-VERSION:6\n");
    let _ = writeln!(text, "#EXT-X-TARGETDURATION:{target}");
    let _ = writeln!(text, "#EXT-X-MEDIA-SEQUENCE:{first}");
    let _ = writeln!(text, "#EXT-X-DISCONTINUITY-SEQUENCE:{discontinuity_sequence}");
    match kind {
        Kind::Live { .. } => {}
        Kind::Event => text.push_str("#EXT-X-PLAYLIST-TYPE:EVENT\n"),
        Kind::Vod => text.push_str("#EXT-X-PLAYLIST-TYPE:VOD\n"),
    }
    text.push_str("#EXT-X-INDEPENDENT-SEGMENTS\n");
    for segment in shown {
        if segment.discontinuity {
            text.push_str("#EXT-X-DISCONTINUITY\n");
        }
        let date = segment.date.to_rfc3339_opts(SecondsFormat::Millis, true);
        let _ = writeln!(text, "#EXT-X-PROGRAM-DATE-TIME:{date}");
        let _ = writeln!(text, "#EXTINF:{:.3},", segment.seconds);
        let _ = writeln!(text, "{prefix}{}.ts", segment.sequence);
    }
    if kind == Kind::Vod {
        text.push_str("#EXT-X-ENDLIST\n");
    }
    text
}

/// The H.264 level a rung is encoded at (its `CODECS` says so): enough for its height at 30 fps.
pub fn level(height: u32) -> (&'static str, u8) {
    match height {
        0..=720 => ("3.1", 0x1f),
        721..=1080 => ("4.0", 0x28),
        1081..=1440 => ("5.0", 0x32),
        _ => ("5.1", 0x33),
    }
}

/// The width of a rung `height` high for an input of `aspect` (width / height), even as H.264 wants it.
pub fn width(height: u32, aspect: f64) -> u32 {
    let aspect = if aspect.is_finite() && aspect > 0.1 && aspect < 10.0 {
        aspect
    } else {
        16.0 / 9.0
    };
    let width = (f64::from(height) * aspect / 2.0).round() as u32 * 2;
    width.max(2)
}

/// The master playlist: each rung's playlist at `{name}/index.m3u8`, highest first, with its bandwidth (the
/// configured peak: the encoder's rate capped at 110 %, and the audio), resolution and codecs (High profile AAC-LC).
pub fn master(rungs: &[Rung], aspect: f64) -> String {
    let mut text = String::from("#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    for rung in rungs {
        let peak = (u64::from(rung.video_kbps) * 11 / 10 + u64::from(rung.audio_kbps)) * 1000;
        let average = (u64::from(rung.video_kbps) + u64::from(rung.audio_kbps)) * 1000;
        // The encoder's own picture says its profile and level; the ladder's are High at the rung's level.
        let (video, width) = match &rung.source {
            Some(source) => (source.codecs.clone(), source.width),
            None => (
                format!("avc1.6400{:02x}", level(rung.height).1),
                width(rung.height, aspect),
            ),
        };
        let _ = writeln!(
            text,
            "#EXT-X-STREAM-INF:BANDWIDTH={peak},AVERAGE-BANDWIDTH={average},RESOLUTION={width}x{},CODECS=\"{video},mp4a.40.2\"",
            rung.height
        );
        let _ = writeln!(text, "{}/index.m3u8", rung.name);
    }
    text
}

/// The discontinuity sequence a live playlist ends on: its `EXT-X-DISCONTINUITY-SEQUENCE` and the tags it shows.
pub fn discontinuities_through(text: &str) -> usize {
    let declared = text
        .lines()
        .find_map(|line| line.strip_prefix("#EXT-X-DISCONTINUITY-SEQUENCE:"))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0);
    declared + text.lines().filter(|line| *line == "#EXT-X-DISCONTINUITY").count()
}

/// Where the moment `at` is in a recording of `segments` (seconds from its start): its place in the segment on air
/// then; where the recording carries on when nothing was on air (between two sessions, or before the first); the end
/// after the last.
pub fn offset_at(segments: &[Segment], at: DateTime<Utc>) -> f64 {
    let mut start = 0.0;
    for segment in segments {
        let into = (at - segment.date).num_milliseconds() as f64 / 1000.0;
        if into < 0.0 {
            return start;
        }
        if into < segment.seconds {
            return start + into;
        }
        start += segment.seconds;
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(count: u64, restart_at: Option<u64>) -> Vec<Segment> {
        let start = DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z").unwrap().to_utc();
        (0..count)
            .map(|i| Segment {
                sequence: 100 + i,
                seconds: 1.0,
                date: start + chrono::Duration::seconds(i as i64),
                discontinuity: Some(i) == restart_at,
            })
            .collect()
    }

    #[test]
    fn the_live_window_counts_on_and_keeps_its_discontinuities_valid() {
        let all = segments(10, Some(4));
        let live = media(&all, Kind::Live { window: 3, earlier: 0 }, "");
        assert!(live.contains("#EXT-X-MEDIA-SEQUENCE:107\n"), "{live}");
        assert!(
            live.contains("#EXT-X-DISCONTINUITY-SEQUENCE:1\n"),
            "the restart has left the window: {live}"
        );
        assert!(!live.contains("#EXT-X-DISCONTINUITY\n"), "{live}");
        assert!(live.contains("#EXT-X-PROGRAM-DATE-TIME:2026-12-07T10:00:07.000Z\n#EXTINF:1.000,\n107.ts\n"));
        assert!(!live.contains("ENDLIST") && !live.contains("PLAYLIST-TYPE"), "{live}");
        // Segments no longer held still count theirs.
        let live = media(&all[5..], Kind::Live { window: 3, earlier: 1 }, "");
        assert!(live.contains("#EXT-X-DISCONTINUITY-SEQUENCE:1\n"), "{live}");

        // The restart inside the window: its tag is there, and not counted yet.
        let live = media(&all[..6], Kind::Live { window: 3, earlier: 0 }, "");
        assert!(live.contains("#EXT-X-DISCONTINUITY-SEQUENCE:0\n"), "{live}");
        assert!(
            live.contains("#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2026-12-07T10:00:04.000Z\n"),
            "{live}"
        );
        // At the window's head: still tagged, not counted yet.
        let live = media(&all[..7], Kind::Live { window: 3, earlier: 0 }, "");
        assert!(
            live.contains("#EXT-X-MEDIA-SEQUENCE:104\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n"),
            "{live}"
        );
        assert!(
            live.contains("#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-DISCONTINUITY\n"),
            "{live}"
        );
    }

    #[test]
    fn a_window_that_starts_again_carries_on_its_discontinuities() {
        let all = segments(10, Some(8));
        let before = media(&all, Kind::Live { window: 3, earlier: 2 }, "");
        assert_eq!(discontinuities_through(&before), 3, "{before}");
    }

    #[test]
    fn the_recording_keeps_everything_and_ends_as_vod() {
        let all = segments(5, Some(2));
        let event = media(&all, Kind::Event, "../../live/360p/");
        assert!(event.contains("#EXT-X-PLAYLIST-TYPE:EVENT\n"), "{event}");
        assert!(event.contains("#EXT-X-MEDIA-SEQUENCE:100\n") && event.contains("../../live/360p/104.ts\n"));
        assert_eq!(event.matches("#EXT-X-DISCONTINUITY\n").count(), 1);
        let vod = media(&all, Kind::Vod, "");
        assert!(
            vod.contains("#EXT-X-PLAYLIST-TYPE:VOD\n") && vod.ends_with("#EXT-X-ENDLIST\n"),
            "{vod}"
        );
    }

    #[test]
    fn the_master_says_each_rungs_bandwidth_resolution_and_codecs() {
        let master = master(&[Rung::new(720, 2000, 128), Rung::new(360, 600, 96)], 16.0 / 9.0);
        assert!(
            master.contains(
                "#EXT-X-STREAM-INF:BANDWIDTH=2328000,AVERAGE-BANDWIDTH=2128000,RESOLUTION=1280x720,\
             CODECS=\"avc1.64001f,mp4a.40.2\"\n720p/index.m3u8\n"
            ),
            "{master}"
        );
        assert!(master.contains("RESOLUTION=640x360,"), "{master}");
        assert_eq!(width(360, 4.0 / 3.0), 480);
        assert_eq!(width(1080, f64::NAN), 1920);
        assert_eq!(level(1080), ("4.0", 0x28));
    }

    #[test]
    fn a_moment_on_air_is_placed_on_the_recording_s_timeline() {
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
            .unwrap()
            .to_utc();
        let at = |seconds: f64| t0 + chrono::Duration::milliseconds((seconds * 1000.0) as i64);
        let segment = |sequence, start: f64, discontinuity| Segment {
            sequence,
            seconds: 1.0,
            date: at(start),
            discontinuity,
        };
        // Two seconds on air, a drop of ten, then two more.
        let recording = [
            segment(0, 0.0, false),
            segment(1, 1.0, false),
            segment(2, 12.0, true),
            segment(3, 13.0, false),
        ];
        assert_eq!(offset_at(&recording, at(-30.0)), 0.0, "before the show");
        assert_eq!(offset_at(&recording, at(0.5)), 0.5);
        assert_eq!(offset_at(&recording, at(1.25)), 1.25);
        assert_eq!(
            offset_at(&recording, at(5.0)),
            2.0,
            "while it was off: where it carries on"
        );
        assert_eq!(offset_at(&recording, at(12.5)), 2.5);
        assert_eq!(offset_at(&recording, at(60.0)), 4.0, "after the end");
        assert_eq!(offset_at(&[], at(1.0)), 0.0);
    }
}
