//! pilah's own mail: reminders and escalations to a unit, the units' daily digests, and the
//! alerts to the admin (a quarantined message, the hourly digest of held alerts, a mailbox
//! not fetched, a mailbox task restarted).
//!
//! Owns which template each notice uses and the placeholders it may use, composing a notice
//! into an [`Outgoing`], and logging and counting every notice that cannot be composed. The
//! texts are templates beside the acknowledgement templates (`templates/notice-*.txt` in the
//! rules directory), so admins can translate or adjust them; a rules directory without one
//! gets the built-in text of pilah's default rules. It must not decide when a notice is due
//! (`ticket`, `alerts` and `daemon` do) nor queue it (`store` does).

use super::compose::{self, own_message_id, MessageIdStyle, Sender};
use super::template::{Template, Vars};
use crate::classify::rules::RuleSet;
use crate::config::Config;
use crate::location::Diagnostics;
use crate::store::Outgoing;
use crate::types::OutboxKind;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Every notice pilah sends, by the template it is written from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NoticeKind {
    /// A ticket unanswered for `remind_after_hours`, to the unit's PICs.
    Reminder,
    /// A ticket unanswered for `escalate_after_hours`, to the unit's supervisor.
    Escalation,
    /// A unit's open tickets, once a service day (`daily_digest`).
    UnitDigest,
    /// One quarantined message, to the admin.
    Quarantined,
    /// The quarantined messages beyond `limits.alerts_per_hour`, hourly, to the admin.
    QuarantineDigest,
    /// A mailbox not fetched for `alert_after_minutes`, to the admin.
    MailboxStale,
    /// A mailbox task that stopped and was started again, to the admin.
    MailboxRestarted,
    /// A folder the IMAP server refuses; its messages went to the quarantine folder.
    FolderRefused,
    /// The OAuth2 provider refuses a mailbox's grant (expired, revoked, wrong client), to the
    /// admin, at most once a day per mailbox.
    GrantRefused,
    /// A ticket corrected to another category, to the PICs of the unit it left.
    Moved,
    /// A ticket corrected back to a unit that had its forward already, to its PICs.
    Returned,
    /// The spam engine cannot be asked and `[spam] required = true`: messages are held.
    SpamEngineDown,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 12] = [
        NoticeKind::Reminder,
        NoticeKind::Escalation,
        NoticeKind::UnitDigest,
        NoticeKind::Quarantined,
        NoticeKind::QuarantineDigest,
        NoticeKind::MailboxStale,
        NoticeKind::MailboxRestarted,
        NoticeKind::FolderRefused,
        NoticeKind::GrantRefused,
        NoticeKind::Moved,
        NoticeKind::Returned,
        NoticeKind::SpamEngineDown,
    ];

    /// The template's name: `templates/<name>.txt` in the rules directory.
    pub fn template_name(self) -> &'static str {
        match self {
            NoticeKind::Reminder => "notice-reminder",
            NoticeKind::Escalation => "notice-escalation",
            NoticeKind::UnitDigest => "notice-unit-digest",
            NoticeKind::Quarantined => "notice-quarantined",
            NoticeKind::QuarantineDigest => "notice-quarantine-digest",
            NoticeKind::MailboxStale => "notice-mailbox-stale",
            NoticeKind::MailboxRestarted => "notice-mailbox-restarted",
            NoticeKind::FolderRefused => "notice-folder-refused",
            NoticeKind::GrantRefused => "notice-oauth2-refused",
            NoticeKind::Moved => "notice-moved",
            NoticeKind::Returned => "notice-returned",
            NoticeKind::SpamEngineDown => "notice-spam-engine-down",
        }
    }

    /// What the outbox and `X-Pilah-Kind` call it.
    pub fn outbox_kind(self) -> OutboxKind {
        match self {
            NoticeKind::Reminder => OutboxKind::Reminder,
            NoticeKind::Escalation => OutboxKind::Escalation,
            NoticeKind::UnitDigest => OutboxKind::Digest,
            NoticeKind::QuarantineDigest => OutboxKind::AlertDigest,
            NoticeKind::Quarantined
            | NoticeKind::MailboxStale
            | NoticeKind::MailboxRestarted
            | NoticeKind::FolderRefused
            | NoticeKind::GrantRefused
            | NoticeKind::SpamEngineDown => OutboxKind::Alert,
            NoticeKind::Moved | NoticeKind::Returned => OutboxKind::Moved,
        }
    }

    /// The placeholders its template may use.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            NoticeKind::Reminder | NoticeKind::Escalation => &[
                "ticket",
                "unit",
                "category_label",
                "sender",
                "subject",
                "opened",
                "waited_hours",
            ],
            NoticeKind::UnitDigest => &["unit", "count", "tickets"],
            NoticeKind::Quarantined => &[
                "mailbox",
                "uidvalidity",
                "uid",
                "sender",
                "subject",
                "reason",
                "raw_path",
            ],
            NoticeKind::QuarantineDigest => &["count", "limit", "messages", "folder"],
            NoticeKind::MailboxStale => &["mailbox", "minutes", "error"],
            NoticeKind::MailboxRestarted => &["mailbox", "seconds", "error"],
            NoticeKind::FolderRefused => &["mailbox", "folder", "command", "server", "fallback"],
            NoticeKind::GrantRefused => &["mailbox", "error"],
            NoticeKind::Moved | NoticeKind::Returned => &[
                "ticket",
                "unit",
                "from_unit",
                "to_unit",
                "category_label",
                "from_label",
                "sender",
                "subject",
                "by",
            ],
            NoticeKind::SpamEngineDown => &["mailbox", "uid", "address", "error", "retry_seconds"],
        }
    }

    /// The text of pilah's default rules, used when the rules directory has no such file.
    fn builtin_text(self) -> &'static str {
        match self {
            NoticeKind::Reminder => include_str!("../../rules/templates/notice-reminder.txt"),
            NoticeKind::Escalation => include_str!("../../rules/templates/notice-escalation.txt"),
            NoticeKind::UnitDigest => {
                include_str!("../../rules/templates/notice-unit-digest.txt")
            }
            NoticeKind::Quarantined => {
                include_str!("../../rules/templates/notice-quarantined.txt")
            }
            NoticeKind::QuarantineDigest => {
                include_str!("../../rules/templates/notice-quarantine-digest.txt")
            }
            NoticeKind::MailboxStale => {
                include_str!("../../rules/templates/notice-mailbox-stale.txt")
            }
            NoticeKind::MailboxRestarted => {
                include_str!("../../rules/templates/notice-mailbox-restarted.txt")
            }
            NoticeKind::FolderRefused => {
                include_str!("../../rules/templates/notice-folder-refused.txt")
            }
            NoticeKind::GrantRefused => {
                include_str!("../../rules/templates/notice-oauth2-refused.txt")
            }
            NoticeKind::Moved => include_str!("../../rules/templates/notice-moved.txt"),
            NoticeKind::Returned => include_str!("../../rules/templates/notice-returned.txt"),
            NoticeKind::SpamEngineDown => {
                include_str!("../../rules/templates/notice-spam-engine-down.txt")
            }
        }
    }

    /// The notice a template name belongs to.
    pub fn of_template(name: &str) -> Option<NoticeKind> {
        NoticeKind::ALL
            .into_iter()
            .find(|k| k.template_name() == name)
    }

    /// The built-in template, parsed once (a unit test proves every one parses).
    fn builtin(self) -> Option<&'static Template> {
        static BUILTIN: OnceLock<Vec<Option<Template>>> = OnceLock::new();
        let all = BUILTIN.get_or_init(|| {
            NoticeKind::ALL
                .into_iter()
                .map(|k| {
                    let name = k.template_name();
                    let file = format!("(built in) templates/{name}.txt");
                    Template::parse(
                        name,
                        Path::new(&file),
                        k.builtin_text(),
                        &mut Diagnostics::default(),
                    )
                })
                .collect()
        });
        let i = NoticeKind::ALL.iter().position(|k| *k == self)?;
        all.get(i)?.as_ref()
    }
}

