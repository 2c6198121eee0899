//! The show's transcoder: one ffmpeg reading the publisher's stream as FLV on its stdin and writing the adaptive
//! ladder as HLS (MPEG-TS segments of `segment_seconds`, keyframes forced at each segment's start so every rung cuts
//! at the same moments, AAC audio). It is killed with the server, and by the kernel if the server dies
//! (`tools::bound_to_server`).

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    process::{Child, ChildStdin, Command},
};

use super::flv;
use crate::store::TranscoderReading;

/// One rung of the ladder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rung {
    /// The rung's folder and label (`720p`, `source`).
    pub name: String,
    pub height: u32,
    pub video_kbps: u32,
    pub audio_kbps: u32,
    /// The encoder's own picture, copied rather than encoded (the passthrough rung).
    pub source: Option<SourcePicture>,
}

/// What the passthrough rung's playlist says of the encoder's picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePicture {
    pub width: u32,
    /// `avc1.PPCCLL`, from the encoder's decoder configuration.
    pub codecs: String,
}

impl Rung {
    pub fn new(height: u32, video_kbps: u32, audio_kbps: u32) -> Self {
        Self {
            name: format!("{height}p"),
            height,
            video_kbps,
            audio_kbps,
            source: None,
        }
    }

    /// The encoder's picture as it comes, `width`×`height` at about `video_kbps`, with the audio of `audio_kbps`.
    pub fn passthrough(picture: SourcePicture, height: u32, video_kbps: u32, audio_kbps: u32) -> Self {
        Self {
            name: "source".into(),
            height,
            video_kbps,
            audio_kbps,
            source: Some(picture),
        }
    }
}

/// What one show encodes in real time on a 2-core machine beside the server: 720p and 360p.
pub fn default_ladder() -> Vec<Rung> {
    vec![Rung::new(720, 2000, 128), Rung::new(360, 600, 96)]
}

/// The rungs for an input `height` pixels high: none above it, and always the lowest (an input smaller than every
/// rung is sent at that rung's size). All of them while the height is not known.
pub fn rungs_for(ladder: &[Rung], height: Option<u32>) -> Vec<Rung> {
    let Some(height) = height else {
        return ladder.to_vec();
    };
    let mut rungs: Vec<Rung> = ladder.iter().filter(|r| r.height <= height).cloned().collect();
    if rungs.is_empty()
        && let Some(lowest) = ladder.iter().min_by_key(|r| r.height)
    {
        rungs.push(lowest.clone());
    }
    rungs
}

/// The ladder with the encoder's own picture (`height` pixels high, as `size` says, of `codecs`) on top, copied: the
/// encoded rungs below it (none at or above its height), always the lowest. Its bitrate is what the encoder says of
/// itself, or twice the top encoded rung's.
pub fn with_passthrough(ladder: &[Rung], size: super::InputSize, height: u32, codecs: String) -> Vec<Rung> {
    let below: Vec<Rung> = rungs_for(ladder, Some(height.saturating_sub(1)));
    let top = below.first().or(ladder.first());
    let video_kbps = size
        .video_kbps
        .filter(|kbps| (100..=100_000).contains(kbps))
        .unwrap_or_else(|| top.map_or(4000, |rung| rung.video_kbps * 2));
    let audio_kbps = top.map_or(128, |rung| rung.audio_kbps);
    let width = size.width.unwrap_or_else(|| super::playlist::width(height, 16.0 / 9.0));
    let source = Rung::passthrough(SourcePicture { width, codecs }, height, video_kbps, audio_kbps);
    std::iter::once(source).chain(below).collect()
}

