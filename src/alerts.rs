//! What pilah tells its admin (`admin_address`): one alert per quarantined message, up to
//! `limits.alerts_per_hour`, then at most one digest per hour of the rest (so that a stranger
//! sending unreadable mail cannot flood the admin); and alerts about mailboxes (not fetched
//! for a long time, a task restarted after a crash), which are never held back.

use crate::act::compose::{self, header_text, Sender, MAX_NAME, MAX_SUBJECT};
use crate::config::Config;
use crate::parse::Mail;
use crate::store::{Outgoing, Store, StoreError, StoredMessage, Tx};
use crate::types::MailboxName;
use chrono::Utc;

/// Most messages named in one digest (the rest are counted).
const DIGEST_LINES: usize = 100;

/// A plain notice from pilah to the admin, `<{id}@domain>` as its Message-ID; `None` without
/// an admin address (or with an unusable one).
pub fn notice(
    config: &Config,
    kind: &'static str,
    id: &str,
    subject: String,
    text: String,
) -> Option<Outgoing> {
    let admin = config.admin_address.as_ref()?;
    let message_id = format!("<{id}@{}>", compose::id_domain(&config.smtp.from));
    let sender = Sender {
        address: &config.smtp.from,
        name: &config.smtp.from_name,
    };
    let to = [admin.clone()];
    let body = compose::notice(
        &sender,
        compose::Notice {
            kind,
            message_id: message_id.clone(),
            to: &to,
            subject,
            text,
            ticket: None,
            reply_to: None,
            about: None,
        },
    )?;
    Some(Outgoing {
        kind,
        message_id,
        env_from: String::new(),
        rcpt: to.to_vec(),
        unit: None,
        body,
        original: None,
    })
}

/// The alert about one quarantined message, unless `limits.alerts_per_hour` alerts went out
/// in the last hour (then the message waits for the digest, [`queue_digest`]).
pub fn quarantine_alert(
    tx: &Tx,
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
    let text = format!(
        "pilah memindahkan satu pesan ke karantina.\n\nKotak surat: {}\nUID: {}:{}\nPengirim: {}\nSubjek: {}\nAlasan: {}\n\nSalinan asli: {}\n",
        mailbox,
        stored.uid.uidvalidity,
        stored.uid.uid,
        mail.and_then(|m| m.from.as_deref())
            .map(|f| header_text(f, MAX_NAME))
            .unwrap_or_else(|| "(tidak diketahui)".into()),
        mail.map(|m| header_text(&m.subject, MAX_SUBJECT))
            .unwrap_or_default(),
        header_text(reason, 1000),
        stored.raw_path.display(),
    );
    Ok(notice(
        config,
        "alert",
        &format!(
            "alert.{}.{}.{}.{}",
            mailbox, stored.uid.uidvalidity, stored.uid.uid, stored.id
        ),
        format!(
            "[pilah] Pesan dikarantina: {} UID {}",
            mailbox, stored.uid.uid
        ),
        text,
    ))
}

/// Queues one digest of the quarantined messages that got no alert of their own, if there
/// are any and the last digest is an hour old. Returns how many it lists.
pub fn queue_digest(store: &Store, config: &Config) -> Result<usize, StoreError> {
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
    let mut text = format!(
        "{} pesan lagi dikarantina dalam satu jam terakhir tanpa peringatan tersendiri, karena\n\
         batas {} peringatan per jam (limits.alerts_per_hour) sudah tercapai:\n\n",
        held.len(),
        config.limits.alerts_per_hour
    );
    for q in held.iter().take(DIGEST_LINES) {
        text.push_str(&format!(
            "- {} UID {}:{}: {}\n",
            q.mailbox,
            q.uidvalidity,
            q.uid,
            header_text(&q.reason, 300)
        ));
    }
    if held.len() > DIGEST_LINES {
        text.push_str(&format!("… dan {} lainnya.\n", held.len() - DIGEST_LINES));
    }
    text.push_str(&format!(
        "\nSemuanya ada di folder {} kotak suratnya masing-masing; `pilah messages` menampilkan\n\
         rinciannya.\n",
        config.folders.quarantine
    ));
    let Some(o) = notice(
        config,
        "alert-digest",
        &format!("alert-digest.{}", last.row),
        format!("[pilah] {} pesan lagi dikarantina", held.len()),
        text,
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
