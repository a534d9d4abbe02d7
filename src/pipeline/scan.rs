//! The pipeline's questions to the spam engine, and what happens to a message it could not
//! score: with `[spam] required = true` it is held (stored, left in the mailbox, tried
//! again on the next pass, logged with its mailbox and UID, the admin told once a day);
//! otherwise it goes on unscored, with the reason recorded.

use super::{Pass, Pipeline};
use crate::act::notice::NoticeKind;
use crate::source::Fetched;
use crate::spam::{self, Scan, SpamError, Unscored};

/// Messages of a batch asked about at once (spamd serves each connection with a child of
/// its own; Debian's default is 5 children).
const AT_ONCE: usize = 4;

impl Pipeline<'_> {
    /// What the engine says about each fetched message, in their order.
    pub(super) async fn scan_batch(
        &self,
        fetched: &[Fetched],
    ) -> Vec<Result<Option<Scan>, SpamError>> {
        let mut out = Vec::with_capacity(fetched.len());
        for chunk in fetched.chunks(AT_ONCE) {
            let asks: Vec<_> = chunk
                .iter()
                .map(|f| self.scan_one(f.uid, f.raw()))
                .collect();
            out.extend(futures::future::join_all(asks).await);
        }
        out
    }

    /// Asks the engine about one message: `Ok(None)` without an engine; `Err` when it could
    /// not be asked and a score is required (the message is then held); an engine failure
    /// with `required = false`, or spamd refusing this very message, is a message unscored
    /// for that reason.
    pub(super) async fn scan_one(&self, uid: u32, raw: &[u8]) -> Result<Option<Scan>, SpamError> {
        let Some(config) = &self.config.spam else {
            return Ok(None);
        };
        match spam::scan(config, raw).await {
            Ok(scan) => Ok(Some(scan)),
            // An engine that refuses this one message would refuse it again: it is judged
            // unscored rather than held for ever.
            Err(e) if config.required && !e.is_this_message() => Err(e),
            Err(e) => {
                tracing::warn!(step = "unscored", mailbox = %self.mailbox.name, uid, error = %e, "the spam engine could not score this message; the rules alone judge it");
                Ok(Some(Scan::Unscored(Unscored::EngineFailed(e.to_string()))))
            }
        }
    }

    /// A message held for the spam engine: logged, counted, and the admin told (once per
    /// pass; the alert's key holds the day, so the outbox sends one a day while it lasts).
    pub(super) fn hold(&self, uid: u32, error: &SpamError, pass: &mut Pass) {
        let name = &self.mailbox.name;
        tracing::error!(step = "spam-held", mailbox = %name, uid, error = %error, "the spam engine could not score this message; it stays in the mailbox, unanswered, until the engine answers ([spam] required = true)");
        pass.report.held += 1;
        if pass.spam_alerted {
            return;
        }
        pass.spam_alerted = true;
        let Some(config) = &self.config.spam else {
            return;
        };
        let vars = crate::act::template::Vars::from([
            ("mailbox", name.to_string()),
            ("uid", uid.to_string()),
            ("address", config.address.clone()),
            ("error", error.to_string()),
            ("retry_seconds", config.retry.as_secs().to_string()),
        ]);
        let key = format!(
            "spam-engine-down.{name}.{}",
            chrono::Utc::now().format("%Y%m%d")
        );
        let Some(o) = crate::alerts::to_admin(
            &self.rules,
            self.config,
            NoticeKind::SpamEngineDown,
            key,
            &vars,
        ) else {
            return;
        };
        match self.store.queue(&o) {
            Ok(()) => {
                if let Some(n) = self.queued {
                    n.notify_one();
                }
            }
            Err(e) => {
                tracing::error!(step = "alert-failed", mailbox = %name, error = %e, "cannot queue the alert about the spam engine")
            }
        }
    }
}
