-- Orders. An order moves created → paid → fulfilled, or to failed or refunded; every move is a row of
-- order_transitions with its cause. Lines keep the title, price and tax rate the buyer paid.
CREATE TABLE orders (
    id              TEXT PRIMARY KEY,
    event_id        TEXT NOT NULL REFERENCES events (id),
    viewer_id       TEXT NOT NULL,
    provider        TEXT NOT NULL CHECK (provider IN ('local', 'stripe', 'shopify')),
    state           TEXT NOT NULL CHECK (state IN ('created', 'paid', 'fulfilled', 'failed', 'refunded')),
    currency        TEXT NOT NULL CHECK (length(currency) = 3),
    -- Tax included, in the currency's minor units; tax is the part of it that is tax.
    total           INTEGER NOT NULL CHECK (total >= 0),
    tax             INTEGER NOT NULL CHECK (tax >= 0),
    email           TEXT,
    -- The provider's reference: a PaymentIntent id, a Shopify cart id.
    payment_ref     TEXT,
    -- The buyer's Idempotency-Key, and a hash of the request it came with (the same key with another body is refused).
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (viewer_id, idempotency_key)
);

CREATE INDEX orders_event ON orders (event_id, created_at);

CREATE TABLE order_lines (
    order_id    TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line        INTEGER NOT NULL,
    product_id  TEXT NOT NULL,
    title       TEXT NOT NULL,
    unit_price  INTEGER NOT NULL CHECK (unit_price >= 0),
    tax_rate_bp INTEGER NOT NULL CHECK (tax_rate_bp >= 0),
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, line)
);

CREATE TABLE order_transitions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id   TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    cause      TEXT NOT NULL,
    at         TEXT NOT NULL
);

CREATE INDEX order_transitions_order ON order_transitions (order_id, id);

-- The buyer's order history (written by the pipeline's step, once per order).
CREATE TABLE order_history (
    order_id  TEXT PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    viewer_id TEXT NOT NULL,
    summary   TEXT NOT NULL,
    added_at  TEXT NOT NULL
);

CREATE INDEX order_history_viewer ON order_history (viewer_id, added_at);

-- Webhook deliveries already handled, by the provider's event id: a repeated delivery changes nothing.
CREATE TABLE webhook_events (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (provider, event_id)
);
