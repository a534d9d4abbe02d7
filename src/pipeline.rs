//! One mailbox's path, end to end: fetch → store → parse → classify → queue → file.
//!
//! The order is what makes pilah safe: a message is on disk and in the database before it
//! is judged; its verdict and the mail it causes are committed together; it is moved to its
//! folder only after that, so a crash at any point resumes where it stopped and neither
//! loses the message nor queues its mail twice.
//!
//! The steps run per fetch batch (up to `limits.fetch_batch` messages and 32 MB): the
//! batch's raw files are made durable together, recorded in one transaction, judged in one
//! transaction that is on the disk before the batch is moved; judged messages are moved
//! with one `UID MOVE` per folder once a few hundred wait, and at the end of the drain.
//! Durability costs a few fsyncs per batch instead of several per message.

use crate::act::compose::{self, Context, Sender};
use crate::act::template::Template;
use crate::act::NoAck;
use crate::classify::rules::RuleSet;
use crate::classify::{self, Verdict};
use crate::config::{Config, MailboxConfig};
use crate::parse::{self, Mail};
use crate::region::{Region, RegionSource};
use crate::source::{Connection, Fetched, SourceError};
use crate::spam::{Scan, SpamError};
use crate::store::{
    MessageState, NewMessage, Outgoing, Store, StoreError, StoredMessage, Tx, VerdictRecord,
};
use crate::ticket::{self, Relation};
use crate::types::{ImapUid, OutboxKind, Ticket};
use chrono::{DateTime, Datelike, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

mod scan;

/// Why judging one message failed: the message's own doing (it is quarantined instead) or
/// the store's (the batch fails and is judged again on the next drain).
#[derive(Debug, thiserror::Error)]
pub(crate) enum JudgeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot compose the forward to unit {unit}: {source}")]
    Forward {
        unit: String,
        source: compose::ComposeError,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "mailbox {mailbox}: {count} message(s) wait for the spam engine ([spam] required = true; see the spam-held lines above) and stay in the mailbox until it answers"
    )]
    SpamHeld { mailbox: String, count: usize },
    #[error("mailbox {mailbox} UID {uid}: cannot read the stored copy {path}: {source}")]
    RawMissing {
        mailbox: String,
        uid: u32,
        path: String,
        source: std::io::Error,
    },
}

impl PipelineError {
    /// Where the failure happened, for the log's `step`: the IMAP server or the connection
    /// (`fetch-failed`), or this machine (the disk, the database: `store-failed`).
    pub fn step(&self) -> &'static str {
        match self {
            PipelineError::Source(_) => "fetch-failed",
            PipelineError::SpamHeld { .. } => "spam-held",
            PipelineError::Store(_) | PipelineError::RawMissing { .. } => "store-failed",
        }
    }
}

/// Options of a run.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Classify and file only: queue no forward and no acknowledgement.
    pub no_send: bool,
}

/// Everything a pipeline needs besides its connection.
pub struct Pipeline<'a> {
    pub config: &'a Config,
    pub mailbox: &'a MailboxConfig,
    pub store: &'a Store,
    pub rules: Arc<RuleSet>,
    pub options: RunOptions,
    /// Told after each batch that the loop is alive (the systemd watchdog).
    pub health: Option<&'a crate::health::Health>,
    /// Told after each batch that queued mail, so that sending starts while the drain goes on.
    pub queued: Option<&'a tokio::sync::Notify>,
}

/// A message's parse and the rules' verdict on it.
enum Assessment<'r> {
    /// Cannot be judged: quarantined for this reason (with its header when that parses).
    Quarantine { mail: Option<Mail>, reason: String },
    Judged {
        mail: Mail,
        verdict: Verdict,
        region: Option<(&'r Region, RegionSource)>,
        /// What the spam engine said (`None`: no engine configured).
        scan: Option<Box<Scan>>,
    },
}

/// New messages held for the spam engine: their UIDs, and why.
type Held = Vec<(u32, SpamError)>;

/// What a drain does with one fetched message.
enum Plan<'r> {
    /// Recorded and judged before: filed where its record says.
    Known,
    Judge(Box<Assessment<'r>>),
    /// The spam engine could not be asked and a score is required: stored, left in the
    /// mailbox, tried again on the next pass.
    Held(SpamError),
}

/// What judging one message decided, logged once its transaction is committed.
struct Decision {
    uid: u32,
    folder: String,
    ticket: Option<Ticket>,
    category: String,
    rule: String,
    relation: &'static str,
    machine: Option<crate::classify::MachineKind>,
    region: String,
    queued: usize,
    ack_skipped: Option<NoAck>,
    quarantine: Option<String>,
    /// The spam engine's score, or why there is none (`None`: no engine configured).
    spam: Option<String>,
}

impl Decision {
    fn log(&self, mailbox: &crate::types::MailboxName) {
        if let Some(reason) = &self.quarantine {
            tracing::warn!(step = "quarantined", mailbox = %mailbox, uid = self.uid, reason = %reason, "quarantined");
            return;
        }
        tracing::info!(
            step = "classified",
            mailbox = %mailbox,
            uid = self.uid,
            ticket = self.ticket.as_ref().map(|t| t.to_string()).unwrap_or_default(),
            category = %self.category,
            rule = %self.rule,
            relation = self.relation,
            machine = self.machine.map(|m| m.as_str()),
            region = %self.region,
            spam = self.spam.as_deref(),
            queued = self.queued,
            ack_skipped = self.ack_skipped.as_ref().map(tracing::field::display),
            "classified"
        );
    }
}