/// The placeholders a template of this name may use: a notice's own, else those of an
/// acknowledgement. A `notice-` name pilah does not know is reported by the rules' check as
/// such (its placeholders are not held against it: the name is the mistake).
pub fn placeholders_for(template: &str) -> &'static [&'static str] {
    const ANY_NOTICE: &[&str] = &[
        "ticket",
        "unit",
        "category_label",
        "sender",
        "subject",
        "opened",
        "waited_hours",
        "count",
        "tickets",
        "mailbox",
        "uidvalidity",
        "uid",
        "reason",
        "raw_path",
        "limit",
        "messages",
        "folder",
        "minutes",
        "seconds",
        "error",
        "command",
        "server",
        "fallback",
        "from_unit",
        "to_unit",
        "from_label",
        "by",
        "address",
        "retry_seconds",
    ];
    match NoticeKind::of_template(template) {
        Some(k) => k.placeholders(),
        None if template.starts_with("notice-") => ANY_NOTICE,
        None => super::template::PLACEHOLDERS,
    }
}

/// Who a notice goes to and what it is about.
pub struct Addressed<'a> {
    pub to: &'a [String],
    /// The Message-ID's key: unique per notice that must be sent once (`digest.UNIT.DAY`,
    /// `alert.MAILBOX.…`), or the ticket with the kind, which gets an unguessable suffix.
    pub key: String,
    pub style: MessageIdStyle,
    /// The unit it is about (for the report and the outbox).
    pub unit: Option<String>,
    pub ticket: Option<&'a str>,
    /// `Reply-To`: the citizen, for a reminder the PIC answers directly.
    pub reply_to: Option<&'a str>,
    /// The forward it is about (threads it with the ticket).
    pub about: Option<String>,
}

