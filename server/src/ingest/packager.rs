//! The show's packager: takes each segment ffmpeg finishes (in a work folder of the show's, never served) into the
//! media store under its media sequence number, and writes the playlists viewers read (`playlist`): each rung's
//! live window and recording, and the master playlists. The numbering, the dates and the recording carry on across
//! a restart of the transcoder or of the server: a session starts from the stored recording.
//!
//! ```text
//! {folder}/live/master.m3u8            the rungs
//! {folder}/live/{rung}/index.m3u8      the live window
//! {folder}/live/{rung}/{sequence}.ts   every segment of the show (or of its window only: `Keep::Window`)
//! {folder}/recording/master.m3u8
//! {folder}/recording/{rung}/index.m3u8 every segment: EVENT while on air
//! ```

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{
    playlist::{self, Kind, Segment},
    transcode::Rung,
};
use crate::media_store::{MediaStore, MediaStoreError};

/// What a show keeps of its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Everything: the recording becomes the replay.
    Everything,
    /// The live window only, for a stream that never ends (the demo's): segments that left it are deleted, and no
    /// recording is written.
    Window,
}

/// The segments a player starts behind the live edge (the page's hls.js `liveSyncDurationCount`, 2), and one.
const PLAYER_START_SEGMENTS: u64 = 3;

/// Segments kept a little after they leave the live window: a player that read the playlist just before may still
/// ask for them.
const KEPT_AFTER_WINDOW: usize = 4;

/// How much of the stream the live playlist shows: room to step back and return to live.
const WINDOW_SECONDS: u32 = 30;

/// One rung's segments so far, how many of this session's ffmpeg has finished and were taken, and how long those
/// last (the next one's date is the session's start plus that).
struct Track {
    rung: Rung,
    segments: Vec<Segment>,
    /// Discontinuities in segments no longer held (a window's).
    earlier_discontinuities: usize,
    taken: u64,
    session_seconds: f64,
}

pub struct Packager {
    work: PathBuf,
    media: MediaStore,
    /// The show's folder in the media store.
    folder: String,
    keep: Keep,
    tracks: Vec<Track>,
    /// This session's first sequence number (ffmpeg's segment N is `base + N`).
    base: u64,
    /// When this session's first frame arrived, and how far into it the rungs' segments have come.
    started: DateTime<Utc>,
    window: usize,
}

/// The segments of a recording this packager wrote (a restart continues it; the replay's timeline reads it).
pub fn read_recording(text: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    let (mut date, mut seconds, mut discontinuity) = (None, None, false);
    for line in text.lines() {
        if line == "#EXT-X-DISCONTINUITY" {
            discontinuity = true;
        } else if let Some(value) = line.strip_prefix("#EXT-X-PROGRAM-DATE-TIME:") {
            date = DateTime::parse_from_rfc3339(value).ok().map(|d| d.to_utc());
        } else if let Some(value) = line.strip_prefix("#EXTINF:") {
            seconds = value.trim_end_matches(',').parse::<f64>().ok();
        } else if !line.starts_with('#') && !line.is_empty() {
            let name = line.rsplit('/').next().unwrap_or(line);
            if let (Some(sequence), Some(date), Some(seconds)) =
                (name.strip_suffix(".ts").and_then(|n| n.parse().ok()), date, seconds)
            {
                segments.push(Segment {
                    sequence,
                    seconds,
                    date,
                    discontinuity,
                });
            }
            (date, seconds, discontinuity) = (None, None, false);
        }
    }
    segments
}

/// The segments ffmpeg lists in its own playlist: (its number, seconds).
fn read_ffmpeg(text: &str) -> Vec<(u64, f64)> {
    let mut finished = Vec::new();
    let mut seconds = None;
    for line in text.lines() {
        if let Some(value) = line.strip_prefix("#EXTINF:") {
            seconds = value.trim_end_matches(',').parse::<f64>().ok();
        } else if let Some(number) = line.strip_prefix("seg_").and_then(|n| n.strip_suffix(".ts"))
            && let (Ok(number), Some(seconds)) = (number.parse(), seconds.take())
        {
            finished.push((number, seconds));
        }
    }
    finished
}

