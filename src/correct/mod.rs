//! Corrections: when pilah was wrong, a person puts a message in another category — an
//! agent by moving it between pilah's folders in a mail client ([`watch`] notices), an admin
//! with `pilah ticket move` — and this module carries it out, the same way for both.
//!
//! Owns what a correction does: the ticket keeps its number, its category and unit change;
//! the unit that gets it receives the forward ("Dialihkan dari …"), the unit it left a short
//! notice; a message out of spam is handled as a new message would be (a ticket, the
//! forward, the acknowledgement when the ordinary rules allow one), one into spam waits for
//! nobody and its unsent mail is cancelled. Nothing goes twice: before queueing, the outbox
//! is asked whether that unit already had this ticket's forward or this notice. It records
//! through the store and composes through `act`; it touches no IMAP (that is [`watch`]).

pub mod mask;
pub mod suggest;
pub mod watch;

use crate::act::notice::{self, Addressed, NoticeKind};
use crate::act::template::Vars;
use crate::classify::rules::{Category, RuleSet};
use crate::config::{Config, MailboxConfig};
use crate::parse::Mail;
use crate::pipeline::{JudgeError, Pipeline, RunOptions};
use crate::store::{Correctable, CorrectedBy, NewCorrection, Outgoing, Store, StoreError, Tx};
use crate::types::{OutboxKind, Ticket};
use chrono::{DateTime, Datelike, Utc};
use std::sync::Arc;

/// The category that takes what nobody must answer.
pub const SPAM: &str = "spam";

#[derive(Debug, thiserror::Error)]
pub enum CorrectError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no message with row id {0} in the database")]
    NoMessage(i64),
    #[error("message row {row}: its mailbox {mailbox} is not in the config")]
    NoMailbox { mailbox: String, row: i64 },
    #[error("{category:?} is not a category of mailbox {mailbox} (valid: {valid})")]
    NoCategory {
        mailbox: String,
        category: String,
        valid: String,
    },
    #[error("mailbox {mailbox} UID {uid} was {why}: only a message filed in a category can be corrected")]
    NotCorrectable {
        mailbox: String,
        uid: u32,
        why: &'static str,
    },
}

/// What a correction did.
#[derive(Debug, Clone, Default)]
pub struct Corrected {
    pub ticket: Option<String>,
    pub from: String,
    pub to: String,
    /// The message had this category already: nothing was changed or sent.
    pub unchanged: bool,
    /// What was queued, in order.
    pub queued: Vec<OutboxKind>,
    /// Mail of the ticket not sent yet and cancelled (into spam).
    pub cancelled: usize,
    /// Why no acknowledgement went out, when one could have.
    pub no_ack: Option<String>,
    /// What could not be done (a forward that could not be composed, a pruned original).
    pub problems: Vec<String>,
}

/// Carries out corrections for one configuration and rules.
pub struct Corrector<'a> {
    pub config: &'a Config,
    pub rules: Arc<RuleSet>,
    pub store: &'a Store,
    pub options: RunOptions,
}

/// One correction being carried out: the message, where it goes, and what it carries.
struct Change<'c> {
    m: &'c Correctable,
    mailbox: &'c MailboxConfig,
    target: &'c Category,
    from: &'c str,
    raw: Option<&'c [u8]>,
    mail: Option<&'c Mail>,
    by: CorrectedBy,
    detail: &'c str,
    first_seen: DateTime<Utc>,
}

