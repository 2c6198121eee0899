//! The demo's on-demand media, made once on the first start in demo mode and kept:
//! - `demo/archive/`: the recording a show plays once it has ended: 20 s of HLS in fMP4 (360p and 720p), with
//!   English captions (WebVTT) so the player's captions have something to show;
//! - `demo/clearkey/`: the same recording encrypted with CENC for the ClearKey CDM (Shaka Packager), for paid shows.
//!   Its key is written to `<data_dir>/keys/demo-clearkey.json`, outside the served media directory.
//!
//! ffmpeg encodes one clear mezzanine per rendition; both outputs are packaged from it, so one encode serves both.
//! Each output is built in a work folder and then written to the media store, its playlists after what they list, so
//! a crash leaves nothing a player can find half-made.

use std::{
    io,
    path::{Path, PathBuf},
    process::Stdio,
    time::Instant,
};

use tokio::process::Command;

use super::{DEMO_ARCHIVE, DEMO_CLEARKEY};
use crate::{
    media_store::{MediaStore, MediaStoreError},
    secret::hex,
};

/// Length of the recording.
const SECONDS: u32 = 20;

/// Where the demo's on-demand media is made, and with which tools.
#[derive(Debug, Clone)]
pub struct DemoVod {
    /// Where the media is served from.
    pub media: MediaStore,
    /// Scratch space for the mezzanine and the packaged outputs (not served).
    pub work_dir: PathBuf,
    /// Where the ClearKey variant's key is kept (not served).
    pub key_file: PathBuf,
    /// The Shaka Packager binary, when installed; without it the ClearKey variant is skipped (the start-up summary
    /// says so).
    pub packager: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Store(#[from] MediaStoreError),
    #[error("{tool} failed ({status}): {stderr}")]
    Tool {
        tool: &'static str,
        status: std::process::ExitStatus,
        stderr: String,
    },
}

impl DemoVod {
    /// The ClearKey variant's key: the one kept in the key file, or a new one written there.
    pub async fn content_key(&self) -> io::Result<ContentKey> {
        ContentKey::load_or_create(&self.key_file).await
    }

    /// Makes whatever is missing; returns what it made.
    pub async fn prepare(&self) -> Result<Vec<&'static str>, MediaError> {
        let packager = match self.packager.as_deref() {
            Some(packager) if !self.media.exists(&format!("{DEMO_CLEARKEY}/master.m3u8")).await? => Some(packager),
            _ => None,
        };
        let want_archive = !self.media.exists(&format!("{DEMO_ARCHIVE}/master.m3u8")).await?;
        if !want_archive && packager.is_none() {
            return Ok(Vec::new());
        }
        let started = Instant::now();
        let _ = tokio::fs::remove_dir_all(&self.work_dir).await;
        tokio::fs::create_dir_all(&self.work_dir).await?;
        run("ffmpeg", &mut encode_mezzanine(&self.work_dir)).await?;

        let mut made = Vec::new();
        if want_archive {
            let partial = self.work_dir.join("archive");
            run("ffmpeg", &mut package_archive(&self.work_dir, &partial)).await?;
            write_captions(&partial).await?;
            self.media.put_folder(DEMO_ARCHIVE, &partial).await?;
            made.push(DEMO_ARCHIVE);
        }
        if let Some(packager) = packager {
            let key = self.content_key().await?;
            let partial = self.work_dir.join("clearkey");
            run(
                "packager",
                &mut package_clearkey(packager, &self.work_dir, &partial, &key),
            )
            .await?;
            for playlist in ["master.m3u8", "360p/index.m3u8", "720p/index.m3u8", "audio/index.m3u8"] {
                let path = partial.join(playlist);
                let text = tokio::fs::read_to_string(&path).await?;
                tokio::fs::write(&path, clearkey_keyformat(&text)).await?;
            }
            self.media.put_folder(DEMO_CLEARKEY, &partial).await?;
            made.push(DEMO_CLEARKEY);
        }
        let _ = tokio::fs::remove_dir_all(&self.work_dir).await;
        tracing::info!(?made, elapsed = ?started.elapsed(), "made the demo's on-demand media");
        Ok(made)
    }
}

/// The key of the ClearKey variant (hex), kept so the media and the license server agree across restarts.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentKey {
    pub key_id: String,
    pub key: String,
}

