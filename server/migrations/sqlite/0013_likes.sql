-- Each show's like total: the sum of every acknowledged delta (a delta is acknowledged only once this row holds it).
CREATE TABLE like_totals (
    event_id TEXT PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    total    INTEGER NOT NULL CHECK (total >= 0)
);
