//! Tickets that live on: threading follow-ups, recognising PIC answers and duplicates, and
//! the reminders of unanswered tickets.
//!
//! A ticket is opened by the first message of a conversation. Later messages join it when
//! they answer something of the ticket (`In-Reply-To`/`References` to the original, its
//! forward or its acknowledgement) or, failing that, carry its tag (`[LPR-2024-000123]`) in
//! the subject — a tag alone only when the sender is the ticket's sender or from the same
//! domain, so a stranger cannot push mail into someone else's thread.

use crate::act::compose::{indonesian_time, own_message_id, MessageIdStyle};
use crate::act::notice::{self, Addressed, NoticeKind};
use crate::act::template::Vars;
use crate::classify::rules::{RuleSet, Unit};
use crate::config::Config;
use crate::parse::{domain_of, Mail};
use crate::store::{FollowUpMark, FollowUpState, MessageIdOf, Store, StoreError, Tx};
use crate::trust::SenderAuth;
use crate::types::Ticket;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// How a message relates to the tickets pilah knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relation {
    /// Starts a ticket of its own.
    New,
    /// The ticket's own correspondent writes again.
    FollowUp(TicketRecord),
    /// A PIC of the ticket's unit answers it, vouched for by a trusted server.
    PicAnswer(TicketRecord),
    /// Claims to be a PIC's answer, but no trusted server vouched for the sender: filed for
    /// the contact center to look at; the ticket stays open.
    UnverifiedAnswer(TicketRecord),
    /// The same message again (same Message-ID, sender and subject), e.g. sent to both
    /// mailboxes: recorded, but one ticket and one forward.
    Duplicate(TicketRecord),
}

impl Relation {
    pub fn as_str(&self) -> &'static str {
        match self {
            Relation::New => "new",
            Relation::FollowUp(_) => "follow-up",
            Relation::PicAnswer(_) => "pic-answer",
            Relation::UnverifiedAnswer(_) => "unverified-answer",
            Relation::Duplicate(_) => "duplicate",
        }
    }
}

/// A message's relation, and the tickets it refers to without being allowed to join them
/// (shown to the PICs as a note on the new ticket's forward).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub relation: Relation,
    pub mentions: Vec<String>,
}

/// How a message points at a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Answers mail pilah sent (its Message-IDs are unguessable): only those who received
    /// it can write this.
    PilahMail,
    /// Answers the ticket's original message (its Message-ID was chosen by its sender).
    Original,
    /// Carries the ticket's tag in the subject: anyone can write this.
    Tag,
}

/// Who sent a message, as far as pilah can tell.
pub struct Correspondent<'a> {
    /// The `From` address, lower case.
    pub address: Option<&'a str>,
    /// What the receiving server vouched for.
    pub auth: SenderAuth,
    /// Public mail providers: sharing their domain says nothing about who writes.
    pub public_provider: &'a dyn Fn(&str) -> bool,
}

pub use crate::store::TicketRecord;

/// The ticket a Message-ID belongs to: one pilah sent, or a recorded message's own ID.
fn ticket_of_message_id(tx: &Tx, id: &str) -> Result<Option<(String, Link)>, StoreError> {
    let bare = id.trim().trim_start_matches('<').trim_end_matches('>');
    if bare.is_empty() {
        return Ok(None);
    }
    Ok(tx.ticket_of_message_id(bare)?.map(|(t, of)| {
        let link = match of {
            MessageIdOf::PilahMail => Link::PilahMail,
            MessageIdOf::Original => Link::Original,
        };
        (t, link)
    }))
}

/// Ticket numbers written in brackets in a subject: `[LPR-2024-000123]`.
pub fn tags(subject: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_bracketed(subject, |_, tag| {
        if let Some(t) = tag {
            out.push(t.to_ascii_uppercase());
        }
        out.len() < MAX_TAGS
    });
    out
}

/// Most ticket tags of one subject considered (a subject full of tags costs no more).
pub const MAX_TAGS: usize = 10;
/// Most Message-IDs of `In-Reply-To` and of `References` (the last ones) looked up.
pub const MAX_REFERENCES: usize = 20;

