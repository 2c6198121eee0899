use leptos::prelude::*;

use super::stripe_payment::StripePayment;
use crate::{
    api::orders::{PlacedOrder, StripePage},
    hooks::{Queue, use_cart, use_waiting_room},
    preferences::use_texts,
};

/// Where the checkout is. (Only the browser moves it past `Editing`.)
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "browser"), allow(dead_code))]
enum Step {
    Editing,
    Placing,
    /// The show's waiting room is armed: the viewer waits for their turn (the overlay over the show says where they
    /// are); the order is placed by itself when it comes.
    Queued,
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
    let room = use_waiting_room();
    let embed = crate::hooks::use_embed_host();
    let t = use_texts();
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

    let place = move || {
        problem.set(None);
        step.set(Step::Placing);
        #[cfg(feature = "browser")]
        {
            use crate::api::{
                RefusalCode,
                orders::{OrderAnswer, place_order},
            };
            let slug = slug.get_value();
            let key = attempt.get_value().unwrap_or_else(new_key);
            attempt.set_value(Some(key.clone()));
            let lines = cart.order_lines();
            let address = email.get_untracked();
            let pass = room.and_then(|room| room.token());
            leptos::task::spawn_local(async move {
                let address = Some(address.trim()).filter(|a| !a.is_empty());
                match place_order(&slug, &lines, address, &key, pass.as_deref()).await {
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
                        if let (RefusalCode::WaitingRoom, Some(room)) = (refusal.code, room) {
                            // Armed (or the pass has run out): queue; the order goes on when the turn comes.
                            room.forget_token();
                            room.join();
                            step.set(Step::Queued);
                            return;
                        }
                        // Read before a new price is put in (the title is the buyer's).
                        let title = refusal.product_id.as_deref().and_then(|id| cart.title_of(id));
                        if let (RefusalCode::PriceChanged, Some(id), Some(price)) =
                            (refusal.code, refusal.product_id.as_deref(), refusal.price)
                        {
                            cart.reprice(id, price);
                        }
                        let texts = t.get_untracked();
                        let hint = match refusal.code {
                            RefusalCode::PriceChanged => texts.hint_price_changed,
                            RefusalCode::SoldOut => texts.hint_sold_out,
                            _ => "",
                        };
                        let message = texts.refusal(&refusal, title.as_deref());
                        problem.set(Some(if hint.is_empty() {
                            message
                        } else {
                            format!("{message} {hint}")
                        }));
                        step.set(Step::Editing);
                    }
                    Err(error) => {
                        problem.set(Some(t.get_untracked().order_not_sent(&error.to_string())));
                        step.set(Step::Editing);
                    }
                }
            });
        }
    };

    // The waiting room lets the viewer in: the order they asked for is placed (the cart opens to show it); leaving
    // the queue (here or on the overlay) brings the checkout back.
    if let Some(room) = room {
        Effect::new(move |_| {
            let queue = room.queue.get();
            if step.get_untracked() != Step::Queued {
                return;
            }
            match queue {
                Queue::Admitted => {
                    room.done();
                    cart.open.set(true);
                    place();
                }
                Queue::Outside => step.set(Step::Editing),
                Queue::Joining | Queue::Waiting { .. } | Queue::Lapsed => {}
            }
        });
    }

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
                    problem.set(Some(t.get_untracked().test_card_declined.into()));
                    step.set(Step::Editing);
                }
                Ok(OrderAnswer::Refused(refusal)) => {
                    problem.set(Some(t.get_untracked().refusal(&refusal, None)));
                    step.set(Step::Editing);
                }
                Err(error) => {
                    problem.set(Some(t.get_untracked().payment_not_sent(&error.to_string())));
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
                            {move || t.get().receipt_email}
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
                            on:click=move |_| place()
                        >
                            {move || if placing { t.get().placing_order } else { t.get().place_order }}
                        </button>
                    }
                        .into_any()
                }
                Step::Queued => {
                    view! {
                        <div class="checkout-queued" role="status">
                            <p>{move || t.get().queued_for_checkout}</p>
                            <button
                                type="button"
                                class="secondary"
                                on:click=move |_| {
                                    if let Some(room) = room {
                                        room.leave();
                                    }
                                }
                            >
                                {move || t.get().leave_queue}
                            </button>
                        </div>
                    }
                        .into_any()
                }
                Step::TestPayment(order) | Step::Paying(order) => {
                    let paying = matches!(step.get(), Step::Paying(_));
                    let amount = move || t.get().price(order.total, &order.currency);
                    view! {
                        <div class="test-payment" role="group" aria-label=move || t.get().test_payment>
                            <p>
                                <strong>{move || t.get().test_mode}</strong>
                                {move || t.get().test_mode_text}
                            </p>
                            <p>{move || t.get().order_label} <code>{order.order_id.clone()}</code> " · " {amount.clone()}</p>
                            <button type="button" class="checkout-pay" disabled=paying on:click=move |_| pay(true)>
                                {move || t.get().pay_test(&amount())}
                            </button>
                            <button type="button" class="secondary" disabled=paying on:click=move |_| pay(false)>
                                {move || t.get().decline_test_card}
                            </button>
                        </div>
                    }
                        .into_any()
                }
                Step::Paid(order) => {
                    view! {
                        <div class="checkout-done" role="status">
                            <p>
                                <strong>{move || t.get().thank_you}</strong>
                                " "
                                {move || t.get().order_label}
                                <code data-testid="paid-order">{order.order_id.clone()}</code>
                                {move || t.get().is_paid(&t.get().price(order.total, &order.currency))}
                            </p>
                            <button type="button" class="secondary" on:click=move |_| step.set(Step::Editing)>
                                {move || t.get().continue_shopping}
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
                        <div class="shop-checkout" role="group" aria-label=move || t.get().pay_at_the_shop>
                            <p>
                                {move || t.get().order_label} <code>{order.order_id.clone()}</code> " · "
                                {move || t.get().price(order.total, &order.currency)}
                                {move || t.get().ready_at_shop}
                            </p>
                            <a
                                class="checkout-pay"
                                href=url
                                target="_blank"
                                rel="noopener noreferrer"
                                on:click=move |_| cart.clear()
                            >
                                {move || t.get().pay_at_shop_checkout}
                            </a>
                        </div>
                    }
                        .into_any()
                }
                Step::ElsewhereUnavailable(order) => {
                    view! {
                        <p class="form-error" role="alert">
                            {move || t.get().payment_form_missing(&order.order_id, &order.provider)}
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
