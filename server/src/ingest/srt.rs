//! The SRT listener. An encoder calls with its stream key in the stream id (SRT's access-control syntax,
//! `#!::r=live/{key},m=publish`, or `live/{key}`, or the key alone) and, when the server has one, its passphrase
//! (AES, set per connection). A wrong key, a second publisher on a key in use, a show on air through another server
//! and a caller that wants to read rather than publish are rejected in the handshake, with SRT's codes (the encoder
//! shows "Forbidden", "Conflict", …). An accepted stream's MPEG-TS is remuxed to FLV by ffmpeg (`-c copy`: nothing
//! is decoded) and goes on as an RTMP publisher's does (`publisher::Broadcast`): the same checks, the same splice
//! with the show's other encoder, the same transcoder. A caller silent for the idle time is ended.

use std::{net::SocketAddr, path::Path, process::Stdio};

use futures_util::StreamExt;
use srt_protocol::{
    access::{RejectReason, ServerRejectReason},
    settings::{KeySettings, KeySize, Passphrase},
};
use srt_tokio::{ConnectionRequest, SrtIncoming, SrtListener, SrtSocket};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    process::{Child, Command},
    sync::watch,
};

use super::{
    APP, Ingest, PublishRefusal,
    flv::{self, Reader},
    publisher::Broadcast,
    rtmp::{
        amf0, log_refusal,
        session::{MediaKind, Metadata},
    },
};

/// A bound SRT listener, and the callers it receives.
pub struct Listener(SrtListener, SrtIncoming);

/// Binds the SRT listener to `addr` (UDP): it, and the address it got (an ephemeral port in tests).
pub async fn bind(addr: SocketAddr) -> std::io::Result<(Listener, SocketAddr)> {
    let socket = tokio::net::UdpSocket::bind(addr).await?;
    let local = socket.local_addr()?;
    let (listener, incoming) = SrtListener::builder().socket(socket).bind(local).await?;
    Ok((Listener(listener, incoming), local))
}

/// Accepts callers until `stop` turns true.
#[tracing::instrument(name = "srt_listener", skip_all)]
pub async fn serve(listener: Listener, ingest: Ingest, mut stop: watch::Receiver<bool>) {
    let Listener(_listener, mut incoming) = listener;
    loop {
        let request = tokio::select! {
            request = incoming.incoming().next() => request,
            _ = stop.wait_for(|stopping| *stopping) => return,
        };
        let Some(request) = request else {
            return;
        };
        let ingest = ingest.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = caller(request, ingest) => {}
                _ = stop.wait_for(|stopping| *stopping) => {}
            }
        });
    }
}

/// The stream key a caller's stream id carries, if it asks to publish: `#!::r=live/KEY,m=publish` (the mode may be
/// left out; `u=` and other keys are ignored), `live/KEY` or `KEY`.
pub fn key_of(stream_id: &str) -> Option<String> {
    let resource = match stream_id.strip_prefix("#!::") {
        Some(entries) => {
            let mut resource = None;
            for entry in entries.split(',') {
                match entry.split_once('=') {
                    Some(("r", value)) => resource = Some(value),
                    Some(("m", mode)) if mode != "publish" => return None,
                    _ => {}
                }
            }
            resource?
        }
        None => stream_id,
    };
    let key = resource.strip_prefix(&format!("{APP}/")).unwrap_or(resource);
    let valid =
        !key.is_empty() && key.len() <= 128 && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
    valid.then(|| key.to_owned())
}

/// SRT's words for a refusal.
fn reject_reason(refusal: PublishRefusal) -> RejectReason {
    RejectReason::Server(match refusal {
        PublishRefusal::UnknownApp | PublishRefusal::UnknownKey => ServerRejectReason::Forbidden,
        PublishRefusal::InUse | PublishRefusal::OnAnotherServer => ServerRejectReason::Conflict,
        PublishRefusal::Ended => ServerRejectReason::Notfound,
        PublishRefusal::NoTranscoder | PublishRefusal::Unavailable => ServerRejectReason::Down,
    })
}

/// One caller, to its end.
async fn caller(request: ConnectionRequest, ingest: Ingest) {
    let peer = request.remote();
    let Some(key) = request.stream_id().and_then(|id| key_of(id.as_str())) else {
        tracing::info!(%peer, "SRT caller refused: its stream id names no stream key to publish with");
        let _ = request.reject(RejectReason::Server(ServerRejectReason::BadMode)).await;
        return;
    };
    let on_air = match ingest.admit(APP, &key).await {
        Ok(on_air) => on_air,
        Err(refusal) => {
            log_refusal(peer, refusal);
            let _ = request.reject(reject_reason(refusal)).await;
            return;
        }
    };
    let passphrase = ingest.settings().srt_passphrase.as_ref();
    let encryption = passphrase
        .and_then(|p| Passphrase::try_from(p.expose().clone()).ok())
        .map(|passphrase| KeySettings {
            key_size: KeySize::AES128,
            passphrase,
        });
    let mut broadcast = Broadcast::new(&ingest, on_air);
    let socket = match request.accept(encryption).await {
        Ok(socket) => socket,
        Err(e) => {
            // A wrong passphrase ends here: the key is free again, and so is the show's lead.
            tracing::info!(%peer, error = %e, "SRT caller left during the handshake");
            broadcast.finish(&ingest).await;
            return;
        }
    };
    tracing::info!(%peer, show = %broadcast.on_air.event.id, role = broadcast.on_air.role.as_str(), "SRT publisher on air");
    if let Err(reason) = publish(socket, &mut broadcast, &ingest, peer).await {
        tracing::warn!(%peer, show = %broadcast.on_air.event.id, reason, "publish ended");
    }
    broadcast.finish(&ingest).await;
}