/// Calls `f` with the byte range of every `[...]` in `s` (innermost opening bracket) and
/// the ticket tag inside it, if it is one, in one pass; stops when `f` returns false.
fn for_each_bracketed(s: &str, mut f: impl FnMut(std::ops::Range<usize>, Option<&str>) -> bool) {
    let mut open = None;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'[' => open = Some(i),
            b']' => {
                if let Some(o) = open.take() {
                    let inner = s[o + 1..i].trim();
                    let tag = (inner.len() <= 40
                        && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                        && inner.parse::<Ticket>().is_ok())
                    .then_some(inner);
                    if !f(o..i + 1, tag) {
                        return;
                    }
                }
            }
            _ => {}
        }
    }
}

/// The subject without any `[TICKET]` tag (pilah puts the right one in front itself), in
/// one pass.
pub fn strip_tags(subject: &str) -> String {
    let mut out = String::with_capacity(subject.len());
    let mut from = 0;
    for_each_bracketed(subject, |range, tag| {
        if tag.is_some() {
            out.push_str(&subject[from..range.start]);
            out.push(' ');
            from = range.end;
        }
        true
    });
    out.push_str(&subject[from..]);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The people allowed to answer a ticket: its unit's PICs and supervisor.
pub struct Staff<'a> {
    pub of_unit: &'a dyn Fn(&str) -> BTreeSet<String>,
}

/// How `mail` (recorded as row `row`, sent by `from`) relates to the known tickets.
///
/// A message joins a ticket only when it is plausibly from the ticket's own correspondent
/// or staff: a PIC's answer counts when the sender is vouched for; a follow-up when it
/// comes from the ticket's address and is either vouched for or answers mail pilah sent to
/// it, or comes vouched for from the same organisation's own domain (never a public
/// provider's). Anything else starts a ticket of its own, noting which tickets it mentions.
pub fn relate(
    tx: &Tx,
    row: i64,
    mail: &Mail,
    from: &Correspondent,
    staff: &Staff,
) -> Result<Related, StoreError> {
    let sender = from.address.unwrap_or_default();
    // The same message recorded before (other mailbox, or sent twice).
    if let Some(id) = &mail.message_id {
        let earlier = tx.ticket_of_earlier_copy(row, id, sender, &mail.subject)?;
        if let Some(t) = earlier {
            if let Some(rec) = tx.ticket(&t)? {
                return Ok(Related {
                    relation: Relation::Duplicate(rec),
                    mentions: Vec::new(),
                });
            }
        }
    }
    let mut mentions: Vec<String> = Vec::new();
    // Threading headers, nearest first; a crafted message may carry thousands.
    let threaded = mail
        .in_reply_to
        .iter()
        .take(MAX_REFERENCES)
        .chain(mail.references.iter().rev().take(MAX_REFERENCES));
    let mut candidates = Vec::new();
    for id in threaded {
        if let Some(found) = ticket_of_message_id(tx, id)? {
            candidates.push(found);
        }
    }
    candidates.extend(tags(&mail.subject).into_iter().map(|t| (t, Link::Tag)));
    for (ticket, link) in candidates {
        let Some(rec) = tx.ticket(&ticket)? else {
            continue;
        };
        if let Some(relation) = joins(rec.clone(), link, from, staff) {
            return Ok(Related {
                relation,
                mentions: Vec::new(),
            });
        }
        if !mentions.contains(&rec.ticket) {
            mentions.push(rec.ticket);
        }
    }
    Ok(Related {
        relation: Relation::New,
        mentions,
    })
}

