//! `pilah doctor`: checks everything pilah needs before a (re)start, the IMAP servers
//! probed for real (the folders created and deleted where pilah will file).
//!
//! It must not change anything pilah owns: the probe folders it creates are deleted at once,
//! and no message is fetched or moved.

use super::{authentication_status, loose_modes, Findings};
use crate::classify::rules::RuleSet;
use crate::config::Config;
use crate::daemon;
use crate::store::Store;
use anyhow::{Context as _, Result};
use std::path::Path;

/// What `pilah doctor` found: each check printed as it is made, failures counted.
#[derive(Default)]
struct Verdicts {
    failures: usize,
}

impl Verdicts {
    fn verdict(&mut self, ok: bool, what: &str, detail: &str) {
        if !ok {
            self.failures += 1;
        }
        println!(
            "{} {what}{}",
            if ok { "  ok  " } else { "  FAIL" },
            if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            }
        );
    }
}

pub(super) fn doctor(path: &Path) -> Result<()> {
    let mut v = Verdicts::default();
    let config = match Config::load(path) {
        Ok(c) => {
            v.verdict(true, &format!("config {}", path.display()), "");
            c
        }
        Err(e) => {
            v.verdict(false, &format!("config {}", path.display()), &e.to_string());
            return Err(
                Findings("the configuration has errors; nothing else was checked".into()).into(),
            );
        }
    };
    let rules = doctor_rules(&config, &mut v);
    match authentication_status(&config.authentication) {
        Ok(detail) => v.verdict(true, "authentication", &detail),
        Err(warning) => println!("  warn authentication: {warning}"),
    }
    doctor_state(&config, &mut v);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        doctor_oauth2(&config, &mut v).await;
        for m in &config.mailboxes {
            doctor_mailbox(&config, rules.as_ref(), m, &mut v).await;
        }
        let what = format!("smtp {}:{}", config.smtp.host, config.smtp.port);
        match crate::act::send::Smtp::new(&config.smtp, config.limits.network_timeout) {
            Ok(smtp) => match smtp.check().await {
                Ok(()) => v.verdict(true, &what, "connected"),
                Err(e) => v.verdict(false, &what, &e.to_string()),
            },
            Err(e) => v.verdict(false, &what, &e.to_string()),
        }
        doctor_spam(&config, &mut v).await;
    });
    if v.failures > 0 {
        return Err(Findings(format!(
            "{} problem(s): fix them before (re)starting pilah",
            v.failures
        ))
        .into());
    }
    println!("everything pilah needs is in order");
    Ok(())
}

/// Every OAuth2 grant asked for a token: an expired or revoked one is named before the
/// logins that would fail because of it.
async fn doctor_oauth2(config: &Config, v: &mut Verdicts) {
    let auths = config
        .mailboxes
        .iter()
        .map(|m| &m.imap.auth)
        .chain(config.smtp.auth.as_ref());
    for auth in auths {
        let crate::config::Auth::OAuth2(tokens) = auth else {
            continue;
        };
        let c = tokens.config();
        let what = format!("{} ({} grant)", c.table, c.grant.wire());
        match tokens.token(config.limits.network_timeout).await {
            Ok(_) => v.verdict(true, &what, &format!("access token from {}", c.token_url)),
            Err(e) => v.verdict(false, &what, &e.to_string()),
        }
    }
}

/// The spam engine answers `PING`. Down, it is a problem when a score is required (new
/// mail would be held), a warning when not (new mail would be judged unscored).
async fn doctor_spam(config: &Config, v: &mut Verdicts) {
    let Some(spam) = &config.spam else {
        return v.verdict(
            true,
            "spam engine",
            "none configured ([spam]): the rules alone judge",
        );
    };
    let what = format!("spam engine {}", spam.address);
    match crate::spam::ping(spam).await {
        Ok(()) if spam.required => v.verdict(true, &what, "answers; a score is required"),
        Ok(()) => v.verdict(true, &what, "answers; required = false"),
        Err(e) if spam.required => v.verdict(
            false,
            &what,
            &format!(
                "{e}; new mail is held in the mailbox until it answers ([spam] required = true)"
            ),
        ),
        Err(e) => println!(
            "  warn {what}: {e}; new mail is judged by the rules alone, recorded as unscored"
        ),
    }
}

/// The rules load, and know every mailbox.
fn doctor_rules(config: &Config, v: &mut Verdicts) -> Option<RuleSet> {
    match RuleSet::load(&config.rules_dir) {
        Ok(r) => {
            v.verdict(
                true,
                &format!("rules {}", config.rules_dir.display()),
                &format!("{} rules, version {}", r.rules.len(), r.version),
            );
            for w in r.warnings.warnings() {
                println!("        warning: {w}");
            }
            (super::mailbox_coverage(config, &r).iter())
                .for_each(|w| println!("        warning: {w}"));
            if let Err(e) = daemon::check_mailboxes(config, &r) {
                v.verdict(false, "mailboxes known to the rules", &e.to_string());
            }
            Some(r)
        }
        Err(e) => {
            v.verdict(
                false,
                &format!("rules {}", config.rules_dir.display()),
                &e.to_string(),
            );
            None
        }
    }
}

