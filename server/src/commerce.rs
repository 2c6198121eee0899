//! Selling during the show: orders (`orders`: placing, the local test provider's payment, the buyer's view), what
//! runs after a payment (`pipeline`: restart-safe steps as durable jobs), and what the payment providers tell us
//! (`webhooks`); catalogs kept from Shopify collections (`catalog`, through the Storefront API: `shopify`); unpaid
//! orders giving their stock back (`expiry`).

pub mod catalog;
pub mod checkout;
pub mod expiry;
pub mod http;
pub mod pipeline;
pub mod product_news;
pub mod provider_events;
pub mod shopify;
pub mod stripe;

use crate::{secret::Secret, store::PaymentProvider};

/// Why the checkout configuration cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CommerceConfigError {
    #[error("a show checks out with Stripe: stripe_secret_key and stripe_publishable_key are needed")]
    StripeKey,
    #[error(
        "\"shopify\" is not a provider to name: Shopify checks out the shows of shopify_collections; the others use \
         \"local\" or \"stripe\""
    )]
    Shopify,
    #[error("checkout_providers: \"{0}\" is not a provider (\"local\" or \"stripe\")")]
    UnknownProvider(String),
    #[error("cannot make the HTTP client: {0}")]
    Client(String),
    #[error("shopify_collections needs shopify_storefront_token and shopify_store_domain (or shopify_api_base)")]
    ShopifyAccess,
    #[error("order_hold_seconds must be 60 to 86400: a buyer needs time to pay, and stock must come back")]
    Hold,
    #[error(
        "shows would check out with the local test provider (buyers mark their own orders paid) outside development \
         (listening beyond this machine, or over HTTPS): set CARAVAN_CHECKOUT_PROVIDER=stripe, or \
         CARAVAN_ALLOW_TEST_CHECKOUT=true for a staging site"
    )]
    TestCheckoutInProduction,
}

/// Who takes the payments and how (`checkout_*`, `stripe_*`, `shopify_*`, `order_hold_seconds`).
#[derive(Debug, Clone)]
pub struct CommerceSettings {
    /// The provider of the shows not named in `providers` (local, stripe).
    pub provider: PaymentProvider,
    /// Shows with a provider of their own, by slug, as named in the configuration.
    pub providers: Vec<(String, String)>,
    /// A server on this machine only, over plain HTTP (`Config::is_development`).
    pub development: bool,
    pub allow_test_checkout: bool,
    pub order_hold_seconds: u64,
    pub stripe_secret_key: Option<Secret<String>>,
    pub stripe_publishable_key: Option<String>,
    pub stripe_js_url: String,
    pub stripe_api_base: String,
    pub stripe_webhook_secret: Option<Secret<String>>,
    /// Shows whose catalogs are Shopify collections, by slug.
    pub shopify_collections: Vec<(String, String)>,
    pub shopify_storefront_token: Option<Secret<String>>,
    pub shopify_store_domain: Option<String>,
    pub shopify_api_base: Option<String>,
    pub shopify_tax_rate_bp: i64,
    pub shopify_webhook_secret: Option<Secret<String>>,
}

/// What the commerce endpoints need (given by the root).
#[derive(Clone)]
pub struct CommerceHttp {
    pub store: crate::store::Store,
    pub commerce: CommerceState,
    pub checkout: checkout::Checkout,
    pub identity: crate::access::viewer::Identity,
    pub address_limits: crate::client_address::AddressLimits,
}

/// What the commerce endpoints share.
#[derive(Debug, Clone)]
pub struct CommerceState {
    /// Who takes the payments of the shows not named below.
    pub provider: PaymentProvider,
    /// Shows with a provider of their own (`checkout_providers`).
    pub providers: Vec<(String, PaymentProvider)>,
    /// Stripe's API and what the page's Payment Element needs, when a show checks out with it.
    pub stripe: Option<stripe::Stripe>,
    /// Verifies `/webhooks/stripe`; `None`: Stripe webhooks are off.
    pub stripe_webhook_secret: Option<Secret<String>>,
    /// Verifies `/webhooks/shopify`; `None`: Shopify webhooks are off.
    pub shopify_webhook_secret: Option<Secret<String>>,
    /// The shows whose catalogs come from Shopify collections; `None`: none do.
    pub shopify_catalogs: Option<catalog::ShopifyCatalogs>,
    /// How long an unpaid order holds its stock.
    pub hold: chrono::Duration,
}