/// Whether a message from `from` that points at `rec` by `link` may join it, and how.
fn joins(rec: TicketRecord, link: Link, from: &Correspondent, staff: &Staff) -> Option<Relation> {
    let address = from.address?;
    if matches!(from.auth, SenderAuth::Failed(_)) {
        return None;
    }
    let authenticated = from.auth.is_authenticated();
    let is_staff = rec
        .unit
        .as_deref()
        .is_some_and(|u| (staff.of_unit)(u).contains(address));
    if is_staff {
        return Some(if authenticated {
            Relation::PicAnswer(rec)
        } else {
            Relation::UnverifiedAnswer(rec)
        });
    }
    let same_address = rec.sender.as_deref() == Some(address);
    if same_address && (authenticated || link == Link::PilahMail) {
        return Some(Relation::FollowUp(rec));
    }
    let same_organisation = match (
        rec.sender.as_deref().and_then(domain_of),
        domain_of(address),
    ) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b) && !(from.public_provider)(b),
        _ => false,
    };
    if same_organisation && authenticated {
        return Some(Relation::FollowUp(rec));
    }
    None
}

/// One line of a ticket's history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryEntry {
    pub at: String,
    pub what: String,
    pub detail: String,
}

/// A recorded time (RFC 3339, UTC) on the clock of `tz`, labelled with the zone's
/// abbreviation: `2024-03-05 09:30 WIB`. A text that is not such a time is shown as it is.
pub fn local_time(recorded: &str, tz: chrono_tz::Tz) -> String {
    match chrono::DateTime::parse_from_rfc3339(recorded) {
        Ok(t) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string(),
        Err(_) => recorded.to_string(),
    }
}

/// The ticket's outgoing mail as history entries, each Message-ID once.
fn mail_entries(mail: Vec<crate::store::TicketMail>, tz: chrono_tz::Tz) -> Vec<HistoryEntry> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for o in mail {
        if !seen.insert(o.message_id.clone()) {
            continue;
        }
        let state = match (&o.sent_at, &o.failed_at) {
            (Some(t), _) => format!("sent {}", local_time(t, tz)),
            (None, Some(_)) => format!("failed: {}", o.last_error.unwrap_or_default()),
            (None, None) => match o.last_error {
                Some(e) => format!("queued, last error: {e}"),
                None => "queued".to_string(),
            },
        };
        let what = match o.kind.as_str() {
            "forward" => "forward",
            "ack" => "acknowledgement",
            "reminder" => "reminder",
            "escalation" => "escalation",
            "moved" => "moved notice",
            other => other,
        };
        out.push(HistoryEntry {
            at: o.sent_at.unwrap_or(o.created_at),
            what: what.to_string(),
            detail: format!("to {} ({state})", o.rcpt.join(", ")),
        });
    }
    out
}

/// Everything that happened to a ticket, oldest first; `at` and the times in `detail` on
/// the clock of `tz`, labelled ([`local_time`]).
pub fn history(
    store: &Store,
    ticket: &str,
    tz: chrono_tz::Tz,
) -> Result<Option<(TicketRecord, Vec<HistoryEntry>)>, StoreError> {
    let Some(h) = store.ticket_history(ticket)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for m in h.messages {
        let what = match m.relation.as_str() {
            "follow-up" => "follow-up",
            "pic-answer" => "PIC answer",
            "unverified-answer" => "unverified answer (not counted: sender not vouched for)",
            "duplicate" => "duplicate",
            _ => "message",
        };
        out.push(HistoryEntry {
            at: m.at,
            what: what.to_string(),
            detail: format!(
                "{} UID {} from {}: {:?} → {}",
                m.mailbox,
                m.uid,
                m.sender.as_deref().unwrap_or("-"),
                m.subject.as_deref().unwrap_or(""),
                m.folder.as_deref().unwrap_or("-")
            ),
        });
    }
    out.extend(mail_entries(h.mail, tz));
    for c in store.corrections_of_ticket(ticket)? {
        out.push(HistoryEntry {
            at: c.at,
            what: "corrected".to_string(),
            detail: format!(
                "{} → {} (unit {} → {}; rule {}; by {}: {})",
                c.from_category,
                c.to_category,
                c.from_unit.as_deref().unwrap_or("-"),
                c.to_unit.as_deref().unwrap_or("-"),
                c.rule.as_deref().unwrap_or("-"),
                c.by,
                c.detail.as_deref().unwrap_or("")
            ),
        });
    }
    if let Some(at) = &h.record.answered_at {
        out.push(HistoryEntry {
            at: at.clone(),
            what: "answered".to_string(),
            detail: format!("by {}", h.answered_by.unwrap_or_default()),
        });
    }
    out.sort_by(|a, b| a.at.cmp(&b.at));
    for e in &mut out {
        e.at = local_time(&e.at, tz);
    }
    Ok(Some((h.record, out)))
}

