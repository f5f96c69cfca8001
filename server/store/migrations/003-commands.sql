-- The command log (SPEC §4): one row per command submitted at a shell prompt, and one per exec
-- connection. `seq` orders a connection's commands; `offset_seconds` is where the command is
-- in the connection's recording, for the player to jump to.
CREATE TABLE commands (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  connection_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  user_email TEXT NOT NULL,
  target_name TEXT NOT NULL,
  target_user TEXT NOT NULL,
  environment TEXT NOT NULL,
  command TEXT NOT NULL,
  exit_code INTEGER,
  offset_seconds REAL NOT NULL,
  UNIQUE (connection_id, seq)
);
CREATE INDEX commands_at ON commands(at);
CREATE INDEX commands_user ON commands(user_email, at);
CREATE INDEX commands_target ON commands(target_name, at);
-- Substring search (trigram): `--grep tmp/x` finds `rm -rf /tmp/xyz`, as grep would.
CREATE VIRTUAL TABLE commands_fts USING fts5(command, content = 'commands', content_rowid = 'id', tokenize = 'trigram');
CREATE TRIGGER commands_fts_insert AFTER INSERT ON commands BEGIN INSERT INTO commands_fts (rowid, command) VALUES (new.id, new.command); END;
CREATE TRIGGER commands_fts_delete AFTER DELETE ON commands BEGIN INSERT INTO commands_fts (commands_fts, rowid, command) VALUES ('delete', old.id, old.command); END;
