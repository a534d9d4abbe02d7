//! Judging a message: machine-mail detection, then the admin's rules, first match wins.

pub mod cond;
pub mod keywords;
pub mod machine;
pub mod rules;

use crate::parse::Mail;
use cond::{Evidence, Subject};
pub use machine::MachineKind;
use rules::{AckChoice, RuleSet};
use serde::Serialize;

/// Everything decided about one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub category: String,
    /// The rule that decided; `None` when the mailbox's fallback was used.
    pub rule: Option<String>,
    pub machine: Option<MachineKind>,
    /// Units whose PICs get the forward.
    pub route: Vec<String>,
    /// Acknowledgement template, if one is sent.
    pub ack: Option<String>,
    pub folder: String,
    pub tags: Vec<String>,
    pub rules_version: String,
}

impl Verdict {
    pub fn rule_or_fallback(&self) -> &str {
        self.rule.as_deref().unwrap_or("fallback")
    }
}

/// One rule's outcome, for `pilah explain`.
#[derive(Debug, Clone, Serialize)]
pub struct RuleTrace {
    pub rule: String,
    pub location: String,
    pub applies: bool,
    pub matched: bool,
    pub evidence: Vec<(String, String, String)>,
    pub decided: bool,
}

/// Why a message is machine mail, if it is (what `pilah explain` shows).
pub fn machine_detection(rules: &RuleSet, mail: &Mail) -> Option<machine::Detection> {
    machine::detect_why(mail, &rules.machine_signals)
}

/// Classifies a parsed message in a mailbox.
pub fn classify(rules: &RuleSet, mail: &Mail, mailbox: &str, machine_folder: &str) -> Verdict {
    judge(rules, mail, mailbox, machine_folder, None)
}

/// Classifies and records, rule by rule, what happened.
pub fn explain(
    rules: &RuleSet,
    mail: &Mail,
    mailbox: &str,
    machine_folder: &str,
) -> (Verdict, Vec<RuleTrace>) {
    let mut trace = Vec::new();
    let v = judge(rules, mail, mailbox, machine_folder, Some(&mut trace));
    (v, trace)
}

fn judge(
    rules: &RuleSet,
    mail: &Mail,
    mailbox: &str,
    machine_folder: &str,
    trace: Option<&mut Vec<RuleTrace>>,
) -> Verdict {
    let machine = machine::detect_why(mail, &rules.machine_signals).map(|d| d.kind);
    let (decided, tags) = first_rule(rules, mail, mailbox, trace);
    let (rule, category_id) = match decided {
        Some((r, c)) => (Some(r), c),
        None => (
            None,
            rules
                .fallback
                .get(mailbox)
                .cloned()
                .unwrap_or_else(|| "lainnya".to_string()),
        ),
    };
    // Spam is spam even when it comes from a robot's address (phishing from "no-reply@…"):
    // it is filed and counted as spam and never answered; the machine kind stays in the
    // record (the report counts such a message as spam, not as machine mail).
    let spam = rule.is_some() && category_id == "spam";
    let category = rules.category(mailbox, &category_id);
    let mut ack = match rule.map(|r| &r.ack) {
        Some(AckChoice::None) => None,
        Some(AckChoice::Template(t)) => Some(t.clone()),
        Some(AckChoice::Category) | None => category.and_then(|c| c.ack.clone()),
    };
    let mut route: Vec<String> = category.and_then(|c| c.unit.clone()).into_iter().collect();
    let mut folder = category
        .map(|c| c.folder.clone())
        .unwrap_or_else(|| format!("Pilah/{category_id}"));
    if machine.is_some() {
        ack = None;
        route.clear();
        if !spam {
            folder = machine_folder.to_string();
        }
    }
    Verdict {
        category: category_id,
        rule: rule.map(|r| r.id.clone()),
        machine,
        route,
        ack,
        folder,
        tags,
        rules_version: rules.version.clone(),
    }
}

/// The first rule that decides for this mailbox, with the tags of the `continue` rules
/// matched before it (and its own). With a trace, every rule is evaluated and recorded.
fn first_rule<'a>(
    rules: &'a RuleSet,
    mail: &Mail,
    mailbox: &str,
    mut trace: Option<&mut Vec<RuleTrace>>,
) -> (Option<(&'a rules::Rule, String)>, Vec<String>) {
    let mut subject = Subject::new(mail, mailbox, Some(&rules.keyword_index));
    let mut tags = Vec::new();
    let mut decided: Option<(&rules::Rule, String)> = None;
    for rule in &rules.rules {
        let applies = rule.mailboxes.iter().any(|m| m == mailbox);
        let ev: Option<Vec<Evidence>> = if applies {
            rule.cond.eval(&mut subject)
        } else {
            None
        };
        let matched = ev.is_some();
        let decides = matched && !rule.cont && decided.is_none();
        if let Some(t) = trace.as_deref_mut() {
            t.push(RuleTrace {
                rule: rule.id.clone(),
                location: rule.location.to_string(),
                applies,
                matched,
                evidence: ev
                    .unwrap_or_default()
                    .into_iter()
                    .map(|e| (e.field, e.text, e.pattern))
                    .collect(),
                decided: decides,
            });
        }
        if matched && rule.cont && decided.is_none() {
            tags.extend(rule.tags.iter().cloned());
        }
        if decides {
            tags.extend(rule.tags.iter().cloned());
            decided = Some((rule, rule.category.clone().unwrap_or_default()));
            if trace.is_none() {
                break;
            }
        }
    }
    (decided, tags)
}
