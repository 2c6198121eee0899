//! Outgoing HTTP: the one way this server calls other servers (DRM license servers, the OIDC issuer), over rustls
//! with the ring provider and the system's certificate store.

use std::time::Duration;

/// Chooses the TLS provider for the process (once; later calls do nothing). Tests and tools that build their own
/// `reqwest` clients call it first.
pub fn install_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client for calls that must finish within `timeout`. It follows no redirects: a third party cannot send our
/// credentials somewhere else.
pub fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    install_tls();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}
