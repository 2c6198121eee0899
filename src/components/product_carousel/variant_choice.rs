use leptos::prelude::*;

use crate::{
    api::{Product, Variant},
    preferences::use_texts,
};

/// The choice of a product's variant (size, colour): a labelled select whose sold-out options cannot be chosen.
#[component]
pub fn VariantChoice(product: Product, chosen: RwSignal<Option<Variant>>) -> impl IntoView {
    let t = use_texts();
    let title = product.title.clone();
    let label = move || t.get().choose_variant(&title);
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
                    let (title, sold_out) = (variant.title.clone(), variant.sold_out);
                    let text = move || if sold_out { t.get().variant_sold_out(&title) } else { title.clone() };
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