/// Notices that could not be composed since start (`pilah_notice_failures_total`).
static FAILURES: AtomicU64 = AtomicU64::new(0);

/// How many notices could not be composed since pilah started.
pub fn failures() -> u64 {
    FAILURES.load(Ordering::Relaxed)
}

/// Writes a notice from its template (the rules directory's, else the built-in one) and the
/// values of its placeholders. `None` when it cannot be composed (an address lettre refuses):
/// that is logged with the reason and counted, never silent.
pub fn compose(
    rules: &RuleSet,
    config: &Config,
    kind: NoticeKind,
    vars: &Vars,
    to: Addressed,
) -> Option<Outgoing> {
    let template = rules
        .templates
        .get(kind.template_name())
        .or_else(|| kind.builtin());
    let Some(template) = template else {
        return failed(kind, &to.key, "no usable template");
    };
    let sender = Sender {
        address: &config.smtp.from,
        name: &config.smtp.from_name,
    };
    let domain = compose::id_domain(&config.smtp.from);
    let message_id = own_message_id(&to.key, domain, to.style);
    let body = compose::notice(
        &sender,
        compose::Notice {
            kind: kind.outbox_kind(),
            message_id: message_id.clone(),
            to: to.to,
            subject: template.render_subject(vars),
            text: template.render_body(vars),
            ticket: to.ticket,
            reply_to: to.reply_to,
            about: to.about,
        },
    );
    match body {
        Ok(body) => Some(Outgoing {
            kind: kind.outbox_kind(),
            message_id,
            env_from: match kind.outbox_kind() {
                // Alerts go from the null sender: a bounce of an alert must not loop.
                OutboxKind::Alert | OutboxKind::AlertDigest => String::new(),
                _ => config.smtp.from.clone(),
            },
            rcpt: to.to.to_vec(),
            unit: to.unit,
            body,
            original: None,
        }),
        Err(e) => failed(kind, &to.key, &e.to_string()),
    }
}

fn failed(kind: NoticeKind, key: &str, why: &str) -> Option<Outgoing> {
    FAILURES.fetch_add(1, Ordering::Relaxed);
    tracing::error!(
        step = "notice-failed",
        notice = kind.template_name(),
        key,
        error = why,
        "cannot compose pilah's own notice; it is not sent"
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_notice_parses_and_uses_only_its_placeholders() {
        for k in NoticeKind::ALL {
            let mut d = Diagnostics::default();
            let t = Template::parse(
                k.template_name(),
                Path::new("t.txt"),
                k.builtin_text(),
                &mut d,
            );
            assert!(t.is_some(), "{}: {d}", k.template_name());
            assert_eq!(d.errors().count(), 0, "{}: {d}", k.template_name());
            assert!(k.builtin().is_some());
        }
    }

    #[test]
    fn a_notice_placeholder_is_unknown_in_an_acknowledgement_and_the_reverse() {
        let mut d = Diagnostics::default();
        let r = Template::parse(
            "ack-lapor",
            Path::new("ack-lapor.txt"),
            "Subject: x\n\n{waited_hours}\n",
            &mut d,
        );
        assert!(r.is_none(), "an ack has no {{waited_hours}}");
        let mut d = Diagnostics::default();
        let r = Template::parse(
            "notice-reminder",
            Path::new("notice-reminder.txt"),
            "Subject: x\n\n{mailbox_address}\n",
            &mut d,
        );
        assert!(r.is_none(), "a reminder has no {{mailbox_address}}");
        assert!(d.to_string().contains("{waited_hours}"), "{d}");
    }

    #[test]
    fn every_notice_placeholder_is_allowed_for_a_misnamed_notice() {
        for k in NoticeKind::ALL {
            for p in k.placeholders() {
                assert!(placeholders_for("notice-typo").contains(p), "{p}");
            }
        }
    }
}
