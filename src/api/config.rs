//! Where the page finds the API: rendered into the page by the server (so pointing the page at AWS AppSync is
//! configuration only), or, under `trunk serve`, fetched from the server's `/api/client-config`.

use serde::{Deserialize, Serialize};

/// The element of the page that carries the configuration as JSON.
pub const ELEMENT_ID: &str = "caravan-config";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientConfig {
    /// The GraphQL endpoint (relative to the page, or absolute).
    pub graphql_url: String,
    /// The real-time endpoint; empty: `ws(s)://<the page's host>/graphql/realtime`.
    pub realtime_url: String,
    /// The API key viewers' requests carry (public by design, as AppSync API keys in web pages are).
    pub api_key: String,
    /// The site's public address (`https://live.example.com`), for the absolute links of sharing metadata.
    #[serde(default)]
    pub site_url: String,
    /// Whether `/dev/gallery` (the designers' component gallery) is served: development only.
    #[serde(default)]
    pub dev_gallery: bool,
}

/// The configuration the server rendered into this page, known at once on both sides (the server provides it for
/// each render; the browser reads the element): what server-rendered parts that depend on it use, so the hydrated
/// page renders the same. `None` in a client-rendered page (`trunk serve`).
pub fn rendered() -> Option<ClientConfig> {
    #[cfg(feature = "browser")]
    {
        leptos::prelude::document()
            .get_element_by_id(ELEMENT_ID)
            .and_then(|element| element.text_content())
            .and_then(|text| serde_json::from_str::<ClientConfig>(&text).ok())
    }
    #[cfg(not(feature = "browser"))]
    {
        leptos::prelude::use_context::<ClientConfig>()
    }
}

impl ClientConfig {
    /// The JSON for a `<script type="application/json">`: `<` is escaped so no value can end the element.
    pub fn to_script_json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|_| "{}".into())
            .replace('<', "\\u003c")
    }
}

#[cfg(feature = "browser")]
pub use browser::client_config;

#[cfg(feature = "browser")]
mod browser {
    use std::cell::RefCell;

    use super::{ClientConfig, ELEMENT_ID};
    use crate::api::ApiError;

    thread_local! {
        static CONFIG: RefCell<Option<ClientConfig>> = const { RefCell::new(None) };
    }

    /// The page's configuration: from the element the server rendered, else from the server (once).
    pub async fn client_config() -> Result<ClientConfig, ApiError> {
        if let Some(config) = CONFIG.with(|c| c.borrow().clone()) {
            return Ok(config);
        }
        let rendered = leptos::prelude::document()
            .get_element_by_id(ELEMENT_ID)
            .and_then(|element| element.text_content())
            .and_then(|text| serde_json::from_str::<ClientConfig>(&text).ok());
        let config = match rendered {
            Some(config) => config,
            None => gloo_net::http::Request::get("/api/client-config")
                .send()
                .await
                .map_err(|e| ApiError::Network(e.to_string()))?
                .json::<ClientConfig>()
                .await
                .map_err(|e| ApiError::Decode(e.to_string()))?,
        };
        CONFIG.with(|c| *c.borrow_mut() = Some(config.clone()));
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_element() {
        let config = ClientConfig {
            graphql_url: "/graphql".into(),
            realtime_url: "</script><script>alert(1)</script>".into(),
            api_key: "da2-key".into(),
            site_url: "https://live.example".into(),
            dev_gallery: false,
        };
        let json = config.to_script_json();
        assert!(!json.contains('<'));
        assert_eq!(serde_json::from_str::<ClientConfig>(&json).unwrap(), config);
    }
}
