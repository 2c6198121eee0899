-- The waiting room of each show (the AWS Virtual Waiting Room's model): while armed, viewers going to checkout take
-- a queue number; the serving counter says up to which number they may go in. It moves by the operator, or by
-- itself: `max_size` keeps at most `inlet_size` shoppers in checkout, `per_minute` lets `inlet_size` more in each
-- minute. last_number is the last number given.
CREATE TABLE waiting_rooms (
    event_id        TEXT PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    armed           BIGINT NOT NULL CHECK (armed IN (0, 1)),
    inlet           TEXT NOT NULL CHECK (inlet IN ('manual', 'max_size', 'per_minute')),
    inlet_size      BIGINT NOT NULL CHECK (inlet_size >= 0),
    serving_counter BIGINT NOT NULL CHECK (serving_counter >= 0),
    last_number     BIGINT NOT NULL CHECK (last_number >= 0),
    -- When `per_minute` last let people in.
    inlet_at        TEXT,
    updated_at      TEXT NOT NULL
);

-- A viewer's place in a room: request_id is the secret the viewer holds (AWS's request id, the token's subject).
-- served_at is when the counter reached it; token_at when its token was first issued (the same token is given
-- again from it). A place served and not claimed within the expiry, or claimed and past the token's validity, no
-- longer counts; completed (an order placed with its token) and abandoned ones neither.
CREATE TABLE waiting_positions (
    request_id   TEXT PRIMARY KEY,
    event_id     TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    viewer_id    TEXT NOT NULL,
    queue_number BIGINT NOT NULL,
    entered_at   TEXT NOT NULL,
    served_at    TEXT,
    token_at     TEXT,
    state        TEXT NOT NULL CHECK (state IN ('waiting', 'completed', 'abandoned')),
    UNIQUE (event_id, queue_number)
);

CREATE INDEX waiting_positions_viewer ON waiting_positions (event_id, viewer_id);
