//! The RTMP listener: each connection drives a [`session::Session`] with what the socket delivers, asks the ingest
//! whether the key may publish, and feeds an accepted stream to the show's transcoder as FLV. A connection that sends
//! nothing for the idle time (10 s by default, the handshake included) is closed, and so is one that breaks the
//! protocol: its peer is logged with the reason, and nothing else is affected.

pub mod amf0;
pub mod chunk;
pub mod session;

use std::net::SocketAddr;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::watch,
};

use super::{
    Ingest, OnAir, PublishRefusal,
    flv::{self, TagType, VideoTag},
    transcode::{self, Transcoder},
};
use session::{Event, MediaKind, Metadata, Session};

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

/// The stream of an accepted publisher on its way to the transcoder.
struct Broadcast {
    on_air: OnAir,
    metadata: Metadata,
    transcoder: Option<Transcoder>,
    /// The first video tag said H.264 (checked once).
    checked: bool,
    buffer: Vec<u8>,
}

impl Broadcast {
    /// Passes one audio or video tag on, starting the transcoder at the first one; `Err` ends the publish.
    async fn media(&mut self, ingest: &Ingest, kind: MediaKind, timestamp: u32, data: &[u8]) -> Result<(), String> {
        let tag = match kind {
            MediaKind::Audio => TagType::Audio,
            MediaKind::Video => {
                if !self.checked {
                    self.checked = true;
                    if !VideoTag::parse(data).is_some_and(|tag| tag.avc) {
                        return Err("the video is not H.264: set the encoder to x264/H.264".into());
                    }
                }
                TagType::Video
            }
        };
        if self.transcoder.is_none() {
            self.transcoder = Some(self.start(ingest).await?);
        }
        self.buffer.clear();
        flv::write_tag(tag, timestamp, data, &mut self.buffer);
        let transcoder = self.transcoder.as_mut().ok_or("no transcoder")?;
        transcoder
            .write(&self.buffer)
            .await
            .map_err(|e| format!("the transcoder stopped: {e}"))
    }

    async fn start(&mut self, ingest: &Ingest) -> Result<Transcoder, String> {
        let settings = ingest.settings();
        let ffmpeg = settings
            .ffmpeg
            .as_deref()
            .ok_or("ffmpeg is not installed on the server")?;
        let height = self.metadata.height.filter(|h| *h >= 1.0).map(|h| h as u32);
        let rungs = transcode::rungs_for(&settings.ladder, height);
        let (out, url) = ingest.stream_folder(&self.on_air.event);
        let transcoder = Transcoder::start(ffmpeg, &out, &rungs, settings.segment_seconds)
            .await
            .map_err(|e| format!("cannot start the transcoder: {e}"))?;
        ingest.went_live(&self.on_air.event, &url).await;
        Ok(transcoder)
    }

    async fn finish(self) {
        if let Some(transcoder) = self.transcoder {
            transcoder.finish().await;
        }
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
                            on_air,
                            metadata: Metadata::default(),
                            transcoder: None,
                            checked: false,
                            buffer: Vec::new(),
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
                        broadcast.metadata = metadata;
                    }
                }
                Event::Media { kind, timestamp, data } => {
                    if let Some(live) = broadcast.as_mut()
                        && let Err(reason) = live.media(&ingest, kind, timestamp, &data).await
                    {
                        tracing::warn!(%peer, show = %live.on_air.event.id, reason, "publish ended");
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
        broadcast.finish().await;
    }
}

fn log_refusal(peer: SocketAddr, refusal: PublishRefusal) {
    match refusal {
        PublishRefusal::Unavailable => tracing::warn!(%peer, reason = %refusal, "publisher refused"),
        _ => tracing::info!(%peer, reason = %refusal, "publisher refused"),
    }
}
