//! The demo show, seeded on first start so a fresh checkout has something to watch and buy.

use chrono::{Duration, Utc};

use super::{Access, EventRecord, ProductRecord, Store, StoreError, VariantRecord};

/// Where the demo's media is written, in the media store: the live show's folder (`demo`, where its ingest writes the
/// stream at `demo/live/`), the recording, and the recording encrypted for ClearKey.
pub const DEMO_FOLDER: &str = "demo";
pub const DEMO_LIVE: &str = "demo/live";
pub const DEMO_ARCHIVE: &str = "demo/archive";
pub const DEMO_CLEARKEY: &str = "demo/clearkey";

/// The URL of one of the demo's master playlists.
pub fn demo_url(media: &str) -> String {
    format!("/media/{media}/master.m3u8")
}

pub const DEMO_SLUG: &str = "demo";
/// The live demo show, broadcast into the server's own ingest.
pub const DEMO_EVENT_ID: &str = "evt_demo";
pub const DEMO_ARCHIVE_SLUG: &str = "demo-archive";
pub const DEMO_UPCOMING_SLUG: &str = "demo-upcoming";
pub const DEMO_PAID_SLUG: &str = "demo-paid";
/// The paid demo show, whose recording is encrypted with the demo's content key.
pub const DEMO_PAID_EVENT_ID: &str = "evt_demo_paid";

/// (Japanese title, English title, tax-included price in yen, tax rate in basis points, stock).
/// Food is taxed at Japan's reduced 8 %, everything else at the standard 10 %.
const PRODUCTS: [(&str, &str, i64, i64, i64); 12] = [
    ("オリジナルTシャツ", "Original T-shirt", 3300, 1000, 40),
    ("キャンバストートバッグ", "Canvas tote bag", 2200, 1000, 25),
    ("抹茶ラテセット", "Matcha latte set", 1944, 800, 60),
    ("静岡煎茶 100g", "Shizuoka sencha, 100 g", 1296, 800, 80),
    ("有田焼マグカップ", "Arita porcelain mug", 2750, 1000, 12),
    ("手ぬぐい", "Tenugui hand towel", 1100, 1000, 0),
    ("金箔カステラ", "Gold-leaf castella", 2160, 800, 18),
    ("ワイヤレスイヤホン", "Wireless earbuds", 9900, 1000, 0),
    ("北海道ミルクキャラメル", "Hokkaido milk caramels", 648, 800, 150),
    ("帆布キャップ", "Canvas cap", 3960, 1000, 9),
    ("ドリップコーヒー 10袋", "Drip coffee, 10 bags", 1620, 800, 70),
    ("限定ステッカーパック", "Limited sticker pack", 550, 1000, 0),
];

/// The tote bag comes in two colours, at its price; their stock adds up to the bag's 25.
fn demo_variants() -> Vec<VariantRecord> {
    [
        ("var_demo_02_natural", "生成り · Natural", 15),
        ("var_demo_02_black", "ブラック · Black", 10),
    ]
    .into_iter()
    .enumerate()
    .map(|(position, (id, title, stock))| VariantRecord {
        id: id.into(),
        product_id: "prd_demo_02".into(),
        position: position as i64,
        title: title.into(),
        price: 2200,
        stock,
    })
    .collect()
}

