//! Mail sources and sinks: Maildir, IMAP and SMTP. (Being written.)
