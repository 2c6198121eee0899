-- Playback analytics: one row per page view that played (its random session id), summed from the player's batches.
CREATE TABLE playback_sessions (
    session_id      TEXT PRIMARY KEY,
    event_id        TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    started_at      TEXT NOT NULL,
    last_seen_at    TEXT NOT NULL,
    -- Whether the last batch left the video playing (with last_seen_at: watching now).
    playing         INTEGER NOT NULL CHECK (playing IN (0, 1)),
    plays           INTEGER NOT NULL DEFAULT 0,
    pauses          INTEGER NOT NULL DEFAULT 0,
    errors          INTEGER NOT NULL DEFAULT 0,
    rebuffers       INTEGER NOT NULL DEFAULT 0,
    rebuffer_ms     INTEGER NOT NULL DEFAULT 0,
    quality_changes INTEGER NOT NULL DEFAULT 0,
    watched_ms      INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX playback_sessions_event ON playback_sessions (event_id, last_seen_at);
