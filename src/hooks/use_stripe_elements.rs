//! `use_stripe_elements`: Stripe's Payment Element, mounted in `container` for one PaymentIntent. Stripe.js is
//! loaded only now, when a Stripe payment starts (a page that never pays with Stripe never loads it); the element
//! follows the page's dark theme. `confirm` confirms the payment in place (`redirect: "if_required"`), so the buyer
//! stays on the show unless their bank needs a redirect; the payment itself is recorded by Stripe's webhook.

use leptos::{html, prelude::*};

use crate::api::orders::StripePage;

#[cfg(feature = "browser")]
use crate::bindings::stripe::{Elements, Stripe};

#[derive(Clone, Copy)]
pub struct UseStripeElements {
    /// The element is mounted and can take the card.
    pub ready: ReadSignal<bool>,
    /// Why the element could not be shown (Stripe.js not loaded, a bad key), in words for the buyer.
    pub failed: ReadSignal<Option<String>>,
    #[cfg(feature = "browser")]
    handles: StoredValue<Option<(Stripe, Elements)>, LocalStorage>,
}

pub fn use_stripe_elements(
    container: NodeRef<html::Div>,
    page: StripePage,
    client_secret: String,
) -> UseStripeElements {
    let (ready, set_ready) = signal(false);
    let (failed, set_failed) = signal(None::<String>);
    #[cfg(feature = "browser")]
    {
        let handles = StoredValue::new_local(None);
        Effect::new(move |mounted: Option<bool>| {
            if mounted == Some(true) {
                return true;
            }
            let Some(target) = container.get() else { return false };
            let (page, secret) = (page.clone(), client_secret.clone());
            leptos::task::spawn_local(async move {
                match browser::mount(&page, &secret, &target).await {
                    Ok(mounted) => {
                        handles.set_value(Some(mounted));
                        set_ready.set(true);
                    }
                    Err(message) => set_failed.set(Some(message)),
                }
            });
            true
        });
        UseStripeElements { ready, failed, handles }
    }
    #[cfg(not(feature = "browser"))]
    {
        let _ = (container, page, client_secret, set_ready, set_failed);
        UseStripeElements { ready, failed }
    }
}

impl UseStripeElements {
    /// Confirms the payment with what the buyer entered; the error is Stripe's message for the buyer.
    pub async fn confirm(&self) -> Result<(), String> {
        #[cfg(feature = "browser")]
        {
            let Some((stripe, elements)) = self.handles.get_value() else {
                return Err("The payment form is not ready yet.".into());
            };
            browser::confirm(&stripe, &elements).await
        }
        #[cfg(not(feature = "browser"))]
        Err("Payments are taken in the browser.".into())
    }
}

#[cfg(feature = "browser")]
mod browser {
    use js_sys::{Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    use crate::{
        api::orders::StripePage,
        bindings::stripe::{Elements, Stripe, stripe},
    };

    const UNAVAILABLE: &str = "The card form could not be loaded. Check your connection and try again.";

    fn set(target: &Object, key: &str, value: &JsValue) {
        let _ = Reflect::set(target, &key.into(), value);
    }

    /// Adds Stripe.js to the page once and waits for it.
    async fn load(url: &str) -> Result<(), JsValue> {
        if Reflect::has(&leptos::prelude::window(), &"Stripe".into()).unwrap_or(false) {
            return Ok(());
        }
        let document = leptos::prelude::document();
        let script: web_sys::HtmlScriptElement = document.create_element("script")?.unchecked_into();
        script.set_src(url);
        script.set_async(true);
        let loaded = js_sys::Promise::new(&mut |resolve, reject| {
            script.set_onload(Some(&resolve));
            script.set_onerror(Some(&reject));
        });
        document.head().ok_or("no head")?.append_child(&script)?;
        JsFuture::from(loaded).await.map(|_| ())
    }

    pub async fn mount(
        page: &StripePage,
        client_secret: &str,
        target: &web_sys::Element,
    ) -> Result<(Stripe, Elements), String> {
        load(&page.js_url).await.map_err(|_| UNAVAILABLE.to_string())?;
        let stripe = stripe(&page.publishable_key).map_err(|_| UNAVAILABLE.to_string())?;
        let options = Object::new();
        set(&options, "clientSecret", &client_secret.into());
        let appearance = Object::new();
        set(&appearance, "theme", &"night".into());
        set(&options, "appearance", &appearance);
        let elements = stripe.elements(&options).map_err(|_| UNAVAILABLE.to_string())?;
        elements
            .create("payment")
            .map_err(|_| UNAVAILABLE.to_string())?
            .mount(target);
        Ok((stripe, elements))
    }

    pub async fn confirm(stripe: &Stripe, elements: &Elements) -> Result<(), String> {
        let options = Object::new();
        set(&options, "elements", elements);
        set(&options, "redirect", &"if_required".into());
        // Where a bank that needs a redirect sends the buyer back: the show.
        let params = Object::new();
        let here = leptos::prelude::window().location().href().unwrap_or_default();
        set(&params, "return_url", &here.into());
        set(&options, "confirmParams", &params);
        let result = JsFuture::from(stripe.confirm_payment(&options))
            .await
            .map_err(|_| "Stripe could not be reached. Nothing was charged; try again.".to_string())?;
        let error = Reflect::get(&result, &"error".into()).unwrap_or(JsValue::UNDEFINED);
        if error.is_undefined() || error.is_null() {
            return Ok(());
        }
        Err(Reflect::get(&error, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| "The payment was not accepted.".into()))
    }
}