impl ContentKey {
    /// The key kept in `path`, if there is one.
    pub async fn read(path: &Path) -> Option<Self> {
        serde_json::from_str(&tokio::fs::read_to_string(path).await.ok()?).ok()
    }

    async fn load_or_create(path: &Path) -> io::Result<Self> {
        if let Some(key) = Self::read(path).await {
            return Ok(key);
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| io::Error::other(format!("no randomness: {e}")))?;
        let key = Self {
            key_id: hex(&bytes[..16]),
            key: hex(&bytes[16..]),
        };
        let json = serde_json::to_vec(&key).map_err(io::Error::other)?;
        crate::secret::write_private_file(path, &json)?;
        Ok(key)
    }
}

async fn run(tool: &'static str, command: &mut Command) -> Result<(), MediaError> {
    let output = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output()
        .await?;
    if output.status.success() {
        Ok(())
    } else {
        Err(MediaError::Tool {
            tool,
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr)
                .trim()
                .chars()
                .take(2000)
                .collect(),
        })
    }
}

/// One encode: 360p and 720p H.264 with a keyframe every 2 s (the segment length), and AAC audio.
fn encode_mezzanine(work: &Path) -> Command {
    let video = format!(
        "testsrc2=size=1280x720:rate=30:duration={SECONDS},\
         drawtext=font=Sans:text='Caravan Demo Archive %{{pts\\:hms}}':fontsize=56:fontcolor=white:\
         box=1:boxcolor=black@0.55:boxborderw=16:x=(w-tw)/2:y=48"
    );
    let audio = format!("sine=frequency=660:sample_rate=48000:beep_factor=4:duration={SECONDS}");
    let x264 = [
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-g",
        "60",
        "-keyint_min",
        "60",
        "-sc_threshold",
        "0",
    ];
    let mut command = Command::new("ffmpeg");
    command
        .current_dir(work)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(["-f", "lavfi", "-i", &video, "-f", "lavfi", "-i", &audio])
        .args([
            "-filter_complex",
            "[0:v]split=2[a][b];[a]scale=640:360[v360];[b]null[v720]",
        ])
        .args(["-map", "[v360]", "-an"])
        .args(x264)
        .args(["-b:v", "500k", "v360.mp4"])
        .args(["-map", "[v720]", "-an"])
        .args(x264)
        .args(["-b:v", "1500k", "v720.mp4"])
        .args([
            "-map",
            "1:a",
            "-vn",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            "-ac",
            "2",
            "audio.mp4",
        ]);
    command
}

/// The mezzanine cut into 2 s fMP4 segments, unchanged: a VOD master playlist with both renditions.
fn package_archive(work: &Path, out: &Path) -> Command {
    let mut command = Command::new("ffmpeg");
    command
        .current_dir(work)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(["-i", "v360.mp4", "-i", "v720.mp4", "-i", "audio.mp4"])
        .args(["-map", "0:v", "-map", "2:a", "-map", "1:v", "-map", "2:a", "-c", "copy"])
        .args(["-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod"])
        .args(["-hls_segment_type", "fmp4", "-hls_flags", "independent_segments"])
        .args(["-master_pl_name", "master.m3u8"])
        .args(["-var_stream_map", "v:0,a:0,name:360p v:1,a:1,name:720p"])
        .arg("-hls_segment_filename")
        .arg(out.join("%v/seg_%03d.m4s"))
        .arg(out.join("%v/index.m3u8"));
    command
}

/// The mezzanine encrypted (CENC, raw key, no clear lead) and cut into 2 s segments by Shaka Packager.
fn package_clearkey(packager: &Path, work: &Path, out: &Path, key: &ContentKey) -> Command {
    let stream = |input: &str, kind: &str, name: &str, extra: &str| {
        let dir = out.join(name);
        format!(
            "in={input},stream={kind},init_segment={}/init.mp4,segment_template={}/$Number$.m4s,\
             playlist_name={name}/index.m3u8{extra}",
            dir.display(),
            dir.display(),
        )
    };
    let mut command = Command::new(packager);
    command
        .current_dir(work)
        .arg(stream("v360.mp4", "video", "360p", ""))
        .arg(stream("v720.mp4", "video", "720p", ""))
        .arg(stream(
            "audio.mp4",
            "audio",
            "audio",
            ",hls_group_id=audio,hls_name=audio",
        ))
        .args(["--enable_raw_key_encryption", "--keys"])
        .arg(format!("label=:key_id={}:key={}", key.key_id, key.key))
        .args(["--protection_scheme", "cenc", "--protection_systems", "CommonSystem"])
        // The default clear lead leaves the first segments unencrypted: a broken DRM path would seem to play.
        .args([
            "--clear_lead",
            "0",
            "--segment_duration",
            "2",
            "--hls_playlist_type",
            "VOD",
        ])
        .arg("--hls_master_playlist_output")
        .arg(out.join("master.m3u8"));
    command
}

