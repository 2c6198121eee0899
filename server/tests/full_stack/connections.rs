//! What one client can hold: a socket that trickles its headers (slowloris) is closed, and one address holds at most
//! its cap of connections, WebSockets included, giving a place back when one closes.

use std::time::{Duration, Instant};

use crate::support::{TestApp, ws::Ws};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Reads until the server closes the connection (or `limit` passes: `None`).
async fn closed_within(socket: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout(limit.saturating_sub(started.elapsed()), socket.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

/// A whole request on `socket`: the status line's code.
async fn healthz(socket: &mut TcpStream) -> u16 {
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = [0u8; 256];
    let read = socket.read(&mut buffer).await.unwrap();
    let head = String::from_utf8_lossy(&buffer[..read]);
    head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_trickling_its_headers_is_closed() {
    let app = TestApp::spawn_configured(|config| config.header_read_timeout_ms = 1000).await;
    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
        .await
        .unwrap();
    // A byte every 300 ms never finishes the headers in time.
    let trickle = async {
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if slow.write_all(b"a").await.is_err() {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(4), trickle).await.ok();
    let closed = closed_within(&mut slow, Duration::from_secs(2)).await;
    assert!(closed.is_some(), "the trickling socket is still open after 4 s");
    // Meanwhile, and after, the server answers others.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_at_most_its_cap_of_connections() {
    let app = TestApp::spawn_configured(|config| config.max_connections_per_address = 3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(app.addr).await.unwrap());
    }
    // The fourth is closed as soon as it is accepted.
    let mut over = TcpStream::connect(app.addr).await.unwrap();
    assert!(closed_within(&mut over, Duration::from_secs(2)).await.is_some());
    // The three are served.
    assert_eq!(healthz(&mut held[0]).await, 200);
    // One closes: its place is free again.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = TcpStream::connect(app.addr).await.unwrap();
    assert_eq!(healthz(&mut again).await, 200);

    // WebSockets count for as long as they are open (after their upgrade too).
    drop(held);
    drop(again);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let auth = crate::support::ws::header_protocol(&app.viewer_auth());
    let mut sockets = Vec::new();
    for _ in 0..3 {
        sockets.push(Ws::connect(&app.ws_url(), &["graphql-ws", &auth], &[]).await);
    }
    let mut over = TcpStream::connect(app.addr).await.unwrap();
    assert!(closed_within(&mut over, Duration::from_secs(2)).await.is_some());
    drop(sockets);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut after = TcpStream::connect(app.addr).await.unwrap();
    assert_eq!(healthz(&mut after).await, 200);
}
