//! The viewer's display preferences: the interface's language and the theme.
//!
//! The server chooses them for the first render: `?lang=`/`?theme=` in the address (a partner's widget, or a switch
//! used without JavaScript), then the viewer's cookies, then `Accept-Language` (the theme: dark). It writes the
//! choice on `<html>` (`lang`, `data-theme`), and the page hydrates with what it finds there. The switches change
//! both in place (the video keeps playing) and keep the choice in cookies for the next visit.

use leptos::prelude::*;

use crate::i18n::{Locale, Texts};

pub const LANG_COOKIE: &str = "caravan_lang";
pub const THEME_COOKIE: &str = "caravan_theme";

/// The look: dark by default (a show is watched like a film), or light. `style/tokens.css` defines both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    Dark,
    Light,
}

impl Theme {
    pub fn tag(self) -> &'static str {
        match self {
            Theme::Dark => "dark",
            Theme::Light => "light",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Self> {
        match tag.trim() {
            "dark" => Some(Theme::Dark),
            "light" => Some(Theme::Light),
            _ => None,
        }
    }

    pub fn other(self) -> Self {
        match self {
            Theme::Dark => Theme::Light,
            Theme::Light => Theme::Dark,
        }
    }
}

/// A choice of language and theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Chosen {
    pub locale: Locale,
    pub theme: Theme,
}

impl Chosen {
    /// The choice for a request: the address's query first, then the cookies, then `Accept-Language`. Values that
    /// name nothing we have are ignored.
    pub fn from_request(query: Option<&str>, cookies: Option<&str>, accept_language: Option<&str>) -> Self {
        let asked = |key: &str, cookie: &str| {
            let from_query = query.and_then(|q| pair_value(q.split('&'), key));
            from_query
                .into_iter()
                .chain(cookies.and_then(|c| pair_value(c.split(';'), cookie)))
        };
        Self {
            locale: asked("lang", LANG_COOKIE)
                .find_map(Locale::from_tag)
                .unwrap_or_else(|| Locale::negotiate(accept_language)),
            theme: asked("theme", THEME_COOKIE)
                .find_map(Theme::from_tag)
                .unwrap_or_default(),
        }
    }

    /// The choice for the request being rendered (its parts are in the context on the server; elsewhere, the
    /// defaults).
    pub fn for_request() -> Self {
        #[cfg(feature = "ssr")]
        if let Some(parts) = use_context::<http::request::Parts>() {
            let header = |name: http::header::HeaderName| {
                let values: Vec<&str> = parts
                    .headers
                    .get_all(name)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect();
                (!values.is_empty()).then(|| values.join("; "))
            };
            return Self::from_request(
                parts.uri.query(),
                header(http::header::COOKIE).as_deref(),
                header(http::header::ACCEPT_LANGUAGE).as_deref(),
            );
        }
        Self::default()
    }
}

/// The value of `name` among `name=value` pairs (a query's, a Cookie header's).
fn pair_value<'a>(mut pairs: impl Iterator<Item = &'a str>, name: &str) -> Option<&'a str> {
    pairs.find_map(|pair| {
        pair.trim()
            .split_once('=')
            .filter(|(key, _)| *key == name)
            .map(|(_, value)| value)
    })
}

/// The page's preferences, switchable. Provided once by the app.
#[derive(Debug, Clone, Copy)]
pub struct Preferences {
    pub locale: RwSignal<Locale>,
    pub theme: RwSignal<Theme>,
}

impl Preferences {
    /// Switches the language (and remembers it for a year).
    pub fn set_locale(&self, locale: Locale) {
        self.locale.set(locale);
        remember("lang", LANG_COOKIE, locale.tag());
    }

    /// Switches the theme (and remembers it for a year).
    pub fn set_theme(&self, theme: Theme) {
        self.theme.set(theme);
        remember("theme", THEME_COOKIE, theme.tag());
    }
}

/// Provides the preferences, starting from the server's choice (the browser: from `<html>`, which the server wrote);
/// in the browser, a switch rewrites `<html lang>`, `data-theme` and the `color-scheme` meta.
pub fn provide_preferences() -> Preferences {
    let chosen = initial();
    let preferences = Preferences {
        locale: RwSignal::new(chosen.locale),
        theme: RwSignal::new(chosen.theme),
    };
    provide_context(preferences);
    #[cfg(feature = "browser")]
    Effect::new(move |_| {
        let (locale, theme) = (preferences.locale.get(), preferences.theme.get());
        let document = document();
        if let Some(root) = document.document_element() {
            let _ = root.set_attribute("lang", locale.tag());
            let _ = root.set_attribute("data-theme", theme.tag());
        }
        if let Ok(Some(meta)) = document.query_selector("meta[name=color-scheme]") {
            let _ = meta.set_attribute("content", theme.tag());
        }
    });
    preferences
}

