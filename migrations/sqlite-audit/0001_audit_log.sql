-- The audit log lives in a database file of its own (DATABASE_URL's file with
-- ".audit" before the extension), written by its own writer thread: every event
-- of the event bus, secrets redacted before they get here. Rows an earlier
-- version kept in the main file are moved here on start, with their seq.
CREATE TABLE audit_log (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  id          TEXT NOT NULL,
  user_id     TEXT,
  action      TEXT NOT NULL,
  resource    TEXT NOT NULL,
  result      TEXT NOT NULL,
  metadata    TEXT NOT NULL DEFAULT '{}',
  timestamp   INTEGER NOT NULL
);
CREATE INDEX audit_log_user ON audit_log(user_id, seq);
CREATE INDEX audit_log_resource ON audit_log(resource, seq);