/// Open (unanswered) tickets that went to a unit, oldest first.
pub fn open_tickets(store: &Store, unit: Option<&str>) -> Result<Vec<TicketRecord>, StoreError> {
    store.open_tickets(unit)
}

/// `PILAH_NOW` set to something that is not a time: refused, rather than silently falling
/// back to the real clock (a rehearsal would then send real reminders).
#[derive(Debug, thiserror::Error)]
#[error(
    "PILAH_NOW={value:?} is not an RFC 3339 time (such as 2024-03-05T09:30:00+07:00): {detail}"
)]
pub struct BadClock {
    pub value: String,
    pub detail: String,
}

/// The time reminders are measured against: now, or `PILAH_NOW` (RFC 3339) when set — a
/// clock that tests and rehearsals can move. A malformed `PILAH_NOW` is an error.
pub fn now() -> Result<DateTime<Utc>, BadClock> {
    match std::env::var("PILAH_NOW") {
        Err(std::env::VarError::NotPresent) => Ok(Utc::now()),
        Err(std::env::VarError::NotUnicode(v)) => Err(BadClock {
            value: v.to_string_lossy().to_string(),
            detail: "not UTF-8".into(),
        }),
        Ok(s) => DateTime::parse_from_rfc3339(s.trim())
            .map(|d| d.with_timezone(&Utc))
            .map_err(|e| BadClock {
                value: s.clone(),
                detail: e.to_string(),
            }),
    }
}

/// The Message-ID of the forward of a ticket's first message to `unit`, which reminders
/// refer to.
fn first_forward(
    store: &Store,
    first_row: Option<i64>,
    unit: &str,
) -> Result<Option<String>, StoreError> {
    match first_row {
        Some(row) => store.first_forward(row, unit),
        None => Ok(None),
    }
}

/// Reminders, escalations and digests sent in one pass at most (a backlog is spread out).
const MAX_PER_PASS: usize = 50;

/// What one reminder pass queued.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReminderStats {
    pub reminders: usize,
    pub escalations: usize,
    pub digests: usize,
}

/// Queues the reminders, escalations and daily digests that are due at `now`.
///
/// Waiting time is counted in service hours (on WIB, the contact center's clock), so a
/// weekend or a holiday does not count. Each ticket gets at most one reminder and one
/// escalation; each unit at most one digest per day. Nothing is sent outside service hours
/// unless `reminders_outside_hours` says so.
pub fn remind(
    store: &Store,
    rules: &crate::classify::rules::RuleSet,
    config: &crate::config::Config,
    now: DateTime<Utc>,
) -> Result<ReminderStats, StoreError> {
    use crate::hours::Zone;
    let mut stats = ReminderStats::default();
    if !config.reminders_outside_hours && !config.service_hours.is_open(now, Zone::Wib) {
        return Ok(stats);
    }
    let open = open_tickets(store, None)?;
    for t in &open {
        if stats.reminders + stats.escalations >= MAX_PER_PASS {
            break;
        }
        let Some(unit) = t.unit.as_deref().and_then(|u| rules.units.get(u)) else {
            continue;
        };
        let Ok(opened) = DateTime::parse_from_rfc3339(&t.opened_at) else {
            continue;
        };
        // A ticket a correction gave to this unit has waited for it since then.
        let since = t
            .routed_at
            .as_deref()
            .and_then(|r| DateTime::parse_from_rfc3339(r).ok())
            .unwrap_or(opened);
        let waited =
            config
                .service_hours
                .business_duration(since.with_timezone(&Utc), now, Zone::Wib);
        let waited_h = waited.num_minutes() as f64 / 60.0;
        let Some(state) = store.follow_up_state(&t.ticket)? else {
            continue;
        };
        let due = due_notices(unit, &state, waited_h, &config.service_hours, now);
        for (kind, rcpt) in due {
            let waiting = Waiting {
                ticket: t,
                unit,
                opened: opened.with_timezone(&Utc),
                waited_hours: waited_h,
                state: &state,
            };
            if !queue_follow_up(store, rules, config, &waiting, kind, rcpt, now)? {
                continue;
            }
            if kind == NoticeKind::Reminder {
                stats.reminders += 1;
            } else {
                stats.escalations += 1;
            }
        }
    }
    stats.digests = queue_unit_digests(store, rules, config, &open, now)?;
    Ok(stats)
}

