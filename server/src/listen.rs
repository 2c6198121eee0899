//! Accepting connections, with what a server facing the internet needs and `axum::serve` does not offer: a client
//! must send its request's headers within `header_read` (a socket trickling a byte at a time is closed), and one
//! address holds at most `per_address` connections at once (WebSockets included, for as long as they are open; a
//! connection over the cap is closed as soon as it is accepted). Every connection carries its peer's address
//! (`ConnectInfo<SocketAddr>`), and shutting down stops accepting, lets requests in flight finish, and returns once
//! every connection is closed.

use std::{
    collections::HashMap,
    future::Future,
    io,
    net::IpAddr,
    pin::{Pin, pin},
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use axum::{Extension, Router, body::Body, extract::ConnectInfo, http::Request};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto::Builder,
    service::TowerToHyperService,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::watch,
};
use tower::ServiceExt;

/// What one connection may do.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// The longest a client may take to send a request's headers.
    pub header_read: Duration,
    /// Connections one address may hold at once; 0: no cap.
    pub per_address: usize,
}

/// Open connections per address.
#[derive(Debug, Default)]
struct OpenCounts(Mutex<HashMap<IpAddr, usize>>);

impl OpenCounts {
    /// One more connection from `address`, or `None` when it holds `cap` already.
    fn open(self: &Arc<Self>, address: IpAddr, cap: usize) -> Option<Slot> {
        let mut counts = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = counts.entry(address).or_default();
        if cap > 0 && *count >= cap {
            return None;
        }
        *count += 1;
        Some(Slot {
            counts: self.clone(),
            address,
        })
    }
}

/// A connection's place in its address's count, given back when the connection's socket is dropped.
#[derive(Debug)]
struct Slot {
    counts: Arc<OpenCounts>,
    address: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = counts.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.address);
            }
        }
    }
}

/// A socket that holds its slot: an upgraded WebSocket keeps counting until it is closed.
struct Counted {
    stream: TcpStream,
    _slot: Slot,
}

impl AsyncRead for Counted {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then until every connection has closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let counts = Arc::new(OpenCounts::default());
    // Closed when shutting down; each connection task holds a receiver, so `closed()` says when all are gone.
    let (stopping, stop) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = counts.open(remote.ip(), limits.per_address) else {
            tracing::warn!(client = %remote.ip(), "connection refused: too many open from this address");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(Counted { stream, _slot: slot });
        let service = router
            .clone()
            .layer(Extension(ConnectInfo(remote)))
            .map_request(|request: Request<Incoming>| request.map(Body::new));
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let mut builder = Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read);
            builder.http2().timer(TokioTimer::new()).enable_connect_protocol();
            let mut connection = pin!(builder.serve_connection_with_upgrades(io, TowerToHyperService::new(service)));
            let mut stopping = false;
            loop {
                tokio::select! {
                    result = connection.as_mut() => {
                        if let Err(error) = result {
                            tracing::debug!(%error, "connection ended");
                        }
                        break;
                    }
                    _ = stop.changed(), if !stopping => {
                        stopping = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
        });
    }
    drop(listener);
    // Every connection is told to finish; this function's own receiver goes, so `closed` waits for theirs only.
    drop(stop);
    let _ = stopping.send(());
    stopping.closed().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_its_cap_and_a_closed_connection_gives_its_place_back() {
        let counts = Arc::new(OpenCounts::default());
        let a: IpAddr = "198.51.100.7".parse().unwrap();
        let first = counts.open(a, 2).unwrap();
        let _second = counts.open(a, 2).unwrap();
        assert!(counts.open(a, 2).is_none());
        assert!(counts.open("198.51.100.8".parse().unwrap(), 2).is_some());
        drop(first);
        assert!(counts.open(a, 2).is_some());
        let unlimited: Vec<_> = (0..100).map(|_| counts.open(a, 0).unwrap()).collect();
        assert_eq!(unlimited.len(), 100);
    }
}
