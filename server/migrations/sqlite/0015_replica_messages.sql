-- Messages between replicas too long for a PostgreSQL notification (8000 bytes): the notification carries the
-- row's id. Only servers on PostgreSQL write here (the table exists in both so that both schemas stay one).
CREATE TABLE replica_messages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