/// What a waiting ticket is due at `now`: its unit's reminder, its supervisor's escalation,
/// both, or nothing (`waited_h` counted in service hours since it was opened).
fn due_notices(
    unit: &Unit,
    state: &FollowUpState,
    waited_h: f64,
    hours: &crate::hours::ServiceHours,
    now: DateTime<Utc>,
) -> Vec<(NoticeKind, Vec<String>)> {
    use crate::hours::Zone;
    let mut due: Vec<(NoticeKind, Vec<String>)> = Vec::new();
    if state.reminded_at.is_none() && unit.remind_after_hours.is_some_and(|h| waited_h >= h) {
        due.push((NoticeKind::Reminder, unit.pics.clone()));
    }
    // An escalation follows the unit's reminder, and only once that reminder has been out
    // for the configured gap (escalate_after_hours - remind_after_hours), counted in
    // service hours from when it was queued: after a forward clock jump the reminder goes
    // out first and the escalation later, never both in one pass. A reminder "in the
    // future" (the clock went back) has not been out at all.
    let reminder_out_long_enough = match unit.remind_after_hours {
        None => true,
        Some(remind_h) => state
            .reminded_at
            .as_deref()
            .and_then(|r| DateTime::parse_from_rfc3339(r).ok())
            .is_some_and(|r| {
                let gap = unit
                    .escalate_after_hours
                    .map_or(0.0, |e| (e - remind_h).max(0.0));
                let out = hours.business_duration(r.with_timezone(&Utc), now, Zone::Wib);
                r <= now && out.num_minutes() as f64 / 60.0 >= gap
            }),
    };
    if state.escalated_at.is_none()
        && reminder_out_long_enough
        && unit.escalate_after_hours.is_some_and(|h| waited_h >= h)
    {
        if let Some(sup) = &unit.supervisor {
            due.push((NoticeKind::Escalation, vec![sup.clone()]));
        }
    }
    due
}

/// An open ticket that waits for its unit, as a reminder or escalation tells it.
struct Waiting<'a> {
    ticket: &'a TicketRecord,
    unit: &'a Unit,
    opened: DateTime<Utc>,
    waited_hours: f64,
    state: &'a FollowUpState,
}

/// Queues one reminder or escalation and marks the ticket, in one transaction. `false` when
/// it could not be composed (logged and counted by the notice module).
fn queue_follow_up(
    store: &Store,
    rules: &RuleSet,
    config: &Config,
    w: &Waiting,
    kind: NoticeKind,
    rcpt: Vec<String>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let t = w.ticket;
    let vars = Vars::from([
        ("ticket", t.ticket.clone()),
        ("unit", w.unit.name.clone()),
        (
            "category_label",
            rules.label(&t.category).unwrap_or(&t.category).to_string(),
        ),
        ("sender", t.sender.clone().unwrap_or_else(|| "-".into())),
        ("subject", w.state.subject.clone()),
        ("opened", indonesian_time(w.opened, config.timezone)),
        ("waited_hours", format!("{:.1}", w.waited_hours)),
    ]);
    let about = first_forward(store, w.state.first_row, &w.unit.id)?;
    let Some(outgoing) = notice::compose(
        rules,
        config,
        kind,
        &vars,
        Addressed {
            to: &rcpt,
            key: format!("{}.{}", t.ticket, kind.outbox_kind()),
            style: MessageIdStyle::Unguessable,
            unit: Some(w.unit.id.clone()),
            ticket: Some(&t.ticket),
            reply_to: t.sender.as_deref(),
            about,
        },
    ) else {
        return Ok(false);
    };
    let mark = if kind == NoticeKind::Reminder {
        FollowUpMark::Reminded
    } else {
        FollowUpMark::Escalated
    };
    store.transaction(|tx| {
        tx.queue(w.state.first_row, &outgoing)?;
        tx.mark_followed_up(&t.ticket, mark, now)
    })?;
    tracing::info!(step = %kind.outbox_kind(), ticket = %t.ticket, unit = %w.unit.id, waited_hours = w.waited_hours, "queued");
    Ok(true)
}

