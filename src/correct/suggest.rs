//! Learning from corrections: the words of subjects and attachment names that separate the
//! messages people corrected into a category from the rest, and a rule made of them.
//!
//! The statistic is the log-odds ratio of a word's presence (document frequency: whether a
//! message has it, not how often), corrected messages against the rest, with 0.5 added to
//! every cell (the Haldane–Anscombe correction), divided by its standard error: a z-score.
//! Why: corrections are few (a handful a month per category), so raw frequencies or a plain
//! ratio would crown any word seen once in a corrected message and never elsewhere (a region's
//! name, a date); the added 0.5 keeps a zero count finite, and dividing by the standard error
//! ranks a word seen in 5 of 5 corrected messages above one seen in 1 of 1. Words must also
//! appear in at least two corrected messages (when there are two or more), and short words,
//! numbers and the mail's boilerplate (`re`, `fwd`, `pdf`, …) are left out.
//!
//! It computes and writes text only; running the rules test on a suggestion is the command
//! line's (`src/cli/suggest.rs`).

use crate::parse::Mail;
use std::collections::{BTreeMap, BTreeSet};

/// Words that say nothing about a topic: mail boilerplate, file types, common Indonesian.
const STOPWORDS: &[&str] = &[
    "re",
    "fw",
    "fwd",
    "bls",
    "balas",
    "pdf",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "jpg",
    "jpeg",
    "png",
    "zip",
    "rar",
    "eml",
    "dan",
    "yang",
    "untuk",
    "dari",
    "pada",
    "dengan",
    "atas",
    "the",
    "and",
    "for",
    "kab",
    "kabupaten",
    "kota",
    "prov",
    "provinsi",
    "pemda",
    "pemerintah",
    "tahun",
    "bulan",
    "mohon",
    "dalam",
    "tentang",
    "nomor",
    "surat",
    "kami",
    "ini",
    "itu",
];

/// The words of a message the suggestions look at: its subject's and its attachments'
/// names, lower case, split on everything that is not a letter or digit; numbers, words
/// under three letters and [`STOPWORDS`] left out.
pub fn words(mail: &Mail) -> BTreeSet<String> {
    let mut text = mail.subject.clone();
    for a in &mail.attachments {
        if let Some(n) = &a.name {
            text.push(' ');
            text.push_str(n);
        }
    }
    subject_words(&text)
}

/// [`words`] of a bare text (a recorded subject).
pub fn subject_words(text: &str) -> BTreeSet<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .filter(|w| !STOPWORDS.contains(w))
        .map(str::to_string)
        .collect()
}

/// A word scored by how well it separates the corrected messages from the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub word: String,
    /// Corrected messages that have it.
    pub corrected: usize,
    /// Other messages that have it.
    pub rest: usize,
    pub log_odds: f64,
    /// `log_odds` over its standard error.
    pub z: f64,
}

/// In how many of `docs` each word is.
fn document_frequency(docs: &[BTreeSet<String>]) -> BTreeMap<&str, usize> {
    let mut m: BTreeMap<&str, usize> = BTreeMap::new();
    for d in docs {
        for w in d {
            *m.entry(w.as_str()).or_default() += 1;
        }
    }
    m
}

/// The words of `corrected` ranked by [`Scored::z`], best first; only words in at least
/// `min(2, corrected.len())` corrected messages and more frequent there than in `rest`.
pub fn separating_words(corrected: &[BTreeSet<String>], rest: &[BTreeSet<String>]) -> Vec<Scored> {
    let (pos, neg) = (document_frequency(corrected), document_frequency(rest));
    let (np, nn) = (corrected.len() as f64, rest.len() as f64);
    let support = corrected.len().min(2);
    let mut out: Vec<Scored> = pos
        .iter()
        .filter(|(_, &p)| p >= support)
        .map(|(w, &p)| {
            let n = neg.get(w).copied().unwrap_or(0);
            let (a, b) = (p as f64 + 0.5, np - p as f64 + 0.5);
            let (c, d) = (n as f64 + 0.5, nn - n as f64 + 0.5);
            let log_odds = (a / b).ln() - (c / d).ln();
            let se = (1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d).sqrt();
            Scored {
                word: w.to_string(),
                corrected: p,
                rest: n,
                log_odds,
                z: log_odds / se,
            }
        })
        .filter(|s| s.log_odds > 0.0)
        .collect();
    out.sort_by(|x, y| y.z.total_cmp(&x.z).then(x.word.cmp(&y.word)));
    out
}

/// What a suggested rule is made of.
#[derive(Debug, Clone)]
pub struct Suggestion<'a> {
    pub id: String,
    pub mailbox: &'a str,
    pub category: &'a str,
    pub keywords: Vec<String>,
    /// Indonesian, for the rules file.
    pub description: String,
}

/// The rule as TOML, ready for a rules file.
pub fn rule_toml(s: &Suggestion) -> String {
    let quote = |v: &str| toml::Value::String(v.to_string()).to_string();
    let keywords: Vec<String> = s.keywords.iter().map(|k| quote(k)).collect();
    format!(
        "[[rule]]\nid = {}\ndescription = {}\nmailboxes = [{}]\ncategory = {}\nwhen = {{ field = [\"subject\", \"attachment.name\"], keywords = [{}] }}\n",
        quote(&s.id),
        quote(&s.description),
        quote(s.mailbox),
        quote(s.category),
        keywords.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(texts: &[&str]) -> Vec<BTreeSet<String>> {
        texts.iter().map(|t| subject_words(t)).collect()
    }

    #[test]
    fn a_word_of_every_corrected_message_and_rare_elsewhere_ranks_first() {
        let corrected = docs(&[
            "Laporan DAU Kab Siak realisasi sawit",
            "Laporan DAU Kab Pelalawan sawit",
            "Fwd: DAU sawit Kab Kampar.pdf",
        ]);
        let rest = docs(&[
            "Laporan DAU Kab Brebes",
            "Laporan DAU THR",
            "BA Rekon DBH Kab Siak",
            "realisasi APBD",
            "Laporan DAU gaji ketiga belas",
        ]);
        let s = separating_words(&corrected, &rest);
        assert_eq!(s[0].word, "sawit", "{s:?}");
        assert_eq!((s[0].corrected, s[0].rest), (3, 0));
        // Seen in one corrected message only: not a candidate.
        assert!(!s.iter().any(|x| x.word == "pelalawan"), "{s:?}");
        // Common in the rest too: far behind.
        let dau = s.iter().find(|x| x.word == "dau").unwrap();
        assert!(dau.z < s[0].z / 2.0, "{s:?}");
        assert!(
            !s.iter().any(|x| x.word == "apbd"),
            "only words of corrected messages"
        );
    }

    #[test]
    fn the_rule_is_valid_toml_with_its_keywords() {
        let t = rule_toml(&Suggestion {
            id: "koreksi-dbh-1".into(),
            mailbox: "lapor",
            category: "syarat-salur-dbh",
            keywords: vec!["sawit".into(), "a\"b".into()],
            description: "Saran".into(),
        });
        let v: toml::Value = toml::from_str(&t).unwrap();
        assert_eq!(v["rule"][0]["when"]["keywords"][1].as_str(), Some("a\"b"));
    }
}
