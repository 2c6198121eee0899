//! The RTMP listener: each connection drives a [`session::Session`] with what the socket delivers, asks the ingest
//! whether the key may publish, and feeds an accepted stream to the show's channel (spliced with its other encoder,
//! on to the transcoder). A connection that sends
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

use super::{Ingest, PublishRefusal, publisher::Broadcast};
use session::{Event, Session};

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
                        broadcast = Some(Broadcast::new(&ingest, on_air));
                    }
                    Err(refusal) => {
                        log_refusal(peer, refusal);
                        session.reject(&refusal.to_string());
                        refused = true;
                    }
                },
                Event::Metadata(metadata) => {
                    if let Some(broadcast) = broadcast.as_mut() {
                        broadcast.metadata(&metadata);
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

pub(super) fn log_refusal(peer: SocketAddr, refusal: PublishRefusal) {
    match refusal {
        PublishRefusal::Unavailable | PublishRefusal::NoTranscoder => {
            tracing::warn!(%peer, reason = %refusal, "publisher refused");
        }
        _ => tracing::info!(%peer, reason = %refusal, "publisher refused"),
    }
}
