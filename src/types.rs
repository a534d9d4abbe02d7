//! Small types that carry meaning through the pipeline.

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
}
