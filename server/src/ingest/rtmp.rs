//! The RTMP listener: each connection drives a [`session::Session`] with what the socket delivers, asks the ingest
//! whether the key may publish, and feeds an accepted stream to the show's channel (spliced with its other encoder,
//! on to the transcoder). A connection that sends
//! nothing for the idle time (10 s by default, the handshake included) is closed, and so is one that breaks the
//! protocol: its peer is logged with the reason, and nothing else is affected.

pub mod amf0;
pub mod chunk;
pub mod session;

use std::{net::SocketAddr, sync::Arc};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::watch,
};

use super::{Channel, Ingest, InputSize, OnAir, PublishRefusal, flv::VideoTag};
use session::{Event, MediaKind, Session};

/// Accepts publishers until `stop` turns true.
#[tracing::instrument(name = "rtmp_listener", skip_all, fields(addr = ?listener.local_addr().ok()))]
pub async fn serve(listener: TcpListener, ingest: Ingest, mut stop: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stopping| *stopping) => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                let ingest = ingest.clone();
                let mut stop = stop.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        () = connection(stream, peer, ingest) => {}
                        _ = stop.wait_for(|stopping| *stopping) => {}
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot accept an RTMP connection");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

/// An accepted publisher: its show's channel, and what it said of its stream.
struct Broadcast {
    on_air: OnAir,
    channel: Arc<tokio::sync::Mutex<Channel>>,
    size: InputSize,
    /// The first video tag said H.264 (checked once).
    checked: bool,
    /// The timestamp of the first audio tag while no video has come.
    audio_since: Option<u32>,
}

/// Audio alone for this long (of the stream's time) ends the publish: a show needs a picture.
const NO_VIDEO_MS: u32 = 5_000;

impl Broadcast {
    /// Passes one audio or video tag to the show's channel; `Err` ends the publish.
    async fn media(&mut self, ingest: &Ingest, kind: MediaKind, timestamp: u32, data: &[u8]) -> Result<(), String> {
        if kind == MediaKind::Audio && !self.checked {
            let since = *self.audio_since.get_or_insert(timestamp);
            if timestamp.saturating_sub(since) >= NO_VIDEO_MS {
                return Err("the stream has no video: add a video source (H.264) to the encoder".into());
            }
        }
        if kind == MediaKind::Video && !self.checked {
            self.checked = true;
            if !VideoTag::parse(data).is_some_and(|tag| tag.avc) {
                return Err("the video is not H.264: set the encoder to x264/H.264".into());
            }
        }
        let mut channel = self.channel.lock().await;
        ingest
            .media(&mut channel, self.on_air.role, self.size, (kind, timestamp, data))
            .await
    }

    async fn finish(self, ingest: &Ingest) {
        ingest.gone(&self.on_air.event.id, self.on_air.role).await;
        tracing::info!(show = %self.on_air.event.id, role = self.on_air.role.as_str(), "publisher gone");
    }
}

/// One publisher's connection, to its end.
async fn connection(mut stream: TcpStream, peer: SocketAddr, ingest: Ingest) {
    let mut random = [0u8; 1536];
    if getrandom::fill(&mut random).is_err() {
        return;
    }
    let _ = stream.set_nodelay(true);
    let idle = ingest.settings().idle;
    let mut session = Session::new(random);
    let mut broadcast: Option<Broadcast> = None;
    let mut buf = vec![0u8; 64 * 1024];
    'connection: loop {
        let read = match tokio::time::timeout(idle, stream.read(&mut buf)).await {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                tracing::info!(%peer, error = %e, "RTMP connection lost");
                break;
            }
            Err(_) => {
                tracing::info!(%peer, idle_s = idle.as_secs(), "RTMP publisher sent nothing: ended");
                break;
            }
        };
        let events = match session.feed(&buf[..read]) {
            Ok(events) => events,
            Err(e) => {
                tracing::warn!(%peer, error = %e, "RTMP connection refused");
                break;
            }
        };
        let mut refused = false;
        for event in events {
            match event {
                Event::PublishRequested { app, key } => match ingest.admit(&app, &key).await {
                    Ok(on_air) => {
                        tracing::info!(%peer, show = %on_air.event.id, role = on_air.role.as_str(), "publisher on air");
                        session.accept();
                        broadcast = Some(Broadcast {
                            channel: ingest.channel(&on_air.event),
                            on_air,
                            size: InputSize::default(),
                            checked: false,
                            audio_since: None,
                        });
                    }
                    Err(refusal) => {
                        log_refusal(peer, refusal);
                        session.reject(&refusal.to_string());
                        refused = true;
                    }
                },
                Event::Metadata(metadata) => {
                    if let Some(broadcast) = broadcast.as_mut() {
                        let pixels = |n: Option<f64>| n.filter(|n| (1.0..=8640.0).contains(n)).map(|n| n as u32);
                        broadcast.size = InputSize {
                            width: pixels(metadata.width),
                            height: pixels(metadata.height),
                        };
                    }
                }
                Event::Media { kind, timestamp, data } => {
                    if let Some(live) = broadcast.as_mut()
                        && let Err(reason) = live.media(&ingest, kind, timestamp, &data).await
                    {
                        tracing::warn!(%peer, show = %live.on_air.event.id, reason, "publish ended");
                        // The encoder is told why; it reads that between its writes, so the connection stays
                        // (what it sends dropped) until it leaves, for a few seconds at most.
                        session.end_publish(&reason);
                        let _ = stream.write_all(&session.take_output()).await;
                        let drain = async { while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {} };
                        let _ = tokio::time::timeout(std::time::Duration::from_secs(3), drain).await;
                        break 'connection;
                    }
                }
                Event::Unpublished => break 'connection,
            }
        }
        let output = session.take_output();
        if !output.is_empty() && stream.write_all(&output).await.is_err() {
            break;
        }
        if refused {
            // The encoder reads the refusal, then the connection ends.
            let _ = stream.shutdown().await;
            break;
        }
    }
    if let Some(broadcast) = broadcast {
        broadcast.finish(&ingest).await;
    }
}

fn log_refusal(peer: SocketAddr, refusal: PublishRefusal) {
    match refusal {
        PublishRefusal::Unavailable | PublishRefusal::NoTranscoder => {
            tracing::warn!(%peer, reason = %refusal, "publisher refused");
        }
        _ => tracing::info!(%peer, reason = %refusal, "publisher refused"),
    }
}
