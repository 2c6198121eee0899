//! The demo's live show, broadcast the way an operator's is: ffmpeg makes a test pattern with a clock and a tone and
//! publishes it over RTMP into the server's own ingest, which transcodes it into the ladder, writes the playlists and
//! tells pages it is live, like any show. So `./dev run` exercises ingest → ladder → playlists → player.
//!
//! One replica at a time broadcasts (the lead `demo-broadcast`): it issues itself the show's primary key and runs
//! the publisher, restarted with backoff when it exits, stopped with the server, and killed by the kernel if the
//! server dies. The key is never logged (ffmpeg's words about its URL are logged with the key hidden).

use std::{net::SocketAddr, process::Stdio, time::Duration};

use tokio::{process::Command, sync::watch};

use crate::{
    ingest::{APP, Ingest},
    lead,
    store::{KeyRole, Store},
};

/// The lead whose holder broadcasts the demo.
const LEAD: &str = "demo-broadcast";

/// Broadcasts the demo show `event_id` into `ingest` whenever this replica leads, until `stop` turns true.
pub async fn broadcast_demo(store: Store, ingest: Ingest, event_id: String, stop: watch::Receiver<bool>) {
    let Some(listener) = ingest.settings().rtmp_addr else {
        tracing::warn!("the demo's live show is not broadcast: the RTMP ingest is off (CARAVAN_RTMP_ADDR)");
        return;
    };
    lead::while_leading(store, LEAD, stop, move |quit| {
        broadcast(ingest.clone(), event_id.clone(), listener, quit)
    })
    .await;
}

#[tracing::instrument(name = "demo_broadcast", skip_all, fields(show = %event_id))]
async fn broadcast(ingest: Ingest, event_id: String, listener: SocketAddr, mut stop: watch::Receiver<bool>) {
    let key = match ingest.issue_key(&event_id, KeyRole::Primary).await {
        Ok(issued) => issued.key,
        Err(e) => {
            tracing::error!(error = %e, "cannot issue the demo's stream key");
            return;
        }
    };
    // The listener's own address, or this machine's when it listens on every address.
    let host = match listener.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_owned(),
        ip if ip.is_unspecified() => "[::1]".to_owned(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let url = format!("rtmp://{host}:{}/{APP}/{key}", listener.port());
    let frames_per_keyframe = 30 * ingest.settings().segment_seconds;
    let mut backoff = Duration::from_secs(1);
    loop {
        let mut child = match publisher(&url, frames_per_keyframe).spawn() {
            Ok(child) => child,
            Err(e) => {
                tracing::error!(error = %e, "cannot start ffmpeg for the demo's broadcast (is ffmpeg installed?)");
                return;
            }
        };
        tracing::info!(pid = child.id(), "the demo's broadcast started");
        crate::tools::log_stderr_hiding(&mut child, "ffmpeg", key.clone());
        let started = tokio::time::Instant::now();
        tokio::select! {
            status = child.wait() => {
                if started.elapsed() > Duration::from_secs(60) {
                    backoff = Duration::from_secs(1);
                }
                tracing::warn!(?status, retry_in = ?backoff, "the demo's broadcast ended");
            }
            () = stopped(&mut stop) => {
                let _ = child.kill().await;
                return;
            }
        }
        if lead::stopped_within(&mut stop, backoff).await {
            return;
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

/// Resolves once the server is stopping.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// ffmpeg as the demo's encoder: 720p at 30 fps with the clock and a beeping tone, a keyframe at every segment's
/// start, published over RTMP as OBS would.
fn publisher(url: &str, frames_per_keyframe: u32) -> Command {
    let video = "testsrc2=size=1280x720:rate=30,\
                 drawtext=font=Sans:text='Caravan Live Demo %{localtime}':fontsize=56:fontcolor=white:\
                 box=1:boxcolor=black@0.55:boxborderw=16:x=(w-tw)/2:y=48";
    let gop = frames_per_keyframe.to_string();
    let mut command = Command::new("ffmpeg");
    command
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        .args(["-re", "-f", "lavfi", "-i", video])
        .args([
            "-re",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000:beep_factor=4",
        ])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"])
        .args([
            "-g",
            &gop,
            "-keyint_min",
            &gop,
            "-sc_threshold",
            "0",
            "-pix_fmt",
            "yuv420p",
        ])
        .args(["-b:v", "2500k", "-maxrate", "2500k", "-bufsize", "5000k"])
        .args(["-c:a", "aac", "-b:a", "128k", "-ac", "2"])
        .args(["-f", "flv", url])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    crate::tools::bound_to_server(&mut command);
    command
}
