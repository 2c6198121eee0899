//! What live shows cost this machine. The server runs in this process (its transcoders are its children); encoders
//! are ffmpeg publishing a prepared 720p30 clip over RTMP in a loop (`-c copy`: they cost almost nothing, as a
//! studio's encoder costs the server nothing).
//!
//! - CPU per rung: the transcoder's CPU (its own, from /proc) for one show with a ladder of that rung alone, and with
//!   the default ladder, in cores.
//! - Shows per machine: 1, 2, 3… shows at once on the default ladder until one falls behind real time: its newest
//!   segment ends more than 2.5 s before now (a show keeping up has it within about 1.5 s: a segment, and the
//!   packaging), or ffmpeg reports it under 0.97× real time.
//!
//!     cargo run --release -p caravan-server --example ingest_bench [max-shows]

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tokio::process::{Child, Command};

mod support;

const DEFAULT_LADDER: &str = "720:2000:128,360:600:96";
const WARM_UP: Duration = Duration::from_secs(12);
const MEASURE: Duration = Duration::from_secs(15);

/// A 10 s 720p30 clip with a tone, a keyframe a second, as a studio encoder sends it.
async fn prepare_clip(dir: &Path) -> anyhow::Result<PathBuf> {
    let clip = dir.join("clip.flv");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
        .args([
            "-t", "10", "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-b:v", "4000k",
        ])
        .args(["-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-f", "flv"])
        .arg(&clip)
        .status()
        .await?;
    anyhow::ensure!(status.success(), "ffmpeg could not make the clip");
    Ok(clip)
}

/// An encoder publishing `clip` to `url` in a loop, in real time.
fn publisher(clip: &Path, url: &str) -> anyhow::Result<Child> {
    Ok(Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-re",
            "-stream_loop",
            "-1",
            "-i",
        ])
        .arg(clip)
        .args(["-c", "copy", "-f", "flv", url])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?)
}

async fn operator(client: &reqwest::Client, base: &str, query: &str, variables: Value) -> anyhow::Result<Value> {
    let answer: Value = client
        .post(format!("{base}/graphql"))
        .header("authorization", "caravan-dev-operator-token")
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await?
        .json()
        .await?;
    anyhow::ensure!(answer["errors"].is_null(), "{answer}");
    Ok(answer["data"].clone())
}

/// The transcoders of this process (ffmpeg children reading FLV on stdin with a progress report): their ids.
fn transcoders() -> Vec<u32> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let parent = stat.rsplit(") ").next().and_then(|rest| rest.split(' ').nth(1));
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            parent == Some(me.as_str()) && String::from_utf8_lossy(&cmdline).contains("-progress")
        })
        .collect()
}

/// A process's CPU time so far (user and system), in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(") ").next().unwrap_or_default().split(' ').collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // SAFETY: sysconf only reads a system constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    // utime and stime are the 14th and 15th fields; the ones after the command's ") " start at the 3rd.
    (ticks(11) + ticks(12)) / per_second
}

/// How far behind now the newest segment of the show `slug` ends (its lowest rung), in seconds.
async fn lag(client: &reqwest::Client, base: &str, slug: &str) -> anyhow::Result<f64> {
    let master = client
        .get(format!("{base}/media/{slug}/live/master.m3u8"))
        .send()
        .await?
        .text()
        .await?;
    let rung = master
        .lines()
        .rfind(|line| line.ends_with(".m3u8"))
        .ok_or_else(|| anyhow::anyhow!("no rung for {slug}: {master}"))?;
    let playlist = client
        .get(format!("{base}/media/{slug}/live/{rung}"))
        .send()
        .await?
        .text()
        .await?;
    let (mut date, mut seconds) = (None, 0.0);
    for line in playlist.lines() {
        if let Some(value) = line.strip_prefix("#EXT-X-PROGRAM-DATE-TIME:") {
            date = chrono::DateTime::parse_from_rfc3339(value).ok();
        } else if let Some(value) = line.strip_prefix("#EXTINF:") {
            seconds = value.trim_end_matches(',').parse::<f64>().unwrap_or(0.0);
        }
    }
    let date = date.ok_or_else(|| anyhow::anyhow!("no segment yet for {slug}"))?;
    let end = date.timestamp_millis() as f64 / 1000.0 + seconds;
    Ok(chrono::Utc::now().timestamp_millis() as f64 / 1000.0 - end)
}

