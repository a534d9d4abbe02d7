//! Watching pilah's own folders (`Pilah/<category>`) for messages a person moved.
//!
//! Every pass, after the watched folder is drained, each category folder (created when
//! missing, so that agents can move messages into it) of the mailbox is
//! asked for its state (`STATUS`: UIDVALIDITY, UIDNEXT, count); one that changed since the
//! last look is searched (`UID SEARCH UNDELETED`: a client that moves by COPY and `\Deleted`
//! has moved it already) and compared with the places pilah recorded there. A UID that left
//! is forgotten; a UID pilah does not know is identified by what a move keeps and pilah
//! recorded itself when it fetched the message — its size, its arrival time and its
//! Message-ID — among the messages pilah filed and sees nowhere now. pilah puts no header
//! of its own on a message it files (IMAP cannot change a message), and flags are the
//! agents', so neither is used; a forged copy with the same Message-ID is a message pilah
//! recorded too, and its own filing is matched first.
//!
//! A message found in the folder pilah filed it in is only remembered there. One found in
//! another category's folder is a correction ([`super::Corrector`]). One that left pilah's
//! folders for a folder pilah does not own is logged and left alone. A message the command
//! line moved to another category (`pilah ticket move`) is moved to its new folder here.

use super::{CorrectError, CorrectedBy, Corrector};
use crate::config::MailboxConfig;
use crate::pipeline::PipelineError;
use crate::source::{Connection, Identity, SourceError};
use crate::store::{FolderStatus, PlaceCandidate};
use std::collections::{BTreeMap, BTreeSet};

/// What one look at pilah's folders found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WatchReport {
    /// Folders searched (the others had not changed).
    pub searched: usize,
    /// Messages found where pilah filed them, now remembered there.
    pub learned: usize,
    /// Messages a person moved to another category's folder.
    pub corrected: usize,
    /// Messages moved to the folder of a category the command line gave them.
    pub refiled: usize,
    /// Messages that left pilah's folders (ignored).
    pub left: usize,
}

/// A UID pilah did not know, found in one of its folders.
struct Arrival {
    folder: String,
    category: String,
    uidvalidity: u32,
    id: Identity,
}

/// What the folders showed, before it is matched with the record.
#[derive(Default)]
struct Seen {
    arrivals: Vec<Arrival>,
    /// Messages whose UID left one of pilah's folders.
    left: BTreeSet<i64>,
    /// Messages pilah moved itself (refiled).
    refiled: BTreeSet<i64>,
}

/// The folders pilah owns in a mailbox: each category's folder, with its category (the
/// first category that names a folder, when several share it).
pub fn owned_folders(c: &Corrector, mailbox: &MailboxConfig) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for cat in &c.rules.categories {
        let ours = cat.mailboxes.iter().any(|m| m == mailbox.name.as_str());
        if ours && !out.iter().any(|(f, _)| *f == cat.folder) {
            out.push((cat.folder.clone(), cat.id.clone()));
        }
    }
    out
}

