use leptos::{html, prelude::*};

use crate::{
    api::orders::{PlacedOrder, StripePage},
    hooks::use_stripe_elements,
    preferences::use_texts,
};

/// How long the page waits for Stripe's webhook to mark an accepted payment paid, checking once a second.
#[cfg(feature = "browser")]
const CONFIRMATION_CHECKS: u32 = 30;

/// Stripe's Payment Element for a placed order, and its pay button. When Stripe accepts the payment, the order is
/// read back until Stripe's webhook has marked it paid; Stripe's refusals ("Your card was declined.") are shown in
/// its words and the buyer can try again.
#[component]
pub fn StripePayment(
    order: PlacedOrder,
    page: StripePage,
    client_secret: String,
    #[prop(into)] on_paid: Callback<PlacedOrder>,
) -> impl IntoView {
    let container = NodeRef::<html::Div>::new();
    let stripe = use_stripe_elements(container, page, client_secret);
    let paying = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let t = use_texts();
    let (total, currency) = (order.total, order.currency.clone());
    let amount = move || t.get().price(total, &currency);
    let order_id = StoredValue::new(order.order_id.clone());
    #[cfg(not(feature = "browser"))]
    let _ = (order_id, on_paid);

    let pay = move |_| {
        paying.set(true);
        problem.set(None);
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            match stripe.confirm().await {
                Err(message) => {
                    problem.set(Some(message));
                    paying.set(false);
                }
                Ok(()) => {
                    confirming.set(true);
                    if let Some(paid) = paid(order_id.get_value()).await {
                        on_paid.run(paid);
                    }
                }
            }
        });
    };

    view! {
        <div class="stripe-payment" role="group" aria-label=move || t.get().card_payment>
            <p>{move || t.get().order_label} <code>{order.order_id.clone()}</code> " · " {amount.clone()}</p>
            <div class="payment-element" node_ref=container></div>
            {move || {
                (!stripe.ready.get() && stripe.failed.get().is_none())
                    .then(|| view! { <p class="slot-note">{move || t.get().loading_card_form}</p> })
            }}
            <button
                type="button"
                class="checkout-pay"
                disabled=move || !stripe.ready.get() || paying.get()
                on:click=pay
            >
                {move || t.get().pay(&amount())}
            </button>
            {move || {
                confirming
                    .get()
                    .then(|| {
                        view! {
                            <p role="status">
                                {move || t.get().stripe_accepted}
                            </p>
                        }
                    })
            }}
            {move || {
                stripe.failed.get().or(problem.get()).map(|message| view! { <p class="form-error" role="alert">{message}</p> })
            }}
        </div>
    }
}

/// The order once it is paid (Stripe's webhook has arrived), or `None` if that takes longer than we wait.
#[cfg(feature = "browser")]
async fn paid(order_id: String) -> Option<PlacedOrder> {
    use crate::api::orders::{OrderAnswer, order};
    for _ in 0..CONFIRMATION_CHECKS {
        if let Ok(OrderAnswer::Done(now)) = order(&order_id).await
            && now.state == "paid"
        {
            return Some(now);
        }
        let second = js_sys::Promise::new(&mut |resolve, _| {
            let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 1000);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(second).await;
    }
    None
}
