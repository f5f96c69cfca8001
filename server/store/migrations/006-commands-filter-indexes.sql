-- The command log's user and target filters, indexed the way they are asked. The user filter
-- compares without case (`user_email = ? COLLATE NOCASE`), which a BINARY index cannot serve:
-- it scanned the table. Both old indexes also ended in `at`, so a filter's rows were sorted
-- again by id for every query; an index on the column alone keeps its rows in id order (the
-- rowid is the index's last key), so "newest 1000 of this user" reads 1000 entries and stops.
-- Shorter keys are also cheaper for the writer.
DROP INDEX commands_user;
DROP INDEX commands_target;
CREATE INDEX commands_user ON commands(user_email COLLATE NOCASE);
CREATE INDEX commands_target ON commands(target_name);