/// On the server: the shell's choice for this request (or, rendered without the shell, the request's).
#[cfg(feature = "ssr")]
fn initial() -> Chosen {
    use_context::<Chosen>().unwrap_or_else(Chosen::for_request)
}

/// Hydrating: what the server wrote on `<html>`, so the first render matches its HTML.
#[cfg(feature = "hydrate")]
fn initial() -> Chosen {
    let root = document().document_element();
    let attribute = |name: &str| root.as_ref().and_then(|root| root.get_attribute(name));
    Chosen {
        locale: attribute("lang")
            .as_deref()
            .and_then(Locale::from_tag)
            .unwrap_or_default(),
        theme: attribute("data-theme")
            .as_deref()
            .and_then(Theme::from_tag)
            .unwrap_or_default(),
    }
}

/// Rendering in the browser alone (`trunk serve`): the same rules as the server's, with the browser's languages.
#[cfg(feature = "csr")]
fn initial() -> Chosen {
    let window = window();
    let query = window.location().search().unwrap_or_default();
    let cookies = cookies();
    let languages: Vec<String> = window
        .navigator()
        .languages()
        .iter()
        .filter_map(|language| language.as_string())
        .collect();
    Chosen::from_request(
        Some(query.trim_start_matches('?')),
        Some(&cookies),
        Some(&languages.join(",")),
    )
}

#[cfg(not(any(feature = "ssr", feature = "browser")))]
fn initial() -> Chosen {
    Chosen::default()
}

#[cfg(feature = "csr")]
fn cookies() -> String {
    use wasm_bindgen::JsCast;
    document()
        .dyn_into::<web_sys::HtmlDocument>()
        .ok()
        .and_then(|d| d.cookie().ok())
        .unwrap_or_default()
}

/// Keeps a preference in a first-party cookie for a year (a third-party frame may not keep it; the choice then lasts
/// for the page), and takes its `?key=` out of the address, which would otherwise outrank the cookie on a reload.
fn remember(key: &str, cookie: &str, value: &str) {
    #[cfg(feature = "browser")]
    {
        use wasm_bindgen::JsCast;
        if let Ok(document) = document().dyn_into::<web_sys::HtmlDocument>() {
            let _ = document.set_cookie(&format!("{cookie}={value}; Path=/; Max-Age=31536000; SameSite=Lax"));
        }
        let window = window();
        if let Ok(href) = window.location().href()
            && let Ok(url) = web_sys::Url::new(&href)
            && url.search_params().has(key)
        {
            url.search_params().delete(key);
            if let Ok(history) = window.history() {
                let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url.href()));
            }
        }
    }
    #[cfg(not(feature = "browser"))]
    let _ = (key, cookie, value);
}

/// The preferences the app provided (fixed defaults where none are, as in a component rendered alone).
pub fn use_preferences() -> Preferences {
    use_context::<Preferences>().unwrap_or_else(|| Preferences {
        locale: RwSignal::new(Locale::default()),
        theme: RwSignal::new(Theme::default()),
    })
}

/// The interface texts in the chosen language, as a signal: views that read it follow a switch.
pub fn use_texts() -> Signal<&'static Texts> {
    let locale = use_preferences().locale;
    Signal::derive(move || locale.get().texts())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_beats_the_cookie_which_beats_the_header() {
        let chosen = Chosen::from_request;
        assert_eq!(
            chosen(None, None, None),
            Chosen {
                locale: Locale::Ja,
                theme: Theme::Dark
            }
        );
        assert_eq!(chosen(None, None, Some("en-US,en;q=0.9")).locale, Locale::En);
        let cookies = "session=abc; caravan_lang=ja; caravan_theme=light";
        assert_eq!(
            chosen(None, Some(cookies), Some("en-US")),
            Chosen {
                locale: Locale::Ja,
                theme: Theme::Light
            }
        );
        assert_eq!(
            chosen(Some("mode=full&lang=en&theme=dark"), Some(cookies), None),
            Chosen {
                locale: Locale::En,
                theme: Theme::Dark
            }
        );
        // Unknown values fall through to the next source.
        assert_eq!(
            chosen(Some("lang=fr&theme=neon"), Some(cookies), None).theme,
            Theme::Light
        );
        assert_eq!(
            chosen(Some("lang=fr"), Some("caravan_lang=xx"), Some("en")).locale,
            Locale::En
        );
        // A cookie whose name only ends like ours is not ours.
        assert_eq!(chosen(None, Some("my_caravan_lang=en"), None).locale, Locale::Ja);
        assert_eq!(chosen(Some("=&&=="), Some(";;="), Some(",;")).locale, Locale::En);
    }

    #[test]
    fn themes_have_tags() {
        for theme in [Theme::Dark, Theme::Light] {
            assert_eq!(Theme::from_tag(theme.tag()), Some(theme));
            assert_eq!(theme.other().other(), theme);
        }
        assert_eq!(Theme::from_tag("Light"), None);
    }
}