impl Corrector<'_> {
    /// Gives message `row` (and its ticket) the category `to`, and sends what that causes.
    pub fn correct(
        &self,
        row: i64,
        to: &str,
        by: CorrectedBy,
        detail: &str,
    ) -> Result<Corrected, CorrectError> {
        let m = self
            .store
            .correctable(row)?
            .ok_or(CorrectError::NoMessage(row))?;
        let mailbox = self.mailbox_of(&m)?;
        let target = self.category(&m, to)?;
        let from = from_category(&m)?;
        if from == target.id {
            return Ok(Corrected {
                ticket: m.ticket.clone(),
                from: from.clone(),
                to: from,
                unchanged: true,
                ..Corrected::default()
            });
        }
        let raw = (!m.pruned)
            .then(|| std::fs::read(&m.raw_path).ok())
            .flatten();
        let mail = raw.as_deref().and_then(|r| crate::parse::parse(r).ok());
        let mail = mail.map(|mut mail| {
            self.config.authentication.apply(&mut mail);
            mail
        });
        let first_seen = self
            .store
            .mailbox_first_seen(&m.mailbox)?
            .unwrap_or_else(Utc::now);
        let change = Change {
            m: &m,
            mailbox,
            target,
            from: &from,
            raw: raw.as_deref(),
            mail: mail.as_ref(),
            by,
            detail,
            first_seen,
        };
        let done = self
            .store
            .durable_transaction(|tx| self.apply(tx, &change))?;
        tracing::info!(step = "corrected", mailbox = %m.mailbox, uid = m.uid, ticket = done.ticket.as_deref().unwrap_or(""), category = %done.to, from = %done.from, by = by.as_str(), detail, queued = done.queued.len(), cancelled = done.cancelled, "corrected");
        for p in &done.problems {
            tracing::error!(step = "correction-mail-failed", mailbox = %m.mailbox, uid = m.uid, ticket = done.ticket.as_deref().unwrap_or(""), error = %p, "part of a correction's mail could not be queued");
        }
        Ok(done)
    }

    fn mailbox_of(&self, m: &Correctable) -> Result<&MailboxConfig, CorrectError> {
        self.config
            .mailboxes
            .iter()
            .find(|c| c.name.as_str() == m.mailbox)
            .ok_or_else(|| CorrectError::NoMailbox {
                mailbox: m.mailbox.clone(),
                row: m.row,
            })
    }

    fn category(&self, m: &Correctable, id: &str) -> Result<&Category, CorrectError> {
        self.rules
            .category(&m.mailbox, id)
            .ok_or_else(|| CorrectError::NoCategory {
                mailbox: m.mailbox.clone(),
                category: id.to_string(),
                valid: self
                    .rules
                    .categories
                    .iter()
                    .filter(|c| c.mailboxes.contains(&m.mailbox))
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The correction's writes and mail, in the caller's transaction.
    fn apply(&self, tx: &Tx, c: &Change) -> Result<Corrected, StoreError> {
        let m = c.m;
        let old = match &m.ticket {
            Some(t) => tx.ticket(t)?,
            None => None,
        };
        let from_unit = old.as_ref().and_then(|t| t.unit.clone());
        let to_unit = c.target.unit.clone();
        let to_spam = c.target.id == SPAM;
        let received = m.internal_date.unwrap_or_else(Utc::now);
        let ticket: Option<Ticket> = match m.ticket.as_deref().and_then(|t| t.parse().ok()) {
            Some(t) => Some(t),
            None if !to_spam => {
                let year = received.with_timezone(&self.config.timezone).year();
                let t = tx.next_ticket(&c.mailbox.ticket_prefix, year)?;
                let sender = c.mail.and_then(|m| m.from.as_deref());
                tx.open_ticket(
                    &t,
                    &m.mailbox,
                    &c.target.id,
                    to_unit.as_deref(),
                    sender,
                    received,
                )?;
                Some(t)
            }
            None => None,
        };
        let mut done = Corrected {
            ticket: ticket.as_ref().map(ToString::to_string),
            from: c.from.to_string(),
            to: c.target.id.clone(),
            ..Corrected::default()
        };
        let mut outgoing = Vec::new();
        if let Some(t) = &ticket {
            if to_spam {
                done.cancelled = tx.cancel_unsent_of_ticket(&t.to_string())?;
            }
            let units = Units {
                from: from_unit.as_deref(),
                to: to_unit.as_deref(),
            };
            self.queue_mail(tx, c, t, units, &mut outgoing, &mut done)?;
        }
        tx.record_correction(&NewCorrection {
            row: m.row,
            mailbox: &m.mailbox,
            ticket: ticket.as_ref(),
            from_category: c.from,
            to_category: &c.target.id,
            from_unit: from_unit.as_deref(),
            to_unit: to_unit.as_deref(),
            rule: m.rule.as_deref(),
            by: c.by,
            detail: c.detail,
            folder: &c.target.folder,
            // The reminders' clock (`PILAH_NOW` in rehearsals; a malformed one stops pilah
            // at start, so the real clock is only a fallback here).
            at: crate::ticket::now().unwrap_or_else(|_| Utc::now()),
        })?;
        for o in &outgoing {
            tx.queue(Some(m.row), o)?;
        }
        done.queued = outgoing.iter().map(|o| o.kind).collect();
        Ok(done)
    }
}

/// The unit a ticket leaves and the one it goes to (none: spam, or a category without one).
#[derive(Clone, Copy)]
struct Units<'u> {
    from: Option<&'u str>,
    to: Option<&'u str>,
}

impl Corrector<'_> {
    /// The mail a correction causes, none of it twice: the forward (or, to a unit that had
    /// it, a notice that the ticket is back), the acknowledgement of a message that leaves
    /// spam, and the notice to the unit it left.
    fn queue_mail(
        &self,
        tx: &Tx,
        c: &Change,
        t: &Ticket,
        units: Units,
        outgoing: &mut Vec<Outgoing>,
        done: &mut Corrected,
    ) -> Result<(), StoreError> {
        if self.options.no_send {
            done.no_ack = Some(crate::act::NoAck::NoSendMode.to_string());
            return Ok(());
        }
        let mut route = Vec::new();
        if let Some(unit) = units.to.filter(|u| Some(*u) != units.from) {
            if !tx.queued_with_prefix(&format!("<{t}.fwd.{unit}."))? {
                route.push(unit.to_string());
            } else if !tx.queued_with_prefix(&format!("<{t}.returned.{unit}."))? {
                outgoing.extend(self.notice(NoticeKind::Returned, c, t, unit, units));
            }
        }
        // Out of spam (or never acknowledged): as a new message would be.
        let ack = match &c.target.ack {
            Some(a)
                if c.m.machine.is_none() && !tx.queued_with_prefix(&format!("<{t}.ack."))? =>
            {
                Some(a.clone())
            }
            _ => None,
        };
        if !route.is_empty() || ack.is_some() {
            self.queue_forward_and_ack(tx, c, t, units, route, ack, outgoing, done)?;
        }
        if let Some(unit) = units.from.filter(|u| Some(*u) != units.to) {
            let to = units.to.unwrap_or(&c.target.id);
            if !tx.queued_with_prefix(&format!("<{t}.moved.{unit}.{to}."))? {
                outgoing.extend(self.notice(NoticeKind::Moved, c, t, unit, units));
            }
        }
        Ok(())
    }

    /// The forward to `route` and the acknowledgement `ack`, as the pipeline queues them for
    /// a new message (the same checks: no-send mode, the start date, the sender's address,
    /// the rate limits).
    #[allow(clippy::too_many_arguments)]
    fn queue_forward_and_ack(
        &self,
        tx: &Tx,
        c: &Change,
        t: &Ticket,
        units: Units,
        route: Vec<String>,
        ack: Option<String>,
        outgoing: &mut Vec<Outgoing>,
        done: &mut Corrected,
    ) -> Result<(), StoreError> {
        let (Some(raw), Some(mail)) = (c.raw, c.mail) else {
            done.problems.push(format!(
                "the original of mailbox {} UID {} is no longer stored (or unreadable): no forward, no acknowledgement",
                c.m.mailbox, c.m.uid
            ));
            return Ok(());
        };
        let pipeline = Pipeline {
            config: self.config,
            mailbox: c.mailbox,
            store: self.store,
            rules: self.rules.clone(),
            options: self.options,
            health: None,
            queued: None,
        };
        let sender_auth = mail.vouched.sender(mail.from_domain());
        let from_name = self.place_name(units.from, c.from);
        let region = self.rules.regions.detect(mail);
        let ctx = crate::act::compose::Context {
            ticket: t,
            mailbox: &c.mailbox.name,
            mailbox_address: &c.mailbox.address,
            mail,
            category: c.target,
            rule: c.m.rule.as_deref().unwrap_or("fallback"),
            region: region.map(|(r, _)| r),
            region_source: region.map(|(_, s)| s.label()),
            received: c.m.internal_date.unwrap_or_else(Utc::now),
            timezone: self.config.timezone,
            followup: None,
            cc_mailbox: self.config.forward_cc_mailbox,
            reply_to: crate::act::compose::reply_address(mail, sender_auth),
            sender_auth,
            mentions: &[],
            redirected_from: Some(&from_name),
        };
        let verdict = crate::classify::Verdict {
            category: c.target.id.clone(),
            rule: c.m.rule.clone(),
            machine: None,
            route,
            ack,
            folder: c.target.folder.clone(),
            tags: Vec::new(),
            rules_version: self.rules.version.clone(),
        };
        match pipeline.send_mail(tx, &ctx, &verdict, raw, false, c.first_seen, outgoing) {
            Ok(no_ack) => done.no_ack = no_ack.map(|n| n.to_string()),
            Err(JudgeError::Store(e)) => return Err(e),
            Err(e) => done.problems.push(e.to_string()),
        }
        Ok(())
    }

    /// A unit's name, or a category's label when there is no unit.
    fn place_name(&self, unit: Option<&str>, category: &str) -> String {
        match unit.and_then(|u| self.rules.units.get(u)) {
            Some(u) => u.name.clone(),
            None => format!(
                "kategori {}",
                self.rules.label(category).unwrap_or(category)
            ),
        }
    }

    /// The notice to `unit`'s PICs that the ticket left it (`Moved`) or came back (`Returned`).
    fn notice(
        &self,
        kind: NoticeKind,
        c: &Change,
        t: &Ticket,
        unit: &str,
        units: Units,
    ) -> Option<Outgoing> {
        let u = self.rules.units.get(unit)?;
        let vars = Vars::from([
            ("ticket", t.to_string()),
            ("unit", u.name.clone()),
            ("from_unit", self.place_name(units.from, c.from)),
            ("to_unit", self.place_name(units.to, &c.target.id)),
            ("category_label", c.target.label.clone()),
            (
                "from_label",
                self.rules.label(c.from).unwrap_or(c.from).to_string(),
            ),
            (
                "sender",
                c.mail
                    .and_then(|m| m.from.clone())
                    .unwrap_or_else(|| "-".into()),
            ),
            (
                "subject",
                c.mail.map(|m| m.subject.clone()).unwrap_or_default(),
            ),
            ("by", by_words(c.by).to_string()),
        ]);
        let key = match kind {
            NoticeKind::Returned => format!("{t}.returned.{unit}"),
            _ => format!("{t}.moved.{unit}.{}", units.to.unwrap_or(&c.target.id)),
        };
        let t = t.to_string();
        notice::compose(
            &self.rules,
            self.config,
            kind,
            &vars,
            Addressed {
                to: &u.pics,
                key,
                style: crate::act::compose::MessageIdStyle::Unguessable,
                unit: Some(unit.to_string()),
                ticket: Some(&t),
                reply_to: None,
                about: None,
            },
        )
    }
}

/// Who corrected, in the notices' words.
fn by_words(by: CorrectedBy) -> &'static str {
    match by {
        CorrectedBy::ImapMove => "agen Contact Center (memindahkan pesan di kotak surat)",
        CorrectedBy::Cli => "admin pilah (perintah pilah ticket move)",
    }
}

/// The category a message has now, if a correction may change it.
fn from_category(m: &Correctable) -> Result<String, CorrectError> {
    let refuse = |why| CorrectError::NotCorrectable {
        mailbox: m.mailbox.clone(),
        uid: m.uid,
        why,
    };
    if m.quarantine.is_some() {
        return Err(refuse("quarantined"));
    }
    match m.relation.as_deref() {
        Some("pic-answer") => return Err(refuse("a PIC's answer")),
        Some("unverified-answer") => return Err(refuse("an unverified answer")),
        _ => {}
    }
    m.category.clone().ok_or_else(|| refuse("never classified"))
}
