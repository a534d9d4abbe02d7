//! Mangled mail through the parse-and-classify path: every fixture, cut, flipped, doubled and
//! stripped in deterministic ways, must come out as a verdict or a clean error — never a panic.
//! (The coverage-guided fuzzer in fuzz/ explores further; this runs on every test run.)

use pilah::classify::rules::RuleSet;
use std::path::{Path, PathBuf};

fn emls(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            emls(&p, out);
        } else if p.extension().is_some_and(|x| x == "eml") {
            out.push(p);
        }
    }
}

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

fn mutations(raw: &[u8], rng: &mut Lcg) -> Vec<Vec<u8>> {
    let n = raw.len().max(1);
    let mut out = Vec::new();
    // Cut anywhere.
    for _ in 0..3 {
        out.push(raw[..rng.next() % n.min(raw.len() + 1)].to_vec());
    }
    // Flip bytes.
    for _ in 0..3 {
        let mut m = raw.to_vec();
        for _ in 0..8 {
            if !m.is_empty() {
                let i = rng.next() % m.len();
                m[i] ^= 1 << (rng.next() % 8);
            }
        }
        out.push(m);
    }
    // Drop all CRs; double the header block; splice a boundary line in the middle.
    out.push(raw.iter().copied().filter(|b| *b != b'\r').collect());
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let mut doubled = raw[..head_end].to_vec();
    doubled.extend_from_slice(b"\r\n");
    doubled.extend_from_slice(raw);
    out.push(doubled);
    let mid = rng.next() % n.min(raw.len() + 1);
    let mut spliced = raw[..mid].to_vec();
    spliced.extend_from_slice(
        b"\r\n--\r\nContent-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n=?UTF-8?B?====?=\r\n",
    );
    spliced.extend_from_slice(&raw[mid..]);
    out.push(spliced);
    out
}

#[test]
fn mangled_fixtures_never_panic_the_parse_and_classify_path() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let rules = RuleSet::load(&repo.join("rules")).expect("default rules");
    let mut files = Vec::new();
    emls(&repo.join("tests/fixtures"), &mut files);
    files.sort();
    assert!(files.len() > 250);
    let mut rng = Lcg(4242);
    let (mut parsed, mut refused) = (0, 0);
    for f in &files {
        let raw = std::fs::read(f).unwrap();
        for m in mutations(&raw, &mut rng) {
            match pilah::parse::parse(&m) {
                Ok(mail) => {
                    parsed += 1;
                    for mailbox in ["lapor", "callcenter"] {
                        let v = pilah::classify::classify(&rules, &mail, mailbox, "Pilah/otomatis");
                        assert!(!v.category.is_empty(), "{}: empty category", f.display());
                    }
                    let _ = rules.regions.detect(&mail);
                }
                Err(_) => refused += 1,
            }
        }
    }
    eprintln!("{parsed} mangled messages classified, {refused} refused as not mail");
    assert!(parsed > files.len(), "most mangled mail is still mail");
}

#[test]
fn one_automaton_per_field_decides_exactly_as_one_scan_per_keyword_list() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let rules = RuleSet::load(&repo.join("rules")).expect("default rules");
    assert!(!rules.keyword_index.is_empty());
    let mut plain = rules.clone();
    plain.keyword_index = std::sync::Arc::new(Default::default());
    let mut files = Vec::new();
    emls(&repo.join("tests/fixtures"), &mut files);
    emls(&repo.join("demo/mail"), &mut files);
    let mut compared = 0;
    for f in &files {
        let Ok(mail) = pilah::parse::parse(&std::fs::read(f).unwrap()) else {
            continue;
        };
        for mailbox in ["lapor", "callcenter"] {
            let a = pilah::classify::explain(&rules, &mail, mailbox, "Pilah/otomatis");
            let b = pilah::classify::explain(&plain, &mail, mailbox, "Pilah/otomatis");
            assert_eq!(a.0, b.0, "{} in {mailbox}", f.display());
            let matched = |t: &[pilah::classify::RuleTrace]| {
                t.iter()
                    .map(|r| (r.rule.clone(), r.matched))
                    .collect::<Vec<_>>()
            };
            assert_eq!(matched(&a.1), matched(&b.1), "{} in {mailbox}", f.display());
            compared += 1;
        }
    }
    assert!(compared > 500);
}
