use leptos::{form::ActionForm, prelude::*};

use super::action_message::ActionMessage;
use crate::api::console::GrantAccess;

/// Gives a viewer access to a paid show by the code the player shows them (until commerce sells tickets). A plain
/// form posting to a server function, so it also works without JavaScript.
#[component]
pub fn GrantAccessForm(slug: String) -> impl IntoView {
    let grant = ServerAction::<GrantAccess>::new();
    view! {
        <section class="console-access" aria-labelledby="console-access-title">
            <h2 id="console-access-title">"Give access"</h2>
            <ActionForm action=grant>
                <input type="hidden" name="slug" value=slug />
                <label>
                    "Viewer code"
                    <input
                        name="viewer_id"
                        required
                        minlength="22"
                        maxlength="22"
                        autocomplete="off"
                        spellcheck="false"
                    />
                </label>
                <label>
                    "Kind"
                    <select name="kind">
                        <option value="ticket">"Ticket"</option>
                        <option value="rental">"Rental (48 hours)"</option>
                        <option value="grant">"Complimentary"</option>
                    </select>
                </label>
                <label>
                    "E-mail for the rental's reminder (optional)"
                    <input name="email" type="email" autocomplete="off" maxlength="254" />
                </label>
                <button type="submit">"Give access"</button>
            </ActionForm>
            <ActionMessage result=grant.value() />
        </section>
    }
}
