-- Messages during which debrief died (issue 9): never read again. `source` says where
-- the message is ("imap" TAB uidvalidity TAB uid TAB mailbox, or "maildir" TAB folder
-- TAB file name key); `message_id` is its row in `messages`, status 'error', listed by
-- `debrief inbox`.
CREATE TABLE quarantined (
    source         TEXT PRIMARY KEY,
    message_id     INTEGER NOT NULL REFERENCES messages (id),
    quarantined_at TEXT NOT NULL
) STRICT;
