-- Every change of a show's pick-up banner, as it happened: its replay places each on the recording's timeline.
CREATE TABLE pickup_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    product_id  TEXT,
    visible     INTEGER NOT NULL CHECK (visible IN (0, 1)),
    at          TEXT NOT NULL
);
CREATE INDEX pickup_log_by_event ON pickup_log (event_id, id);
