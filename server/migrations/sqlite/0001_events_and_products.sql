-- Shows and what they sell. Timestamps are UTC, stored as sqlx encodes chrono's DateTime<Utc>.

CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    description TEXT,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT,
    created_at  TEXT NOT NULL
);

CREATE INDEX events_starts_at ON events (starts_at);

CREATE TABLE products (
    id          TEXT PRIMARY KEY,
    event_id    TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL CHECK (position >= 0),
    title       TEXT NOT NULL,
    title_en    TEXT,
    description TEXT,
    image_url   TEXT NOT NULL,
    -- Tax-included, in the currency's minor units.
    price       INTEGER NOT NULL CHECK (price >= 0),
    currency    TEXT NOT NULL CHECK (length(currency) = 3),
    tax_rate_bp INTEGER NOT NULL CHECK (tax_rate_bp >= 0),
    stock       INTEGER NOT NULL CHECK (stock >= 0),
    UNIQUE (event_id, position)
);
