use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

use crate::{
    api::{CONFIG_ELEMENT_ID, ClientConfig},
    preferences::{Chosen, provide_preferences},
    routes::{AdminPage, EmbedPage, GalleryPage, HomePage, LivePage, NotFoundPage},
};

/// The HTML document around the app, rendered on the server. `options.site_pkg_dir` names the content-hashed folder
/// of this build's bundle, so every file under it can be cached for a year.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let stylesheet = format!("/{}/caravan.css", options.site_pkg_dir);
    // hls.js, deferred: it downloads alongside the app's bundle and runs before the app hydrates.
    let hls_js = format!("/{}/hls.min.js", options.site_pkg_dir);
    // Where the page finds the API (see api::ClientConfig); the server provides it for each render.
    let config = use_context::<ClientConfig>().map(|config| config.to_script_json());
    // The viewer's language and theme, on <html> before the first paint (no flash); the app hydrates with them.
    let chosen = Chosen::for_request();
    // The app starts from the same choice (read once per request).
    provide_context(chosen);
    view! {
        <!DOCTYPE html>
        <html lang=chosen.locale.tag() data-theme=chosen.theme.tag()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
                <meta name="color-scheme" content=chosen.theme.tag() />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" href=stylesheet />
                <script src=hls_js defer></script>
                <script id=CONFIG_ELEMENT_ID type="application/json" inner_html=config></script>
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The app's routes. `/live/:slug` renders in `SsrMode::Async` so the server knows the event (and so the status
/// code: 404 for an unknown slug) before it sends the first byte.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_preferences();
    view! {
        <Title formatter=|title: String| {
            let title = if title.is_empty() { "Caravan".to_string() } else { format!("{title} · Caravan") };
            // leptos_meta 0.8 writes the server's <title> as it is, unescaped: a show's title could end the element.
            // Escaped there; the browser sets document.title as text.
            if cfg!(feature = "ssr") { escape_text(&title) } else { title }
        } />
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                <Route path=path!("/live/:slug") view=LivePage ssr=SsrMode::Async />
                <Route path=path!("/admin/:slug") view=AdminPage ssr=SsrMode::Async />
                <Route path=path!("/embed/:slug") view=EmbedPage ssr=SsrMode::Async />
                <Route path=path!("/dev/gallery") view=GalleryPage />
            </Routes>
        </Router>
    }
}

/// `text` as HTML text: `&`, `<` and `>` as entities.
fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_cannot_become_markup() {
        assert_eq!(
            super::escape_text("</title><script>x</script> & more"),
            "&lt;/title&gt;&lt;script&gt;x&lt;/script&gt; &amp; more"
        );
    }
}
