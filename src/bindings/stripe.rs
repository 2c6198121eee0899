//! Stripe.js v3 (`window.Stripe`, loaded by `use_stripe_elements` only when a Stripe payment starts): the parts the
//! Payment Element needs. <https://docs.stripe.com/js>

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `Stripe(publishableKey)`.
    #[derive(Clone)]
    pub type Stripe;

    #[wasm_bindgen(js_name = Stripe, catch)]
    pub fn stripe(publishable_key: &str) -> Result<Stripe, JsValue>;

    /// `stripe.elements({ clientSecret, appearance })`.
    #[wasm_bindgen(method, catch)]
    pub fn elements(this: &Stripe, options: &JsValue) -> Result<Elements, JsValue>;

    /// `stripe.confirmPayment({ elements, redirect: "if_required", confirmParams })`: resolves to
    /// `{ paymentIntent }` or `{ error: { message } }`.
    #[wasm_bindgen(method, js_name = confirmPayment)]
    pub fn confirm_payment(this: &Stripe, options: &JsValue) -> js_sys::Promise;

    #[derive(Clone)]
    pub type Elements;

    /// `elements.create("payment")`.
    #[wasm_bindgen(method, catch)]
    pub fn create(this: &Elements, kind: &str) -> Result<PaymentElement, JsValue>;

    pub type PaymentElement;

    #[wasm_bindgen(method)]
    pub fn mount(this: &PaymentElement, target: &web_sys::Element);
}
