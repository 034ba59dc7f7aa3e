//! Inbox understanding: a raw message in, its kind and facts out. (Being written.)
