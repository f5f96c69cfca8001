-- Just-in-time access requests (SPEC §3, §5). A pending request lapses at expires_at; an
-- approved one grants through the `JIT-…` policy named in grant_policy until expires_at.
CREATE TABLE access_requests (
  id TEXT PRIMARY KEY,
  requester_id TEXT NOT NULL,
  requester_email TEXT NOT NULL,
  target_name TEXT NOT NULL,
  target_user TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('shell', 'tunnel', 'copy')),
  reason TEXT NOT NULL,
  duration_seconds INTEGER NOT NULL,
  policy TEXT NOT NULL,
  approval TEXT NOT NULL CHECK (approval IN ('auto', 'manual')),
  approvers TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired')),
  created_at TEXT NOT NULL,
  decided_at TEXT,
  decided_by TEXT,
  decision_reason TEXT,
  expires_at TEXT NOT NULL,
  grant_policy TEXT,
  -- 1 once an approved request's grant has ended (its JIT policy deleted, its connections closed).
  grant_ended INTEGER NOT NULL DEFAULT 0,
  -- Where the request was announced (Slack channel and ts per approver), to update those messages.
  announcements TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX access_requests_state ON access_requests(state, expires_at);
CREATE INDEX access_requests_requester ON access_requests(requester_id, created_at);