/// What `shows` shows on `ladder` cost once warm: the transcoders' cores, the slowest transcoder's speed, and the
/// most any show's newest segment lagged.
async fn run(clip: &Path, ladder: &str, shows: usize) -> anyhow::Result<(f64, f64, f64)> {
    let ladder = ladder.to_owned();
    let server = support::serve(move |config| config.ingest_ladder = ladder).await?;
    let client = reqwest::Client::new();
    let mut publishers = Vec::new();
    for n in 0..shows {
        let name = format!("show{n}");
        support::add_show(&server.store, &name).await?;
        let issued = operator(
            &client,
            &server.base,
            "mutation($e: ID!) { issueStreamKey(eventId: $e, role: PRIMARY) { rtmpUrl key } }",
            json!({ "e": format!("evt_{name}") }),
        )
        .await?;
        let key = &issued["issueStreamKey"];
        let url = format!(
            "{}/{}",
            key["rtmpUrl"].as_str().unwrap_or_default(),
            key["key"].as_str().unwrap_or_default()
        );
        publishers.push(publisher(clip, &url)?);
    }
    tokio::time::sleep(WARM_UP).await;
    let pids = transcoders();
    anyhow::ensure!(pids.len() == shows, "{} transcoders for {shows} shows", pids.len());
    let before: f64 = pids.iter().map(|&pid| cpu_seconds(pid)).sum();
    let started = Instant::now();
    let (mut slowest, mut lagged) = (f64::INFINITY, 0.0_f64);
    while started.elapsed() < MEASURE {
        tokio::time::sleep(Duration::from_secs(3)).await;
        for n in 0..shows {
            lagged = lagged.max(lag(&client, &server.base, &format!("show{n}")).await?);
            let status = operator(
                &client,
                &server.base,
                "query($s: String!) { event(slug: $s) { streamStatus { state transcoder { speed } } } }",
                json!({ "s": format!("show{n}") }),
            )
            .await?;
            let speed = status["event"]["streamStatus"]["transcoder"]["speed"]
                .as_f64()
                .unwrap_or(0.0);
            slowest = slowest.min(speed);
        }
    }
    let cores = (pids.iter().map(|&pid| cpu_seconds(pid)).sum::<f64>() - before) / started.elapsed().as_secs_f64();
    drop(publishers);
    Ok((cores, slowest, lagged))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let max_shows: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(6);
    let dir = tempfile::tempdir()?;
    let clip = prepare_clip(dir.path()).await?;
    println!("\n| ladder (720p30 input) | transcoder CPU, cores | speed, × real time | newest segment's lag, s |");
    println!("|---|---|---|---|");
    for ladder in ["720:2000:128", "360:600:96", DEFAULT_LADDER] {
        let (cores, speed, lagged) = run(&clip, ladder, 1).await?;
        println!("| {ladder} | {cores:.2} | {speed:.2} | {lagged:.1} |");
    }
    println!(
        "\n| shows at once, default ladder | transcoders' CPU, cores | slowest, × real time | most lag, s | sustained |"
    );
    println!("|---|---|---|---|---|");
    for shows in 1..=max_shows {
        let (cores, speed, lagged) = run(&clip, DEFAULT_LADDER, shows).await?;
        let sustained = speed >= 0.97 && lagged <= 2.5;
        println!(
            "| {shows} | {cores:.2} | {speed:.2} | {lagged:.1} | {} |",
            if sustained { "yes" } else { "no" }
        );
        if !sustained {
            break;
        }
    }
    Ok(())
}