/// A judged message handed to its ticket: the verdict as the ticket decides it, the ticket
/// (none for spam and machine mail), and why it is not acknowledged when that is already
/// known.
struct Ticketed {
    verdict: Verdict,
    ticket: Option<Ticket>,
    no_ack: Option<NoAck>,
}

/// What judging settled for one message, ready to be recorded.
struct Settled<'a, 'r> {
    ticketed: Ticketed,
    relation: &'a Relation,
    region: Option<(&'r Region, RegionSource)>,
    outgoing: Vec<Outgoing>,
    scan: Option<Box<Scan>>,
}

/// Where one message of a fetch batch goes, and what was decided if it was judged now.
struct Placed {
    uid: u32,
    row: i64,
    folder: String,
    decided: Option<Decision>,
}

/// What one drain did.
#[derive(Debug, Default, Clone, Copy)]
pub struct DrainReport {
    pub fetched: usize,
    pub classified: usize,
    pub filed: usize,
    /// New messages left in the mailbox because the spam engine could not score them
    /// (`[spam] required = true`); the next pass tries them again.
    pub held: usize,
}

impl std::ops::AddAssign for DrainReport {
    fn add_assign(&mut self, o: DrainReport) {
        self.fetched += o.fetched;
        self.classified += o.classified;
        self.filed += o.filed;
        self.held += o.held;
    }
}

/// Largest number of bytes fetched in one round trip.
const BATCH_BYTES: u64 = 32 * 1024 * 1024;

/// Runs blocking work (file writes, fsync, parsing, SQLite) so that the runtime's other
/// tasks — the other mailbox, the outbox — keep running meanwhile: on a multi-threaded
/// runtime this worker hands its tasks to another thread for the duration.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Judged messages are moved once this many wait (and at the end of every drain).
const FILE_AFTER: usize = 500;

/// Where judged messages wait to be moved: folder → (UID, row id).
type ToFile = BTreeMap<String, Vec<(u32, i64)>>;

/// One drain's running state: the folder's identity and what waits to be filed.
struct Pass {
    uidvalidity: u32,
    /// When pilah first saw this folder under this UIDVALIDITY.
    first_seen: DateTime<Utc>,
    to_file: ToFile,
    report: DrainReport,
    /// Whether this pass already told the admin that the spam engine holds messages.
    spam_alerted: bool,
}

impl Pipeline<'_> {
    /// Processes everything in the watched folder, then looks at pilah's own folders (what
    /// people moved between them is corrected), then returns with the watched folder
    /// selected (IDLE waits on it).
    pub async fn drain(&self, conn: &mut Connection) -> Result<DrainReport, PipelineError> {
        let mut report = DrainReport::default();
        loop {
            let (r, uidnext) = self.drain_watched(conn).await?;
            report += r;
            // Looking at pilah's folders selects them. Mail that arrived meanwhile is not
            // announced to the watched folder selected again (its SELECT counts it): when
            // UIDNEXT moved, drain again rather than wait in IDLE for the next message.
            if !self.watch(conn).await? {
                return Ok(report);
            }
            let again = conn.select(&self.mailbox.imap.folder).await?;
            if again.uidnext == uidnext {
                return Ok(report);
            }
        }
    }

    /// Processes everything in the watched folder. Returns what it did and the folder's
    /// UIDNEXT when it was selected.
    async fn drain_watched(
        &self,
        conn: &mut Connection,
    ) -> Result<(DrainReport, Option<u32>), PipelineError> {
        let name = &self.mailbox.name;
        let folder = conn.select(&self.mailbox.imap.folder).await?;
        let mut pass = Pass {
            uidvalidity: folder.uidvalidity,
            first_seen: self.store.mailbox_seen(name.as_str(), folder.uidvalidity)?,
            to_file: ToFile::new(),
            report: DrainReport::default(),
            spam_alerted: false,
        };
        let uids = conn.uids().await?;
        pass.report.filed += self.store.settle_moved(name, folder.uidvalidity, &uids)?;
        if !uids.is_empty() {
            let new_uids = self.resume_known(&uids, &mut pass).await?;
            self.file(conn, &mut pass.to_file, &mut pass.report).await?;
            self.drain_new(conn, &new_uids, &mut pass).await?;
            self.file(conn, &mut pass.to_file, &mut pass.report).await?;
        }
        // Every message of the folder is now known under the current UIDVALIDITY.
        pass.report.filed += self
            .store
            .settle_moved_before_uidvalidity(name, folder.uidvalidity)?;
        Ok((pass.report, folder.uidnext))
    }

    /// Looks at pilah's own folders for messages people moved ([`crate::correct::watch`]);
    /// `true` when it selected one of them.
    async fn watch(&self, conn: &mut Connection) -> Result<bool, PipelineError> {
        let corrector = crate::correct::Corrector {
            config: self.config,
            rules: self.rules.clone(),
            store: self.store,
            options: self.options,
        };
        let w = crate::correct::watch::watch(conn, &corrector, self.mailbox).await?;
        if w.searched > 0 {
            tracing::debug!(step = "watched", mailbox = %self.mailbox.name, searched = w.searched, learned = w.learned, corrected = w.corrected, refiled = w.refiled, left = w.left, "looked at pilah's folders");
        }
        if w.corrected > 0 {
            if let Some(n) = self.queued {
                n.notify_one();
            }
        }
        Ok(w.searched > 0)
    }