/// ffmpeg turning MPEG-TS on its stdin into FLV on its stdout, copying the streams (one picture, one sound).
fn remuxer(ffmpeg: &Path) -> std::io::Result<Child> {
    let mut command = Command::new(ffmpeg);
    command
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        .args([
            "-fflags",
            "+nobuffer",
            "-probesize",
            "500000",
            "-analyzeduration",
            "1000000",
        ])
        .args(["-f", "mpegts", "-i", "pipe:0"])
        .args(["-map", "0:v:0", "-map", "0:a:0?", "-c", "copy"])
        .args(["-f", "flv", "-flvflags", "no_duration_filesize", "pipe:1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    crate::tools::bound_to_server(&mut command);
    command.spawn()
}

/// Feeds the caller's stream through the remuxer to its show, until either ends: `Err` says why it ended early.
async fn publish(
    mut socket: SrtSocket,
    broadcast: &mut Broadcast,
    ingest: &Ingest,
    peer: SocketAddr,
) -> Result<(), String> {
    let ffmpeg = ingest
        .settings()
        .ffmpeg
        .as_deref()
        .ok_or("ffmpeg is not installed on the server")?;
    let mut remux = remuxer(ffmpeg).map_err(|e| format!("cannot start the remuxer: {e}"))?;
    crate::tools::log_stderr(&mut remux, "ffmpeg (SRT remux)");
    let (Some(mut stdin), Some(mut stdout)) = (remux.stdin.take(), remux.stdout.take()) else {
        return Err("the remuxer has no pipes".into());
    };
    let idle = ingest.settings().idle;
    // The caller's packets into the remuxer; its stdin closes when the caller goes, and the remuxer then ends.
    let forward = tokio::spawn(async move {
        loop {
            match tokio::time::timeout(idle, socket.next()).await {
                Ok(Some(Ok((_, packet)))) => {
                    if stdin.write_all(&packet).await.is_err() {
                        return "the remuxer stopped".to_owned();
                    }
                }
                Ok(Some(Err(e))) => return format!("the connection was lost: {e}"),
                Ok(None) => return "the caller closed the connection".to_owned(),
                Err(_) => return format!("the caller sent nothing for {} s", idle.as_secs()),
            }
        }
    });
    let mut reader = Reader::default();
    let mut buf = vec![0u8; 64 * 1024];
    let result = loop {
        let read = match stdout.read(&mut buf).await {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) => break Err(format!("cannot read the remuxer: {e}")),
        };
        let tags = match reader.push(&buf[..read]) {
            Ok(tags) => tags,
            Err(e) => break Err(format!("the remuxer's output: {e}")),
        };
        if let Err(reason) = pass_on(tags, broadcast, ingest).await {
            break Err(reason);
        }
    };
    forward.abort();
    if let Ok(said) = forward.await {
        tracing::info!(%peer, reason = said, "SRT caller gone");
    }
    let _ = remux.kill().await;
    result
}

/// The tags the remuxer made, to the show: audio and video as they are, the metadata's picture size.
async fn pass_on(tags: Vec<flv::Tag>, broadcast: &mut Broadcast, ingest: &Ingest) -> Result<(), String> {
    for tag in tags {
        let kind = match tag.kind {
            8 => MediaKind::Audio,
            9 => MediaKind::Video,
            18 => {
                if let Some(metadata) = amf0::decode(&tag.body)
                    .ok()
                    .and_then(|values| Metadata::from_data(&values))
                {
                    broadcast.metadata(&metadata);
                }
                continue;
            }
            _ => continue,
        };
        broadcast.media(ingest, kind, tag.timestamp, &tag.body).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_id_carries_the_key_to_publish_with() {
        assert_eq!(
            key_of("#!::r=live/abc-DEF_123,m=publish").as_deref(),
            Some("abc-DEF_123")
        );
        assert_eq!(key_of("#!::u=studio,r=abc").as_deref(), Some("abc"));
        assert_eq!(key_of("live/abc").as_deref(), Some("abc"));
        assert_eq!(key_of("abc").as_deref(), Some("abc"));
        for refused in [
            "#!::r=live/abc,m=request",
            "#!::m=publish",
            "",
            "live/",
            "live/../etc",
            "a b",
            &"k".repeat(129),
        ] {
            assert_eq!(key_of(refused), None, "{refused}");
        }
    }
}
