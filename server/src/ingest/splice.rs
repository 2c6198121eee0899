//! Which of a show's two encoders goes on air, as a pure machine (the player's recovery machine is its model): the
//! tags both publishers send come in with the time they arrived; out come the tags the show's one transcoder reads,
//! as one continuous stream.
//!
//! - The first encoder to send a keyframe goes on air.
//! - When the one on air stops (its connection ends, or it sends nothing for [`STALE_MS`]), the other takes over at
//!   its next keyframe: its decoder configuration (AVC and AAC sequence headers) goes first, and its timestamps are
//!   moved to carry on one frame after the last tag out, so the transcoder sees one stream and the playlist needs
//!   no discontinuity.
//! - The primary is preferred: when it returns while the backup is on air, it takes over at its next keyframe; until
//!   then the backup stays on air, so nothing stalls.
//!
//! The switch is at a keyframe of the incoming encoder: with the usual keyframe a second or two, within 2 s of the
//! stop.

use std::collections::HashMap;

use super::{
    flv::{TagType, VideoTag, is_aac_sequence_header},
    rtmp::session::MediaKind,
};
use crate::store::KeyRole;

/// An encoder that has sent nothing for this long has stopped (its connection may not have said so yet).
pub const STALE_MS: f64 = 1_000.0;
/// The gap between the last tag of one encoder and the first of the next: a frame at 30 fps.
const FRAME_MS: i64 = 33;

/// A tag for the transcoder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub kind: TagType,
    pub timestamp: u32,
    pub body: Vec<u8>,
}

/// What is known of one encoder.
#[derive(Debug, Default)]
struct Input {
    last_media_ms: f64,
    avc_header: Option<Vec<u8>>,
    aac_header: Option<Vec<u8>>,
}

#[derive(Debug, Default)]
pub struct Splicer {
    inputs: HashMap<KeyRole, Input>,
    /// The encoder on air.
    active: Option<KeyRole>,
    /// The encoder that goes on air at its next keyframe.
    next: Option<KeyRole>,
    /// Added to the active encoder's timestamps.
    offset: i64,
    /// The latest timestamp out.
    last_out: Option<i64>,
}

impl Splicer {
    /// The encoder on air.
    pub fn active(&self) -> Option<KeyRole> {
        self.active
    }

    /// A tag from `role` at its timestamp `timestamp`, arrived at `now_ms`: the tags to pass on.
    pub fn media(&mut self, role: KeyRole, kind: MediaKind, timestamp: u32, body: &[u8], now_ms: f64) -> Vec<Tag> {
        let video = match kind {
            MediaKind::Video => VideoTag::parse(body),
            MediaKind::Audio => None,
        };
        let input = self.inputs.entry(role).or_default();
        input.last_media_ms = now_ms;
        if video.is_some_and(|v| v.sequence_header) {
            input.avc_header = Some(body.to_vec());
        }
        if kind == MediaKind::Audio && is_aac_sequence_header(body) {
            input.aac_header = Some(body.to_vec());
        }
        self.choose(role, now_ms);
        let keyframe = video.is_some_and(|v| v.keyframe && !v.sequence_header);
        if self.next == Some(role) && keyframe {
            return self.switch(role, timestamp, body);
        }
        if self.active != Some(role) {
            return Vec::new();
        }
        vec![self.out(kind, timestamp, body)]
    }

    /// Whether `role` should go on air at its next keyframe.
    fn choose(&mut self, role: KeyRole, now_ms: f64) {
        let wanted = match self.active {
            None => true,
            Some(active) if active == role => false,
            Some(active) => {
                let stale = self
                    .inputs
                    .get(&active)
                    .is_none_or(|input| now_ms - input.last_media_ms >= STALE_MS);
                role == KeyRole::Primary || stale
            }
        };
        if wanted && self.next.is_none() {
            self.next = Some(role);
        }
    }

    /// `role` goes on air with its keyframe: its decoder configuration first, its time carried on from the last tag.
    fn switch(&mut self, role: KeyRole, timestamp: u32, keyframe: &[u8]) -> Vec<Tag> {
        self.active = Some(role);
        self.next = None;
        let target = self.last_out.map_or(i64::from(timestamp), |last| last + FRAME_MS);
        self.offset = target - i64::from(timestamp);
        let mut tags = Vec::new();
        let (avc, aac) = self
            .inputs
            .get(&role)
            .map_or((None, None), |i| (i.avc_header.clone(), i.aac_header.clone()));
        if let Some(header) = avc {
            tags.push(self.out(MediaKind::Video, timestamp, &header));
        }
        if let Some(header) = aac {
            tags.push(self.out(MediaKind::Audio, timestamp, &header));
        }
        tags.push(self.out(MediaKind::Video, timestamp, keyframe));
        tags
    }

    fn out(&mut self, kind: MediaKind, timestamp: u32, body: &[u8]) -> Tag {
        let moved = (i64::from(timestamp) + self.offset).clamp(0, i64::from(u32::MAX));
        self.last_out = Some(self.last_out.map_or(moved, |last| last.max(moved)));
        Tag {
            kind: match kind {
                MediaKind::Audio => TagType::Audio,
                MediaKind::Video => TagType::Video,
            },
            timestamp: u32::try_from(moved).unwrap_or(u32::MAX),
            body: body.to_vec(),
        }
    }

