-- The operator sessions' generation: every operator session cookie carries the generation it was issued in, and
-- signing out moves it on, so every session issued before ends at once, on every replica.
CREATE TABLE operator_session_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO operator_session_generation (id, generation) VALUES (1, 0);