impl CommerceState {
    /// Who takes the payment for the show `slug`: Shopify for a show whose catalog is a Shopify collection (its
    /// products are Shopify's variants), else the show's own provider (`checkout_providers`), else the default.
    pub fn provider_for(&self, slug: &str) -> PaymentProvider {
        if let Some(shopify) = &self.shopify_catalogs
            && shopify.collection_of(slug).is_some()
        {
            return PaymentProvider::Shopify;
        }
        self.providers
            .iter()
            .find(|(s, _)| s == slug)
            .map_or(self.provider, |(_, provider)| *provider)
    }

    pub fn new(settings: &CommerceSettings) -> Result<Self, CommerceConfigError> {
        let set = |secret: &Option<Secret<String>>| secret.clone().filter(|s| !s.expose().is_empty());
        let providers = settings
            .providers
            .clone()
            .into_iter()
            .map(|(slug, name)| match name.as_str() {
                "local" => Ok((slug, PaymentProvider::Local)),
                "stripe" => Ok((slug, PaymentProvider::Stripe)),
                "shopify" => Err(CommerceConfigError::Shopify),
                _ => Err(CommerceConfigError::UnknownProvider(name)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if settings.provider == PaymentProvider::Shopify {
            return Err(CommerceConfigError::Shopify);
        }
        let uses_local =
            settings.provider == PaymentProvider::Local || providers.iter().any(|(_, p)| *p == PaymentProvider::Local);
        if uses_local && !settings.development && !settings.allow_test_checkout {
            return Err(CommerceConfigError::TestCheckoutInProduction);
        }
        let hold = i64::try_from(settings.order_hold_seconds)
            .ok()
            .filter(|seconds| (60..=86_400).contains(seconds))
            .map(chrono::Duration::seconds)
            .ok_or(CommerceConfigError::Hold)?;
        let uses_stripe = settings.provider == PaymentProvider::Stripe
            || providers.iter().any(|(_, p)| *p == PaymentProvider::Stripe);
        let stripe = if uses_stripe {
            let key = set(&settings.stripe_secret_key).ok_or(CommerceConfigError::StripeKey)?;
            let publishable_key = settings
                .stripe_publishable_key
                .clone()
                .filter(|k| !k.is_empty())
                .ok_or(CommerceConfigError::StripeKey)?;
            let page = stripe::StripePage {
                publishable_key,
                js_url: settings.stripe_js_url.clone(),
            };
            let client = stripe::Stripe::new(key, &settings.stripe_api_base, page)
                .map_err(|e| CommerceConfigError::Client(e.without_url().to_string()))?;
            Some(client)
        } else {
            None
        };
        let collections = settings.shopify_collections.clone();
        let shopify_catalogs = if collections.is_empty() {
            None
        } else {
            let token = set(&settings.shopify_storefront_token).ok_or(CommerceConfigError::ShopifyAccess)?;
            let base = match (&settings.shopify_api_base, &settings.shopify_store_domain) {
                (Some(base), _) if !base.is_empty() => base.clone(),
                (_, Some(domain)) if !domain.is_empty() => format!("https://{domain}"),
                _ => return Err(CommerceConfigError::ShopifyAccess),
            };
            let storefront = shopify::Storefront::new(&base, token)
                .map_err(|e| CommerceConfigError::Client(e.without_url().to_string()))?;
            Some(catalog::ShopifyCatalogs::new(
                storefront,
                collections,
                settings.shopify_tax_rate_bp,
            ))
        };
        Ok(Self {
            provider: settings.provider,
            providers,
            stripe,
            stripe_webhook_secret: set(&settings.stripe_webhook_secret),
            shopify_webhook_secret: set(&settings.shopify_webhook_secret),
            shopify_catalogs,
            hold,
        })
    }
}
