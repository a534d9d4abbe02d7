//! Acting on a verdict: forward to the unit's PICs, acknowledge the sender, file the original;
//! and pilah's own notices (reminders, digests, alerts to the admin).
//!
//! It decides nothing about a message (that is `classify`) and touches no IMAP (the pipeline
//! files); what it composes reaches the server only through the store's outbox.

pub mod compose;
pub mod notice;
pub mod send;
pub mod template;

use crate::trust::{Method, SenderAuth};
use chrono::{DateTime, Utc};
use std::fmt;

/// Why a message gets no acknowledgement. Its text is what `messages.ack_skipped` records
/// and the log shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoAck {
    /// It adds to a ticket whose sender was acknowledged already.
    FollowUp(String),
    /// A PIC answers the ticket.
    PicAnswer(String),
    /// Claims to be a PIC's answer; no trusted server vouched for the sender.
    UnverifiedAnswer { ticket: String, auth: SenderAuth },
    /// The same message again.
    Duplicate(String),
    /// `run --no-send`.
    NoSendMode,
    /// It arrived before the start date: recorded and filed only.
    BeforeStartDate(DateTime<Utc>),
    /// The category's template is not in the rules.
    TemplateMissing(String),
    /// The receiving server found the From address forged.
    SenderForged(Method),
    /// Nowhere to send it.
    NoSenderAddress,
    /// The sender is pilah itself or one of its mailboxes.
    OwnAddress,
    /// The sender is a PIC or supervisor.
    Staff,
    /// `limits.ack_per_sender` within `limits.ack_window_minutes`.
    SenderRateLimit {
        count: i64,
        to: String,
        minutes: u64,
    },
    /// `limits.acks_per_hour`.
    HourlyLimit { count: i64 },
    /// The acknowledgement could not be composed.
    ComposeFailed(String),
    /// The message could not be judged.
    Quarantined,
}

impl fmt::Display for NoAck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoAck::FollowUp(t) => write!(f, "follow-up of ticket {t}"),
            NoAck::PicAnswer(t) => write!(f, "answer of a PIC to ticket {t}"),
            NoAck::UnverifiedAnswer { ticket, auth } => write!(
                f,
                "unverified answer to ticket {ticket} (sender {auth}): not counted"
            ),
            NoAck::Duplicate(t) => write!(f, "duplicate of a message of ticket {t}"),
            NoAck::NoSendMode => f.write_str("no-send mode"),
            NoAck::BeforeStartDate(cutoff) => write!(
                f,
                "arrived before the start date {}: recorded and filed only",
                cutoff.to_rfc3339()
            ),
            NoAck::TemplateMissing(name) => write!(f, "template {name} missing"),
            NoAck::SenderForged(method) => write!(
                f,
                "sender failed authentication ({method} fail at the receiving server): the From address is forged"
            ),
            NoAck::NoSenderAddress => f.write_str("no sender address"),
            NoAck::OwnAddress => f.write_str("sender is pilah's own address"),
            NoAck::Staff => f.write_str("sender is a PIC or supervisor"),
            NoAck::SenderRateLimit { count, to, minutes } => write!(
                f,
                "rate limit: {count} acknowledgements to {to} in the last {minutes} minutes"
            ),
            NoAck::HourlyLimit { count } => write!(
                f,
                "rate limit: {count} acknowledgements in total in the last hour (limits.acks_per_hour)"
            ),
            NoAck::ComposeFailed(e) => write!(f, "cannot compose: {e}"),
            NoAck::Quarantined => f.write_str("quarantined"),
        }
    }
}
