use leptos::prelude::*;

use super::stripe_payment::StripePayment;
use crate::{
    api::orders::{PlacedOrder, StripePage},
    format::format_price,
    hooks::use_cart,
};

/// Where the checkout is. (Only the browser moves it past `Editing`.)
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "browser"), allow(dead_code))]
enum Step {
    Editing,
    Placing,
    /// Placed with the local test provider: the buyer pays (or declines) in test mode.
    TestPayment(PlacedOrder),
    Paying(PlacedOrder),
    Paid(PlacedOrder),
    /// Placed with Stripe: the buyer pays in the Payment Element (the key and Stripe.js, the client secret).
    CardPayment(PlacedOrder, StripePage, String),
    /// Placed with Shopify: the buyer pays at the cart's checkout, in a new tab (the URL).
    PayAtShop(PlacedOrder, String),
    /// Placed with a provider whose payment form is not in this page yet.
    ElsewhereUnavailable(PlacedOrder),
}

/// Placing the order and paying it, inside the cart sheet. Every problem the server names (sold out, price changed,
/// declined) is shown in its words, and the cart stays as it was (with the new price, for a price change) so the
/// buyer can try again. The stream is never touched.
#[component]
pub fn Checkout(slug: String) -> impl IntoView {
    let cart = use_cart()?;
    let embed = crate::hooks::use_embed_host();
    let step = RwSignal::new(Step::Editing);
    let problem = RwSignal::new(None::<String>);
    let email = RwSignal::new(String::new());
    // This attempt's Idempotency-Key: kept when the answer was lost (a retry must not order twice), new otherwise.
    let attempt = StoredValue::new(None::<String>);
    let empty = move || cart.lines.with(Vec::is_empty);
    // Stored: the handlers stay `Copy` and can be used in more than one place of the view.
    let slug = StoredValue::new(slug);
    #[cfg(not(feature = "browser"))]
    let _ = (slug, attempt, embed);

    let place = move |_| {
        problem.set(None);
        step.set(Step::Placing);
        #[cfg(feature = "browser")]
        {
            use crate::api::orders::{OrderAnswer, place_order};
            let slug = slug.get_value();
            let key = attempt.get_value().unwrap_or_else(new_key);
            attempt.set_value(Some(key.clone()));
            let lines = cart.order_lines();
            let address = email.get_untracked();
            leptos::task::spawn_local(async move {
                let address = Some(address.trim()).filter(|a| !a.is_empty());
                match place_order(&slug, &lines, address, &key).await {
                    Ok(OrderAnswer::Done(order)) => {
                        attempt.set_value(None);
                        if let Some(embed) = embed {
                            embed.emit(
                                "checkout",
                                serde_json::json!({ "orderId": order.order_id, "provider": order.provider }),
                            );
                        }
                        step.set(match order.provider.as_str() {
                            "local" => Step::TestPayment(order),
                            "stripe" => match (order.stripe.clone(), order.client_secret.clone()) {
                                (Some(page), Some(secret)) => Step::CardPayment(order, page, secret),
                                _ => Step::ElsewhereUnavailable(order),
                            },
                            "shopify" => match order.checkout_url.clone() {
                                Some(url) => Step::PayAtShop(order, url),
                                None => Step::ElsewhereUnavailable(order),
                            },
                            _ => Step::ElsewhereUnavailable(order),
                        });
                    }
                    Ok(OrderAnswer::Refused(refusal)) => {
                        attempt.set_value(None);
                        if let (Some("price_changed"), Some(id), Some(price)) =
                            (refusal.code.as_deref(), refusal.product_id.as_deref(), refusal.price)
                        {
                            cart.reprice(id, price);
                        }
                        let hint = match refusal.code.as_deref() {
                            Some("price_changed") => " The cart shows the new price; check it and order again.",
                            Some("sold_out") => " Remove it, or lower the quantity, and order again.",
                            _ => "",
                        };
                        problem.set(Some(format!("{}.{hint}", refusal.message.trim_end_matches('.'))));
                        step.set(Step::Editing);
                    }
                    Err(error) => {
                        problem.set(Some(format!(
                            "The order could not be sent ({error}). Try again: you will not be charged twice."
                        )));
                        step.set(Step::Editing);
                    }
                }
            });
        }
    };

    let pay = move |succeed: bool| {
        let Step::TestPayment(order) = step.get_untracked() else {
            return;
        };
        problem.set(None);
        step.set(Step::Paying(order.clone()));
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            use crate::api::orders::{OrderAnswer, pay_with_test_provider};
            match pay_with_test_provider(&order.order_id, succeed).await {
                Ok(OrderAnswer::Done(paid)) if paid.state == "paid" => {
                    cart.clear();
                    step.set(Step::Paid(paid));
                }
                Ok(OrderAnswer::Done(_)) => {
                    problem.set(Some(
                        "The test card was declined. Nothing was charged; your cart is still here.".into(),
                    ));
                    step.set(Step::Editing);
                }
                Ok(OrderAnswer::Refused(refusal)) => {
                    problem.set(Some(refusal.message));
                    step.set(Step::Editing);
                }
                Err(error) => {
                    problem.set(Some(format!("The payment could not be sent ({error}). Try again.")));
                    step.set(Step::TestPayment(order));
                }
            }
        });
        #[cfg(not(feature = "browser"))]
        let _ = (order, succeed);
    };

    Some(view! {
        <div class="checkout">
            {move || match step.get() {
                Step::Editing | Step::Placing => {
                    let placing = matches!(step.get(), Step::Placing);
                    view! {
                        <label class="checkout-email">
                            "E-mail for the receipt (optional)"
                            <input
                                type="email"
                                autocomplete="email"
                                maxlength="254"
                                prop:value=move || email.get()
                                on:input=move |ev| email.set(event_target_value(&ev))
                            />
                        </label>
                        <button
                            type="button"
                            class="checkout-place"
                            disabled=move || empty() || placing
                            on:click=place
                        >
                            {if placing { "Placing the order…" } else { "Place order" }}
                        </button>
                    }
                        .into_any()
                }
                Step::TestPayment(order) | Step::Paying(order) => {
                    let paying = matches!(step.get(), Step::Paying(_));
                    let amount = format_price(order.total, &order.currency);
                    view! {
                        <div class="test-payment" role="group" aria-label="Test payment">
                            <p>
                                <strong>"Test mode"</strong>
                                " — this shop runs the local test provider: no money moves."
                            </p>
                            <p>"Order " <code>{order.order_id.clone()}</code> " · " {amount.clone()}</p>
                            <button type="button" class="checkout-pay" disabled=paying on:click=move |_| pay(true)>
                                {format!("Pay {amount} (test)")}
                            </button>
                            <button type="button" class="secondary" disabled=paying on:click=move |_| pay(false)>
                                "Decline (test card)"
                            </button>
                        </div>
                    }
                        .into_any()
                }
                Step::Paid(order) => {
                    view! {
                        <div class="checkout-done" role="status">
                            <p>
                                <strong>"Thank you!"</strong>
                                " Order "
                                <code data-testid="paid-order">{order.order_id.clone()}</code>
                                " is paid: "
                                {format_price(order.total, &order.currency)}
                                "."
                            </p>
                            <button type="button" class="secondary" on:click=move |_| step.set(Step::Editing)>
                                "Continue shopping"
                            </button>
                        </div>
                    }
                        .into_any()
                }
                Step::CardPayment(order, page, client_secret) => {
                    view! {
                        <StripePayment
                            order
                            page
                            client_secret
                            on_paid=move |paid| {
                                cart.clear();
                                step.set(Step::Paid(paid));
                            }
                        />
                    }
                        .into_any()
                }
                Step::PayAtShop(order, url) => {
                    view! {
                        <div class="shop-checkout" role="group" aria-label="Pay at the shop">
                            <p>
                                "Order " <code>{order.order_id.clone()}</code> " · "
                                {format_price(order.total, &order.currency)}
                                " is ready. You pay at the shop's checkout, in a new tab: the show keeps playing here."
                            </p>
                            <a
                                class="checkout-pay"
                                href=url
                                target="_blank"
                                rel="noopener noreferrer"
                                on:click=move |_| cart.clear()
                            >
                                "Pay at the shop's checkout ↗"
                            </a>
                        </div>
                    }
                        .into_any()
                }
                Step::ElsewhereUnavailable(order) => {
                    view! {
                        <p class="form-error" role="alert">
                            {format!(
                                "Order {} is waiting for payment through {}, whose payment form this page does not show yet.",
                                order.order_id,
                                order.provider,
                            )}
                        </p>
                    }
                        .into_any()
                }
            }}
            {move || problem.get().map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
        </div>
    })
}

/// A fresh Idempotency-Key: a random UUID from the browser.
#[cfg(feature = "browser")]
fn new_key() -> String {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.random_uuid())
        .unwrap_or_else(|| format!("{}-{}", js_sys::Date::now(), js_sys::Math::random()))
}