    /// `role`'s publisher is gone: another encoder publishing takes over at its next keyframe.
    pub fn gone(&mut self, role: KeyRole) {
        self.inputs.remove(&role);
        if self.next == Some(role) {
            self.next = None;
        }
        if self.active == Some(role) {
            self.active = None;
            self.next = self.inputs.keys().next().copied();
        }
    }

    /// Whether any encoder is publishing.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use KeyRole::{Backup, Primary};
    use MediaKind::{Audio, Video};

    const AVC_HEADER: [u8; 3] = [0x17, 0x00, 0xa0];
    const KEYFRAME: [u8; 3] = [0x17, 0x01, 0xb0];
    const FRAME: [u8; 3] = [0x27, 0x01, 0xc0];
    const AAC_HEADER: [u8; 3] = [0xaf, 0x00, 0xd0];
    const AUDIO: [u8; 3] = [0xaf, 0x01, 0xe0];

    /// An encoder's start: its configurations, then a keyframe; what came out.
    fn start(s: &mut Splicer, role: KeyRole, ts: u32, now: f64) -> Vec<Tag> {
        let mut out = s.media(role, Video, ts, &AVC_HEADER, now);
        out.extend(s.media(role, Audio, ts, &AAC_HEADER, now));
        out.extend(s.media(role, Video, ts, &KEYFRAME, now));
        out
    }

    fn stamps(tags: &[Tag]) -> Vec<(u8, u32)> {
        tags.iter().map(|t| (t.body[2], t.timestamp)).collect()
    }

    #[test]
    fn the_first_encoder_goes_on_air_at_its_keyframe_and_the_other_waits() {
        let mut s = Splicer::default();
        // A frame before any keyframe is not on air yet; nor is the decoder configuration on its own.
        assert!(s.media(Backup, Video, 0, &FRAME, 0.0).is_empty());
        let out = start(&mut s, Backup, 40, 10.0);
        assert_eq!(stamps(&out), [(0xa0, 40), (0xd0, 40), (0xb0, 40)]);
        assert_eq!(s.active(), Some(Backup));
        assert_eq!(stamps(&s.media(Backup, Audio, 60, &AUDIO, 30.0)), [(0xe0, 60)]);
    }

    #[test]
    fn when_the_primary_stops_the_backup_takes_over_at_its_keyframe_in_the_same_timeline() {
        let mut s = Splicer::default();
        start(&mut s, Primary, 1000, 0.0);
        // The backup publishes too, on a clock of its own: nothing of it goes out.
        assert!(start(&mut s, Backup, 90_000, 5.0).is_empty());
        assert_eq!(stamps(&s.media(Primary, Video, 1033, &FRAME, 40.0)), [(0xc0, 1033)]);
        // The primary goes silent. Within a second the backup is still waiting...
        assert!(s.media(Backup, Video, 90_500, &FRAME, 900.0).is_empty());
        // ...after it, the backup's next keyframe goes on air one frame after the last tag, with its configuration.
        assert!(
            s.media(Backup, Video, 91_000, &FRAME, 1_040.0).is_empty(),
            "not a keyframe"
        );
        let out = s.media(Backup, Video, 91_033, &KEYFRAME, 1_100.0);
        assert_eq!(stamps(&out), [(0xa0, 1066), (0xd0, 1066), (0xb0, 1066)]);
        assert_eq!(s.active(), Some(Backup));
        assert_eq!(stamps(&s.media(Backup, Audio, 91_053, &AUDIO, 1_120.0)), [(0xe0, 1086)]);
        // A late tag of the primary is not on air any more.
        assert!(s.media(Primary, Video, 1066, &FRAME, 1_130.0).is_empty());
    }

    #[test]
    fn a_primary_that_disconnects_hands_over_at_once_and_takes_back_over_when_it_returns() {
        let mut s = Splicer::default();
        start(&mut s, Primary, 0, 0.0);
        start(&mut s, Backup, 500, 0.0);
        s.media(Primary, Video, 33, &FRAME, 33.0);
        s.gone(Primary);
        // No wait for staleness: the connection said it is gone.
        let out = s.media(Backup, Video, 533, &KEYFRAME, 50.0);
        assert_eq!(stamps(&out), [(0xa0, 66), (0xd0, 66), (0xb0, 66)]);
        assert_eq!(stamps(&s.media(Backup, Video, 566, &FRAME, 80.0)), [(0xc0, 99)]);

        // The primary returns: the backup stays on air until the primary's first keyframe, then hands back.
        assert!(s.media(Primary, Video, 0, &AVC_HEADER, 100.0).is_empty());
        assert_eq!(stamps(&s.media(Backup, Video, 599, &FRAME, 110.0)), [(0xc0, 132)]);
        let out = s.media(Primary, Video, 10, &KEYFRAME, 120.0);
        assert_eq!(
            stamps(&out),
            [(0xa0, 165), (0xb0, 165)],
            "no AAC configuration seen yet from the new primary"
        );
        assert_eq!(s.active(), Some(Primary));
        assert!(s.media(Backup, Video, 632, &FRAME, 130.0).is_empty());
    }

    #[test]
    fn when_every_encoder_is_gone_the_next_one_starts_a_new_on_air() {
        let mut s = Splicer::default();
        start(&mut s, Primary, 0, 0.0);
        s.gone(Primary);
        assert!(s.is_empty());
        assert_eq!(s.active(), None);
        let out = start(&mut s, Primary, 7, 5_000.0);
        assert_eq!(
            out.last().map(|t| t.timestamp),
            Some(33),
            "after the last tag out, never back in time"
        );
    }
}
