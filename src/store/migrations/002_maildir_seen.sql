-- Maildir files already read, keyed by the unique part of their name (before ':'), so a
-- file that a mail client moves from new/ to cur/ and flags (":2,S") is not read again.
-- `message` is the message the file was recorded as (NULL if it could not be recorded).
CREATE TABLE maildir_seen (
    folder  TEXT NOT NULL,
    name    TEXT NOT NULL,
    message INTEGER REFERENCES messages (id),
    seen_at TEXT NOT NULL,
    PRIMARY KEY (folder, name)
) STRICT;
