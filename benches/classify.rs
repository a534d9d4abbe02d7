//! parse + classify throughput over a generated corpus, and how it grows with the rules.
//!
//! `cargo bench --bench classify` (all of it takes a few minutes on 2 cores);
//! `python3 bench/criterion_summary.py` then prints messages/s and MB/s for every benchmark.
//! See docs/performance.md for the figures and what they mean.
//!
//! The corpus comes from `bench/gen_corpus.py` (generated into `target/bench-corpus/` on the
//! first run, deterministic). Groups:
//!
//! - `parse_classify/{typical,small,mixed}`: `parse::parse` then `classify::classify` with the
//!   default rules (`rules/`), every message of the corpus once per iteration;
//! - `parse/typical`, `classify/typical`: the two halves apart (classify on pre-parsed mail);
//!   `parse/mail_parser_only` and `parse/mail_parser_text`: mail-parser alone, and with the
//!   text bodies and attachment sizes read out (what `parse::parse` adds is the rest);
//! - `keywords_per_list/{0,10,100,1000}`: classify with one extra rule, placed before the
//!   default rules, whose `text` keyword list has that many entries (none of them occurs in
//!   the corpus, so every message pays for the whole list);
//! - `rules/{0,10,100,1000}`: classify with that many extra rules of 10 keywords each on
//!   `text`, also placed first and never matching: the worst case, every rule evaluated.
//!
//! - `squeeze/typical`: preparing the `text` field of every message for keyword matching
//!   (`keywords::Squeezed::new` on subject + body), a fixed cost of every classification;
//! - `automaton/{auto,dfa}/{10,100,1000,10000}`: one overlapping Aho-Corasick scan of those
//!   squeezed texts with that many synthetic keywords, with the automaton aho-corasick picks
//!   by itself (a DFA up to 100 patterns, a contiguous NFA above) and with a DFA forced: what
//!   a keyword list costs as it grows, and what one automaton for all the rules' keywords
//!   of a field would cost.
//!
//! Before timing, each synthetic rule set is checked to give exactly the default verdicts on
//! every message (so the extra rules really were evaluated and never decided anything).

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pilah::classify::keywords::Squeezed;
use pilah::classify::{self, rules::RuleSet};
use pilah::parse::{self, Mail};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const MACHINE_FOLDER: &str = "Pilah/otomatis";

struct Corpus {
    name: &'static str,
    messages: Vec<(String, Vec<u8>)>,
    bytes: u64,
}

/// Loads (generating it first if needed) a corpus of `bench/gen_corpus.py`.
fn corpus(name: &'static str, profile: &str, count: usize) -> Corpus {
    let dir = match std::env::var_os("PILAH_BENCH_CORPUS_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(ROOT).join("target/bench-corpus"),
    }
    .join(format!("{profile}-{count}-s8"));
    let manifest = dir.join("manifest.tsv");
    if !manifest.exists() {
        let status = std::process::Command::new("python3")
            .arg(Path::new(ROOT).join("bench/gen_corpus.py"))
            .args(["--profile", profile, "--count", &count.to_string(), "--out"])
            .arg(&dir)
            .status()
            .expect("python3 is needed to generate the benchmark corpus");
        assert!(status.success(), "bench/gen_corpus.py failed");
    }
    let text = std::fs::read_to_string(&manifest).expect("manifest.tsv");
    let mut messages = Vec::new();
    for line in text.lines().skip(1) {
        let mut cols = line.split('\t');
        let (Some(file), Some(mailbox)) = (cols.next(), cols.next()) else {
            continue;
        };
        let raw = std::fs::read(dir.join(file)).expect("corpus file");
        messages.push((mailbox.to_string(), raw));
    }
    let bytes = messages.iter().map(|(_, r)| r.len() as u64).sum();
    eprintln!(
        "corpus {name}: {} messages, {:.1} MB, {}",
        messages.len(),
        bytes as f64 / 1e6,
        dir.display()
    );
    Corpus {
        name,
        messages,
        bytes,
    }
}

fn default_rules() -> RuleSet {
    RuleSet::load(&Path::new(ROOT).join("rules")).expect("the default rules load")
}