impl Store {
    /// Seeds the demo shows that do not exist yet and returns how many it seeded:
    /// - `demo`, "Caravan Live Demo": on air from now with no end, playing the demo's broadcast, 12 products;
    /// - `demo-archive`: a show that ended yesterday, playing the demo's recording on demand;
    /// - `demo-upcoming`: a show starting a week after seeding (the player counts down to it);
    /// - `demo-paid`: a ticketed show (ended, on demand) with terms to accept, its recording ClearKey-encrypted.
    pub async fn seed_demo(&self) -> Result<usize, StoreError> {
        let now = Utc::now();
        let live = EventRecord {
            id: DEMO_EVENT_ID.into(),
            slug: DEMO_SLUG.into(),
            title: "Caravan Live Demo".into(),
            description: Some("A live show with a shop: watch and buy without leaving the page.".into()),
            starts_at: now,
            ends_at: None,
            live_url: Some(demo_url(DEMO_LIVE)),
            archive_url: Some(demo_url(DEMO_ARCHIVE)),
            access: Access::Free,
            terms_required: false,
            media_prefix: Some(DEMO_FOLDER.into()),
            plan: None,
        };
        let products = PRODUCTS
            .iter()
            .enumerate()
            .map(|(i, &(title, title_en, price, tax_rate_bp, stock))| ProductRecord {
                id: format!("prd_demo_{:02}", i + 1),
                event_id: live.id.clone(),
                position: i as i64,
                title: title.into(),
                title_en: Some(title_en.into()),
                description: None,
                image_url: format!("/demo/product-{:02}.svg", i + 1),
                price,
                currency: "JPY".into(),
                tax_rate_bp,
                stock,
            })
            .collect();
        let archive = EventRecord {
            description: Some("The recording of a show that has ended.".into()),
            ends_at: Some(now - Duration::days(1)),
            archive_url: Some(demo_url(DEMO_ARCHIVE)),
            media_prefix: Some("demo/archive".into()),
            ..EventRecord::new(
                "evt_demo_archive",
                DEMO_ARCHIVE_SLUG,
                "Caravan Demo: yesterday's show",
                now - Duration::days(1) - Duration::hours(1),
            )
        };
        // It goes live when an encoder publishes with one of its keys (the console issues them).
        let upcoming = EventRecord {
            description: Some("A show that has not started yet.".into()),
            media_prefix: Some("demo/upcoming".into()),
            ..EventRecord::new(
                "evt_demo_upcoming",
                DEMO_UPCOMING_SLUG,
                "Caravan Demo: next week's show",
                now + Duration::days(7),
            )
        };
        // A paid show: a ticket (bought, or granted by the operator) opens its ClearKey-encrypted recording.
        let paid = EventRecord {
            id: DEMO_PAID_EVENT_ID.into(),
            slug: DEMO_PAID_SLUG.into(),
            title: "Caravan Demo: a paid show".into(),
            description: Some("A ticketed show: its recording is encrypted and plays for ticket holders.".into()),
            starts_at: now - Duration::days(2),
            ends_at: Some(now - Duration::days(2) + Duration::hours(1)),
            live_url: None,
            archive_url: Some(demo_url(DEMO_CLEARKEY)),
            access: Access::Ticketed,
            terms_required: true,
            media_prefix: Some(DEMO_CLEARKEY.into()),
            plan: None,
        };
        let mut seeded = 0;
        for (event, products) in [
            (live, products),
            (archive, Vec::new()),
            (upcoming, Vec::new()),
            (paid, Vec::new()),
        ] {
            if self.seed_event(&event, &products).await? {
                seeded += 1;
                if event.id == "evt_demo" {
                    self.add_variants(&demo_variants()).await?;
                }
            }
        }
        Ok(seeded)
    }

    /// Creates the event unless one with its slug exists; whether it did.
    async fn seed_event(&self, event: &EventRecord, products: &[ProductRecord]) -> Result<bool, StoreError> {
        if self.event_by_slug(&event.slug).await?.is_some() {
            return Ok(false);
        }
        match self.create_event(event, products).await {
            Ok(()) => Ok(true),
            // Another replica seeded it between the check and the insert.
            Err(StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EventStatus;
    use crate::store::tests::fresh_store;

    #[tokio::test]
    async fn seeds_a_live_show_with_twelve_products_once() {
        let (store, _dir) = fresh_store().await;
        assert_eq!(store.seed_demo().await.unwrap(), 4);
        assert_eq!(store.seed_demo().await.unwrap(), 0, "second start seeds nothing");

        let event = store.event_by_slug(DEMO_SLUG).await.unwrap().expect("seeded");
        assert_eq!(event.title, "Caravan Live Demo");
        assert_eq!(event.live_url.as_deref(), Some("/media/demo/live/master.m3u8"));
        let now = Utc::now();
        let archive = store.event_by_slug(DEMO_ARCHIVE_SLUG).await.unwrap().expect("seeded");
        assert_eq!(archive.status_at(now), EventStatus::Ended);
        assert_eq!(archive.archive_url.as_deref(), Some("/media/demo/archive/master.m3u8"));
        let upcoming = store.event_by_slug(DEMO_UPCOMING_SLUG).await.unwrap().expect("seeded");
        assert_eq!(upcoming.status_at(now), EventStatus::Scheduled);
        assert_eq!(store.live_events(Utc::now()).await.unwrap().len(), 1);

        let products = store.products_of_event(&event.id).await.unwrap();
        assert_eq!(products.len(), 12);
        assert!(products.iter().all(|p| p.currency == "JPY" && p.title_en.is_some()));
        let rates: std::collections::BTreeSet<_> = products.iter().map(|p| p.tax_rate_bp).collect();
        assert_eq!(rates.into_iter().collect::<Vec<_>>(), [800, 1000]);
        assert_eq!(products.iter().filter(|p| p.sold_out()).count(), 3);
        assert_eq!(
            products.iter().map(|p| p.position).collect::<Vec<_>>(),
            (0..12).collect::<Vec<_>>()
        );
    }

    #[test]
    fn demo_images_exist_in_public() {
        let public = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../public");
        for i in 1..=PRODUCTS.len() {
            let image = public.join(format!("demo/product-{i:02}.svg"));
            assert!(image.is_file(), "{} is missing", image.display());
        }
    }

    #[test]
    fn prices_include_tax_at_their_rate() {
        // Every demo price is a whole-yen tax-excluded price plus its tax: price * 10000 / (10000 + rate) is exact.
        for (title, _, price, rate, _) in PRODUCTS {
            assert_eq!(price * 10_000 % (10_000 + rate), 0, "{title}");
        }
    }
}
