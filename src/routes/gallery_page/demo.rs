//! The gallery's demo data: products, posts and shows in every state a component shows.

use crate::api::{Event, EventStatus, FeedPost, FeedSource, LikeTotal, Pickup, Product, Variant};

pub fn product(n: usize) -> Product {
    let (title, title_en, price) = match n {
        1 => ("オリジナルTシャツ", "Original T-shirt", 3300),
        2 => ("キャンバストートバッグ", "Canvas tote bag", 2200),
        3 => ("抹茶ラテセット", "Matcha latte set", 1944),
        _ => ("ワイヤレスイヤホン", "Wireless earphones", 12_800),
    };
    Product {
        id: format!("gallery_{n}"),
        title: title.into(),
        title_en: Some(title_en.into()),
        description: None,
        image_url: format!("/demo/product-{n:02}.svg"),
        price,
        currency: "JPY".into(),
        tax_rate_basis_points: if n == 3 { 800 } else { 1000 },
        sold_out: n == 4,
        variants: Vec::new(),
    }
}

/// On sale; with variants (one sold out); on air; sold out.
pub fn products() -> Vec<Product> {
    let mut tote = product(2);
    tote.variants = [("生成り · Natural", false), ("黒 · Black", false), ("赤 · Red", true)]
        .into_iter()
        .enumerate()
        .map(|(i, (title, sold_out))| Variant {
            id: format!("gallery_2_{i}"),
            title: title.into(),
            price: 2200,
            sold_out,
        })
        .collect();
    vec![product(1), tote, product(3), product(4)]
}

pub fn pickup(product: Product) -> Pickup {
    Pickup {
        event_id: "gallery".into(),
        visible: true,
        updated_at: "2026-11-22T09:30:00.000Z".into(),
        product: Some(product),
    }
}

pub fn posts() -> Vec<FeedPost> {
    let post = |id: &str, source, text: &str, name: &str, handle: Option<&str>, minutes_ago: i64| FeedPost {
        id: id.into(),
        source,
        text: text.into(),
        author_name: name.into(),
        author_handle: handle.map(Into::into),
        author_avatar_url: None,
        author_url: None,
        url: None,
        posted_at: ago(minutes_ago),
        hidden: false,
    };
    vec![
        post(
            "g1",
            FeedSource::Local,
            "ご視聴ありがとうございます!今夜の特集はTシャツです。",
            "Caravan",
            None,
            0,
        ),
        post(
            "g2",
            FeedSource::X,
            "Tシャツの色が最高 #caravanlive https://example.com/look",
            "さくら",
            Some("@sakura"),
            3,
        ),
        post(
            "g3",
            FeedSource::Mastodon,
            "Watching from Berlin, the matcha set looks great! @caravan@mastodon.example",
            "Jonas",
            Some("@jonas@mastodon.example"),
            75,
        ),
    ]
}

/// A show that plays nothing (so the gallery needs no stream): before its start, or ended without a recording.
pub fn event(status: EventStatus) -> Event {
    Event {
        id: "gallery".into(),
        slug: "gallery".into(),
        title: "Gallery".into(),
        description: None,
        starts_at: if status == EventStatus::Scheduled {
            ago(-(3 * 24 * 60 + 95))
        } else {
            ago(120)
        },
        ends_at: None,
        live_url: None,
        archive_url: None,
        status,
        products: Vec::new(),
        pickup: None,
        likes: LikeTotal::default(),
        feed: Vec::new(),
        stream_status: Default::default(),
        replay_pickups: Vec::new(),
    }
}

/// RFC 3339 UTC `minutes` before now (negative: after).
fn ago(minutes: i64) -> String {
    crate::format::utc_rfc3339(crate::format::now_seconds() - minutes * 60)
}
