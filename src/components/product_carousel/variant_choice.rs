use leptos::prelude::*;

use crate::api::{Product, Variant};

/// The choice of a product's variant (size, colour): a labelled select whose sold-out options cannot be chosen.
#[component]
pub fn VariantChoice(product: Product, chosen: RwSignal<Option<Variant>>) -> impl IntoView {
    let label = format!("Choose a variant of {}", product.title);
    let variants = StoredValue::new(product.variants.clone());
    let on_change = move |ev| {
        let id = event_target_value(&ev);
        chosen.set(variants.with_value(|all| all.iter().find(|v| v.id == id).cloned()));
    };
    view! {
        <select class="variant-choice" aria-label=label on:change=on_change>
            {product
                .variants
                .into_iter()
                .map(|variant| {
                    let selected = chosen.with_untracked(|c| c.as_ref().is_some_and(|c| c.id == variant.id));
                    let text = if variant.sold_out {
                        format!("{} — sold out", variant.title)
                    } else {
                        variant.title.clone()
                    };
                    view! {
                        <option value=variant.id.clone() disabled=variant.sold_out selected=selected>
                            {text}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}
