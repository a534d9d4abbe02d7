//! What pilah tells its admin (`admin_address`): one alert per quarantined message, up to
//! `limits.alerts_per_hour`, then at most one digest per hour of the rest (so that a stranger
//! sending unreadable mail cannot flood the admin); and alerts about mailboxes (not fetched
//! for a long time, a task restarted after a crash), which are never held back.

use crate::act::compose::{header_text, MessageIdStyle, MAX_NAME, MAX_SUBJECT};
use crate::act::notice::{self, Addressed, NoticeKind};
use crate::act::template::Vars;
use crate::classify::rules::RuleSet;
use crate::config::Config;
use crate::parse::Mail;
use crate::store::{Outgoing, Store, StoreError, StoredMessage, Tx};
use crate::types::MailboxName;
use chrono::Utc;

/// Most messages named in one digest (the rest are counted).
const DIGEST_LINES: usize = 100;

/// A notice to the admin (`admin_address`) with a Message-ID of its own key, so the same
/// alert is queued once; `None` without an admin address, or when it cannot be composed
/// (logged and counted by [`notice::compose`]).
pub fn to_admin(
    rules: &RuleSet,
    config: &Config,
    kind: NoticeKind,
    key: String,
    vars: &Vars,
) -> Option<Outgoing> {
    let admin = config.admin_address.as_ref()?;
    notice::compose(
        rules,
        config,
        kind,
        vars,
        Addressed {
            to: std::slice::from_ref(admin),
            key,
            style: MessageIdStyle::Keyed,
            unit: None,
            ticket: None,
            reply_to: None,
            about: None,
        },
    )
}

/// The alert about one quarantined message, unless `limits.alerts_per_hour` alerts went out
/// in the last hour (then the message waits for the digest, [`queue_digest`]).
pub fn quarantine_alert(
    tx: &Tx,
    rules: &RuleSet,
    config: &Config,
    mailbox: &MailboxName,
    stored: &StoredMessage,
    mail: Option<&Mail>,
    reason: &str,
) -> Result<Option<Outgoing>, StoreError> {
    if config.admin_address.is_none() {
        return Ok(None);
    }
    let recent = tx.alerts_since(Utc::now() - chrono::Duration::hours(1))?;
    if recent >= i64::from(config.limits.alerts_per_hour) {
        tracing::warn!(step = "alert-held", mailbox = %mailbox, uid = stored.uid.uid, alerts_last_hour = recent, "admin alert held for the hourly digest (limits.alerts_per_hour)");
        return Ok(None);
    }
    let vars = Vars::from([
        ("mailbox", mailbox.to_string()),
        ("uidvalidity", stored.uid.uidvalidity.to_string()),
        ("uid", stored.uid.uid.to_string()),
        (
            "sender",
            mail.and_then(|m| m.from.as_deref())
                .map(|f| header_text(f, MAX_NAME))
                .unwrap_or_else(|| "(tidak diketahui)".into()),
        ),
        (
            "subject",
            mail.map(|m| header_text(&m.subject, MAX_SUBJECT))
                .unwrap_or_default(),
        ),
        ("reason", header_text(reason, 1000)),
        ("raw_path", stored.raw_path.display().to_string()),
    ]);
    Ok(to_admin(
        rules,
        config,
        NoticeKind::Quarantined,
        format!(
            "alert.{}.{}.{}.{}",
            mailbox, stored.uid.uidvalidity, stored.uid.uid, stored.id
        ),
        &vars,
    ))
}

/// Queues one digest of the quarantined messages that got no alert of their own, if there
/// are any and the last digest is an hour old. Returns how many it lists.
pub fn queue_digest(store: &Store, rules: &RuleSet, config: &Config) -> Result<usize, StoreError> {
    if config.admin_address.is_none() {
        return Ok(0);
    }
    let now = Utc::now();
    let held = store.quarantined_without_alert(
        now - chrono::Duration::hours(1),
        now - chrono::Duration::days(1),
    )?;
    let Some(last) = held.last() else {
        return Ok(0);
    };
    let mut lines = String::new();
    for q in held.iter().take(DIGEST_LINES) {
        lines.push_str(&format!(
            "- {} UID {}:{}: {}\n",
            q.mailbox,
            q.uidvalidity,
            q.uid,
            header_text(&q.reason, 300)
        ));
    }
    if held.len() > DIGEST_LINES {
        lines.push_str(&format!("… dan {} lainnya.\n", held.len() - DIGEST_LINES));
    }
    let vars = Vars::from([
        ("count", held.len().to_string()),
        ("limit", config.limits.alerts_per_hour.to_string()),
        ("messages", lines),
        ("folder", config.folders.quarantine.clone()),
    ]);
    let Some(o) = to_admin(
        rules,
        config,
        NoticeKind::QuarantineDigest,
        format!("alert-digest.{}", last.row),
        &vars,
    ) else {
        return Ok(0);
    };
    store.queue_alert_digest(last.row, &o)?;
    tracing::warn!(
        step = "alert-digest",
        messages = held.len(),
        "digest of quarantined messages queued for the admin"
    );
    Ok(held.len())
}
