use leptos::prelude::*;

use super::checkout::Checkout;
use crate::{
    components::ProductPicture,
    hooks::{CartLine, MAX_QUANTITY, use_cart},
    preferences::use_texts,
};

/// The cart over the shop area: its lines with their quantities, the totals with tax, and the checkout. Escape or
/// the close button closes it; the video plays on beside it.
#[component]
pub fn CartSheet(slug: String) -> impl IntoView {
    let cart = use_cart()?;
    let close = move || cart.open.set(false);
    let t = use_texts();
    // Escape closes it wherever the focus is (a button that just went away leaves it on the page).
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" && cart.open.get_untracked() {
            close();
        }
    });
    on_cleanup(move || escape.remove());
    let totals = move || {
        let (total, tax) = cart.totals();
        let currency = cart.currency();
        (t.get().price(total, &currency), t.get().price(tax, &currency))
    };
    // Type-erased: the sheet's view type is deep enough to exhaust the compiler's recursion limit in release builds.
    Some(
        view! {
            <aside
                id="cart"
                class="cart-sheet"
                role="dialog"
                aria-modal="false"
                aria-labelledby="cart-title"
                hidden=move || !cart.open.get()
            >
                <header class="cart-header">
                    <h2 id="cart-title">{move || t.get().cart}</h2>
                    <button type="button" class="cart-close" aria-label=move || t.get().close_cart on:click=move |_| close()>
                        "×"
                    </button>
                </header>
                <Show
                    when=move || cart.lines.with(|lines| !lines.is_empty())
                    fallback=move || view! { <p class="cart-empty">{move || t.get().cart_empty}</p> }
                >
                    <ul class="cart-lines">
                        <For each=move || cart.lines.get() key=|line| (line.key(), line.quantity, line.price) let:line>
                            <CartItem line />
                        </For>
                    </ul>
                    <dl class="cart-totals">
                        <div>
                            <dt>{move || t.get().total_tax_included}</dt>
                            <dd data-testid="cart-total">{move || totals().0}</dd>
                        </div>
                        <div>
                            <dt>{move || t.get().of_which_tax}</dt>
                            <dd data-testid="cart-tax">{move || totals().1}</dd>
                        </div>
                    </dl>
                </Show>
                <Checkout slug=slug.clone() />
            </aside>
        }
        .into_any(),
    )
}

/// One line: picture, title, price, a quantity stepper and "Remove".
#[component]
fn CartItem(line: CartLine) -> impl IntoView {
    let cart = use_cart()?;
    let t = use_texts();
    let id = line.key();
    let quantity = line.quantity;
    let (amount, currency) = (line.price * line.quantity, line.currency.clone());
    let title = match &line.variant_title {
        Some(variant) => format!("{} ({variant})", line.title),
        None => line.title.clone(),
    };
    let change = {
        let id = id.clone();
        move |delta: i64| cart.set_quantity(&id, quantity + delta)
    };
    let less = change.clone();
    let remove = move |_| cart.remove(&id);
    Some(view! {
        <li class="cart-line" data-product-id=line.product_id.clone()>
            <ProductPicture url=line.image_url.clone() size=56 />
            <div class="cart-line-body">
                <p class="cart-line-title" lang="ja">{line.title.clone()}</p>
                {line.variant_title.clone().map(|variant| view! { <p class="cart-line-variant">{variant}</p> })}
                <p class="cart-line-price">
                    {move || t.get().price(amount, &currency)} " " {move || t.get().tax_included}
                </p>
                <div class="stepper" role="group" aria-label={
                    let title = title.clone();
                    move || t.get().quantity_of(&title)
                }>
                    <button type="button" aria-label=move || t.get().one_less on:click=move |_| less(-1)>"−"</button>
                    <output aria-live="polite">{quantity}</output>
                    <button
                        type="button"
                        aria-label=move || t.get().one_more
                        disabled={quantity >= MAX_QUANTITY}
                        on:click=move |_| change(1)
                    >
                        "+"
                    </button>
                </div>
            </div>
            <button type="button" class="cart-remove" aria-label=move || t.get().remove_item(&title) on:click=remove>
                {move || t.get().remove}
            </button>
        </li>
    })
}
