//! The demo's live stream: ffmpeg writing a sliding-window HLS stream (360p and 720p, MPEG-TS segments of 2 s, a
//! clock over a test pattern and a tone), run as a supervised child process: restarted with backoff when it exits,
//! stopped with the server, and killed by the kernel if the server dies.

use std::{path::PathBuf, process::Stdio, time::Duration};

use tokio::{process::Command, sync::watch};

use super::DEMO_LIVE;

/// Keeps the demo's live stream running until `stop` turns true.
#[tracing::instrument(name = "demo_live_encoder", skip_all)]
pub async fn supervise_demo_live(media_dir: PathBuf, mut stop: watch::Receiver<bool>) {
    let out = media_dir.join(DEMO_LIVE);
    let mut backoff = Duration::from_secs(1);
    loop {
        // A stream restarts from nothing: stale playlists would end it (#EXT-X-ENDLIST) for players.
        let _ = tokio::fs::remove_dir_all(&out).await;
        if let Err(e) = tokio::fs::create_dir_all(&out).await {
            tracing::error!(error = %e, "cannot create {}", out.display());
            return;
        }
        let mut child = match live_command(&out).spawn() {
            Ok(child) => child,
            Err(e) => {
                tracing::error!(error = %e, "cannot start ffmpeg for the demo stream (is ffmpeg installed?)");
                return;
            }
        };
        tracing::info!(
            pid = child.id(),
            "demo live stream started: /media/{DEMO_LIVE}/master.m3u8"
        );
        crate::tools::log_stderr(&mut child, "ffmpeg");
        let started = tokio::time::Instant::now();
        tokio::select! {
            status = child.wait() => {
                if started.elapsed() > Duration::from_secs(60) {
                    backoff = Duration::from_secs(1);
                }
                tracing::warn!(?status, retry_in = ?backoff, "the demo stream's ffmpeg exited");
            }
            () = stopped(&mut stop) => {
                let _ = child.kill().await;
                return;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = stopped(&mut stop) => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

/// Resolves once the server is stopping.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// ffmpeg writing the live stream into `out` (its working directory).
fn live_command(out: &std::path::Path) -> Command {
    let video = "testsrc2=size=1280x720:rate=30,\
                 drawtext=font=Sans:text='Caravan Live Demo %{localtime}':fontsize=56:fontcolor=white:\
                 box=1:boxcolor=black@0.55:boxborderw=16:x=(w-tw)/2:y=48";
    let mut command = Command::new("ffmpeg");
    command
        .current_dir(out)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        .args(["-re", "-f", "lavfi", "-i", video])
        .args([
            "-re",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000:beep_factor=4",
        ])
        .args([
            "-filter_complex",
            "[0:v]split=2[a][b];[a]scale=640:360[v360];[b]null[v720]",
        ])
        .args(["-map", "[v360]", "-map", "1:a", "-map", "[v720]", "-map", "1:a"])
        .args(["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency"])
        .args(["-g", "60", "-keyint_min", "60", "-sc_threshold", "0"])
        .args(["-b:v:0", "600k", "-maxrate:v:0", "700k", "-bufsize:v:0", "1200k"])
        .args(["-b:v:1", "2000k", "-maxrate:v:1", "2200k", "-bufsize:v:1", "4000k"])
        .args(["-c:a", "aac", "-b:a", "96k", "-ac", "2"])
        .args([
            "-f",
            "hls",
            "-hls_time",
            "2",
            // 30 s in the playlist: room to step back and return to live.
            "-hls_list_size",
            "15",
            "-hls_delete_threshold",
            "2",
        ])
        .args([
            "-hls_flags",
            "delete_segments+program_date_time+independent_segments+temp_file",
        ])
        .args(["-hls_segment_type", "mpegts", "-master_pl_name", "master.m3u8"])
        .args(["-var_stream_map", "v:0,a:0,name:360p v:1,a:1,name:720p"])
        .args(["-hls_segment_filename", "%v/seg_%05d.ts", "%v/index.m3u8"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    crate::tools::bound_to_server(&mut command);
    command
}
