-- Addresses that refused mail for good (issue 12: nothing to dead ends), learnt from a
-- delivery-status notification in the inbox (RFC 3464, or a mail server's plain-text
-- bounce): a 5.x.x permanent failure, never a 4.x.x delay. No follow-up is planned to
-- such an address, and `queue` names the bounce. `message_id` is the bounce's row in
-- `messages`; `status` the enhanced status code ("5.1.1"); `diagnostic` the server's
-- words, when the report gave them. A refusal seen by debrief's own SMTP conversation
-- stays on the draft (`last_error`), as before.
CREATE TABLE refused_addresses (
    address    TEXT PRIMARY KEY COLLATE NOCASE,
    status     TEXT NOT NULL,
    diagnostic TEXT,
    message_id INTEGER NOT NULL REFERENCES messages (id),
    refused_at TEXT NOT NULL
) STRICT;
