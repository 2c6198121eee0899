use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The operator's sign-in: a plain form (it works without JavaScript) that the server answers with a session cookie.
#[component]
pub fn ConsoleLogin(next: String) -> impl IntoView {
    let query = use_query_map();
    let failed = move || query.read().get("login").as_deref() == Some("failed");
    view! {
        <main class="console console-login" lang="en">
            <h1>"Operator console"</h1>
            <form method="post" action="/api/admin/login" class="login-form">
                <input type="hidden" name="next" value=next />
                <label for="operator-token">"Operator token"</label>
                <input id="operator-token" name="token" type="password" autocomplete="current-password" required />
                <Show when=failed>
                    <p class="form-error" role="alert">
                        "That token is not right. Check CARAVAN_OPERATOR_TOKEN and try again."
                    </p>
                </Show>
                <button type="submit">"Sign in"</button>
            </form>
        </main>
    }
}
