-- Where each show's stream stands, as its ingest last said: waiting (nothing published yet), live, interrupted
-- (every encoder dropped before the show ended) or ended; and the encoders' and transcoder's readings (JSON), for the
-- console. Written on every change and every 2 s while on air, so every replica answers the same.
CREATE TABLE stream_status (
    event_id    TEXT NOT NULL PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    state       TEXT NOT NULL CHECK (state IN ('waiting', 'live', 'interrupted', 'ended')),
    readings    TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
