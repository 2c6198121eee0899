-- The pick-up banner of each event: what the operator presents now. One row per event, written by setPickup.
CREATE TABLE pickups (
    event_id   TEXT PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    product_id TEXT REFERENCES products (id) ON DELETE SET NULL,
    visible    INTEGER NOT NULL CHECK (visible IN (0, 1)),
    updated_at TEXT NOT NULL
);
