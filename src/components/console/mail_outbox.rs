use leptos::prelude::*;

use crate::api::console::OutboxMail;

/// The newest mail to viewers (rental reminders): where each went, what it said, and whether it left. Without an SMTP
/// server the mail is held here, so an operator can still read and forward it.
#[component]
pub fn MailOutbox(mail: Vec<OutboxMail>) -> impl IntoView {
    let empty = mail.is_empty();
    view! {
        <section class="console-outbox" aria-labelledby="console-outbox-title">
            <h2 id="console-outbox-title">"Mail to viewers"</h2>
            {empty.then(|| view! { <p class="muted">"No mail yet. Rental reminders appear here."</p> })}
            <ul data-testid="outbox">
                {mail
                    .into_iter()
                    .map(|mail| {
                        let state = match mail.state.as_str() {
                            "held" => "Held (no mail server)",
                            "queued" => "Waiting to send",
                            "sent" => "Sent",
                            _ => "Could not be sent",
                        };
                        view! {
                            <li>
                                <details>
                                    <summary>
                                        <span class="outbox-subject">{mail.subject}</span>
                                        " to "
                                        <span class="outbox-recipient">{mail.recipient}</span>
                                        <span class=format!("outbox-state outbox-{}", mail.state)>{state}</span>
                                        <time datetime=mail.created_at.clone()>{written(&mail.created_at)}</time>
                                    </summary>
                                    <pre class="outbox-body">{mail.body}</pre>
                                </details>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

/// "2026-11-22 10:00 UTC" from an RFC 3339 time in UTC.
fn written(rfc3339: &str) -> String {
    match rfc3339.get(..16) {
        Some(minutes) => format!("{} UTC", minutes.replace('T', " ")),
        None => rfc3339.to_string(),
    }
}