    /// Sorts the folder's UIDs by what is recorded of them: judged ones wait to be filed,
    /// ones stored but not judged (pilah stopped in between) are judged now. Returns the
    /// UIDs never seen.
    async fn resume_known(&self, uids: &[u32], pass: &mut Pass) -> Result<Vec<u32>, PipelineError> {
        let name = &self.mailbox.name;
        let mut to_classify: Vec<StoredMessage> = Vec::new();
        let mut new_uids = Vec::new();
        for &uid in uids {
            let id = ImapUid {
                uidvalidity: pass.uidvalidity,
                uid,
            };
            match self.store.find(name, id)? {
                Some(m) if m.state == MessageState::Stored => to_classify.push(m),
                Some(m) => pass
                    .to_file
                    .entry(self.folder_of(&m))
                    .or_default()
                    .push((uid, m.id)),
                None => new_uids.push(uid),
            }
        }
        for m in to_classify {
            let raw = std::fs::read(&m.raw_path).map_err(|source| PipelineError::RawMissing {
                mailbox: name.to_string(),
                uid: m.uid.uid,
                path: m.raw_path.display().to_string(),
                source,
            })?;
            let scan = match self.scan_one(m.uid.uid, &raw).await {
                Ok(scan) => scan,
                Err(e) => {
                    self.hold(m.uid.uid, &e, pass);
                    continue;
                }
            };
            let d = blocking(|| self.judge_one(&m, &raw, None, scan, pass.first_seen))?;
            pass.report.classified += 1;
            pass.to_file
                .entry(d.folder)
                .or_default()
                .push((m.uid.uid, m.id));
        }
        Ok(new_uids)
    }

    /// New mail, fetched in batches bounded by count and bytes (and by the memory limit);
    /// a message too large is set aside from its size alone.
    async fn drain_new(
        &self,
        conn: &mut Connection,
        new_uids: &[u32],
        pass: &mut Pass,
    ) -> Result<(), PipelineError> {
        let sizes = conn.sizes(new_uids).await?;
        let memory = crate::memory::limit();
        // Under a memory limit, a batch holds no more than what the limit allows at once.
        let batch_limit = memory.map_or(BATCH_BYTES, |l| {
            BATCH_BYTES.min(crate::memory::largest_for(l).max(1))
        });
        let mut batch: Vec<u32> = Vec::new();
        let mut batch_bytes = 0u64;
        for (i, (uid, size)) in sizes.iter().enumerate() {
            let size = *size as u64;
            if let Some(reason) = self.too_large_reason(size, memory) {
                self.too_large(
                    conn,
                    *uid,
                    reason,
                    pass.uidvalidity,
                    pass.first_seen,
                    &mut pass.to_file,
                    &mut pass.report,
                )
                .await?;
            } else {
                batch.push(*uid);
                batch_bytes += size;
            }
            let last = i + 1 == sizes.len();
            if !batch.is_empty()
                && (last
                    || batch.len() >= self.config.limits.fetch_batch
                    || batch_bytes >= batch_limit
                    // The next message would take the batch over what memory allows.
                    || sizes
                        .get(i + 1)
                        .is_some_and(|(_, next)| batch_bytes + u64::from(*next) > batch_limit))
            {
                self.take_batch(conn, &batch, pass).await?;
                batch.clear();
                batch_bytes = 0;
            }
        }
        Ok(())
    }

    /// One batch: fetched, stored and judged, and filed once enough waits.
    async fn take_batch(
        &self,
        conn: &mut Connection,
        batch: &[u32],
        pass: &mut Pass,
    ) -> Result<(), PipelineError> {
        let name = &self.mailbox.name;
        let fetched = conn.fetch(batch, false).await?;
        pass.report.fetched += fetched.len();
        // 0. What the spam engine says about each (when one is configured).
        let scans = self.scan_batch(&fetched).await;
        // 1 and 2: stored and judged, on a thread that may block (disk, CPU).
        let (decisions, held) =
            blocking(|| self.store_and_judge(&fetched, scans, pass.uidvalidity, pass.first_seen))?;
        drop(fetched);
        for (uid, e) in held {
            self.hold(uid, &e, pass);
        }
        let mut queued = 0;
        for p in decisions {
            if let Some(d) = &p.decided {
                d.log(name);
                pass.report.classified += 1;
                queued += d.queued;
            }
            pass.to_file
                .entry(p.folder)
                .or_default()
                .push((p.uid, p.row));
        }
        if queued > 0 {
            if let Some(n) = self.queued {
                n.notify_one();
            }
        }
        // 3. Moved to the folders, a few hundred at a time: one `UID MOVE` per folder for
        // many batches (what is judged and not yet moved is moved on the next drain if
        // pilah stops meanwhile).
        if pass.to_file.values().map(Vec::len).sum::<usize>() >= FILE_AFTER {
            self.file(conn, &mut pass.to_file, &mut pass.report).await?;
        }
        if let Some(h) = self.health {
            h.beat(name.as_str());
        }
        Ok(())
    }

