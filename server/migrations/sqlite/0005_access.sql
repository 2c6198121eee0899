-- Who may watch what. An event's access is free (after the terms, when it asks for them), ticketed (a purchase of
-- the event), rental (a purchase, valid 48 h) or plan (a member's or subscriber's claim). media_prefix is the
-- folder under /media that holds its streams: the media gate serves it only with valid signed cookies unless free.
ALTER TABLE events ADD COLUMN access TEXT NOT NULL DEFAULT 'free'
    CHECK (access IN ('free', 'ticketed', 'rental', 'plan'));
ALTER TABLE events ADD COLUMN terms_required INTEGER NOT NULL DEFAULT 0 CHECK (terms_required IN (0, 1));
ALTER TABLE events ADD COLUMN media_prefix TEXT;

-- A viewer's right to watch an event (viewers are the anonymous ids of their session cookie, or a login's subject).
CREATE TABLE entitlements (
    viewer_id  TEXT NOT NULL,
    event_id   TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('ticket', 'rental', 'grant')),
    granted_at TEXT NOT NULL,
    -- NULL: as long as the event.
    expires_at TEXT,
    PRIMARY KEY (viewer_id, event_id)
);

CREATE TABLE terms_acceptances (
    viewer_id   TEXT NOT NULL,
    event_id    TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    accepted_at TEXT NOT NULL,
    PRIMARY KEY (viewer_id, event_id)
);

-- Content keys of encrypted media (hex), served by the license server only to entitled viewers of their event.
CREATE TABLE content_keys (
    key_id   TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    key      TEXT NOT NULL
);