/// Syllable-built words that look like Indonesian but occur in no message of the corpus.
fn synthetic_keywords(seed: u64, n: usize) -> Vec<String> {
    const ON: &[&str] = &[
        "b", "d", "g", "j", "k", "l", "m", "n", "p", "r", "s", "t", "w", "ng", "ny",
    ];
    const NU: &[&str] = &["a", "i", "u", "e", "o"];
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move |m: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % m as u64) as usize
    };
    let word = |next: &mut dyn FnMut(usize) -> usize| {
        let syl = 3 + next(2);
        (0..syl)
            .map(|_| format!("{}{}", ON[next(ON.len())], NU[next(NU.len())]))
            .collect::<String>()
    };
    (0..n)
        .map(|_| {
            if next(10) < 7 {
                word(&mut next)
            } else {
                format!("{} {}", word(&mut next), word(&mut next))
            }
        })
        .collect()
}

/// A copy of the default rules with `extra` written as `15-bench.toml`.
fn rules_with(name: &str, extra: &str) -> RuleSet {
    let dir = Path::new(ROOT).join("target/bench-rules").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&Path::new(ROOT).join("rules"), &dir);
    std::fs::write(dir.join("15-bench.toml"), extra).expect("write the synthetic rules");
    RuleSet::load(&dir).unwrap_or_else(|e| panic!("synthetic rules {name}: {e}"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the rules copy");
    for e in std::fs::read_dir(from).expect("read rules/").flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy a rules file");
        }
    }
}

fn rule_toml(id: &str, keywords: &[String]) -> String {
    let list = keywords
        .iter()
        .map(|k| format!("{k:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "[[rule]]\nid = \"{id}\"\nmailboxes = [\"lapor\", \"callcenter\"]\ncategory = \"lainnya\"\n\
         when = {{ field = \"text\", keywords = [{list}] }}\n\n"
    )
}

fn parsed(c: &Corpus) -> Vec<(String, Mail)> {
    c.messages
        .iter()
        .filter_map(|(mb, raw)| parse::parse(raw).ok().map(|m| (mb.clone(), m)))
        .collect()
}

fn verdicts(rules: &RuleSet, mails: &[(String, Mail)]) -> Vec<(String, Option<String>)> {
    mails
        .iter()
        .map(|(mb, m)| {
            let v = classify::classify(rules, m, mb, MACHINE_FOLDER);
            (v.category, v.rule)
        })
        .collect()
}

/// Records what criterion cannot: messages and bytes per iteration of each benchmark, for
/// `bench/criterion_summary.py`.
fn note(id: &str, messages: usize, bytes: u64) {
    // Where criterion writes its own results.
    let home = std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR").map(|d| PathBuf::from(d).join("criterion"))
        })
        .unwrap_or_else(|| Path::new(ROOT).join("target/criterion"));
    let path = home.join("pilah-corpus.tsv");
    let _ = std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")));
    let mut lines: Vec<String> = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with(&format!("{id}\t")))
        .map(String::from)
        .collect();
    lines.push(format!("{id}\t{messages}\t{bytes}"));
    let _ = std::fs::write(&path, lines.join("\n") + "\n");
}

fn parse_and_classify(c: &mut Criterion) {
    let rules = default_rules();
    let corpora = [
        corpus("typical", "typical", 300),
        corpus("small", "small", 300),
        corpus("mixed", "mixed", 100),
    ];
    let mut g = c.benchmark_group("parse_classify");
    for k in &corpora {
        g.throughput(Throughput::Bytes(k.bytes));
        note(
            &format!("parse_classify/{}", k.name),
            k.messages.len(),
            k.bytes,
        );
        g.bench_function(k.name, |b| {
            b.iter(|| {
                for (mb, raw) in &k.messages {
                    if let Ok(m) = parse::parse(black_box(raw)) {
                        black_box(classify::classify(&rules, &m, mb, MACHINE_FOLDER));
                    }
                }
            })
        });
    }
    g.finish();

    let typical = &corpora[0];
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(typical.bytes));
    note("parse/typical", typical.messages.len(), typical.bytes);
    g.bench_function("typical", |b| {
        b.iter(|| {
            for (_, raw) in &typical.messages {
                let _ = black_box(parse::parse(black_box(raw)));
            }
        })
    });
    // mail-parser alone, and asked for what pilah then reads (text bodies, attachment
    // sizes): the share of the parse that is pilah's own copying.
    note(
        "parse/mail_parser_only",
        typical.messages.len(),
        typical.bytes,
    );
    g.bench_function("mail_parser_only", |b| {
        b.iter(|| {
            for (_, raw) in &typical.messages {
                let _ = black_box(mail_parser::MessageParser::default().parse(black_box(raw)));
            }
        })
    });
    note(
        "parse/mail_parser_text",
        typical.messages.len(),
        typical.bytes,
    );
    g.bench_function("mail_parser_text", |b| {
        b.iter(|| {
            for (_, raw) in &typical.messages {
                if let Some(m) = mail_parser::MessageParser::default().parse(black_box(raw)) {
                    let mut n = 0;
                    let mut i = 0;
                    while let Some(t) = m.body_text(i) {
                        n += t.len();
                        i += 1;
                    }
                    n += m.attachments().map(|a| a.len()).sum::<usize>();
                    black_box(n);
                }
            }
        })
    });
    g.finish();

    let mails = parsed(typical);
    let mut g = c.benchmark_group("classify");
    g.throughput(Throughput::Bytes(typical.bytes));
    note("classify/typical", mails.len(), typical.bytes);
    g.bench_function("typical", |b| {
        b.iter(|| {
            for (mb, m) in &mails {
                black_box(classify::classify(&rules, black_box(m), mb, MACHINE_FOLDER));
            }
        })
    });
    g.finish();
}

