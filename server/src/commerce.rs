//! Selling during the show: orders (`orders`: placing, the local test provider's payment, the buyer's view), what
//! runs after a payment (`pipeline`: restart-safe steps as durable jobs), and what the payment providers tell us
//! (`webhooks`); catalogs kept from Shopify collections (`catalog`, through the Storefront API: `shopify`).

pub mod catalog;
pub mod orders;
pub mod pipeline;
pub mod shopify;
pub mod stripe;
pub mod webhooks;

use crate::{config::Config, secret::Secret, store::PaymentProvider};

/// Why the checkout configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CommerceConfigError {
    #[error("checkout_provider = \"stripe\" needs stripe_secret_key and stripe_publishable_key")]
    StripeKey,
    #[error(
        "checkout_provider = \"shopify\": Shopify checks out the shows of shopify_collections; the default for the \
         others is \"local\" or \"stripe\""
    )]
    Shopify,
    #[error("cannot make the HTTP client: {0}")]
    Client(String),
    #[error(transparent)]
    Collections(#[from] catalog::CollectionsError),
    #[error("shopify_collections needs shopify_storefront_token and shopify_store_domain (or shopify_api_base)")]
    ShopifyAccess,
}

/// What the commerce endpoints share.
#[derive(Debug, Clone)]
pub struct CommerceState {
    pub provider: PaymentProvider,
    /// Stripe's API, when it takes the payments.
    pub stripe: Option<stripe::Stripe>,
    /// What the page's Payment Element needs: the publishable key and Stripe.js.
    pub stripe_page: Option<stripe::StripePage>,
    /// Verifies `/webhooks/stripe`; `None`: Stripe webhooks are off.
    pub stripe_webhook_secret: Option<Secret<String>>,
    /// Verifies `/webhooks/shopify`; `None`: Shopify webhooks are off.
    pub shopify_webhook_secret: Option<Secret<String>>,
    /// The shows whose catalogs come from Shopify collections; `None`: none do.
    pub shopify_catalogs: Option<catalog::ShopifyCatalogs>,
}

impl CommerceState {
    /// Who takes the payment for the show `slug`: Shopify for a show whose catalog is a Shopify collection (its
    /// products are Shopify's variants), the configured provider otherwise.
    pub fn provider_for(&self, slug: &str) -> PaymentProvider {
        match &self.shopify_catalogs {
            Some(shopify) if shopify.collection_of(slug).is_some() => PaymentProvider::Shopify,
            _ => self.provider,
        }
    }

    pub fn from_config(config: &Config) -> Result<Self, CommerceConfigError> {
        let set = |secret: &Option<Secret<String>>| secret.clone().filter(|s| !s.expose().is_empty());
        let stripe = match config.checkout_provider {
            PaymentProvider::Local => None,
            PaymentProvider::Stripe => {
                let key = set(&config.stripe_secret_key).ok_or(CommerceConfigError::StripeKey)?;
                config
                    .stripe_publishable_key
                    .as_ref()
                    .filter(|k| !k.is_empty())
                    .ok_or(CommerceConfigError::StripeKey)?;
                Some(
                    stripe::Stripe::new(key, &config.stripe_api_base)
                        .map_err(|e| CommerceConfigError::Client(e.without_url().to_string()))?,
                )
            }
            PaymentProvider::Shopify => return Err(CommerceConfigError::Shopify),
        };
        let collections = catalog::parse_collections(&config.shopify_collections)?;
        let shopify_catalogs = if collections.is_empty() {
            None
        } else {
            let token = set(&config.shopify_storefront_token).ok_or(CommerceConfigError::ShopifyAccess)?;
            let base = match (&config.shopify_api_base, &config.shopify_store_domain) {
                (Some(base), _) if !base.is_empty() => base.clone(),
                (_, Some(domain)) if !domain.is_empty() => format!("https://{domain}"),
                _ => return Err(CommerceConfigError::ShopifyAccess),
            };
            let storefront = shopify::Storefront::new(&base, token)
                .map_err(|e| CommerceConfigError::Client(e.without_url().to_string()))?;
            Some(catalog::ShopifyCatalogs::new(
                storefront,
                collections,
                config.shopify_tax_rate_bp,
            ))
        };
        let stripe_page = stripe
            .as_ref()
            .and(config.stripe_publishable_key.as_ref())
            .map(|key| stripe::StripePage {
                publishable_key: key.clone(),
                js_url: config.stripe_js_url.clone(),
            });
        Ok(Self {
            stripe_page,
            shopify_catalogs,
            provider: config.checkout_provider,
            stripe,
            stripe_webhook_secret: set(&config.stripe_webhook_secret),
            shopify_webhook_secret: set(&config.shopify_webhook_secret),
        })
    }
}
