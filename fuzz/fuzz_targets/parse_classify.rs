//! Fuzz target for the path every fetched message takes in the daemon
//! (`pipeline::judge`): raw bytes → `parse::quick_message_id` → `parse::parse` →
//! `classify::classify` in both mailboxes with the shipped rules (`../rules`) →
//! `Regions::detect`, plus the ticket-tag reading of the subject.
//!
//! What counts as a finding (see docs/fuzzing.md):
//! - a panic that escapes any of those functions (only `parse::parse` catches panics; nothing
//!   in the daemon catches one from classification);
//! - a broken invariant, checked with `assert!` below: the body limit, and machine mail never
//!   being acknowledged or routed; with `PILAH_FUZZ_EXPLAIN=1`, also `classify::explain` (what
//!   `pilah explain` shows) agreeing with `classify::classify` (off by default: it evaluates
//!   every rule and makes each input cost about 1.7 times as much);
//! - with `PILAH_FUZZ_STRICT=1`, also a panic inside mail-parser that `parse::parse` catches and
//!   turns into `ParseError::Panicked` (survivable by design, but worth knowing about; without
//!   it, each distinct such panic is printed once to stderr and the run goes on);
//! - whatever libFuzzer itself reports: a crash, an ASan error, a timeout (`-timeout=`), or
//!   memory beyond `-rss_limit_mb=` / `-malloc_limit_mb=`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pilah::classify::{self, rules::RuleSet};
use pilah::parse::{self, ParseError, BODY_LIMIT};
use pilah::ticket;
use std::cell::RefCell;
use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Mutex, Once, OnceLock};

/// The mailboxes the shipped rules know.
const MAILBOXES: [&str; 2] = ["lapor", "callcenter"];
/// The daemon's default `folders.machine`.
const MACHINE_FOLDER: &str = "Pilah/otomatis";

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
        match RuleSet::load(&dir) {
            Ok(r) => r,
            // Not a finding: the fuzzer cannot run without the rules.
            Err(e) => {
                eprintln!(
                    "pilah-fuzz: cannot load the rules from {}: {e}",
                    dir.display()
                );
                std::process::exit(2);
            }
        }
    })
}

fn flag(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

fn explain_too() -> bool {
    static EXPLAIN: OnceLock<bool> = OnceLock::new();
    *EXPLAIN.get_or_init(|| flag("PILAH_FUZZ_EXPLAIN"))
}

/// Says once per distinct message that mail-parser panicked and pilah caught it.
fn note_caught_panic(what: &str) {
    static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if seen
        .get_or_insert_with(HashSet::new)
        .insert(what.to_string())
    {
        eprintln!("pilah-fuzz: mail-parser panicked, parse() caught it (not a crash): {what}");
    }
}

thread_local! {
    /// The last panic seen by the hook: where, what, and the stack at that point.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// libfuzzer-sys installs a hook that aborts on every panic, even one that `parse::parse`
/// would catch. Unless strict mode is asked for, replace it with a quiet hook that only
/// remembers the panic, so that pilah's own `catch_unwind` can do its job; a panic that
/// escapes is reported and aborts in `fuzz_target!` below.
fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        if flag("PILAH_FUZZ_STRICT") {
            return;
        }
        panic::set_hook(Box::new(|info| {
            let trace = std::backtrace::Backtrace::force_capture();
            let text = format!("{info}\nstack at the panic:\n{trace}");
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(text));
        }));
    });
}

fn check(data: &[u8]) {
    let rules = rules();

    // The daemon records the Message-ID before it parses.
    let _ = parse::quick_message_id(data);

    let mail = match parse::parse(data) {
        Ok(m) => m,
        Err(ParseError::NotMail) => return,
        // mail-parser panicked and pilah caught it: the daemon quarantines the message.
        Err(ParseError::Panicked(what)) => {
            note_caught_panic(&what);
            return;
        }
    };
    assert_eq!(mail.size, data.len());
    assert!(
        mail.body.len() <= BODY_LIMIT,
        "body of {} bytes",
        mail.body.len()
    );

    for mailbox in MAILBOXES {
        let verdict = classify::classify(rules, &mail, mailbox, MACHINE_FOLDER);
        assert!(!verdict.category.is_empty(), "empty category in {mailbox}");
        assert!(!verdict.folder.is_empty(), "empty folder in {mailbox}");
        assert_eq!(verdict.rules_version, rules.version);
        if verdict.machine.is_some() {
            // Loop safety: machine mail is never answered, never forwarded.
            assert_eq!(verdict.ack, None, "machine mail acknowledged in {mailbox}");
            assert!(verdict.route.is_empty(), "machine mail routed in {mailbox}");
            assert_eq!(verdict.folder, MACHINE_FOLDER);
        }
        if explain_too() {
            // `pilah explain` must tell the same story as the daemon.
            let (explained, trace) = classify::explain(rules, &mail, mailbox, MACHINE_FOLDER);
            assert_eq!(
                explained, verdict,
                "explain and classify disagree in {mailbox}"
            );
            assert!(trace.iter().filter(|t| t.decided).count() <= 1);
        }
    }

    if let Some((region, _source)) = rules.regions.detect(&mail) {
        let _ = region.display_name();
    }

    // Ticket tags in the subject (ticket::relate and the acknowledgement subject).
    for t in ticket::tags(&mail.subject) {
        assert!(!t.is_empty());
    }
    let _ = ticket::strip_tags(&mail.subject);
}

fuzz_target!(|data: &[u8]| {
    install_panic_hook();
    if panic::catch_unwind(AssertUnwindSafe(|| check(data))).is_err() {
        let what = LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| "a panic (no details)".to_string());
        eprintln!("pilah-fuzz: a panic escaped the parse-and-classify path:\n{what}");
        std::process::abort();
    }
    LAST_PANIC.with(|p| p.borrow_mut().take());
});