fn scaling(c: &mut Criterion) {
    let base = default_rules();
    let typical = corpus("typical", "typical", 300);
    let mails = parsed(&typical);
    let expected = verdicts(&base, &mails);

    let mut g = c.benchmark_group("keywords_per_list");
    g.throughput(Throughput::Elements(mails.len() as u64));
    for n in [0usize, 10, 100, 1000] {
        let rules = if n == 0 {
            base.clone()
        } else {
            rules_with(
                &format!("k{n}"),
                &rule_toml("bench-list", &synthetic_keywords(n as u64, n)),
            )
        };
        assert_eq!(
            verdicts(&rules, &mails),
            expected,
            "a synthetic keyword matched: the scaling figures would be wrong"
        );
        note(
            &format!("keywords_per_list/{n}"),
            mails.len(),
            typical.bytes,
        );
        g.bench_with_input(BenchmarkId::from_parameter(n), &rules, |b, rules| {
            b.iter(|| {
                for (mb, m) in &mails {
                    black_box(classify::classify(rules, m, mb, MACHINE_FOLDER));
                }
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("rules");
    g.throughput(Throughput::Elements(mails.len() as u64));
    for n in [0usize, 10, 100, 1000] {
        let rules = if n == 0 {
            base.clone()
        } else {
            let text: String = (0..n)
                .map(|i| {
                    rule_toml(
                        &format!("bench-{i:04}"),
                        &synthetic_keywords(10_000 + i as u64, 10),
                    )
                })
                .collect();
            rules_with(&format!("r{n}"), &text)
        };
        assert_eq!(
            verdicts(&rules, &mails),
            expected,
            "a synthetic keyword matched: the scaling figures would be wrong"
        );
        note(&format!("rules/{n}"), mails.len(), typical.bytes);
        g.bench_with_input(BenchmarkId::from_parameter(n), &rules, |b, rules| {
            b.iter(|| {
                for (mb, m) in &mails {
                    black_box(classify::classify(rules, m, mb, MACHINE_FOLDER));
                }
            })
        });
    }
    g.finish();
}

fn automaton(c: &mut Criterion) {
    let typical = corpus("typical", "typical", 300);
    let mails = parsed(&typical);
    let mut g = c.benchmark_group("squeeze");
    g.throughput(Throughput::Elements(mails.len() as u64));
    note("squeeze/typical", mails.len(), typical.bytes);
    let texts: Vec<String> = mails
        .iter()
        .map(|(_, m)| format!("{}\n{}", m.subject, m.body))
        .collect();
    g.bench_function("typical", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(Squeezed::new(black_box(t)));
            }
        })
    });
    g.finish();

    let squeezed: Vec<Squeezed> = texts.iter().map(|t| Squeezed::new(t)).collect();
    let mut g = c.benchmark_group("automaton");
    g.throughput(Throughput::Elements(mails.len() as u64));
    for n in [10usize, 100, 1000, 10_000] {
        let patterns: Vec<String> = synthetic_keywords(777 + n as u64, n)
            .iter()
            .map(|k| Squeezed::new(k).text)
            .collect();
        for (label, kind) in [("auto", None), ("dfa", Some(AhoCorasickKind::DFA))] {
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(kind)
                .build(&patterns)
                .expect("automaton");
            note(
                &format!("automaton/{label}/{n}"),
                mails.len(),
                typical.bytes,
            );
            g.bench_with_input(BenchmarkId::new(label, n), &ac, |b, ac| {
                b.iter(|| {
                    let mut hits = 0usize;
                    for sq in &squeezed {
                        hits += ac.find_overlapping_iter(&sq.text).count();
                    }
                    black_box(hits)
                })
            });
        }
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! {
    name = benches;
    config = config();
    targets = parse_and_classify, scaling, automaton
}
criterion_main!(benches);
