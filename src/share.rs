//! What a shared link shows: the page's sharing metadata (Open Graph, Twitter card) and its structured data
//! (schema.org JSON-LD: the show as a `BroadcastEvent`, its products as offers), from the show and the site's address.

use serde_json::{Value, json};

use crate::{
    api::{Event, Product},
    format::decimal_amount,
};

/// `path` on the site at `site_url` (an absolute URL stays as it is).
pub fn absolute(site_url: &str, path: &str) -> String {
    if path.starts_with("https://") || path.starts_with("http://") {
        path.to_owned()
    } else {
        format!("{}/{}", site_url.trim_end_matches('/'), path.trim_start_matches('/'))
    }
}

/// The picture that stands for the show: the product on air, else the first product.
pub fn image(event: &Event) -> Option<&str> {
    event
        .pickup
        .as_ref()
        .and_then(|pickup| pickup.shown_product())
        .or(event.products.first())
        .map(|product| product.image_url.as_str())
}

/// The show as schema.org JSON-LD, ready for a `<script type="application/ld+json">`: `<`, `>` and `&` are escaped,
/// so no title or description can end the element.
pub fn json_ld(event: &Event, site_url: &str) -> String {
    let url = absolute(site_url, &format!("/live/{}", event.slug));
    let mut data = json!({
        "@context": "https://schema.org",
        "@type": "BroadcastEvent",
        "name": event.title,
        "url": url,
        "startDate": event.starts_at,
        "isLiveBroadcast": true,
        "offers": event.products.iter().map(|product| offer(product, &url, site_url)).collect::<Vec<_>>(),
    });
    if let Some(description) = &event.description {
        data["description"] = json!(description);
    }
    if let Some(ends_at) = &event.ends_at {
        data["endDate"] = json!(ends_at);
    }
    if let Some(image) = image(event) {
        data["image"] = json!(absolute(site_url, image));
    }
    data.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn offer(product: &Product, page_url: &str, site_url: &str) -> Value {
    json!({
        "@type": "Offer",
        "url": page_url,
        "price": decimal_amount(product.price, &product.currency),
        "priceCurrency": product.currency,
        "availability": if product.sold_out { "https://schema.org/SoldOut" } else { "https://schema.org/InStock" },
        "itemOffered": {
            "@type": "Product",
            "name": product.title,
            "image": absolute(site_url, &product.image_url),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{EventStatus, FeedPost, LikeTotal};

    fn event(title: &str) -> Event {
        let product = |id: &str, price, sold_out| Product {
            id: id.into(),
            title: format!("Product {id}"),
            title_en: None,
            description: None,
            image_url: format!("/demo/{id}.svg"),
            price,
            currency: "JPY".into(),
            tax_rate_basis_points: 1000,
            sold_out,
            variants: Vec::new(),
        };
        Event {
            id: "evt".into(),
            slug: "demo".into(),
            title: title.into(),
            description: Some("Tonight & every night".into()),
            starts_at: "2026-11-22T10:00:00.000Z".into(),
            ends_at: Some("2026-11-22T12:00:00.000Z".into()),
            live_url: None,
            archive_url: None,
            status: EventStatus::Live,
            products: vec![product("a", 1980, false), product("b", 880, true)],
            pickup: None,
            likes: LikeTotal::default(),
            feed: Vec::<FeedPost>::new(),
            stream_status: Default::default(),
            replay_pickups: Vec::new(),
        }
    }

    #[test]
    fn the_show_is_a_broadcast_event_with_its_offers() {
        let ld: Value = serde_json::from_str(&json_ld(&event("Live"), "https://live.example/")).unwrap();
        assert_eq!(ld["@type"], "BroadcastEvent");
        assert_eq!(ld["url"], "https://live.example/live/demo");
        assert_eq!(ld["isLiveBroadcast"], true);
        assert_eq!(ld["endDate"], "2026-11-22T12:00:00.000Z");
        assert_eq!(ld["image"], "https://live.example/demo/a.svg");
        assert_eq!(ld["description"], "Tonight & every night");
        assert_eq!(ld["offers"][0]["price"], "1980");
        assert_eq!(ld["offers"][0]["priceCurrency"], "JPY");
        assert_eq!(ld["offers"][0]["availability"], "https://schema.org/InStock");
        assert_eq!(ld["offers"][1]["availability"], "https://schema.org/SoldOut");
        assert_eq!(ld["offers"][1]["itemOffered"]["name"], "Product b");
    }

    #[test]
    fn no_title_can_end_the_script_element() {
        let title = "</script><script>alert(1)</script> & more";
        let ld = json_ld(&event(title), "https://live.example");
        assert!(!ld.contains('<') && !ld.contains('>') && !ld.contains('&'));
        let parsed: Value = serde_json::from_str(&ld).unwrap();
        assert_eq!(parsed["name"], title);
    }

    #[test]
    fn addresses_become_absolute() {
        assert_eq!(absolute("https://a.example/", "/x.png"), "https://a.example/x.png");
        assert_eq!(absolute("https://a.example", "x.png"), "https://a.example/x.png");
        assert_eq!(
            absolute("https://a.example", "https://cdn.example/x.png"),
            "https://cdn.example/x.png"
        );
    }
}
