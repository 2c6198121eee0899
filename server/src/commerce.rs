//! Selling during the show: orders (`orders`: placing, the local test provider's payment, the buyer's view), what
//! runs after a payment (`pipeline`: restart-safe steps as durable jobs), and what the payment providers tell us
//! (`webhooks`); catalogs kept from Shopify collections (`catalog`, through the Storefront API: `shopify`); unpaid
//! orders giving their stock back (`expiry`).

pub mod catalog;
pub mod expiry;
pub mod orders;
pub mod pipeline;
pub mod product_news;
pub mod shopify;
pub mod stripe;
pub mod webhooks;

use crate::{
    config::{Config, PairError, slug_pairs},
    secret::Secret,
    store::PaymentProvider,
};

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
    #[error(transparent)]
    Pair(#[from] PairError),
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

    pub fn from_config(config: &Config) -> Result<Self, CommerceConfigError> {
        let set = |secret: &Option<Secret<String>>| secret.clone().filter(|s| !s.expose().is_empty());
        let providers = slug_pairs("checkout_providers", &config.checkout_providers)?
            .into_iter()
            .map(|(slug, name)| match name.as_str() {
                "local" => Ok((slug, PaymentProvider::Local)),
                "stripe" => Ok((slug, PaymentProvider::Stripe)),
                "shopify" => Err(CommerceConfigError::Shopify),
                _ => Err(CommerceConfigError::UnknownProvider(name)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if config.checkout_provider == PaymentProvider::Shopify {
            return Err(CommerceConfigError::Shopify);
        }
        let uses_local = config.checkout_provider == PaymentProvider::Local
            || providers.iter().any(|(_, p)| *p == PaymentProvider::Local);
        if uses_local && !config.is_development() && !config.allow_test_checkout {
            return Err(CommerceConfigError::TestCheckoutInProduction);
        }
        let hold = i64::try_from(config.order_hold_seconds)
            .ok()
            .filter(|seconds| (60..=86_400).contains(seconds))
            .map(chrono::Duration::seconds)
            .ok_or(CommerceConfigError::Hold)?;
        let uses_stripe = config.checkout_provider == PaymentProvider::Stripe
            || providers.iter().any(|(_, p)| *p == PaymentProvider::Stripe);
        let stripe = if uses_stripe {
            let key = set(&config.stripe_secret_key).ok_or(CommerceConfigError::StripeKey)?;
            let publishable_key = config
                .stripe_publishable_key
                .clone()
                .filter(|k| !k.is_empty())
                .ok_or(CommerceConfigError::StripeKey)?;
            let page = stripe::StripePage {
                publishable_key,
                js_url: config.stripe_js_url.clone(),
            };
            let client = stripe::Stripe::new(key, &config.stripe_api_base, page)
                .map_err(|e| CommerceConfigError::Client(e.without_url().to_string()))?;
            Some(client)
        } else {
            None
        };
        let collections = slug_pairs("shopify_collections", &config.shopify_collections)?;
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
        Ok(Self {
            provider: config.checkout_provider,
            providers,
            stripe,
            stripe_webhook_secret: set(&config.stripe_webhook_secret),
            shopify_webhook_secret: set(&config.shopify_webhook_secret),
            shopify_catalogs,
            hold,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(edit: impl FnOnce(&mut Config)) -> Config {
        let mut config = Config::for_tests(std::path::Path::new("/tmp/data"), std::path::Path::new("/tmp/site"));
        edit(&mut config);
        config
    }

    #[test]
    fn each_show_checks_out_with_its_own_provider() {
        let state = CommerceState::from_config(&config(|c| {
            c.checkout_providers = "demo-paid=stripe".into();
            c.stripe_secret_key = Some(Secret::new("sk_test_1".into()));
            c.stripe_publishable_key = Some("pk_test_1".into());
        }))
        .unwrap();
        assert_eq!(state.provider_for("demo-paid"), PaymentProvider::Stripe);
        assert_eq!(state.provider_for("demo"), PaymentProvider::Local);
        assert!(
            state
                .stripe
                .is_some_and(|stripe| stripe.page.publishable_key == "pk_test_1")
        );

        // Stripe named without its keys, an unknown provider, Shopify by name: refused at start.
        let refused = |edit: fn(&mut Config)| CommerceState::from_config(&config(edit)).unwrap_err();
        assert_eq!(
            refused(|c| c.checkout_providers = "demo=stripe".into()),
            CommerceConfigError::StripeKey
        );
        assert_eq!(
            refused(|c| c.checkout_providers = "demo=paypal".into()),
            CommerceConfigError::UnknownProvider("paypal".into())
        );
        assert_eq!(
            refused(|c| c.checkout_providers = "demo=shopify".into()),
            CommerceConfigError::Shopify
        );
        assert_eq!(
            refused(|c| c.checkout_provider = PaymentProvider::Shopify),
            CommerceConfigError::Shopify
        );
    }

    #[test]
    fn the_test_checkout_is_never_a_silent_default_outside_development() {
        let public = |c: &mut Config| c.addr = "0.0.0.0:3000".parse().unwrap();
        let refused = CommerceState::from_config(&config(public)).unwrap_err();
        assert_eq!(refused, CommerceConfigError::TestCheckoutInProduction);
        // One show on the test provider is enough to refuse.
        let stripe = |c: &mut Config| {
            public(c);
            c.checkout_provider = PaymentProvider::Stripe;
            c.stripe_secret_key = Some(Secret::new("sk_live_1".into()));
            c.stripe_publishable_key = Some("pk_live_1".into());
        };
        assert!(CommerceState::from_config(&config(stripe)).is_ok());
        let mixed = CommerceState::from_config(&config(|c| {
            stripe(c);
            c.checkout_providers = "demo=local".into();
        }));
        assert_eq!(mixed.unwrap_err(), CommerceConfigError::TestCheckoutInProduction);
        // Asked for (a staging site): allowed.
        let staging = CommerceState::from_config(&config(|c| {
            public(c);
            c.allow_test_checkout = true;
        }));
        assert!(staging.is_ok());
    }
}