/// ffmpeg's arguments: FLV from stdin, the ladder as HLS into the current folder (a folder per rung, with ffmpeg's
/// own list of the segments it finished, which the packager reads: viewers get the server's playlists). An input
/// without audio (`audio` false) gets a silent track, paced by the clock, so every rung still has the AAC its
/// playlist says.
pub fn arguments(rungs: &[Rung], segment_seconds: u32, audio: bool) -> Vec<String> {
    let mut args = Vec::new();
    let mut push = |items: &[&str]| args.extend(items.iter().map(|item| (*item).to_owned()));
    push(&[
        "-hide_banner",
        "-loglevel",
        "error",
        // Its speed and dropped frames, every second on stdout (`Progress`).
        "-progress",
        "pipe:1",
        "-stats_period",
        "1",
        "-fflags",
        "+genpts",
        "-f",
        "flv",
        "-i",
        "pipe:0",
    ]);
    if !audio {
        push(&[
            "-re",
            "-f",
            "lavfi",
            "-i",
            "anullsrc=channel_layout=stereo:sample_rate=48000",
        ]);
    }
    let audio_input = if audio { "0:a:0" } else { "1:a:0" };
    // The encoded rungs share one decode of the input, split and scaled; a passthrough rung maps the input itself.
    let encoded: Vec<usize> = (0..rungs.len()).filter(|&i| rungs[i].source.is_none()).collect();
    if !encoded.is_empty() {
        let splits: String = encoded.iter().map(|i| format!("[s{i}]")).collect();
        let scales: Vec<String> = encoded
            .iter()
            .map(|&i| format!("[s{i}]scale=-2:{}[v{i}]", rungs[i].height))
            .collect();
        let graph = format!("[0:v]split={}{splits};{}", encoded.len(), scales.join(";"));
        push(&["-filter_complex", &graph]);
    }
    for (i, rung) in rungs.iter().enumerate() {
        if rung.source.is_some() {
            push(&["-map", "0:v:0", "-map", audio_input]);
            push(&[&format!("-b:a:{i}"), &format!("{}k", rung.audio_kbps)]);
            continue;
        }
        let kbps = rung.video_kbps;
        push(&["-map", &format!("[v{i}]"), "-map", audio_input]);
        push(&[&format!("-b:v:{i}"), &format!("{kbps}k")]);
        push(&[&format!("-maxrate:v:{i}"), &format!("{}k", kbps * 11 / 10)]);
        push(&[&format!("-bufsize:v:{i}"), &format!("{}k", kbps * 2)]);
        push(&[&format!("-b:a:{i}"), &format!("{}k", rung.audio_kbps)]);
        // The profile and level the master playlist's CODECS says (per rung: a copied picture takes neither).
        push(&[&format!("-profile:v:{i}"), "high"]);
        push(&[&format!("-level:v:{i}"), super::playlist::level(rung.height).0]);
    }
    push(&["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency"]);
    // After the encoder for every rung: the passthrough rung's is none.
    for (i, _) in rungs.iter().enumerate().filter(|(_, rung)| rung.source.is_some()) {
        push(&[&format!("-c:v:{i}"), "copy"]);
    }
    push(&["-pix_fmt", "yuv420p", "-sc_threshold", "0"]);
    push(&["-force_key_frames", &format!("expr:gte(t,n_forced*{segment_seconds})")]);
    push(&["-c:a", "aac", "-ac", "2", "-ar", "48000"]);
    if !audio {
        // The silence ends with the picture.
        push(&["-shortest"]);
    }
    // The packager takes each segment away within a tenth of a second: a short list is plenty.
    push(&[
        "-f",
        "hls",
        "-hls_time",
        &segment_seconds.to_string(),
        "-hls_list_size",
        "20",
    ]);
    push(&[
        "-hls_flags",
        "independent_segments+temp_file",
        "-hls_segment_type",
        "mpegts",
    ]);
    let map: Vec<String> = rungs
        .iter()
        .enumerate()
        .map(|(i, rung)| format!("v:{i},a:{i},name:{}", rung.name))
        .collect();
    push(&["-var_stream_map", &map.join(" ")]);
    push(&["-hls_segment_filename", "%v/seg_%05d.ts", "%v/index.m3u8"]);
    args
}

/// ffmpeg's progress report (`-progress`): blocks of `key=value` lines, each ended by `progress=…`.
#[derive(Debug, Default)]
pub struct Progress {
    speed: Option<f64>,
    dropped_frames: u64,
}

