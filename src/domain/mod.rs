//! The functional core: what an application is, the rules of the process, send
//! windows and threading.
//!
//! Architecture invariant: nothing under `domain` does I/O or reads the clock. Every
//! function takes the facts it needs and `now`, and returns decisions
//! ([`process::Effect`]s) for the shell to apply.

pub mod addresses;
pub mod policy;
pub mod process;
pub mod threading;
pub mod window;

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0.to_string())
            }
        }
    };
}

id_type!(
    /// An application: one role at one employer.
    ApplicationId
);
id_type!(
    /// One interview round of an application.
    RoundId
);
id_type!(
    /// A draft in the outbox, from pending to sent.
    DraftId
);
id_type!(
    /// A person: an interviewer, recruiter or other contact.
    PersonId
);
id_type!(
    /// A message debrief has seen or sent.
    MessageId
);

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => {
                        let allowed: Vec<&str> = $name::ALL.iter().map(|value| value.as_str()).collect();
                        Err(format!("{text:?} is not one of {}", allowed.join(", ")))
                    }
                }
            }
        }
    };
}

text_enum!(
    /// Where an application stands (SPEC §2).
    ApplicationState {
        Applied => "applied",
        Invited => "invited",
        Scheduled => "scheduled",
        Interviewed => "interviewed",
        FollowingUp => "following_up",
        Waiting => "waiting",
        Offer => "offer",
        Rejected => "rejected",
        Withdrawn => "withdrawn",
        Ghosted => "ghosted",
    }
);

impl ApplicationState {
    /// States in which the process has ended: nothing more is planned by itself.
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Offer | Self::Rejected | Self::Withdrawn | Self::Ghosted)
    }
}

text_enum!(
    /// What a draft is for.
    DraftKind {
        ThankYou => "thank_you",
        FollowUp => "follow_up",
        RejectionReply => "rejection_reply",
        OfferReply => "offer_reply",
        Withdrawal => "withdrawal",
    }
);

text_enum!(
    /// Where a draft is on its way out (SPEC §4, §6).
    DraftStatus {
        Pending => "pending",
        Approved => "approved",
        Sending => "sending",
        Sent => "sent",
        Unknown => "unknown",
        Failed => "failed",
        Cancelled => "cancelled",
        Rejected => "rejected",
    }
);

impl DraftStatus {
    /// Not yet on the wire and still meant to go: these are cancelled when plans change.
    pub fn is_unsent(self) -> bool {
        matches!(self, Self::Pending | Self::Approved | Self::Failed)
    }

    /// The draft's fate is settled: it went, or it will never go.
    pub fn is_settled(self) -> bool {
        matches!(self, Self::Sent | Self::Cancelled | Self::Rejected)
    }
}

text_enum!(
    /// The state of one interview round.
    RoundStatus {
        Scheduled => "scheduled",
        Done => "done",
        Cancelled => "cancelled",
    }
);
