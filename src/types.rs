//! Small types that carry meaning through the pipeline.
//!
//! No behaviour beyond parsing and displaying themselves.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The name of a watched mailbox (`lapor`, `callcenter`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MailboxName(pub String);

impl MailboxName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MailboxName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A ticket number: mailbox prefix, year, sequence (`LPR-2024-000123`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ticket {
    pub prefix: String,
    pub year: i32,
    pub seq: u32,
}

impl fmt::Display for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:06}", self.prefix, self.year, self.seq)
    }
}

impl std::str::FromStr for Ticket {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut it = s.rsplitn(3, '-');
        let seq = it.next().and_then(|x| x.parse().ok());
        let year = it.next().and_then(|x| x.parse().ok());
        let prefix = it.next().filter(|p| !p.is_empty());
        match (prefix, year, seq) {
            (Some(prefix), Some(year), Some(seq)) => Ok(Ticket {
                prefix: prefix.to_string(),
                year,
                seq,
            }),
            _ => Err(format!(
                "not a ticket number: {s:?} (expected PREFIX-YYYY-NNNNNN)"
            )),
        }
    }
}

/// Identity of a message in an IMAP folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImapUid {
    pub uidvalidity: u32,
    pub uid: u32,
}

/// What an outgoing message is, as the outbox records it (`outbox.kind`) and its
/// `X-Pilah-Kind` header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutboxKind {
    /// The acknowledgement to the sender, with the ticket number.
    Ack,
    /// A message forwarded to a unit's PICs (also a follow-up).
    Forward,
    /// A ticket unanswered for the unit's `remind_after_hours`, to its PICs.
    Reminder,
    /// A ticket unanswered for the unit's `escalate_after_hours`, to its supervisor.
    Escalation,
    /// A unit's daily list of open tickets.
    Digest,
    /// An alert to the admin: a quarantined message, a mailbox not fetched, a task restarted.
    Alert,
    /// One hourly digest of the quarantined messages beyond `limits.alerts_per_hour`.
    AlertDigest,
    /// A ticket corrected to another category: the notice to the unit it left, or to the
    /// unit it came back to.
    Moved,
}

impl OutboxKind {
    pub const ALL: [OutboxKind; 8] = [
        OutboxKind::Ack,
        OutboxKind::Forward,
        OutboxKind::Reminder,
        OutboxKind::Escalation,
        OutboxKind::Digest,
        OutboxKind::Alert,
        OutboxKind::AlertDigest,
        OutboxKind::Moved,
    ];

    /// The word in the database and in `X-Pilah-Kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Ack => "ack",
            OutboxKind::Forward => "forward",
            OutboxKind::Reminder => "reminder",
            OutboxKind::Escalation => "escalation",
            OutboxKind::Digest => "digest",
            OutboxKind::Alert => "alert",
            OutboxKind::AlertDigest => "alert-digest",
            OutboxKind::Moved => "moved",
        }
    }
}

impl fmt::Display for OutboxKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for OutboxKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OutboxKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown kind of outgoing mail {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_round_trips() {
        let t = Ticket {
            prefix: "LPR".into(),
            year: 2024,
            seq: 123,
        };
        assert_eq!(t.to_string(), "LPR-2024-000123");
        assert_eq!("LPR-2024-000123".parse::<Ticket>().unwrap(), t);
        assert!("LPR-2024".parse::<Ticket>().is_err());
    }

    #[test]
    fn outbox_kinds_round_trip_and_unknown_ones_are_errors() {
        for k in OutboxKind::ALL {
            assert_eq!(k.as_str().parse::<OutboxKind>(), Ok(k));
        }
        assert!("acknowledgement".parse::<OutboxKind>().is_err());
    }
}
