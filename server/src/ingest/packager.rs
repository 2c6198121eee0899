//! The show's packager: takes each segment ffmpeg finishes (in a work folder of the show's, never served) into the
//! public folder under its media sequence number, and writes the playlists viewers read (`playlist`): each rung's
//! live window and recording, and the master playlists. The numbering, the dates and the recording carry on across
//! a restart of the transcoder or of the server: a session starts from the recording on disk.
//!
//! ```text
//! {media}/{folder}/live/master.m3u8            the rungs
//! {media}/{folder}/live/{rung}/index.m3u8      the live window
//! {media}/{folder}/live/{rung}/{sequence}.ts   every segment of the show
//! {media}/{folder}/recording/master.m3u8
//! {media}/{folder}/recording/{rung}/index.m3u8 every segment: EVENT while on air
//! ```

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{
    playlist::{self, Kind, Segment},
    transcode::Rung,
};

/// How much of the stream the live playlist shows: room to step back and return to live.
const WINDOW_SECONDS: u32 = 30;

/// One rung's segments so far, how many of this session's ffmpeg has finished and were taken, and how long those
/// last (the next one's date is the session's start plus that).
struct Track {
    rung: Rung,
    segments: Vec<Segment>,
    taken: u64,
    session_seconds: f64,
}

pub struct Packager {
    work: PathBuf,
    live: PathBuf,
    recording: PathBuf,
    tracks: Vec<Track>,
    /// This session's first sequence number (ffmpeg's segment N is `base + N`).
    base: u64,
    /// When this session's first frame arrived, and how far into it the rungs' segments have come.
    started: DateTime<Utc>,
    window: usize,
}

/// `path` written whole or not at all (a reader never sees half a playlist).
async fn replace(path: &Path, text: &str) -> std::io::Result<()> {
    let partial = path.with_extension("m3u8.partial");
    tokio::fs::write(&partial, text).await?;
    tokio::fs::rename(&partial, path).await
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
    /// A new session of the show's stream: `work` is ffmpeg's folder, `public` the show's media folder; `aspect` the
    /// input's width over height; `started` when its first frame arrived.
    pub async fn open(
        work: &Path,
        public: &Path,
        rungs: &[Rung],
        aspect: f64,
        segment_seconds: u32,
        started: DateTime<Utc>,
    ) -> std::io::Result<Self> {
        let (live, recording) = (public.join("live"), public.join("recording"));
        let mut tracks = Vec::new();
        let mut next = 0;
        for rung in rungs {
            tokio::fs::create_dir_all(live.join(&rung.name)).await?;
            tokio::fs::create_dir_all(recording.join(&rung.name)).await?;
            let recorded = tokio::fs::read_to_string(recording.join(&rung.name).join("index.m3u8"))
                .await
                .map(|text| read_recording(&text))
                .unwrap_or_default();
            next = next.max(recorded.last().map_or(0, |s| s.sequence + 1));
            tracks.push(Track {
                rung: rung.clone(),
                segments: recorded,
                taken: 0,
                session_seconds: 0.0,
            });
        }
        // A rung the last session did not have starts at the same number as the others.
        let master = playlist::master(rungs, aspect);
        replace(&live.join("master.m3u8"), &master).await?;
        replace(&recording.join("master.m3u8"), &master).await?;
        Ok(Self {
            work: work.to_path_buf(),
            live,
            recording,
            tracks,
            base: next,
            started,
            window: (WINDOW_SECONDS / segment_seconds.max(1)).max(6) as usize,
        })
    }

    /// Takes the segments ffmpeg has finished since the last call into the public folder and rewrites the playlists
    /// of the rungs that got one; whether any did.
    /// Whether viewers can play the stream: every rung has a segment of this session.
    pub fn playable(&self) -> bool {
        self.tracks.iter().all(|track| track.taken > 0)
    }

    pub async fn poll(&mut self) -> std::io::Result<bool> {
        let mut changed = false;
        for track in &mut self.tracks {
            let folder = self.work.join(&track.rung.name);
            let Ok(text) = tokio::fs::read_to_string(folder.join("index.m3u8")).await else {
                continue;
            };
            let mut took = false;
            for (number, seconds) in read_ffmpeg(&text) {
                if number < track.taken {
                    continue;
                }
                let sequence = self.base + number;
                let into = self.live.join(&track.rung.name).join(format!("{sequence}.ts"));
                let from = folder.join(format!("seg_{number:05}.ts"));
                if tokio::fs::rename(&from, &into).await.is_err() {
                    // Another file system: copy, then remove.
                    tokio::fs::copy(&from, &into).await?;
                    let _ = tokio::fs::remove_file(&from).await;
                }
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
                let name = &track.rung.name;
                let live = playlist::media(&track.segments, Kind::Live { window: self.window }, "");
                replace(&self.live.join(name).join("index.m3u8"), &live).await?;
                let recorded = playlist::media(&track.segments, Kind::Event, &format!("../../live/{name}/"));
                replace(&self.recording.join(name).join("index.m3u8"), &recorded).await?;
                changed = true;
            }
        }
        Ok(changed)
    }
}

/// Makes every rung's recording under `recording` final (`VOD`, `EXT-X-ENDLIST`): the show has ended.
pub async fn finish_recording(recording: &Path) -> std::io::Result<()> {
    let mut rungs = match tokio::fs::read_dir(recording).await {
        Ok(rungs) => rungs,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    while let Some(rung) = rungs.next_entry().await? {
        let index = rung.path().join("index.m3u8");
        let Ok(text) = tokio::fs::read_to_string(&index).await else {
            continue;
        };
        let prefix = format!("../../live/{}/", rung.file_name().to_string_lossy());
        replace(&index, &playlist::media(&read_recording(&text), Kind::Vod, &prefix)).await?;
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
