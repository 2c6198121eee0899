use leptos::prelude::*;

use crate::{hooks::UseSwipe, i18n::Texts, preferences::use_texts};

/// The carousel's position ("3 / 12") and its previous and next buttons: the way through without dragging.
#[component]
pub fn CarouselControls(swipe: UseSwipe, count: Memo<usize>, controls: &'static str) -> impl IntoView {
    let t = use_texts();
    let step = move |class: &'static str, label: fn(&Texts) -> &'static str, symbol: &'static str, forward: bool| {
        view! {
            <button
                type="button"
                class=class
                aria-label=move || label(t.get())
                aria-controls=controls
                disabled=move || if forward { !swipe.can_go_forward() } else { !swipe.can_go_back() }
                on:click=move |_| if forward { swipe.next() } else { swipe.previous() }
            >
                {symbol}
            </button>
        }
    };
    view! {
        <div class="carousel-controls">
            <p class="carousel-position">
                <span class="visually-hidden">{move || t.get().showing_product}</span>
                {move || swipe.position(count.get())}
                " / "
                {count}
            </p>
            {step("carousel-previous", |t| t.previous_products, "‹", false)}
            {step("carousel-next", |t| t.next_products, "›", true)}
        </div>
    }
}
