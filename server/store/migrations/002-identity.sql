-- Identity and audit, version 2.
-- A TOTP secret being enrolled: it becomes users.totp_secret once the user proves a code.
ALTER TABLE users ADD COLUMN totp_pending_secret TEXT;
-- The last TOTP time step accepted, so a code cannot be replayed within its window.
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
-- The API request an event belongs to (the reply's x-request-id); null for events the service
-- raises on its own (a shell exiting, an agent going offline).
ALTER TABLE events ADD COLUMN request_id TEXT;
CREATE INDEX events_request ON events(request_id);
CREATE INDEX events_type ON events(type, at);
CREATE INDEX events_actor ON events(actor, at);
-- The name an agent registered with and signs its hello with; a target can be renamed for
-- people without the agent noticing.
ALTER TABLE targets ADD COLUMN agent_name TEXT;
UPDATE targets SET agent_name = name WHERE kind = 'agent';
CREATE UNIQUE INDEX targets_agent_name ON targets(agent_name);