/// Daily digests: one a day per unit that asks for it, when it has open tickets. Returns
/// how many were queued.
fn queue_unit_digests(
    store: &Store,
    rules: &RuleSet,
    config: &Config,
    open: &[TicketRecord],
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let day = now
        .with_timezone(&crate::hours::Zone::Wib.tz())
        .format("%Y%m%d")
        .to_string();
    let domain = crate::act::compose::id_domain(&config.smtp.from);
    let mut queued = 0;
    for unit in rules.units.values().filter(|u| u.daily_digest) {
        let mine: Vec<&TicketRecord> = open
            .iter()
            .filter(|t| t.unit.as_deref() == Some(unit.id.as_str()))
            .collect();
        if mine.is_empty() {
            continue;
        }
        let key = format!("digest.{}.{day}", unit.id);
        if store.outbox_has(&own_message_id(&key, domain, MessageIdStyle::Keyed))? {
            continue;
        }
        let mut lines = String::new();
        for t in &mine {
            lines.push_str(&format!(
                "  [{}] dibuka {}  {}  {}\n",
                t.ticket,
                DateTime::parse_from_rfc3339(&t.opened_at)
                    .map(|d| indonesian_time(d.with_timezone(&Utc), config.timezone))
                    .unwrap_or_else(|_| t.opened_at.clone()),
                rules.label(&t.category).unwrap_or(&t.category),
                t.sender.as_deref().unwrap_or("-"),
            ));
        }
        let vars = Vars::from([
            ("unit", unit.name.clone()),
            ("count", mine.len().to_string()),
            ("tickets", lines),
        ]);
        let Some(outgoing) = notice::compose(
            rules,
            config,
            NoticeKind::UnitDigest,
            &vars,
            Addressed {
                to: &unit.pics,
                key,
                style: MessageIdStyle::Keyed,
                unit: Some(unit.id.clone()),
                ticket: None,
                reply_to: None,
                about: None,
            },
        ) else {
            continue;
        };
        store.queue(&outgoing)?;
        queued += 1;
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_tags_in_subjects() {
        assert_eq!(
            tags("Re: [LPR-2024-000123] Tanda terima"),
            vec!["LPR-2024-000123"]
        );
        assert_eq!(tags("[Fwd] [cc-2024-000045]"), vec!["CC-2024-000045"]);
        assert!(tags("[DBH] laporan").is_empty());
        assert_eq!(strip_tags("Re: [LPR-2024-000123]  Laporan"), "Re: Laporan");
        assert_eq!(strip_tags("[Fwd] [cc-2024-000045] x"), "[Fwd] x");
        assert_eq!(strip_tags("[[LPR-2024-000123] a ] b"), "[ a ] b");
    }

    #[test]
    fn a_megabyte_subject_full_of_tags_is_read_in_one_pass() {
        let many = "Re: [LPR-2024-000123] ".repeat(50_000);
        assert!(many.len() > 1_000_000);
        let t = tags(&many);
        assert_eq!(t.len(), MAX_TAGS);
        assert_eq!(
            strip_tags(&format!("{many}Laporan")),
            "Re: ".repeat(50_000).trim_end().to_string() + " Laporan"
        );
        // Opening brackets without an end, and one end after a million of them.
        let open = format!("{}]", "[".repeat(1_000_000));
        assert!(tags(&open).is_empty());
        assert_eq!(strip_tags(&open), open);
    }
}