/// Looks at pilah's folders of the mailbox: remembers where its messages are, carries out
/// the corrections people made by moving them, refiles what the command line corrected.
/// Leaves a folder of the mailbox selected: the caller selects the one it drains.
pub async fn watch(
    conn: &mut Connection,
    c: &Corrector<'_>,
    mailbox: &MailboxConfig,
) -> Result<WatchReport, PipelineError> {
    let name = mailbox.name.as_str();
    let mut report = WatchReport::default();
    let mut seen = Seen::default();
    let pending = c.store.any_misplaced(name)?;
    let folders = owned_folders(c, mailbox);
    let mut skipped: BTreeSet<String> = BTreeSet::new();
    for (folder, category) in &folders {
        // Every category has its folder from the start, for agents to move messages into.
        if !conn.has_folder(folder) {
            match conn.ensure_folder(folder).await {
                Ok(_) => {}
                Err(e @ SourceError::FolderRefused { .. }) => {
                    tracing::debug!(step = "watch-folder-refused", mailbox = name, folder = %folder, error = %e, "the server refuses one of pilah's folders; nothing to watch there");
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        match look_logged(conn, c, name, (folder, category), pending, &mut seen).await? {
            Some(true) => report.searched += 1,
            Some(false) => {
                skipped.insert(folder.clone());
            }
            None => {}
        }
    }
    // A client that moves by COPY and `\Deleted` (no EXPUNGE) changes neither the count nor
    // UIDNEXT of the folder it moves from: where an arrival is a message pilah sees in a
    // folder it skipped as unchanged, that folder is searched after all.
    for folder in recheck(c, name, &seen, &skipped)? {
        if let Some((f, category)) = folders.iter().find(|(f, _)| *f == folder) {
            if look_logged(conn, c, name, (f, category), true, &mut seen).await? == Some(true) {
                report.searched += 1;
            }
        }
    }
    report.refiled = seen.refiled.len();
    settle(c, name, &mut seen, &mut report)?;
    Ok(report)
}

/// [`look`], where a folder the server refuses is logged and left for the next pass
/// (`None`); `Some(searched)` otherwise.
async fn look_logged(
    conn: &mut Connection,
    c: &Corrector<'_>,
    mailbox: &str,
    (folder, category): (&str, &str),
    force: bool,
    seen: &mut Seen,
) -> Result<Option<bool>, PipelineError> {
    match look(conn, c, mailbox, folder, category, force, seen).await {
        Ok(searched) => Ok(Some(searched)),
        Err(e @ (SourceError::Folder { .. } | SourceError::FolderRefused { .. })) => {
            tracing::warn!(step = "watch-failed", mailbox, folder, error = %e, "cannot look at one of pilah's folders; corrections there wait for the next pass");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// The skipped folders where pilah still sees a message that has just arrived elsewhere
/// and is not one it just filed (no candidate that is seen nowhere).
fn recheck(
    c: &Corrector<'_>,
    mailbox: &str,
    seen: &Seen,
    skipped: &BTreeSet<String>,
) -> Result<BTreeSet<String>, PipelineError> {
    let mut out = BTreeSet::new();
    for a in &seen.arrivals {
        let id = &a.id;
        let size = id.size;
        if !c
            .store
            .unplaced(mailbox, id.message_id.as_deref(), size, id.internal_date)?
            .is_empty()
        {
            continue;
        }
        for f in
            c.store
                .placed_folders(mailbox, id.message_id.as_deref(), size, id.internal_date)?
        {
            if f != a.folder && skipped.contains(&f) {
                out.insert(f);
            }
        }
    }
    Ok(out)
}

/// One folder: skipped when its state is as last seen (unless `force`d: a refile waits, or
/// a message seen there arrived elsewhere); otherwise its
/// departures forgotten, its arrivals identified, its misplaced messages refiled. Returns
/// whether it was searched.
async fn look(
    conn: &mut Connection,
    c: &Corrector<'_>,
    mailbox: &str,
    folder: &str,
    category: &str,
    force: bool,
    seen: &mut Seen,
) -> Result<bool, SourceError> {
    let server = conn.server_folder(folder)?;
    let status = conn.status(&server).await?;
    let status = FolderStatus {
        uidvalidity: status.uidvalidity,
        uidnext: status.uidnext,
        messages: status.exists,
    };
    let store_err = |e: crate::store::StoreError| SourceError::Protocol {
        mailbox: conn_name(mailbox),
        detail: format!("the database, while looking at {folder}: {e}"),
    };
    if !force && c.store.folder_status(mailbox, folder).map_err(store_err)? == Some(status) {
        return Ok(false);
    }
    let uidvalidity = conn.select(&server).await?.uidvalidity;
    let present = conn.undeleted_uids().await?;
    let known: BTreeMap<u32, Option<i64>> = c
        .store
        .places_in(mailbox, folder, uidvalidity)
        .map_err(store_err)?
        .into_iter()
        .collect();
    let present_set: BTreeSet<u32> = present.iter().copied().collect();
    let gone: Vec<u32> = known
        .keys()
        .filter(|u| !present_set.contains(u))
        .copied()
        .collect();
    let left = c
        .store
        .places_gone(mailbox, folder, uidvalidity, &gone)
        .map_err(store_err)?;
    seen.left.extend(left);
    let mut new: Vec<u32> = present
        .iter()
        .filter(|u| !known.contains_key(u))
        .copied()
        .collect();
    // A long history (the first look after an upgrade) is learnt over several passes, the
    // newest messages first (the ones agents correct); the folder's state is recorded only
    // once it is all known, so the next pass searches it again.
    let limit = c.config.limits.watch_learn_per_pass;
    let complete = new.len() <= limit;
    if !complete {
        let later = new.len() - limit;
        tracing::info!(
            step = "watch-learning",
            mailbox,
            folder,
            learning = limit,
            later,
            "learning where pilah's filed messages are, newest first; the rest in the next passes"
        );
        new.drain(..later);
    }
    for id in conn.identities(&new).await? {
        seen.arrivals.push(Arrival {
            folder: folder.to_string(),
            category: category.to_string(),
            uidvalidity,
            id,
        });
    }
    refile(conn, c, mailbox, folder, uidvalidity, seen).await?;
    if complete {
        c.store
            .set_folder_status(mailbox, folder, status)
            .map_err(store_err)?;
    }
    Ok(true)
}

fn conn_name(mailbox: &str) -> crate::types::MailboxName {
    crate::types::MailboxName(mailbox.to_string())
}

/// Moves the messages of the selected `folder` whose category the command line changed to
/// their new folder; they are remembered there when it is next searched.
async fn refile(
    conn: &mut Connection,
    c: &Corrector<'_>,
    mailbox: &str,
    folder: &str,
    uidvalidity: u32,
    seen: &mut Seen,
) -> Result<(), SourceError> {
    let store_err = |e: crate::store::StoreError| SourceError::Protocol {
        mailbox: conn_name(mailbox),
        detail: format!("the database, while refiling from {folder}: {e}"),
    };
    let misplaced = c
        .store
        .misplaced_in(mailbox, folder, uidvalidity)
        .map_err(store_err)?;
    let mut by_target: BTreeMap<String, Vec<(u32, i64)>> = BTreeMap::new();
    for (uid, row, target) in misplaced {
        by_target.entry(target).or_default().push((uid, row));
    }
    for (target, items) in by_target {
        let uids: Vec<u32> = items.iter().map(|(u, _)| *u).collect();
        conn.move_to(&uids, &target).await?;
        c.store
            .places_gone(mailbox, folder, uidvalidity, &uids)
            .map_err(store_err)?;
        for (uid, row) in items {
            seen.refiled.insert(row);
            tracing::info!(step = "refiled", mailbox, uid, from = folder, folder = %target, "moved to the folder of its corrected category");
        }
    }
    Ok(())
}

/// Matches the arrivals with the record: pilah's own filings first, then the corrections;
/// what left pilah's folders and was found nowhere is logged.
fn settle(
    c: &Corrector<'_>,
    mailbox: &str,
    seen: &mut Seen,
    report: &mut WatchReport,
) -> Result<(), PipelineError> {
    let mut taken: BTreeSet<i64> = BTreeSet::new();
    let mut rest = Vec::new();
    for a in std::mem::take(&mut seen.arrivals) {
        let cands = candidates(c, mailbox, &a, &taken)?;
        match cands
            .iter()
            .find(|p| p.folder.as_deref() == Some(a.folder.as_str()))
        {
            Some(p) => {
                taken.insert(p.row);
                c.store
                    .place(mailbox, &a.folder, a.uidvalidity, a.id.uid, Some(p.row))?;
                report.learned += 1;
            }
            None => rest.push(a),
        }
    }
    for a in rest {
        let cands = candidates(c, mailbox, &a, &taken)?;
        let row = match cands.as_slice() {
            [one] => Some(one.clone()),
            [] => {
                tracing::info!(step = "watch-unknown", mailbox, folder = %a.folder, uid = a.id.uid, "a message pilah did not file is in one of its folders; left alone");
                None
            }
            _ => {
                tracing::warn!(step = "watch-ambiguous", mailbox, folder = %a.folder, uid = a.id.uid, candidates = cands.len(), "a message in one of pilah's folders matches several it filed; left alone");
                None
            }
        };
        if let Some(p) = &row {
            taken.insert(p.row);
            if corrected_by_move(c, mailbox, &a, p)? {
                report.corrected += 1;
            }
        }
        c.store.place(
            mailbox,
            &a.folder,
            a.uidvalidity,
            a.id.uid,
            row.map(|p| p.row),
        )?;
    }
    for row in seen.left.difference(&seen.refiled) {
        if taken.contains(row) {
            continue;
        }
        report.left += 1;
        tracing::info!(step = "moved-away", mailbox, row, "a message left pilah's folders for one pilah does not own; its category stays as it was");
        c.store.event(
            Some(*row),
            mailbox,
            "moved-away",
            "moved out of pilah's folders to one pilah does not own: ignored",
        )?;
    }
    Ok(())
}

/// The messages an arrival may be, not matched yet in this look.
fn candidates(
    c: &Corrector<'_>,
    mailbox: &str,
    a: &Arrival,
    taken: &BTreeSet<i64>,
) -> Result<Vec<PlaceCandidate>, PipelineError> {
    Ok(c.store
        .unplaced(
            mailbox,
            a.id.message_id.as_deref(),
            a.id.size,
            a.id.internal_date,
        )?
        .into_iter()
        .filter(|p| !taken.contains(&p.row))
        .collect())
}

/// A person moved message `p` to the arrival's folder: the correction, carried out. A
/// message that cannot be corrected (quarantined, a PIC's answer) is logged and left there.
fn corrected_by_move(
    c: &Corrector<'_>,
    mailbox: &str,
    a: &Arrival,
    p: &PlaceCandidate,
) -> Result<bool, PipelineError> {
    let detail = format!("{} → {}", p.folder.as_deref().unwrap_or("-"), a.folder);
    match c.correct(p.row, &a.category, CorrectedBy::ImapMove, &detail) {
        Ok(done) => Ok(!done.unchanged),
        Err(CorrectError::Store(e)) => Err(e.into()),
        Err(e) => {
            tracing::warn!(step = "correction-refused", mailbox, folder = %a.folder, uid = a.id.uid, error = %e, "a message moved into one of pilah's folders cannot be corrected; left there");
            Ok(false)
        }
    }
}
