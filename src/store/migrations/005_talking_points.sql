-- What the user noted about one interview round, and optionally about one interviewer in
-- it: the topic discussed and a strength of theirs to restate (issue 12). A thank-you
-- reads the point for its round and reader, then the round's; a follow-up mentions a
-- topic only to someone who was in that conversation. `person_id` 0 means the whole round
-- (0 rather than NULL, so that the primary key replaces a point set twice).
CREATE TABLE talking_points (
    round_id   INTEGER NOT NULL REFERENCES rounds (id),
    person_id  INTEGER NOT NULL DEFAULT 0,
    kind       TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (round_id, person_id, kind)
) STRICT;

-- The application-wide topic of older versions belonged to the latest round it could
-- have been about: the last one not cancelled.
INSERT INTO talking_points (round_id, person_id, kind, text, created_at)
SELECT r.id, 0, 'topic', a.topic, a.updated_at
FROM applications a
JOIN rounds r ON r.id = (
    SELECT id FROM rounds
    WHERE application_id = a.id AND status <> 'cancelled'
    ORDER BY start_at DESC, id DESC LIMIT 1
)
WHERE a.topic IS NOT NULL;

-- Something new the user adds to one follow-up before approving it (article 2: an article
-- tied to the conversation, a piece of news), kept apart from the rendered body so that
-- the draft can be rendered again with it.
CREATE TABLE draft_additions (
    draft_id   INTEGER PRIMARY KEY REFERENCES drafts (id),
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
