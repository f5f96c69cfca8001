-- The command log's trigram index without positions (detail=none) and without per-row sizes
-- (columnsize=0). Substring search is `command LIKE '%needle%'`, which FTS5 answers from the
-- needle's trigrams and SQLite then confirms against the text; positions and sizes were never
-- used (no ranking, no phrase or NEAR queries) and cost the writer ~8 µs of its ~50 µs per row
-- at 300,000 rows (bench/command-log.mjs), and the file 15 % of its size.
DROP TRIGGER commands_fts_insert;
DROP TRIGGER commands_fts_delete;
DROP TABLE commands_fts;
CREATE VIRTUAL TABLE commands_fts USING fts5(command, content = 'commands', content_rowid = 'id', tokenize = 'trigram', detail = 'none', columnsize = 0);
INSERT INTO commands_fts (commands_fts) VALUES ('rebuild');
CREATE TRIGGER commands_fts_insert AFTER INSERT ON commands BEGIN INSERT INTO commands_fts (rowid, command) VALUES (new.id, new.command); END;
CREATE TRIGGER commands_fts_delete AFTER DELETE ON commands BEGIN INSERT INTO commands_fts (commands_fts, rowid, command) VALUES ('delete', old.id, old.command); END;