    /// Stores a fetched batch (raw files durable, rows recorded), then judges what is new
    /// in one transaction on the disk. Returns where each message goes, and the new
    /// messages held for the spam engine (stored, not judged, not moved).
    fn store_and_judge(
        &self,
        fetched: &[Fetched],
        scans: Vec<Result<Option<Scan>, SpamError>>,
        uidvalidity: u32,
        first_seen: DateTime<Utc>,
    ) -> Result<(Vec<Placed>, Held), PipelineError> {
        let name = &self.mailbox.name;
        // 1. On disk and in the database, the whole batch.
        let message_ids: Vec<Option<String>> = fetched
            .iter()
            .map(|f| parse::quick_message_id(f.raw()))
            .collect();
        let new: Vec<NewMessage> = fetched
            .iter()
            .zip(&message_ids)
            .map(|(f, id)| NewMessage {
                mailbox: name,
                uid: ImapUid {
                    uidvalidity,
                    uid: f.uid,
                },
                raw: f.raw(),
                internal_date: f.internal_date,
                message_id: id.as_deref(),
            })
            .collect();
        let stored = self.store.record_batch(&new)?;
        drop(new);
        for f in fetched {
            tracing::info!(step = "stored", mailbox = %name, uid = f.uid, size = f.raw().len(), "stored");
        }
        // 2. Judged, with the mail it causes, in one transaction on the disk.
        let mut plans: Vec<Option<Plan>> = fetched
            .iter()
            .zip(&stored)
            .zip(scans)
            .map(|((f, m), scan)| {
                Some(match scan {
                    _ if m.state != MessageState::Stored => Plan::Known,
                    Ok(scan) => Plan::Judge(Box::new(self.assess_guarded(f.raw(), None, scan))),
                    Err(e) => Plan::Held(e),
                })
            })
            .collect();
        let mut held = Vec::new();
        let decisions = self.store.durable_transaction(|tx| {
            let mut decisions = Vec::with_capacity(stored.len());
            for ((f, m), plan) in fetched.iter().zip(&stored).zip(plans.iter_mut()) {
                let (folder, decided) = match plan.take() {
                    Some(Plan::Judge(assessment)) => {
                        let d = self.judge_guarded(tx, m, f.raw(), *assessment, first_seen)?;
                        (d.folder.clone(), Some(d))
                    }
                    Some(Plan::Held(e)) => {
                        held.push((m.uid.uid, e));
                        continue;
                    }
                    Some(Plan::Known) | None => (self.folder_of(m), None),
                };
                decisions.push(Placed {
                    uid: m.uid.uid,
                    row: m.id,
                    folder,
                    decided,
                });
            }
            Ok(decisions)
        })?;
        Ok((decisions, held))
    }

    /// Judges one stored message in a durable transaction of its own, and logs the decision.
    fn judge_one(
        &self,
        stored: &StoredMessage,
        raw: &[u8],
        quarantine: Option<String>,
        scan: Option<Scan>,
        first_seen: DateTime<Utc>,
    ) -> Result<Decision, PipelineError> {
        let assessment = self.assess_guarded(raw, quarantine, scan);
        let d = self.store.durable_transaction(|tx| {
            self.judge_guarded(tx, stored, raw, assessment, first_seen)
        })?;
        d.log(&self.mailbox.name);
        Ok(d)
    }

    /// The folder of a message judged earlier (quarantine when it has none recorded).
    fn folder_of(&self, m: &StoredMessage) -> String {
        m.folder
            .clone()
            .unwrap_or_else(|| self.config.folders.quarantine.clone())
    }

    /// Why a message of `size` bytes is not fetched whole: over `limits.max_message_size_mb`,
    /// or more than the memory limit allows to handle (so that pilah is not killed on it at
    /// every start); `None` when it may be fetched.
    fn too_large_reason(&self, size: u64, memory: Option<u64>) -> Option<String> {
        const MB: u64 = 1024 * 1024;
        if size > self.config.limits.max_message_size {
            return Some(format!(
                "message of {} MB is over the limit of {} MB (limits.max_message_size_mb); only its header was read",
                size / MB,
                self.config.limits.max_message_size / MB
            ));
        }
        let limit = memory?;
        (crate::memory::needed(size) > limit).then(|| {
            format!(
                "message of {} MB needs about {} MB of memory to handle, over pilah's memory limit of {} MB (MemoryMax=; messages up to {} MB fit); only its header was read",
                size / MB,
                crate::memory::needed(size) / MB,
                limit / MB,
                crate::memory::largest_for(limit) / MB
            )
        })
    }

    /// A message that is not fetched whole (`reason`): its header is kept, the whole stays in
    /// the mailbox's quarantine folder, and the admin is told.
    #[allow(clippy::too_many_arguments)]
    async fn too_large(
        &self,
        conn: &mut Connection,
        uid: u32,
        reason: String,
        uidvalidity: u32,
        first_seen: DateTime<Utc>,
        to_file: &mut ToFile,
        report: &mut DrainReport,
    ) -> Result<(), PipelineError> {
        let head = conn.fetch(&[uid], true).await?;
        let Some(h) = head.into_iter().next() else {
            return Ok(());
        };
        let stored = self.store.record(&NewMessage {
            mailbox: &self.mailbox.name,
            uid: ImapUid { uidvalidity, uid },
            raw: h.raw(),
            internal_date: h.internal_date,
            message_id: parse::quick_message_id(h.raw()).as_deref(),
        })?;
        let target = if stored.state == MessageState::Stored {
            report.classified += 1;
            self.judge_one(&stored, h.raw(), Some(reason), None, first_seen)?
                .folder
        } else {
            self.folder_of(&stored)
        };
        to_file.entry(target).or_default().push((uid, stored.id));
        Ok(())
    }

