use leptos::prelude::*;

use crate::api::realtime::{self, LinkStatus, LiveRequest};

pub struct UseLiveSubscriptionReturn {
    /// The real-time link's state (shared by every subscription of the page).
    pub status: Signal<LinkStatus>,
}

/// Follows a GraphQL subscription while the calling component lives: `on_data` gets each delivery, and `on_resync`
/// is called each time the server has started it (first connection and every reconnection) so the component can
/// re-read what it may have missed. Starts in the browser only (after hydration); ends when the component is cleaned
/// up.
pub fn use_live_subscription<T: 'static>(
    request: LiveRequest<T>,
    on_data: impl Fn(T) + 'static,
    on_resync: impl Fn() + 'static,
) -> UseLiveSubscriptionReturn {
    if cfg!(feature = "browser") {
        let id = realtime::subscribe(request, on_data, on_resync);
        on_cleanup(move || realtime::unsubscribe(&id));
    }
    UseLiveSubscriptionReturn {
        status: realtime::status(),
    }
}
