//! One file per page.

#[cfg(feature = "console")]
mod admin_page;
mod embed_page;
#[cfg(feature = "console")]
mod gallery_page;
mod home_page;
mod live_page;
mod not_found_page;

#[cfg(feature = "console")]
pub use admin_page::AdminPage;
pub use embed_page::EmbedPage;
#[cfg(feature = "console")]
pub use gallery_page::GalleryPage;
pub use home_page::HomePage;
pub use live_page::{LivePage, show_of_route};
pub use not_found_page::NotFoundPage;

/// The address of a show's page. The slug is percent-encoded, so whatever an operator names a show, the path is
/// valid (and a valid `Location` header for the server-side redirect).
pub fn live_path(slug: &str) -> String {
    format!("/live/{}", path_segment(slug))
}

/// `text` percent-encoded as one segment of a path (everything but RFC 3986's unreserved characters).
pub fn path_segment(text: &str) -> String {
    let mut segment = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            segment.push(byte as char);
        } else {
            segment.push_str(&format!("%{byte:02X}"));
        }
    }
    segment
}

#[cfg(test)]
mod tests {
    use super::live_path;

    #[test]
    fn slugs_become_valid_paths() {
        assert_eq!(live_path("demo"), "/live/demo");
        assert_eq!(live_path("spring-sale_2026"), "/live/spring-sale_2026");
        assert_eq!(live_path("春 sale/1"), "/live/%E6%98%A5%20sale%2F1");
    }
}