    /// Moves classified messages to their folders and records them filed.
    async fn file(
        &self,
        conn: &mut Connection,
        to_file: &mut ToFile,
        report: &mut DrainReport,
    ) -> Result<(), PipelineError> {
        for (folder, items) in std::mem::take(to_file) {
            let uids: Vec<u32> = items.iter().map(|(u, _)| *u).collect();
            let folder = match conn.move_to(&uids, &folder).await {
                Ok(()) => folder,
                Err(SourceError::FolderRefused { op, detail, .. })
                    if folder != self.config.folders.quarantine =>
                {
                    self.refused_folder(conn, &items, &folder, op, &detail)
                        .await?
                }
                Err(e) => return Err(e.into()),
            };
            let ids: Vec<i64> = items.iter().map(|(_, id)| *id).collect();
            self.store.filed(&ids, &folder)?;
            for (uid, _) in &items {
                tracing::info!(step = "filed", mailbox = %self.mailbox.name, uid = *uid, folder = %folder, "filed");
            }
            report.filed += items.len();
        }
        Ok(())
    }

    /// Messages whose folder the server refuses: filed in the quarantine folder instead, each
    /// with an event saying why, and the admin told once per folder (an alert whose
    /// Message-ID names the mailbox and folder, so the outbox keeps only the first).
    /// Returns the folder they went to.
    async fn refused_folder(
        &self,
        conn: &mut Connection,
        items: &[(u32, i64)],
        folder: &str,
        op: &str,
        detail: &str,
    ) -> Result<String, PipelineError> {
        let fallback = self.config.folders.quarantine.clone();
        let name = &self.mailbox.name;
        tracing::error!(step = "folder-refused", mailbox = %name, folder, fallback = %fallback, op, server = detail, messages = items.len(), "the server refuses the folder; filing in the quarantine folder instead");
        let uids: Vec<u32> = items.iter().map(|(u, _)| *u).collect();
        conn.move_to(&uids, &fallback).await?;
        let why = format!(
            "filed in {fallback} instead of {folder}: the server refuses {folder} ({op}: {detail})"
        );
        for (uid, id) in items {
            self.store
                .event(Some(*id), name.as_str(), "filed-fallback", &why)?;
            tracing::warn!(step = "filed-fallback", mailbox = %name, uid = *uid, folder = %fallback, intended = folder, "filed in the fallback folder");
        }
        let vars = crate::act::template::Vars::from([
            ("mailbox", name.to_string()),
            ("folder", folder.to_string()),
            ("command", op.to_string()),
            ("server", detail.to_string()),
            ("fallback", fallback.clone()),
        ]);
        let key = format!(
            "folder-refused.{name}.{}",
            crate::hex::hex(folder.as_bytes())
        );
        if let Some(o) = crate::alerts::to_admin(
            &self.rules,
            self.config,
            crate::act::notice::NoticeKind::FolderRefused,
            key,
            &vars,
        ) {
            self.store.queue(&o)?;
            if let Some(n) = self.queued {
                n.notify_one();
            }
        }
        Ok(fallback)
    }

