//! `pilah explain`: how one message is judged, rule by rule. Three parts: what the rules
//! see of the message (sender, what the receiving server vouched for, attachments, machine
//! mail), each rule in order with its evidence, and the verdict with what would be done.
//!
//! It must not write anything: no database, no IMAP, no mail; it judges as the daemon would.
//! With a config that has `[spam]`, it asks the spam engine about the message first, as the
//! daemon does (an engine that cannot be asked is shown, and the rules judge unscored).

use super::{check_mailbox_name, load_rules, read_mail, MACHINE_FOLDER};
use crate::classify::{self, rules::RuleSet, RuleTrace, Verdict};
use crate::parse::Mail;
use anyhow::Result;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

pub(super) fn explain(
    rules_dir: &Path,
    trust: &crate::trust::TrustConfig,
    spam: Option<&crate::spam::SpamConfig>,
    mailbox: &str,
    file: &Path,
) -> Result<()> {
    let rules = load_rules(rules_dir)?;
    check_mailbox_name(&rules, mailbox)?;
    let (raw, mut mail) = read_mail(file, trust)?;
    let engine = spam
        .map(|config| score(config, &raw, &mut mail))
        .transpose()?;
    let (v, trace) = classify::explain(&rules, &mail, mailbox, MACHINE_FOLDER);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} in mailbox {mailbox} (rules version {})",
        file.display(),
        rules.version
    );
    message(&mut o, &rules, &mail);
    if let Some(line) = engine {
        let _ = writeln!(o, "  Spam engine: {line}");
    }
    let _ = writeln!(o);
    let mut decided = false;
    for t in &trace {
        rule_line(&mut o, t, mailbox, decided);
        decided |= t.applies && t.decided;
    }
    let _ = writeln!(o);
    verdict(&mut o, &rules, &v, mailbox);
    std::io::stdout().lock().write_all(o.as_bytes())?;
    Ok(())
}

/// Asks the spam engine about the message, as the daemon would, and gives the rules its
/// score. Returns the line that says what the engine said.
fn score(config: &crate::spam::SpamConfig, raw: &[u8], mail: &mut Mail) -> Result<String> {
    Ok(match super::ask_engine(config, raw)? {
        Ok(crate::spam::Scan::Scored(s)) => {
            let line = format!("{s} at {}", config.address);
            mail.spam = Some(s);
            line
        }
        Ok(crate::spam::Scan::Unscored(why)) => why.to_string(),
        Err(e) if config.required => format!(
            "{e}: the daemon would hold this message in the mailbox until the engine answers ([spam] required = true); judged unscored here"
        ),
        Err(e) => format!("unscored: {e}"),
    })
}

/// What the rules see of the message.
fn message(o: &mut String, rules: &RuleSet, mail: &Mail) {
    let _ = writeln!(o, "  From:    {}", mail.from.as_deref().unwrap_or("-"));
    let _ = writeln!(o, "  Subject: {}", mail.subject);
    let vouched = &mail.vouched;
    let dkim: Vec<&str> = vouched.dkim_domains().collect();
    let _ = writeln!(
        o,
        "  Sender:  {} (spf={}, dkim={}{}, dmarc={}; from {})",
        vouched.sender(mail.from_domain()),
        vouched.result("spf").as_str(),
        vouched.result("dkim").as_str(),
        if dkim.is_empty() {
            String::new()
        } else {
            format!(" d={}", dkim.join(","))
        },
        vouched.result("dmarc").as_str(),
        vouched.source()
    );
    if let Some(s) = &vouched.spam {
        let _ = writeln!(
            o,
            "  Spam filter: {} ({}, a trusted header)",
            if s.spam { "spam" } else { "not spam" },
            s.evidence
        );
    }
    if !mail.attachments.is_empty() {
        let names: Vec<&str> = mail
            .attachments
            .iter()
            .map(|a| a.name.as_deref().unwrap_or("(no name)"))
            .collect();
        let _ = writeln!(o, "  Attachments: {}", names.join(", "));
    }
    let _ = writeln!(
        o,
        "  Machine mail: {}",
        match classify::machine_detection(rules, mail) {
            Some(d) => format!("{} (by {}: {})", d.kind, d.name, d.evidence),
            None => "no".to_string(),
        }
    );
}

/// One rule of the trace: whether it applies, matched, decided, and on what text
/// (`decided_before`: an earlier rule decided, so a match here only adds tags).
fn rule_line(o: &mut String, t: &RuleTrace, mailbox: &str, decided_before: bool) {
    let mark = if !t.applies {
        "  -  "
    } else if t.decided {
        "  >> "
    } else if t.matched {
        "  +  "
    } else {
        "     "
    };
    let status = if !t.applies {
        format!("not for mailbox {mailbox}")
    } else if t.matched {
        let why: Vec<String> = t
            .evidence
            .iter()
            .map(|(f, text, p)| {
                if text.is_empty() {
                    format!("{f}: {p}")
                } else {
                    format!("{f} {text:?} ~ {p:?}")
                }
            })
            .collect();
        let role = if t.decided {
            "MATCHED, decides"
        } else if decided_before {
            "matched, but an earlier rule already decided"
        } else {
            "matched (continue: tags only)"
        };
        format!("{role}: {}", why.join("; "))
    } else {
        "no match".to_string()
    };
    let _ = writeln!(
        o,
        "{mark}{:<32} {:<28} {status}",
        t.rule,
        t.location.rsplit('/').next().unwrap_or("")
    );
}

/// The verdict and what pilah would do with the message.
fn verdict(o: &mut String, rules: &RuleSet, v: &Verdict, mailbox: &str) {
    let label = rules.label(&v.category).unwrap_or("");
    let _ = writeln!(
        o,
        "Verdict: {} ({label}) by {}",
        v.category,
        v.rule
            .clone()
            .unwrap_or_else(|| format!("fallback of mailbox {mailbox}: no rule matched"))
    );
    let _ = writeln!(
        o,
        "  forward to: {}",
        if v.route.is_empty() {
            "nobody".to_string()
        } else {
            v.route.join(", ")
        }
    );
    let _ = writeln!(
        o,
        "  acknowledgement: {}",
        v.ack.as_deref().unwrap_or("none")
    );
    let _ = writeln!(o, "  folder: {}", v.folder);
    if !v.tags.is_empty() {
        let _ = writeln!(o, "  tags: {}", v.tags.join(", "));
    }
}
