//! Product pictures at the size the layout shows them. Shopify's CDN resizes on request (`width=`), so a picture
//! from it gets a `srcset` of widths and the browser picks by the slot's size and the screen's density; other
//! pictures (the demo's SVGs, which are sharp at any size) are used as they are.

/// The widths offered, covering a 120 px slot up to 4× density.
const WIDTHS: [u32; 5] = [120, 240, 360, 480, 640];

/// `srcset` for a picture the CDN can resize, else `None`.
pub fn srcset(url: &str) -> Option<String> {
    let resizable = url.starts_with("https://cdn.shopify.com/") || url.contains("/cdn/shop/");
    if !resizable {
        return None;
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    Some(
        WIDTHS
            .iter()
            .map(|w| format!("{url}{separator}width={w} {w}w"))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shopify_pictures_come_in_widths_and_others_as_they_are() {
        assert_eq!(
            srcset("https://cdn.shopify.com/s/files/1/p.jpg?v=1").unwrap(),
            "https://cdn.shopify.com/s/files/1/p.jpg?v=1&width=120 120w, https://cdn.shopify.com/s/files/1/p.jpg?v=1&width=240 240w, \
             https://cdn.shopify.com/s/files/1/p.jpg?v=1&width=360 360w, https://cdn.shopify.com/s/files/1/p.jpg?v=1&width=480 480w, \
             https://cdn.shopify.com/s/files/1/p.jpg?v=1&width=640 640w"
        );
        assert!(
            srcset("https://shop.example/cdn/shop/files/p.jpg")
                .unwrap()
                .starts_with("https://shop.example/cdn/shop/files/p.jpg?width=120 120w")
        );
        assert_eq!(srcset("/demo/product-01.svg"), None);
        assert_eq!(srcset("https://evil.example/cdn.shopify.com/x.jpg"), None);
    }
}