impl Packager {
    /// A new session of the show's stream: `work` is ffmpeg's folder, `folder` the show's in the media store; `aspect`
    /// the input's width over height; `started` when its first frame arrived.
    pub async fn open(
        work: &Path,
        (media, folder): (&MediaStore, &str),
        keep: Keep,
        rungs: &[Rung],
        (aspect, segment_seconds): (f64, u32),
        started: DateTime<Utc>,
    ) -> Result<Self, MediaStoreError> {
        let mut tracks = Vec::new();
        let mut next = 0;
        for rung in rungs {
            // A kept recording carries the numbering; a window's own playlist does.
            let kept = match keep {
                Keep::Everything => format!("{folder}/recording/{}/index.m3u8", rung.name),
                Keep::Window => format!("{folder}/live/{}/index.m3u8", rung.name),
            };
            let kept = media.text(&kept).await?.unwrap_or_default();
            let recorded = read_recording(&kept);
            next = next.max(recorded.last().map_or(0, |s| s.sequence + 1));
            let (recorded, earlier_discontinuities) = match keep {
                Keep::Everything => (recorded, 0),
                // A window starts afresh (what it showed of the last session leaves the store), counting on the
                // discontinuities its players have seen.
                Keep::Window => {
                    for segment in &recorded {
                        media
                            .delete(&format!("{folder}/live/{}/{}.ts", rung.name, segment.sequence))
                            .await?;
                    }
                    (Vec::new(), playlist::discontinuities_through(&kept))
                }
            };
            tracks.push(Track {
                rung: rung.clone(),
                segments: recorded,
                earlier_discontinuities,
                taken: 0,
                session_seconds: 0.0,
            });
        }
        // A rung the last session did not have starts at the same number as the others.
        let master = playlist::master(rungs, aspect);
        media.put(&format!("{folder}/live/master.m3u8"), master.clone()).await?;
        if keep == Keep::Everything {
            media.put(&format!("{folder}/recording/master.m3u8"), master).await?;
        }
        Ok(Self {
            work: work.to_path_buf(),
            media: media.clone(),
            folder: folder.to_owned(),
            keep,
            tracks,
            base: next,
            started,
            window: (WINDOW_SECONDS / segment_seconds.max(1)).max(6) as usize,
        })
    }

    /// Whether viewers can play the stream: every rung has the segments a player starts behind the live edge, and
    /// one more. A player sent earlier stalls at once, and hls.js then keeps a second more of distance for the rest
    /// of the show.
    pub fn playable(&self) -> bool {
        self.tracks.iter().all(|track| track.taken >= PLAYER_START_SEGMENTS)
    }

    /// Takes the segments ffmpeg has finished since the last call into the media store and rewrites the playlists
    /// of the rungs that got one; whether any did.
    pub async fn poll(&mut self) -> Result<bool, MediaStoreError> {
        let mut changed = false;
        let folder = &self.folder;
        for track in &mut self.tracks {
            let work = self.work.join(&track.rung.name);
            let Ok(text) = tokio::fs::read_to_string(work.join("index.m3u8")).await else {
                continue;
            };
            let name = &track.rung.name;
            let mut took = false;
            for (number, seconds) in read_ffmpeg(&text) {
                if number < track.taken {
                    continue;
                }
                let sequence = self.base + number;
                let from = work.join(format!("seg_{number:05}.ts"));
                self.media
                    .put_file(&format!("{folder}/live/{name}/{sequence}.ts"), &from)
                    .await?;
                let _ = tokio::fs::remove_file(&from).await;
                let elapsed = chrono::Duration::milliseconds((track.session_seconds * 1000.0) as i64);
                track.session_seconds += seconds;
                track.segments.push(Segment {
                    sequence,
                    seconds,
                    date: self.started + elapsed,
                    discontinuity: number == 0 && self.base > 0,
                });
                track.taken = number + 1;
                took = true;
            }
            if took {
                let window = Kind::Live {
                    window: self.window,
                    earlier: track.earlier_discontinuities,
                };
                let live = playlist::media(&track.segments, window, "");
                self.media
                    .put(&format!("{folder}/live/{name}/index.m3u8"), live)
                    .await?;
                match self.keep {
                    Keep::Everything => {
                        let recorded = playlist::media(&track.segments, Kind::Event, &format!("../../live/{name}/"));
                        self.media
                            .put(&format!("{folder}/recording/{name}/index.m3u8"), recorded)
                            .await?;
                    }
                    Keep::Window => {
                        let keep = self.window + KEPT_AFTER_WINDOW;
                        let gone = track.segments.len().saturating_sub(keep);
                        for segment in track.segments.drain(..gone) {
                            track.earlier_discontinuities += usize::from(segment.discontinuity);
                            self.media
                                .delete(&format!("{folder}/live/{name}/{}.ts", segment.sequence))
                                .await?;
                        }
                    }
                }
                changed = true;
            }
        }
        Ok(changed)
    }
}

/// Makes every rung's recording of the show in `folder` final (`VOD`, `EXT-X-ENDLIST`): the show has ended.
pub async fn finish_recording(media: &MediaStore, folder: &str) -> Result<(), MediaStoreError> {
    for rung in media.folders(&format!("{folder}/recording")).await? {
        let index = format!("{folder}/recording/{rung}/index.m3u8");
        let Some(text) = media.text(&index).await? else {
            continue;
        };
        let prefix = format!("../../live/{rung}/");
        media
            .put(&index, playlist::media(&read_recording(&text), Kind::Vod, &prefix))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffmpegs_list_and_our_recording_read_back() {
        let ffmpeg = "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:3\n\
                      #EXTINF:1.001000,\nseg_00003.ts\n#EXTINF:0.967000,\nseg_00004.ts\n";
        assert_eq!(read_ffmpeg(ffmpeg), [(3, 1.001), (4, 0.967)]);
        let start = DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z").unwrap().to_utc();
        let segments = vec![
            Segment {
                sequence: 7,
                seconds: 1.0,
                date: start,
                discontinuity: false,
            },
            Segment {
                sequence: 8,
                seconds: 0.5,
                date: start,
                discontinuity: true,
            },
        ];
        assert_eq!(
            read_recording(&playlist::media(&segments, Kind::Event, "../../live/360p/")),
            segments
        );
    }
}
