use leptos::{form::ActionForm, prelude::*};

use super::action_message::ActionMessage;
use crate::api::console::{DeadJob, RetryJob};

/// Background work that failed after all its retries (an order's e-mail or export, a reminder): what it was, how
/// often it was tried, its last error, and a button to run it again. Plain forms: they work without JavaScript.
#[component]
pub fn DeadLetters(jobs: Vec<DeadJob>, retry: ServerAction<RetryJob>) -> impl IntoView {
    let empty = jobs.is_empty();
    view! {
        <section class="console-dead-letters" aria-labelledby="console-dead-title">
            <h2 id="console-dead-title">"Failed background work"</h2>
            {empty.then(|| view! { <p class="muted">"Nothing failed. E-mails and exports are all done or on their way."</p> })}
            <ul data-testid="dead-letters">
                {jobs
                    .into_iter()
                    .map(|job| {
                        let tries = if job.attempts == 1 { "1 try".to_string() } else { format!("{} tries", job.attempts) };
                        view! {
                            <li>
                                <code class="dead-key">{job.key.clone()}</code>
                                <span class="dead-tries">{tries}</span>
                                <span class="dead-error">{job.error.unwrap_or_default()}</span>
                                <ActionForm action=retry>
                                    <input type="hidden" name="id" value=job.id.to_string() />
                                    <button type="submit" class="secondary" aria-label=format!("Retry {}", job.key)>
                                        "Retry"
                                    </button>
                                </ActionForm>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <ActionMessage result=retry.value() />
        </section>
    }
}
