-- Durable scheduled work (rental reminders now; the order pipeline's steps later). A job runs at or after run_at,
-- once: a worker claims it by setting locked_until, and marks it done in the transaction that records its effect.
-- Failures are retried with backoff until max attempts, then the job is failed with its last error kept.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    -- At most one live job per key (the rental reminder of one viewer and event); scheduling again moves it.
    dedupe_key   TEXT NOT NULL UNIQUE,
    payload      TEXT NOT NULL,
    run_at       TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'cancelled', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);

CREATE INDEX jobs_due ON jobs (state, run_at);

-- Mail written by jobs (a transactional outbox): queued for SMTP when it is configured, held here for the operator
-- console when it is not (the embedded default).
CREATE TABLE mail_outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('held', 'queued', 'sent', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at    TEXT
);

CREATE INDEX mail_outbox_state ON mail_outbox (state, id);