    /// [`Self::assess`], where a panic quarantines the message instead of ending the drain.
    fn assess_guarded(
        &self,
        raw: &[u8],
        quarantine: Option<String>,
        scan: Option<Scan>,
    ) -> Assessment<'_> {
        crate::guard::catch(|| self.assess(raw, quarantine, scan)).unwrap_or_else(|panic| {
            Assessment::Quarantine {
                mail: None,
                reason: format!("pilah failed while judging this message: {panic}"),
            }
        })
    }

    /// [`Self::judge`] behind a savepoint of its own in `tx`: when judging panics or a
    /// forward cannot be composed, this message's partial writes (a ticket number, a
    /// ticket) are rolled back and it is quarantined instead, with the reason; the batch
    /// goes on. Only a store error fails the batch.
    fn judge_guarded(
        &self,
        tx: &Tx,
        stored: &StoredMessage,
        raw: &[u8],
        assessment: Assessment,
        first_seen: DateTime<Utc>,
    ) -> Result<Decision, StoreError> {
        tx.savepoint("judging")?;
        let reason =
            match crate::guard::catch(|| self.judge(tx, stored, raw, assessment, first_seen)) {
                Ok(Ok(d)) => {
                    tx.release("judging")?;
                    return Ok(d);
                }
                Ok(Err(JudgeError::Store(e))) => return Err(e),
                Ok(Err(e)) => e.to_string(),
                Err(panic) => format!("pilah failed while judging this message: {panic}"),
            };
        tx.rollback_to("judging")?;
        tracing::error!(step = "judge-failed", mailbox = %self.mailbox.name, uid = stored.uid.uid, ticket = "", category = "karantina", error = %reason, "cannot judge this message; quarantined instead");
        let mail = parse::parse(raw).ok();
        let d = match crate::guard::catch(|| self.quarantine(tx, stored, mail.as_ref(), &reason)) {
            Ok(d) => d?,
            Err(panic) => {
                // Even the alert about it failed: quarantined without its header's details.
                tx.rollback_to("judging")?;
                let reason = format!("{reason}; then, while quarantining it: {panic}");
                self.quarantine(tx, stored, None, &reason)?
            }
        };
        tx.release("judging")?;
        Ok(d)
    }

    /// Parses and classifies a message: the work that needs no database, done before any
    /// transaction so that sending is not held up meanwhile. `quarantine`: only the header
    /// was fetched, for this reason.
    /// `scan`: what the spam engine said, which the rules see as `spam.score`/`spam.symbols`.
    fn assess(&self, raw: &[u8], quarantine: Option<String>, scan: Option<Scan>) -> Assessment<'_> {
        if let Some(reason) = quarantine {
            return Assessment::Quarantine {
                mail: parse::parse(raw).ok(),
                reason,
            };
        }
        match parse::parse(raw) {
            Err(e) => Assessment::Quarantine {
                mail: None,
                reason: format!("unreadable message: {e}"),
            },
            Ok(mut mail) => {
                self.config.authentication.apply(&mut mail);
                mail.spam = scan.as_ref().and_then(|s| s.score().cloned());
                let verdict = classify::classify(
                    &self.rules,
                    &mail,
                    self.mailbox.name.as_str(),
                    &self.config.folders.machine,
                );
                let region = self.rules.regions.detect(&mail);
                Assessment::Judged {
                    mail,
                    verdict,
                    region,
                    scan: scan.map(Box::new),
                }
            }
        }
    }

    /// Relates an assessed message to its ticket, queues what it causes, and records it all
    /// in `tx`. Returns what was decided (its folder among it). Never fails on bad mail.
    fn judge(
        &self,
        tx: &Tx,
        stored: &StoredMessage,
        raw: &[u8],
        assessment: Assessment,
        first_seen: DateTime<Utc>,
    ) -> Result<Decision, JudgeError> {
        let (mail, verdict, region, scan) = match assessment {
            Assessment::Quarantine { mail, reason } => {
                return Ok(self.quarantine(tx, stored, mail.as_ref(), &reason)?);
            }
            Assessment::Judged {
                mail,
                verdict,
                region,
                scan,
            } => (mail, verdict, region, scan),
        };
        let received = stored.internal_date.unwrap_or_else(Utc::now);
        let sender_auth = mail.vouched.sender(mail.from_domain());
        // 1. Which ticket it belongs to.
        let (related, ticketed) = self.ticketing(tx, stored, &mail, verdict, received)?;
        let relation = &related.relation;
        let Ticketed {
            verdict: v,
            ticket,
            mut no_ack,
        } = ticketed;
        // 2. What it causes: forwards and an acknowledgement, or why not.
        let mut outgoing = Vec::new();
        let category = self
            .rules
            .category(self.mailbox.name.as_str(), &v.category)
            .or_else(|| self.rules.categories.iter().find(|c| c.id == v.category));
        if let (Some(ticket), Some(category)) = (&ticket, category) {
            let followup = matches!(relation, Relation::FollowUp(_));
            let ctx = Context {
                ticket,
                mailbox: &self.mailbox.name,
                mailbox_address: &self.mailbox.address,
                mail: &mail,
                category,
                rule: v.rule_or_fallback(),
                region: region.map(|(r, _)| r),
                region_source: region.map(|(_, s)| s.label()),
                received,
                timezone: self.config.timezone,
                followup: followup.then_some(stored.id),
                cc_mailbox: self.config.forward_cc_mailbox,
                reply_to: compose::reply_address(&mail, sender_auth),
                sender_auth,
                mentions: &related.mentions,
                redirected_from: None,
            };
            if matches!(relation, Relation::New) || followup {
                if let Some(why) =
                    self.send_mail(tx, &ctx, &v, raw, followup, first_seen, &mut outgoing)?
                {
                    no_ack = Some(why);
                }
            }
        }
        // 3. Recorded, with the mail it causes.
        let settled = Settled {
            ticketed: Ticketed {
                verdict: v,
                ticket,
                no_ack,
            },
            relation,
            region,
            outgoing,
            scan,
        };
        self.record(tx, stored, &mail, settled)
    }

    /// Which ticket a message belongs to (machine mail to none), and the ticket it gets.
    fn ticketing(
        &self,
        tx: &Tx,
        stored: &StoredMessage,
        mail: &Mail,
        verdict: Verdict,
        received: DateTime<Utc>,
    ) -> Result<(ticket::Related, Ticketed), JudgeError> {
        let sender_auth = mail.vouched.sender(mail.from_domain());
        let related = if verdict.machine.is_none() {
            self.relate(tx, stored, mail, sender_auth)?
        } else {
            ticket::Related {
                relation: Relation::New,
                mentions: Vec::new(),
            }
        };
        let relation = &related.relation;
        let ticketed = self.ticket_for(tx, relation, verdict, mail, received, sender_auth)?;
        if let Relation::UnverifiedAnswer(rec) = relation {
            tracing::warn!(step = "unverified-answer", mailbox = %self.mailbox.name, uid = stored.uid.uid, ticket = %rec.ticket, sender = mail.from.as_deref().unwrap_or(""), auth = %sender_auth, "claims to answer a ticket as its PIC, but no trusted server vouched for the sender: filed, not counted");
        }
        Ok((related, ticketed))
    }

    /// Records the verdict with the mail it causes, in the judging transaction.
    fn record(
        &self,
        tx: &Tx,
        stored: &StoredMessage,
        mail: &Mail,
        settled: Settled,
    ) -> Result<Decision, JudgeError> {
        let Settled {
            ticketed:
                Ticketed {
                    verdict: v,
                    ticket,
                    no_ack,
                },
            relation,
            region,
            outgoing,
            scan,
        } = settled;
        let ack_skipped = no_ack.as_ref().map(ToString::to_string);
        tx.record_verdict(
            &VerdictRecord {
                message_row: stored.id,
                verdict: &v,
                quarantine: None,
                sender: mail.from.as_deref(),
                sender_name: mail.from_name.as_deref(),
                subject: &mail.subject,
                ticket: ticket.as_ref(),
                relation: relation.as_str(),
                region: region.map(|(r, s)| (r.code.as_str(), s.as_str())),
                ack_skipped: ack_skipped.as_deref(),
                spam: scan.as_deref(),
            },
            &outgoing,
        )?;
        Ok(Decision {
            uid: stored.uid.uid,
            rule: v.rule_or_fallback().to_string(),
            machine: v.machine,
            region: region.map(|(r, _)| r.display_name()).unwrap_or_default(),
            folder: v.folder,
            ticket,
            category: v.category,
            relation: relation.as_str(),
            queued: outgoing.len(),
            ack_skipped: no_ack,
            quarantine: None,
            spam: scan.map(|s| match *s {
                Scan::Scored(score) => format!("{:.1}/{:.1}", score.score, score.threshold),
                Scan::Unscored(why) => why.to_string(),
            }),
        })
    }

    /// How a message relates to the known tickets, judged by who sent it.
    fn relate(
        &self,
        tx: &Tx,
        stored: &StoredMessage,
        mail: &Mail,
        sender_auth: crate::trust::SenderAuth,
    ) -> Result<ticket::Related, StoreError> {
        let rules = &self.rules;
        let of_unit = |u: &str| -> BTreeSet<String> {
            rules
                .units
                .get(u)
                .map(|u| u.pics.iter().chain(u.supervisor.iter()).cloned().collect())
                .unwrap_or_default()
        };
        let is_provider = |d: &str| rules.is_public_provider(d);
        ticket::relate(
            tx,
            stored.id,
            mail,
            &ticket::Correspondent {
                address: mail.from.as_deref(),
                auth: sender_auth,
                public_provider: &is_provider,
            },
            &ticket::Staff { of_unit: &of_unit },
        )
    }

    /// Opens a ticket for a new message that wants one, or hands a message to the ticket it
    /// belongs to: the ticket's category, unit and folder, and why it is not acknowledged.
    fn ticket_for(
        &self,
        tx: &Tx,
        relation: &Relation,
        mut v: Verdict,
        mail: &Mail,
        received: DateTime<Utc>,
        sender_auth: crate::trust::SenderAuth,
    ) -> Result<Ticketed, StoreError> {
        let rec = match relation {
            Relation::New => {
                let ticket = if v.machine.is_none() && v.category != "spam" {
                    let year = received.with_timezone(&self.config.timezone).year();
                    let t = tx.next_ticket(&self.mailbox.ticket_prefix, year)?;
                    tx.open_ticket(
                        &t,
                        self.mailbox.name.as_str(),
                        &v.category,
                        v.route.first().map(|s| s.as_str()),
                        mail.from.as_deref(),
                        received,
                    )?;
                    Some(t)
                } else {
                    None
                };
                return Ok(Ticketed {
                    verdict: v,
                    ticket,
                    no_ack: None,
                });
            }
            Relation::FollowUp(rec)
            | Relation::PicAnswer(rec)
            | Relation::UnverifiedAnswer(rec)
            | Relation::Duplicate(rec) => rec,
        };
        // The message belongs to the ticket: its category, unit and folder.
        v.category = rec.category.clone();
        v.rule = Some(format!("ticket:{}", relation.as_str()));
        v.ack = None;
        v.route = match relation {
            Relation::FollowUp(_) => rec.unit.iter().cloned().collect(),
            _ => Vec::new(),
        };
        if let Some(c) = self.rules.category(&rec.mailbox, &rec.category) {
            v.folder = c.folder.clone();
        }
        let ticket = rec.ticket.clone();
        let no_ack = match relation {
            Relation::FollowUp(_) => NoAck::FollowUp(ticket),
            Relation::PicAnswer(_) => {
                tx.ticket_answered(&ticket, mail.from.as_deref().unwrap_or(""), received)?;
                NoAck::PicAnswer(ticket)
            }
            Relation::UnverifiedAnswer(_) => {
                v.folder = self.config.folders.unverified.clone();
                NoAck::UnverifiedAnswer {
                    ticket,
                    auth: sender_auth,
                }
            }
            _ => NoAck::Duplicate(ticket),
        };
        Ok(Ticketed {
            verdict: v,
            ticket: rec.ticket.parse().ok(),
            no_ack: Some(no_ack),
        })
    }

    /// Queues the forwards and (for a new ticket) the acknowledgement of a message that acts
    /// on its ticket, unless nothing may be sent; returns why there is no acknowledgement.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn send_mail(
        &self,
        tx: &Tx,
        ctx: &Context,
        v: &Verdict,
        raw: &[u8],
        followup: bool,
        first_seen: DateTime<Utc>,
        outgoing: &mut Vec<Outgoing>,
    ) -> Result<Option<NoAck>, JudgeError> {
        let cutoff = self
            .config
            .start_date
            .unwrap_or_else(|| first_seen - chrono::Duration::days(1));
        if self.options.no_send {
            return Ok(Some(NoAck::NoSendMode));
        }
        if ctx.received < cutoff {
            return Ok(Some(NoAck::BeforeStartDate(cutoff)));
        }
        let sender = Sender {
            address: &self.config.smtp.from,
            name: &self.config.smtp.from_name,
        };
        self.queue_forwards(ctx, v, raw, &sender, outgoing)?;
        let no_ack = if followup {
            None
        } else {
            self.queue_ack(tx, ctx, v, &sender, outgoing)?
        };
        // The acknowledgement goes out first: the sender waits for it, the PICs read their
        // mail later.
        outgoing.sort_by_key(|o| o.kind != OutboxKind::Ack);
        Ok(no_ack)
    }

    fn queue_forwards(
        &self,
        ctx: &Context,
        verdict: &Verdict,
        raw: &[u8],
        sender: &Sender,
        outgoing: &mut Vec<Outgoing>,
    ) -> Result<(), JudgeError> {
        for unit_id in &verdict.route {
            let Some(unit) = self.rules.units.get(unit_id) else {
                continue;
            };
            // The original stays in its raw file (messages.raw_path): the outbox gets only
            // pilah's own bytes around it, and the original is put in place when sending.
            match compose::forward(ctx, unit, raw, sender) {
                Ok(fwd) => outgoing.push(Outgoing {
                    kind: OutboxKind::Forward,
                    message_id: fwd.message_id,
                    env_from: self.config.smtp.from.clone(),
                    rcpt: unit.pics.clone(),
                    unit: Some(unit.id.clone()),
                    body: fwd.head,
                    original: Some((fwd.original, fwd.tail)),
                }),
                // Nothing is lost silently: the message is quarantined, the admin told.
                Err(source) => {
                    return Err(JudgeError::Forward {
                        unit: unit.id.clone(),
                        source,
                    })
                }
            }
        }
        Ok(())
    }

    /// Queues the acknowledgement, or says why there is none.
    fn queue_ack(
        &self,
        tx: &Tx,
        ctx: &Context,
        verdict: &Verdict,
        sender: &Sender,
        outgoing: &mut Vec<Outgoing>,
    ) -> Result<Option<NoAck>, StoreError> {
        let Some(template_name) = &verdict.ack else {
            return Ok(None);
        };
        let Some(template): Option<&Template> = self.rules.templates.get(template_name) else {
            return Ok(Some(NoAck::TemplateMissing(template_name.clone())));
        };
        if let crate::trust::SenderAuth::Failed(method) = ctx.sender_auth {
            return Ok(Some(NoAck::SenderForged(method)));
        }
        let Some(to) = ctx.reply_to else {
            return Ok(Some(NoAck::NoSenderAddress));
        };
        let to = to.to_lowercase();
        let own = to.eq_ignore_ascii_case(&self.config.smtp.from)
            || self
                .config
                .mailboxes
                .iter()
                .any(|m| m.address.eq_ignore_ascii_case(&to));
        if own {
            return Ok(Some(NoAck::OwnAddress));
        }
        let staff = self
            .rules
            .units
            .values()
            .any(|u| u.pics.contains(&to) || u.supervisor.as_deref() == Some(to.as_str()));
        if staff {
            return Ok(Some(NoAck::Staff));
        }
        let window_start = Utc::now()
            - chrono::Duration::from_std(self.config.limits.ack_window)
                .unwrap_or(chrono::Duration::hours(1));
        let recent = tx.acks_since(&to, window_start)?;
        if recent >= self.config.limits.ack_per_sender as i64 {
            return Ok(Some(NoAck::SenderRateLimit {
                count: recent,
                to,
                minutes: self.config.limits.ack_window.as_secs() / 60,
            }));
        }
        let last_hour = tx.all_acks_since(Utc::now() - chrono::Duration::hours(1))?;
        if last_hour >= self.config.limits.acks_per_hour as i64 {
            tracing::warn!(step = "ack-limit", mailbox = %ctx.mailbox, ticket = %ctx.ticket, acks = last_hour, "acknowledgements per hour reached (limits.acks_per_hour): no acknowledgement");
            return Ok(Some(NoAck::HourlyLimit { count: last_hour }));
        }
        match compose::acknowledgement(ctx, template, &to, sender) {
            Ok((id, msg)) => {
                outgoing.push(Outgoing {
                    kind: OutboxKind::Ack,
                    message_id: id,
                    env_from: String::new(),
                    rcpt: vec![to],
                    unit: None,
                    body: msg.formatted(),
                    original: None,
                });
                Ok(None)
            }
            Err(e) => Ok(Some(NoAck::ComposeFailed(e.to_string()))),
        }
    }

    /// Records a message that cannot be judged, and tells the admin.
    fn quarantine(
        &self,
        tx: &Tx,
        stored: &StoredMessage,
        mail: Option<&Mail>,
        reason: &str,
    ) -> Result<Decision, StoreError> {
        let folder = self.config.folders.quarantine.clone();
        let verdict = Verdict {
            category: "karantina".into(),
            rule: None,
            machine: None,
            route: Vec::new(),
            ack: None,
            folder: folder.clone(),
            tags: Vec::new(),
            rules_version: self.rules.version.clone(),
        };
        let alert = crate::alerts::quarantine_alert(
            tx,
            &self.rules,
            self.config,
            &self.mailbox.name,
            stored,
            mail,
            reason,
        )?;
        let outgoing: Vec<Outgoing> = alert.into_iter().collect();
        tx.record_verdict(
            &VerdictRecord {
                message_row: stored.id,
                verdict: &verdict,
                quarantine: Some(reason),
                sender: mail.and_then(|m| m.from.as_deref()),
                sender_name: mail.and_then(|m| m.from_name.as_deref()),
                subject: mail.map(|m| m.subject.as_str()).unwrap_or(""),
                ticket: None,
                relation: "new",
                region: None,
                ack_skipped: Some(&NoAck::Quarantined.to_string()),
                spam: None,
            },
            &outgoing,
        )?;
        Ok(Decision {
            uid: stored.uid.uid,
            folder,
            ticket: None,
            category: verdict.category,
            rule: String::new(),
            relation: "new",
            machine: None,
            region: String::new(),
            queued: outgoing.len(),
            ack_skipped: None,
            quarantine: Some(reason.to_string()),
            spam: None,
        })
    }
}