impl Progress {
    /// One line of the report; at the end of a block, the reading it gives.
    pub fn line(&mut self, line: &str) -> Option<TranscoderReading> {
        let (key, value) = line.trim().split_once('=')?;
        let value = value.trim();
        match key {
            // `1.02x`, or `N/A` before it knows.
            "speed" => self.speed = value.strip_suffix('x').and_then(|v| v.trim().parse().ok()),
            "drop_frames" => self.dropped_frames = value.parse().unwrap_or(self.dropped_frames),
            "progress" => {
                return Some(TranscoderReading {
                    speed: self.speed,
                    dropped_frames: self.dropped_frames,
                });
            }
            _ => {}
        }
        None
    }
}

/// A running transcoder.
pub struct Transcoder {
    child: Child,
    stdin: Option<ChildStdin>,
    out: PathBuf,
    /// Its last progress report.
    reading: Arc<Mutex<Option<TranscoderReading>>>,
}

impl Transcoder {
    /// Starts ffmpeg writing into `out` (emptied first: a new stream starts from nothing) and sends it the FLV
    /// header.
    pub async fn start(
        ffmpeg: &Path,
        out: &Path,
        rungs: &[Rung],
        segment_seconds: u32,
        audio: bool,
    ) -> std::io::Result<Self> {
        let _ = tokio::fs::remove_dir_all(out).await;
        for rung in rungs {
            tokio::fs::create_dir_all(out.join(&rung.name)).await?;
        }
        let mut command = Command::new(ffmpeg);
        command
            .current_dir(out)
            .args(arguments(rungs, segment_seconds, audio))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = crate::tools::bound_to_server(&mut command).spawn()?;
        crate::tools::log_stderr(&mut child, "ffmpeg");
        let reading = Arc::new(Mutex::new(None));
        if let Some(stdout) = child.stdout.take() {
            let reading = reading.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stdout).lines();
                let mut progress = Progress::default();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(now) = progress.line(&line) {
                        *reading.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(now);
                    }
                }
            });
        }
        let mut stdin = child.stdin.take();
        if let Some(stdin) = stdin.as_mut() {
            stdin.write_all(&flv::header(audio)).await?;
        }
        tracing::info!(pid = child.id(), out = %out.display(), "transcoder started");
        Ok(Self {
            child,
            stdin,
            out: out.to_path_buf(),
            reading,
        })
    }

    /// How it keeps up, as it last reported (nothing in its first second).
    pub fn reading(&self) -> Option<TranscoderReading> {
        *self.reading.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends FLV tags; an error means ffmpeg has gone.
    pub async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self.stdin.as_mut() {
            Some(stdin) => stdin.write_all(bytes).await,
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        }
    }

    /// Ends the input and lets ffmpeg write its last segments (killing it if it takes longer than a few seconds).
    pub async fn finish(mut self) {
        drop(self.stdin.take());
        match tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await {
            Ok(status) => tracing::info!(?status, out = %self.out.display(), "transcoder finished"),
            Err(_) => {
                let _ = self.child.kill().await;
                tracing::warn!(out = %self.out.display(), "the transcoder did not finish in time: killed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_rung_is_above_the_input_and_the_lowest_always_stays() {
        let ladder = vec![
            Rung::new(1080, 4500, 128),
            Rung::new(720, 2000, 128),
            Rung::new(360, 600, 96),
        ];
        let names = |height| {
            rungs_for(&ladder, height)
                .into_iter()
                .map(|r| r.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(Some(1080)), ["1080p", "720p", "360p"]);
        assert_eq!(names(Some(720)), ["720p", "360p"]);
        assert_eq!(names(Some(240)), ["360p"]);
        assert_eq!(names(None), ["1080p", "720p", "360p"]);
    }

    #[test]
    fn the_passthrough_rung_is_the_encoders_picture_copied_above_the_encoded_ones() {
        let size = crate::ingest::InputSize {
            width: Some(1280),
            height: Some(720),
            video_kbps: Some(3500),
        };
        let rungs = with_passthrough(&default_ladder(), size, 720, "avc1.64001f".into());
        let names: Vec<_> = rungs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["source", "360p"], "no encoded rung at the input's height");
        assert_eq!(
            (rungs[0].height, rungs[0].video_kbps, rungs[0].audio_kbps),
            (720, 3500, 96)
        );
        let said_nothing = crate::ingest::InputSize {
            video_kbps: None,
            ..size
        };
        assert_eq!(
            with_passthrough(&default_ladder(), said_nothing, 720, "x".into())[0].video_kbps,
            1200
        );

        let args = arguments(&rungs, 1, true).join(" ");
        assert!(args.contains("[0:v]split=1[s1];[s1]scale=-2:360[v1]"), "{args}");
        assert!(args.contains("-map 0:v:0 -map 0:a:0 -b:a:0 96k -map [v1]"), "{args}");
        assert!(args.contains("-c:v:0 copy"), "{args}");
        assert!(!args.contains("-b:v:0"), "the copy has the encoder's rate: {args}");
        assert!(
            args.contains("-var_stream_map v:0,a:0,name:source v:1,a:1,name:360p"),
            "{args}"
        );
        let master = crate::ingest::playlist::master(&rungs, 16.0 / 9.0);
        assert!(
            master.contains("BANDWIDTH=3946000,AVERAGE-BANDWIDTH=3596000,RESOLUTION=1280x720,CODECS=\"avc1.64001f,mp4a.40.2\"\nsource/index.m3u8"),
            "{master}"
        );
    }

    #[test]
    fn progress_reports_give_the_speed_and_the_dropped_frames_at_each_block_end() {
        let mut progress = Progress::default();
        let block = |progress: &mut Progress, lines: &str| lines.lines().filter_map(|l| progress.line(l)).last();
        let first = "frame=12\nfps=0.0\ndrop_frames=0\nspeed=N/A\nprogress=continue";
        assert_eq!(
            block(&mut progress, first),
            Some(TranscoderReading {
                speed: None,
                dropped_frames: 0
            })
        );
        let next = "frame=40\ndrop_frames=2\nspeed=0.98x\nprogress=continue";
        assert_eq!(
            block(&mut progress, next),
            Some(TranscoderReading {
                speed: Some(0.98),
                dropped_frames: 2
            })
        );
        assert_eq!(block(&mut progress, "garbage\nspeed=\n=\n"), None);
    }

    #[test]
    fn every_rung_is_mapped_with_its_bitrates_and_keyframes_at_each_segment() {
        let args = arguments(&default_ladder(), 1, true).join(" ");
        assert!(
            args.contains("[0:v]split=2[s0][s1];[s0]scale=-2:720[v0];[s1]scale=-2:360[v1]"),
            "{args}"
        );
        assert!(
            args.contains(
                "-b:v:0 2000k -maxrate:v:0 2200k -bufsize:v:0 4000k -b:a:0 128k -profile:v:0 high -level:v:0 3.1"
            ),
            "{args}"
        );
        assert!(args.contains("-force_key_frames expr:gte(t,n_forced*1)"), "{args}");
        assert!(
            args.contains("-var_stream_map v:0,a:0,name:720p v:1,a:1,name:360p"),
            "{args}"
        );
        assert!(args.contains("-hls_time 1 -hls_list_size 20"), "{args}");
        assert!(!args.contains("anullsrc") && !args.contains("-shortest"), "{args}");
    }

    #[test]
    fn an_input_without_audio_gets_silence_that_ends_with_the_picture() {
        let args = arguments(&default_ladder(), 1, false).join(" ");
        assert!(
            args.contains("-i pipe:0 -re -f lavfi -i anullsrc=channel_layout=stereo:sample_rate=48000"),
            "{args}"
        );
        assert!(
            args.contains("-map [v0] -map 1:a:0") && args.contains("-map [v1] -map 1:a:0"),
            "{args}"
        );
        assert!(args.contains("-shortest -f hls"), "{args}");
    }
}
