-- Each show's stream keys: a primary and a backup encoder publish with one each (rtmp://host/live/{key}). Only the
-- key's SHA-256 is kept (hex): a key is shown once, when it is issued, and issuing again replaces it.
CREATE TABLE stream_keys (
    event_id   TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('primary', 'backup')),
    key_hash   TEXT NOT NULL UNIQUE,
    issued_at  TEXT NOT NULL,
    PRIMARY KEY (event_id, role)
);
