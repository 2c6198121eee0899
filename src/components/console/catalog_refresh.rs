use leptos::{form::ActionForm, prelude::*};

use super::action_message::ActionMessage;
use crate::api::console::RefreshCatalog;

/// For a show whose products come from a Shopify collection: where they come from, and reading it again now (after
/// a change in Shopify whose webhook has not come, or to check). A plain form posting to a server function.
#[component]
pub fn CatalogRefresh(slug: String, collection: String) -> impl IntoView {
    let refresh = ServerAction::<RefreshCatalog>::new();
    view! {
        <section class="console-catalog" aria-labelledby="console-catalog-title">
            <h2 id="console-catalog-title">"Catalog"</h2>
            <p>"The products come from the Shopify collection " <code>{collection}</code> "."</p>
            <ActionForm action=refresh>
                <input type="hidden" name="slug" value=slug />
                <button type="submit" disabled=move || refresh.pending().get()>
                    "Refresh from Shopify"
                </button>
            </ActionForm>
            <ActionMessage result=refresh.value() />
        </section>
    }
}