/// The state directory and the database, looked at, never created: a database made by
/// root here would not be writable by the service's own user later. And the file modes.
fn doctor_state(config: &Config, v: &mut Verdicts) {
    let what = format!("state directory {}", config.state_dir.display());
    let db = config.db_path();
    if db.exists() {
        match Store::inspect(&db) {
            Ok(found) => v.verdict(
                true,
                &what,
                &format!(
                    "database holds {} message(s), schema version {}",
                    found.messages, found.version
                ),
            ),
            Err(e) => v.verdict(false, &what, &e.to_string()),
        }
    } else if config.state_dir.is_dir() || !config.state_dir.exists() {
        println!("  note  {what}: no database yet; pilah creates it at its first start");
    } else {
        v.verdict(false, &what, "exists but is not a directory");
    }
    let loose = loose_modes(config);
    if loose.is_empty() {
        v.verdict(
            true,
            "file modes",
            "password files, state directory and database are private to their owner",
        );
    }
    for (what, detail) in &loose {
        v.verdict(false, what, detail);
    }
}

/// One mailbox: logs in, selects the watched folder, reports what the server offers and
/// what pilah will do with it, and tries every folder pilah will file into.
async fn doctor_mailbox(
    config: &Config,
    rules: Option<&RuleSet>,
    m: &crate::config::MailboxConfig,
    v: &mut Verdicts,
) {
    let what = format!(
        "mailbox {} ({}:{} as {})",
        m.name, m.imap.host, m.imap.port, m.imap.username
    );
    let mut conn = match crate::source::Connection::open(
        &m.name,
        &m.imap,
        config.limits.network_timeout,
    )
    .await
    {
        Ok(c) => c,
        Err(e) => return v.verdict(false, &what, &e.to_string()),
    };
    match conn.select(&m.imap.folder).await {
        Ok(f) => v.verdict(
            true,
            &what,
            &format!("logged in; {} holds {} message(s)", m.imap.folder, f.exists),
        ),
        Err(e) => v.verdict(false, &what, &e.to_string()),
    }
    println!("        {}", server_summary(&conn, config));
    let mut folders: Vec<String> = vec![
        config.folders.machine.clone(),
        config.folders.quarantine.clone(),
        config.folders.unverified.clone(),
    ];
    if let Some(r) = rules {
        folders.extend(
            r.categories
                .iter()
                .filter(|c| c.mailboxes.iter().any(|x| x == m.name.as_str()))
                .map(|c| c.folder.clone()),
        );
    }
    folders.sort();
    folders.dedup();
    doctor_folders(&mut conn, &m.name, &folders, v).await;
    conn.logout().await;
}

/// The server in one line: namespace, delimiter, capabilities, and the fallbacks pilah uses.
fn server_summary(conn: &crate::source::Connection, config: &Config) -> String {
    let h = conn.hierarchy();
    let c = conn.caps;
    let yes = |b: bool| if b { "yes" } else { "no" };
    format!(
        "server: folder prefix {:?} (from {}), delimiter {:?}; MOVE {}, UIDPLUS {}, IDLE {}, CONDSTORE {}; files by {}; new mail by {}",
        h.prefix,
        h.origin,
        h.delimiter,
        yes(c.r#move),
        yes(c.uidplus),
        yes(c.idle),
        yes(c.condstore),
        conn.filing().describe(),
        if c.idle {
            "IDLE".to_string()
        } else {
            format!(
                "polling every {} s (no IDLE)",
                config.limits.poll_interval.as_secs()
            )
        }
    )
}

/// Every folder pilah files into, as the server names it: those that exist are fine; for
/// the others a probe folder is created where they will go (beside them, under the same
/// parent) and deleted again, so that a server that refuses them fails here and not at the
/// first message. One probe per parent: Courier takes 2 s to delete a folder.
async fn doctor_folders(
    conn: &mut crate::source::Connection,
    mailbox: &crate::types::MailboxName,
    folders: &[String],
    v: &mut Verdicts,
) {
    let mut missing: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    let mut failed = false;
    for f in folders {
        if let Err(e) = conn.server_folder(f) {
            failed = true;
            v.verdict(
                false,
                &format!("mailbox {mailbox} folder {f}"),
                &e.to_string(),
            );
        } else if !conn.has_folder(f) {
            let parent = f.rsplit_once('/').map_or("", |(p, _)| p);
            missing.entry(parent).or_default().push(f);
        }
    }
    for (parent, children) in &missing {
        let probe = if parent.is_empty() {
            "pilah-probe".to_string()
        } else {
            format!("{parent}/pilah-probe")
        };
        match conn.probe_folder(&probe).await {
            Ok(leftovers) => {
                for l in leftovers {
                    println!("  warn  mailbox {mailbox} folder {probe}: made as a probe, but the server would not delete it again: {l}");
                }
            }
            Err(e) => {
                failed = true;
                v.verdict(
                    false,
                    &format!("mailbox {mailbox} folders {}", children.join(", ")),
                    &format!("filing would fail: {e}"),
                );
            }
        }
    }
    if !failed {
        let n: usize = missing.values().map(Vec::len).sum();
        v.verdict(
            true,
            &format!("mailbox {mailbox} folders"),
            &format!(
                "{} of {} exist; a probe folder beside the other {n} was created and deleted again: filing will work",
                folders.len() - n,
                folders.len()
            ),
        );
    }
}
