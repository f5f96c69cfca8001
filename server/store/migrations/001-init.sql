-- Gatehouse schema, version 1. Times are ISO-8601 UTC strings with milliseconds.
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
  password_hash TEXT,
  must_change_password INTEGER NOT NULL DEFAULT 0,
  totp_secret TEXT,
  created_at TEXT NOT NULL
);

CREATE TABLE groups (
  name TEXT PRIMARY KEY,
  created_at TEXT NOT NULL
);

CREATE TABLE group_members (
  group_name TEXT NOT NULL REFERENCES groups(name) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (group_name, user_id)
);

CREATE TABLE auth_sessions (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  source TEXT
);

CREATE TABLE environments (
  name TEXT PRIMARY KEY,
  offline_removal_seconds INTEGER,
  created_at TEXT NOT NULL
);

CREATE TABLE targets (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('agent', 'ssh', 'local', 'proxy')),
  environment TEXT NOT NULL REFERENCES environments(name),
  created_at TEXT NOT NULL,
  last_seen_at TEXT,
  -- agent targets: the agent's Ed25519 public key (SPKI PEM) it proves possession of at every connect
  agent_public_key TEXT,
  registered_with TEXT
);

-- API keys: the secret is shown once and stored only as its SHA-256 (it is 256 random bits, so
-- a slow hash adds nothing). Registration keys may only register agents.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  secret_hash TEXT NOT NULL,
  registration INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT,
  last_used_at TEXT
);

CREATE TABLE policies (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  document TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE connections (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  user_email TEXT NOT NULL,
  target_id TEXT NOT NULL,
  target_name TEXT NOT NULL,
  target_user TEXT NOT NULL,
  environment TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('shell', 'exec', 'tunnel')),
  command TEXT,
  pty INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open', 'connected', 'disconnected', 'closed')),
  permit TEXT NOT NULL,
  created_at TEXT NOT NULL,
  closed_at TEXT,
  close_reason TEXT,
  closed_by TEXT,
  exit_code INTEGER
);
CREATE INDEX connections_user ON connections(user_id, created_at);

CREATE TABLE connection_events (
  id INTEGER PRIMARY KEY,
  connection_id TEXT NOT NULL,
  at TEXT NOT NULL,
  state TEXT NOT NULL,
  actor TEXT,
  reason TEXT
);
CREATE INDEX connection_events_conn ON connection_events(connection_id);

CREATE TABLE recordings (
  connection_id TEXT PRIMARY KEY,
  path TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  duration_seconds REAL,
  size_bytes INTEGER NOT NULL DEFAULT 0,
  records_input INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('live', 'complete', 'repaired'))
);
CREATE INDEX recordings_started ON recordings(started_at);

CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  type TEXT NOT NULL,
  v INTEGER NOT NULL,
  actor TEXT,
  source TEXT,
  outcome TEXT NOT NULL,
  object TEXT,
  details TEXT
);
CREATE INDEX events_at ON events(at);
