//! pilah on real mail from the real Internet: `tests/fixtures/real/` (public test sets of
//! bounce parsers, mail libraries and spam filters; see its README.md and MANIFEST.tsv).
//!
//! Every message is parsed and judged by the default rules in both mailboxes, without a mail
//! server. The figures are printed (`cargo test --test real -- --nocapture`) and asserted
//! against the targets of issue 15: robots never acknowledged ≥ 99%, persons taken for
//! robots ≤ 2% (and for spam ≤ 2%), spam caught by rules alone ≥ 70%, no crash, ≤ 1%
//! unreadable. tests/fixtures/real/README.md says where each message comes from.

use pilah::classify::{self, rules::RuleSet};
use pilah::parse::{self, ParseError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const KINDS: &[&str] = &[
    "bounce",
    "auto-reply",
    "feedback",
    "list",
    "robot",
    "person",
    "spam",
];
const ROBOT_KINDS: &[&str] = &["bounce", "auto-reply", "feedback", "list", "robot"];
const MAILBOXES: &[&str] = &["lapor", "callcenter"];

#[derive(Default, Debug)]
struct Tally {
    messages: usize,
    crashed: usize,
    unreadable: usize,
    /// Judgements (messages × mailboxes) below.
    judged: usize,
    acknowledged: usize,
    routed: usize,
    machine: usize,
    spam: usize,
    misses: Vec<String>,
}

fn files(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(kind);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    v.sort();
    v
}

fn tally(rules: &RuleSet, kind: &str) -> Tally {
    let mut t = Tally::default();
    for f in files(kind) {
        t.messages += 1;
        let raw = std::fs::read(&f).expect("fixture readable");
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let mail = match parse::parse(&raw) {
            Ok(m) => m,
            Err(ParseError::Panicked(_)) => {
                t.crashed += 1;
                t.misses.push(format!("{name}: parser panicked"));
                continue;
            }
            Err(ParseError::NotMail) => {
                t.unreadable += 1;
                t.misses.push(format!("{name}: unreadable"));
                continue;
            }
        };
        for mailbox in MAILBOXES {
            let judged = std::panic::catch_unwind(|| {
                classify::classify(rules, &mail, mailbox, "Pilah/otomatis")
            });
            let Ok(v) = judged else {
                t.crashed += 1;
                t.misses.push(format!("{name}: classify panicked"));
                continue;
            };
            t.judged += 1;
            t.acknowledged += usize::from(v.ack.is_some());
            t.routed += usize::from(!v.route.is_empty());
            t.machine += usize::from(v.machine.is_some());
            t.spam += usize::from(v.category == "spam");
            let miss = match kind {
                "person" => v.machine.is_some() || v.category == "spam",
                "spam" => v.category != "spam",
                _ => v.ack.is_some() || !v.route.is_empty(),
            };
            if miss && *mailbox == "callcenter" {
                t.misses.push(format!(
                    "{name}: {} / {} / {}",
                    v.category,
                    v.rule_or_fallback(),
                    v.machine.map(|m| m.as_str()).unwrap_or("person")
                ));
            }
        }
    }
    t
}

fn pct(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        100.0 * n as f64 / of as f64
    }
}

#[test]
fn real_world_mail_meets_the_detection_targets() {
    let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let rules = RuleSet::load(&rules_dir).expect("default rules load");
    let mut by_kind = BTreeMap::new();
    println!(
        "{:<11} {:>5} {:>6} {:>6} {:>7} {:>7} {:>7} {:>6}",
        "kind", "files", "crash", "unread", "acked%", "routed%", "robot%", "spam%"
    );
    for kind in KINDS {
        let t = tally(&rules, kind);
        println!(
            "{:<11} {:>5} {:>6} {:>6} {:>7.1} {:>7.1} {:>7.1} {:>6.1}",
            kind,
            t.messages,
            t.crashed,
            t.unreadable,
            pct(t.acknowledged, t.judged),
            pct(t.routed, t.judged),
            pct(t.machine, t.judged),
            pct(t.spam, t.judged),
        );
        by_kind.insert(*kind, t);
    }
    for (kind, t) in &by_kind {
        for m in &t.misses {
            println!("  miss [{kind}] {m}");
        }
    }

    let total: usize = by_kind.values().map(|t| t.messages).sum();
    let crashed: usize = by_kind.values().map(|t| t.crashed).sum();
    let unreadable: usize = by_kind.values().map(|t| t.unreadable).sum();
    let (robot_judged, robot_answered) = ROBOT_KINDS
        .iter()
        .map(|k| &by_kind[k])
        .fold((0, 0), |(j, a), t| (j + t.judged, a + t.acknowledged));
    let person = &by_kind["person"];
    let spam = &by_kind["spam"];
    let robots_quiet = 100.0 - pct(robot_answered, robot_judged);
    let persons_as_robots = pct(person.machine, person.judged);
    let persons_as_spam = pct(person.spam, person.judged);
    let spam_caught = pct(spam.spam, spam.judged);
    println!(
        "total {total}: crashes {crashed}, unreadable {unreadable} ({:.1}%); robots never \
         acknowledged {robots_quiet:.1}%; persons taken for robots {persons_as_robots:.1}%, \
         for spam {persons_as_spam:.1}%; spam caught by rules {spam_caught:.1}%",
        pct(unreadable, total)
    );

    assert!(total >= 300, "the corpus is there ({total} files)");
    assert_eq!(crashed, 0, "no crash");
    assert!(pct(unreadable, total) <= 1.0, "unreadable {unreadable}");
    assert!(
        robots_quiet >= 99.0,
        "robots never acknowledged: {robots_quiet:.1}%"
    );
    assert!(
        persons_as_robots <= 2.0,
        "persons taken for robots: {persons_as_robots:.1}%"
    );
    assert!(
        persons_as_spam <= 2.0,
        "persons taken for spam: {persons_as_spam:.1}%"
    );
    assert!(spam_caught >= 70.0, "spam caught: {spam_caught:.1}%");
}
