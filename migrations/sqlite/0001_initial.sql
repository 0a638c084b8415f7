-- cancelflow schema, version 1 (SQLite).
-- Times are INTEGER milliseconds since the Unix epoch (UTC); JSON columns hold UTF-8 JSON text.
-- The layout of each table is documented in docs/STORAGE.md.

CREATE TABLE users (
  id          TEXT PRIMARY KEY,
  email       TEXT NOT NULL,
  role        TEXT NOT NULL CHECK (role IN ('user', 'admin')),
  realtime_notifications INTEGER NOT NULL DEFAULT 1,
  email_notifications    INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL
);

-- Bearer tokens are stored as the hex SHA-256 of the token; the token itself is never stored.
CREATE TABLE tokens (
  hash        TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at  INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX tokens_user ON tokens(user_id);

CREATE TABLE subscriptions (
  id          TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  provider    TEXT NOT NULL,
  external_id TEXT NOT NULL,
  name        TEXT NOT NULL,
  plan        TEXT,
  amount      REAL,
  currency    TEXT,
  renews_at   INTEGER,
  status      TEXT NOT NULL DEFAULT 'active',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX subscriptions_user ON subscriptions(user_id, created_at);
CREATE INDEX subscriptions_external ON subscriptions(provider, external_id);

CREATE TABLE cancellation_requests (
  id              TEXT PRIMARY KEY,
  user_id         TEXT NOT NULL,
  subscription_id TEXT NOT NULL REFERENCES subscriptions(id),
  workflow_id     TEXT NOT NULL,
  status          TEXT NOT NULL,
  method          TEXT,
  priority        TEXT NOT NULL,
  preferred_method TEXT NOT NULL,
  notify_realtime INTEGER NOT NULL,
  notify_email    INTEGER NOT NULL,
  reason          TEXT,
  scheduled_for   INTEGER,
  progress        INTEGER NOT NULL DEFAULT 0,
  current_step    TEXT,
  attempts        TEXT NOT NULL DEFAULT '[]',
  confirmation_code TEXT,
  manual_instructions TEXT,
  idempotency_key TEXT,
  request_hash    TEXT,
  estimated_completion INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  completed_at    INTEGER
);
CREATE INDEX cancellation_requests_user ON cancellation_requests(user_id, created_at DESC);
CREATE INDEX cancellation_requests_subscription ON cancellation_requests(subscription_id);
-- At most one active request per subscription, even when two arrive at once.
CREATE UNIQUE INDEX cancellation_requests_active ON cancellation_requests(subscription_id)
  WHERE status IN ('pending', 'scheduled', 'processing');
CREATE UNIQUE INDEX cancellation_requests_idempotency
  ON cancellation_requests(user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- A durable workflow: the engine persists every transition here before emitting its event.
-- awaiting_job: the job the current step waits for; wait_key: the event it waits for
-- ("webhook.received:req_…"); wake_at: the durable timer (step timeout or scheduled start).
CREATE TABLE workflow_instances (
  id           TEXT PRIMARY KEY,
  definition   TEXT NOT NULL,
  status       TEXT NOT NULL,
  current_step TEXT,
  progress     INTEGER NOT NULL DEFAULT 0,
  context      TEXT NOT NULL DEFAULT '{}',
  history      TEXT NOT NULL DEFAULT '[]',
  awaiting_job TEXT,
  wait_key     TEXT,
  wake_at      INTEGER,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  finished_at  INTEGER
);
CREATE INDEX workflow_instances_unfinished ON workflow_instances(status)
  WHERE status IN ('pending', 'running', 'waiting');
CREATE INDEX workflow_instances_wait ON workflow_instances(wait_key) WHERE wait_key IS NOT NULL;
CREATE INDEX workflow_instances_wake ON workflow_instances(wake_at) WHERE wake_at IS NOT NULL;
CREATE INDEX workflow_instances_finished ON workflow_instances(finished_at) WHERE finished_at IS NOT NULL;

-- Outcomes of provider calls (analytics.track): success rates and durations per provider and
-- method, for GET /v1/providers and estimatedCompletion.
CREATE TABLE provider_outcomes (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  provider    TEXT NOT NULL,
  method      TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  at          INTEGER NOT NULL
);
CREATE INDEX provider_outcomes_by ON provider_outcomes(provider, method, seq);

-- seq is the SSE event id: decimal, increasing.
CREATE TABLE notifications (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  id          TEXT NOT NULL UNIQUE,
  user_id     TEXT NOT NULL,
  type        TEXT NOT NULL,
  title       TEXT NOT NULL,
  message     TEXT NOT NULL,
  priority    TEXT NOT NULL,
  data        TEXT NOT NULL DEFAULT '{}',
  created_at  INTEGER NOT NULL
);
CREATE INDEX notifications_user ON notifications(user_id, seq);

CREATE TABLE email_outbox (
  id          TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL,
  recipient   TEXT NOT NULL,
  subject     TEXT NOT NULL,
  body        TEXT NOT NULL,
  status      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  sent_at     INTEGER
);

-- Every event of the event bus, secrets redacted before they get here.
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

-- Inbound webhooks accepted, keyed by the provider's message id (replay protection).
CREATE TABLE webhook_receipts (
  provider    TEXT NOT NULL,
  message_id  TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  body        TEXT NOT NULL,
  status      TEXT NOT NULL,
  PRIMARY KEY (provider, message_id)
);

-- User-defined outgoing webhook endpoints.
CREATE TABLE webhook_endpoints (
  id          TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL,
  url         TEXT NOT NULL,
  events      TEXT NOT NULL,
  secret      TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);

-- The embedded job queue; the semantics are in src/queue/job_queue.h, the layout in docs/STORAGE.md.
-- state: waiting | delayed | active | completed | failed.
CREATE TABLE jobs (
  seq          INTEGER PRIMARY KEY,
  id           TEXT NOT NULL UNIQUE,
  type         TEXT NOT NULL,
  payload      TEXT NOT NULL,
  priority     INTEGER NOT NULL,
  state        TEXT NOT NULL,
  run_at       INTEGER NOT NULL,
  attempts     INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  unique_key   TEXT,
  locked_by    TEXT,
  lease_until  INTEGER,
  last_error   TEXT,
  errors       TEXT NOT NULL DEFAULT '[]',
  created_at   INTEGER NOT NULL,
  started_at   INTEGER,
  finished_at  INTEGER
);
-- The claim order: highest priority, then earliest run_at, then insertion order.
CREATE INDEX jobs_ready ON jobs(priority DESC, run_at, seq) WHERE state = 'waiting';
CREATE INDEX jobs_delayed ON jobs(run_at) WHERE state = 'delayed';
CREATE INDEX jobs_active ON jobs(lease_until) WHERE state = 'active';
CREATE INDEX jobs_finished ON jobs(state, finished_at) WHERE state IN ('completed', 'failed');
CREATE UNIQUE INDEX jobs_unique_key ON jobs(unique_key) WHERE unique_key IS NOT NULL;

CREATE TABLE queue_paused_types (
  type        TEXT PRIMARY KEY,
  paused_at   INTEGER NOT NULL
);