/// Shaka Packager marks raw keys `KEYFORMAT="identity"`, which hls.js ignores; players find the ClearKey CDM by
/// `org.w3.clearkey`.
fn clearkey_keyformat(playlist: &str) -> String {
    playlist.replace(
        "KEYFORMAT=\"identity\"",
        "KEYFORMAT=\"org.w3.clearkey\",KEYFORMATVERSIONS=\"1\"",
    )
}

/// Adds English captions: one WebVTT file (a cue every 4 s) in a subtitles playlist, announced in the master
/// playlist as the `subs` group of every rendition.
async fn write_captions(out: &Path) -> io::Result<()> {
    let subs = out.join("subs");
    tokio::fs::create_dir_all(&subs).await?;
    tokio::fs::write(subs.join("captions.vtt"), captions_vtt()).await?;
    tokio::fs::write(
        subs.join("index.m3u8"),
        format!(
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{SECONDS}\n#EXT-X-PLAYLIST-TYPE:VOD\n\
             #EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:{SECONDS}.000,\ncaptions.vtt\n#EXT-X-ENDLIST\n"
        ),
    )
    .await?;
    let master = out.join("master.m3u8");
    let text = tokio::fs::read_to_string(&master).await?;
    tokio::fs::write(&master, with_subtitles(&text)).await
}

fn captions_vtt() -> String {
    let stamp = |s: u32| format!("00:00:{s:02}.000");
    let mut vtt = String::from("WEBVTT\n\n");
    for (i, start) in (0..SECONDS).step_by(4).enumerate() {
        vtt += &format!(
            "{}\n{} --> {}\nCaravan demo: caption {} of {}\n\n",
            i + 1,
            stamp(start),
            stamp(start + 4),
            i + 1,
            SECONDS / 4
        );
    }
    vtt
}

/// The master playlist with a `subs` subtitles group added to every variant stream.
fn with_subtitles(master: &str) -> String {
    let media = "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=NO,\
                 AUTOSELECT=YES,URI=\"subs/index.m3u8\"";
    let mut out = String::new();
    for line in master.lines() {
        if line.starts_with("#EXT-X-STREAM-INF:") {
            if !out.contains(media) {
                out += media;
                out.push('\n');
            }
            out += line;
            out += ",SUBTITLES=\"subs\"";
        } else {
            out += line;
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_gets_the_subtitles_group_once() {
        let master = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=640x360\n360p/index.m3u8\n\
                      #EXT-X-STREAM-INF:BANDWIDTH=2,RESOLUTION=1280x720\n720p/index.m3u8\n";
        let out = with_subtitles(master);
        assert_eq!(out.matches("TYPE=SUBTITLES").count(), 1, "{out}");
        assert_eq!(out.matches(",SUBTITLES=\"subs\"").count(), 2, "{out}");
        assert!(out.find("TYPE=SUBTITLES").unwrap() < out.find("#EXT-X-STREAM-INF").unwrap());
    }

    #[test]
    fn captions_cover_the_recording() {
        let vtt = captions_vtt();
        assert!(vtt.starts_with("WEBVTT\n\n"));
        assert_eq!(vtt.matches(" --> ").count(), 5);
        assert!(vtt.contains("00:00:16.000 --> 00:00:20.000"));
    }

    #[test]
    fn raw_keys_are_announced_for_the_clearkey_cdm() {
        let line = "#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI=\"data:text/plain;base64,ASNFZ4mrze8BI0VniavN7w==\",\
                    KEYFORMAT=\"identity\"";
        let out = clearkey_keyformat(line);
        assert!(
            out.ends_with("KEYFORMAT=\"org.w3.clearkey\",KEYFORMATVERSIONS=\"1\""),
            "{out}"
        );
    }
}
