-- The first schema. Times are RFC 3339 UTC text with whole seconds ("2026-12-01T23:00:00Z"),
-- so they sort and compare as text.

CREATE TABLE people (
    id         INTEGER PRIMARY KEY,
    name       TEXT,
    email      TEXT COLLATE NOCASE,
    address_as TEXT,
    created_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX people_email ON people (email) WHERE email IS NOT NULL;

CREATE TABLE applications (
    id                 INTEGER PRIMARY KEY,
    company            TEXT NOT NULL,
    role               TEXT NOT NULL DEFAULT '',
    employer_domain    TEXT,
    state              TEXT NOT NULL DEFAULT 'applied',
    interested         INTEGER NOT NULL DEFAULT 1,
    topic              TEXT,
    contact_person_id  INTEGER REFERENCES people (id),
    cadence_series     INTEGER NOT NULL DEFAULT 0,
    cadence_anchor     TEXT,
    cadence_not_before TEXT,
    cadence_paused     INTEGER NOT NULL DEFAULT 0,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
) STRICT;

CREATE TABLE rounds (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications (id),
    number         INTEGER NOT NULL,
    start_at       TEXT NOT NULL,
    end_at         TEXT NOT NULL,
    time_zone      TEXT,
    location       TEXT,
    calendar_uid   TEXT,
    status         TEXT NOT NULL DEFAULT 'scheduled'
) STRICT;
CREATE INDEX rounds_application ON rounds (application_id);

CREATE TABLE round_interviewers (
    round_id  INTEGER NOT NULL REFERENCES rounds (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    position  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (round_id, person_id)
) STRICT;

CREATE TABLE notes (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications (id),
    text           TEXT NOT NULL,
    created_at     TEXT NOT NULL
) STRICT;

-- Every message debrief has seen (direction 'in') or sent ('out').
CREATE TABLE messages (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER REFERENCES applications (id),
    direction      TEXT NOT NULL,
    message_id     TEXT,
    in_reply_to    TEXT,
    refs           TEXT NOT NULL DEFAULT '',
    from_email     TEXT,
    from_name      TEXT,
    reply_to       TEXT,
    to_emails      TEXT NOT NULL DEFAULT '',
    subject        TEXT,
    date           TEXT,
    mailbox        TEXT,
    uid            INTEGER,
    uid_validity   INTEGER,
    kind           TEXT,
    confidence     REAL,
    classification TEXT,
    -- applied | ignored | needs_review | dismissed | error
    status         TEXT NOT NULL,
    effect         TEXT,
    error          TEXT,
    received_at    TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX messages_incoming_id ON messages (message_id) WHERE message_id IS NOT NULL AND direction = 'in';
CREATE INDEX messages_application ON messages (application_id);

-- Per watched mailbox: where reading stopped.
CREATE TABLE mailbox_progress (
    mailbox      TEXT PRIMARY KEY,
    uid_validity INTEGER NOT NULL,
    last_uid     INTEGER NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;

-- The outbox: drafts from pending to sent. The rendered message and its Message-ID
-- are fixed here, so a retry sends exactly what was approved.
CREATE TABLE drafts (
    id               INTEGER PRIMARY KEY,
    application_id   INTEGER NOT NULL REFERENCES applications (id),
    kind             TEXT NOT NULL,
    round_id         INTEGER REFERENCES rounds (id),
    person_id        INTEGER REFERENCES people (id),
    series           INTEGER NOT NULL DEFAULT 0,
    number           INTEGER NOT NULL DEFAULT 0,
    reply_to_message INTEGER REFERENCES messages (id),
    to_emails        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL,
    message_id       TEXT NOT NULL UNIQUE,
    in_reply_to      TEXT,
    refs             TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL DEFAULT 'pending',
    status_reason    TEXT,
    send_at          TEXT NOT NULL,
    deadline         TEXT,
    edited           INTEGER NOT NULL DEFAULT 0,
    needs_topic      INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    approved_at      TEXT,
    approved_to      TEXT,
    sent_at          TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
) STRICT;
CREATE INDEX drafts_application ON drafts (application_id);
CREATE INDEX drafts_due ON drafts (status, send_at);

-- Why an application is where it is: transitions and other events, with their cause.
CREATE TABLE history (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications (id),
    at             TEXT NOT NULL,
    from_state     TEXT,
    to_state       TEXT,
    event          TEXT NOT NULL,
    cause_message  INTEGER REFERENCES messages (id),
    cause_command  TEXT
) STRICT;
CREATE INDEX history_application ON history (application_id, at);
