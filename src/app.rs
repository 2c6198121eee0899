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
    routes::{EmbedPage, HomePage, LivePage, NotFoundPage},
};

/// The HTML document around the app, rendered on the server. `options.site_pkg_dir` names the content-hashed folder
/// of this build's bundle, so every file under it can be cached for a year.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let options = with_bundle_of_page(options);
    let stylesheet = format!("/{}/caravan.css", options.site_pkg_dir);
    // hls.js, deferred: it runs before the player's bootstrap and before the app hydrates.
    let hls_js = format!("/{}/hls.min.js", options.site_pkg_dir);
    // Then the player's bootstrap, which starts the show's stream before the app has loaded (use_hls/start.js).
    let player_start_js = format!("/{}/player-start.js", options.site_pkg_dir);
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
                <script src=player_start_js defer></script>
                <script id=CONFIG_ELEMENT_ID type="application/json" inner_html=config></script>
                <AppScript options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Loads the page's bundle and hydrates (Leptos's `HydrationScripts`, without its wasm preload). On a page whose player
/// starts before the app (`<video data-start>`, see `use_hls/start.js`), the bundle is fetched once the first frame
/// plays, so on a slow network the stream's first segments do not share it with the app; the app comes at once when
/// the bootstrap started nothing or cannot go on alone (a failed stream, a refused autoplay), when the viewer touches
/// or types, and after `APP_AFTER_MS` at the latest. Taps on what the app answers before it has come are held and made
/// again once it has.
#[component]
fn AppScript(options: LeptosOptions) -> impl IntoView {
    let pkg = format!("/{}/{}", options.site_pkg_dir, options.output_name);
    let (js, wasm) = (format!("{pkg}.js"), format!("{pkg}_bg.wasm"));
    #[cfg(feature = "ssr")]
    let nonce = leptos::nonce::use_nonce();
    #[cfg(not(feature = "ssr"))]
    let nonce = None::<String>;
    let script = format!("({HYDRATE_JS})({js:?}, {wasm:?}, {APP_AFTER_MS});");
    view! {
        <link rel="modulepreload" href=js />
        <script type="module" nonce=nonce>{script}</script>
    }
}

/// The app's bundle comes at the latest this long after the page, first frame or not.
const APP_AFTER_MS: u32 = 6_000;

const HYDRATE_JS: &str = r#"(js, wasm, latest) => {
  let asked = false;
  // A tap on what the app answers (a button; a link marked data-in-place, which the app follows without loading the
  // page again) before the app has come is held, and made again once it has: it is not lost, and a switch does not
  // reload the page, and the video, behind it. Should the app fail to come, the held taps go to the browser.
  let holding = true;
  const held = [];
  const replay = () => {
    holding = false;
    for (const target of held.splice(0)) if (target.isConnected) target.click();
  };
  const hydrate = () => {
    if (asked) return;
    asked = true;
    import(js).then((app) => app.default({ module_or_path: wasm }).then(() => app.hydrate())).finally(replay);
  };
  addEventListener("click", (event) => {
    const target = holding && event.target instanceof Element && event.target.closest("button, [data-in-place]");
    if (!target) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    held.push(target);
    hydrate();
  }, { capture: true });
  const video = document.querySelector("video[data-start]");
  if (!video || !(window.caravanStartedPlayer || video.getAttribute("src")) || !video.paused) return hydrate();
  for (const event of ["playing", "error", "caravanappwanted"]) video.addEventListener(event, hydrate);
  // A viewer who reaches for the page wants it to answer: the app comes now.
  for (const event of ["pointerdown", "keydown"]) addEventListener(event, hydrate, { capture: true, passive: true });
  setTimeout(hydrate, latest);
}"#;

/// The bundle a page loads: the console's on the console's pages and the gallery, the viewers' everywhere else (see
/// `AppRoutes`). Both are in the build's pkg folder: `{name}.js` and `{name}_bg.wasm`.
#[cfg(feature = "ssr")]
fn with_bundle_of_page(mut options: LeptosOptions) -> LeptosOptions {
    if use_context::<http::request::Parts>().is_some_and(|request| is_console_path(request.uri.path())) {
        options.output_name = CONSOLE_BUNDLE.into();
    }
    options
}

/// The console's bundle (`hydrate,console`); the viewers' is `LeptosOptions::output_name`.
#[cfg(feature = "ssr")]
const CONSOLE_BUNDLE: &str = "caravan_console";

/// Whether `path` is under the console's pages (`/admin/{slug}`) or the gallery's (`/dev/gallery`): the console's
/// bundle has every route, so whatever the router makes of a path there (a trailing slash, a 404) hydrates.
#[cfg(any(feature = "ssr", test))]
fn is_console_path(path: &str) -> bool {
    path.starts_with("/admin/") || path.starts_with("/dev/")
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
            <AppRoutes />
        </Router>
    }
}

/// The pages every bundle has, then `$console`'s.
macro_rules! routes_and {
    ($($console:tt)*) => {
        view! {
            <Routes fallback=NotFoundPage>
                <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                <Route path=path!("/live/:slug") view=LivePage ssr=SsrMode::Async />
                <Route path=path!("/embed/:slug") view=EmbedPage ssr=SsrMode::Async />
                $($console)*
            </Routes>
        }
    };
}

/// The pages, with the console's and the designers' gallery where the `console` feature is on: on the server, in
/// `trunk serve` and in the console's bundle, never in the viewers' bundle (see `Cargo.toml`).
#[cfg(feature = "console")]
#[component]
fn AppRoutes() -> impl IntoView {
    use crate::routes::{AdminPage, GalleryPage};
    routes_and! {
        <Route path=path!("/admin/:slug") view=AdminPage ssr=SsrMode::Async />
        <Route path=path!("/dev/gallery") view=GalleryPage />
    }
}

#[cfg(not(feature = "console"))]
#[component]
fn AppRoutes() -> impl IntoView {
    routes_and! {}
}

/// `text` as HTML text: `&`, `<` and `>` as entities.
fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_console_and_the_gallery_load_the_console_bundle() {
        use super::is_console_path;
        for console in ["/admin/demo", "/admin/demo/", "/dev/gallery", "/admin/demo/unknown"] {
            assert!(is_console_path(console), "{console}");
        }
        for viewer in ["/", "/live/demo", "/embed/demo", "/admin", "/administer", "/unknown"] {
            assert!(!is_console_path(viewer), "{viewer}");
        }
    }

    #[test]
    fn text_cannot_become_markup() {
        assert_eq!(
            super::escape_text("</title><script>x</script> & more"),
            "&lt;/title&gt;&lt;script&gt;x&lt;/script&gt; &amp; more"
        );
    }
}
