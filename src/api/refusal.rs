//! Why the server refused a REST request: one body for every refusal, `{"error": <words for the log and for tools>,
//! "code": <what a client branches on>, …what is true now}`. The server writes it from these types and the page reads
//! it with them, so the two cannot drift; the page words a refusal in the viewer's language from its code
//! (`crate::i18n`), never from the server's English.

use serde::{Deserialize, Serialize};

/// What was refused, as a client branches on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalCode {
    /// The request could not be understood (the message says why).
    BadRequest,
    /// The body is not JSON.
    UnsupportedMediaType,
    PayloadTooLarge,
    /// The `Host` header is not `host[:port]`.
    BadHost,
    /// A media path that does not name a file.
    BadPath,
    /// A change sent from another site's page.
    CrossOrigin,
    /// The operator's token or session, or the viewer's, is missing or wrong.
    Unauthorized,
    /// The signed cookies do not open this file.
    Forbidden,
    /// The viewer may not watch this show now (`reason`: terms, entitlement, expired).
    NotEntitled,
    NotFound,
    /// Too many requests from this viewer or address: `Retry-After` says when to try again.
    RateLimited,
    /// The feature is not set up on this server.
    NotConfigured,
    /// A webhook whose signature does not verify.
    BadSignature,
    /// A server we call failed (`upstreamStatus` when it answered).
    BadGateway,
    GatewayTimeout,
    /// A dependency (the database) does not answer.
    Unavailable,
    Internal,
    /// The product (`productId`) has `left` units, fewer than asked.
    SoldOut,
    /// The product's (`productId`) price is now `price`.
    PriceChanged,
    /// The viewer has `open` unpaid orders already.
    TooManyOpenOrders,
    /// The `Idempotency-Key` was used for another order.
    IdempotencyKeyReused,
    /// The payment provider could not start the payment; the order failed and its stock came back.
    PaymentUnavailable,
    /// The order is not in a state that allows this.
    OrderState,
    /// The show's waiting room is armed: queue first (`eventId`).
    WaitingRoom,
    /// The show's waiting room is not open.
    NotArmed,
    /// The viewer's turn has not come yet.
    NotYet,
    /// The place was used for an order.
    Completed,
    /// The place has lapsed.
    Expired,
    /// A code this page does not know (a newer server).
    #[serde(other)]
    Unknown,
}

impl RefusalCode {
    /// The code as it is written in a body.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::BadHost => "bad_host",
            Self::BadPath => "bad_path",
            Self::CrossOrigin => "cross_origin",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotEntitled => "not_entitled",
            Self::NotFound => "not_found",
            Self::RateLimited => "rate_limited",
            Self::NotConfigured => "not_configured",
            Self::BadSignature => "bad_signature",
            Self::BadGateway => "bad_gateway",
            Self::GatewayTimeout => "gateway_timeout",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
            Self::SoldOut => "sold_out",
            Self::PriceChanged => "price_changed",
            Self::TooManyOpenOrders => "too_many_open_orders",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::PaymentUnavailable => "payment_unavailable",
            Self::OrderState => "order_state",
            Self::WaitingRoom => "waiting_room",
            Self::NotArmed => "not_armed",
            Self::NotYet => "not_yet",
            Self::Completed => "completed",
            Self::Expired => "expired",
            Self::Unknown => "unknown",
        }
    }
}

/// Why a viewer may not watch a show now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Denial {
    /// The show's terms must be accepted first.
    Terms,
    /// The show needs a ticket (or a rental).
    Entitlement,
    /// The viewer's ticket or rental has ended.
    Expired,
    /// The show is for members of a plan.
    Plan,
}

impl Denial {
    /// The reason as it is written in a body.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Terms => "terms",
            Self::Entitlement => "entitlement",
            Self::Expired => "expired",
            Self::Plan => "plan",
        }
    }
}

/// A refusal's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refusal {
    /// The server's words, in English: for logs and API clients. Pages word the code instead.
    #[serde(rename = "error")]
    pub message: String,
    pub code: RefusalCode,
    /// The product a checkout refusal is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    /// The price now (`price_changed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<i64>,
    /// The units left (`sold_out`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<i64>,
    /// The viewer's unpaid orders (`too_many_open_orders`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<i64>,
    /// The show whose waiting room is armed (`waiting_room`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Why the viewer may not watch (`not_entitled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Denial>,
    /// The viewer's code, to give to the operator (`not_entitled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewer_id: Option<String>,
    /// Where a member signs in to watch (`not_entitled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_url: Option<String>,
    /// The order's state (`order_state`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The status a license server answered with (`bad_gateway`), never its body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_status: Option<u16>,
}

impl Refusal {
    pub fn new(code: RefusalCode, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code,
            product_id: None,
            price: None,
            left: None,
            open: None,
            event_id: None,
            reason: None,
            viewer_id: None,
            sign_in_url: None,
            state: None,
            upstream_status: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_reads_as_it_is_written_and_an_unknown_code_is_kept_apart() {
        let mut refusal = Refusal::new(RefusalCode::SoldOut, "Tote is sold out");
        refusal.product_id = Some("p1".into());
        refusal.left = Some(0);
        let json = serde_json::to_value(&refusal).unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "error": "Tote is sold out", "code": "sold_out", "productId": "p1", "left": 0 })
        );
        assert_eq!(serde_json::from_value::<Refusal>(json).unwrap(), refusal);
        let newer: Refusal = serde_json::from_str(r#"{"error": "x", "code": "something_new"}"#).unwrap();
        assert_eq!(newer.code, RefusalCode::Unknown);
        for code in [
            RefusalCode::TooManyOpenOrders,
            RefusalCode::NotEntitled,
            RefusalCode::BadHost,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }
}
