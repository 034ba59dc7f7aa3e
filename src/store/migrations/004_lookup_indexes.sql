-- Lookups by Message-ID in either direction: de-duplication (`find_message`) and the
-- thread association (`application_of_thread`, the user's own mail). The partial index
-- `messages_incoming_id` cannot serve them (it requires direction = 'in'), so each
-- lookup scanned the whole table: quadratic over a first scan of a large mailbox.
CREATE INDEX messages_message_id ON messages (message_id);
