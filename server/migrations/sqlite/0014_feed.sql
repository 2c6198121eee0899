-- The hashtag feed: posts polled from X and Mastodon, and the operator's own (local), per show.
CREATE TABLE feed_posts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id      TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    source        TEXT NOT NULL CHECK (source IN ('x', 'mastodon', 'local')),
    -- The post's id at its source (a local post's is its own id): a post polled twice is stored once.
    source_id     TEXT NOT NULL,
    -- Plain text: Mastodon's HTML is reduced to text before it is stored.
    text          TEXT NOT NULL,
    author_name   TEXT NOT NULL,
    author_handle TEXT,
    author_avatar TEXT,
    author_url    TEXT,
    url           TEXT,
    posted_at     TEXT NOT NULL,
    hidden        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (event_id, source, source_id)
);
CREATE INDEX feed_posts_newest ON feed_posts (event_id, hidden, posted_at DESC, id DESC);

-- Where each show's poller of each source stopped: the newest post id it has stored, so a restart resumes there.
CREATE TABLE feed_cursors (
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    source   TEXT NOT NULL,
    since_id TEXT NOT NULL,
    PRIMARY KEY (event_id, source)
);
