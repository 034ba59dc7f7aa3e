-- The hold (issue 13): an approval made in the page waits until `hold_until` before it
-- may go, so that a click can be undone. NULL when the draft is not held. The outbox
-- honours it (due_drafts, and the claim's refusal); `queue` shows it.
ALTER TABLE drafts ADD COLUMN hold_until TEXT;

-- The text debrief generated ("To: ...\nSubject: ...\n\nbody", as `debrief edit` shows
-- it), kept at the first edit by hand so the page can show what the user changed. NULL
-- while the draft is as generated; a re-render (edited = 0) makes it generated again.
ALTER TABLE drafts ADD COLUMN generated_text TEXT;
