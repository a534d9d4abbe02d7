//! Keyword lists: whole words and phrases, ignoring case, accents and separators.
//!
//! Text and keywords are both *squeezed*: lower-cased, accents dropped, and every run of
//! non-alphanumeric characters removed, while the places where separators were are kept as
//! word boundaries. A keyword matches where its squeezed form occurs in the squeezed text
//! and both ends fall on a boundary. So "DAK Non-Fisik", "dak nonfisik" and "DAK_NON_FISIK"
//! are the same, and "dbh" does not match inside "dbhcht". One Aho-Corasick automaton holds
//! every keyword of a list, so a list of hundreds costs about what one keyword costs.
//!
//! An entry written with a leading `=` (`"=DID"`) is an acronym that only counts as written:
//! it is found the same way, and then its letters and digits must equal, case included, those
//! of the matched text ("DID", "D.I.D." and "DID-2024" match; "did", "Did" do not).

use aho_corasick::{AhoCorasick, MatchKind};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Text prepared for keyword matching.
#[derive(Debug, Clone, Default)]
pub struct Squeezed {
    /// Lower-case alphanumerics only.
    pub text: String,
    /// `boundary[i]`: a word boundary lies before byte `i` of `text` (len + 1 entries).
    boundary: Vec<bool>,
    /// Byte offset in the original text of each byte of `text` (len + 1 entries).
    origin: Vec<u32>,
}

impl Squeezed {
    pub fn new(original: &str) -> Squeezed {
        let mut text = String::with_capacity(original.len());
        let mut boundary = Vec::with_capacity(original.len() + 1);
        let mut origin = Vec::with_capacity(original.len() + 1);
        let mut pending_boundary = true;
        for (pos, ch) in original.char_indices() {
            if ch.is_ascii() {
                if ch.is_ascii_alphanumeric() {
                    boundary.push(pending_boundary);
                    origin.push(pos as u32);
                    text.push(ch.to_ascii_lowercase());
                    pending_boundary = false;
                } else {
                    pending_boundary = true;
                }
                continue;
            }
            // Non-ASCII: decompose, drop accents, lower-case.
            let mut any = false;
            for c in std::iter::once(ch).nfd().filter(|c| !is_combining_mark(*c)) {
                for l in c.to_lowercase() {
                    if l.is_alphanumeric() {
                        let start = text.len();
                        text.push(l);
                        for k in start..text.len() {
                            boundary.push(pending_boundary && k == start);
                            origin.push(pos as u32);
                        }
                        pending_boundary = false;
                        any = true;
                    }
                }
            }
            if !any {
                pending_boundary = true;
            }
        }
        boundary.push(true);
        origin.push(original.len() as u32);
        Squeezed {
            text,
            boundary,
            origin,
        }
    }

    pub fn is_boundary(&self, i: usize) -> bool {
        self.boundary.get(i).copied().unwrap_or(false)
    }

    /// Byte range in the original text of a squeezed range.
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self.origin.get(start).copied().unwrap_or(0) as usize;
        let e = if end == 0 {
            0
        } else {
            // End of the last matched char: origin of the next squeezed byte would overshoot
            // separators, so take the last byte's origin plus its char length.
            let last = self.origin.get(end - 1).copied().unwrap_or(0) as usize;
            last + 1
        };
        (s, e.max(s))
    }
}

/// Expands `"dak {nf|non fisik}"` into `["dak nf", "dak non fisik"]`.
pub fn expand_alternatives(entry: &str) -> Result<Vec<String>, String> {
    let Some(open) = entry.find('{') else {
        if entry.contains('}') {
            return Err("'}' without '{'".to_string());
        }
        return Ok(vec![entry.to_string()]);
    };
    let close = entry[open..]
        .find('}')
        .map(|c| open + c)
        .ok_or_else(|| "'{' without '}'".to_string())?;
    let inner = &entry[open + 1..close];
    if inner.contains('{') {
        return Err("alternatives cannot be nested".to_string());
    }
    let mut out = Vec::new();
    for rest in expand_alternatives(&entry[close + 1..])? {
        for alt in inner.split('|') {
            out.push(format!("{}{}{}", &entry[..open], alt, rest));
        }
    }
    Ok(out)
}

/// The prefix that makes a keyword case-sensitive (an acronym as written).
pub const EXACT_PREFIX: char = '=';

/// A compiled keyword list.
#[derive(Debug, Clone)]
pub struct KeywordSet {
    /// Unique within a rules set: its key in the per-field [`KeywordIndex`].
    pub id: usize,
    automaton: AhoCorasick,
    /// The squeezed patterns.
    patterns: Vec<String>,
    /// For each pattern, the entry it came from (as written).
    entries: Vec<String>,
    /// For each pattern written with [`EXACT_PREFIX`]: its letters and digits as written,
    /// which the matched text's must equal.
    exact: Vec<Option<String>>,
}

/// The letters and digits of `s`, in order, as written.
fn alnum(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Whether a hit on `text` (the matched original text) satisfies the pattern's case rule.
fn case_holds(exact: Option<&String>, text: &str) -> bool {
    exact.is_none_or(|want| alnum(text) == *want)
}

/// A keyword that matched, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordHit {
    pub keyword: String,
    /// The matched text, as it stands in the original.
    pub text: String,
}

impl KeywordSet {
    /// Builds the automaton. `entries` are the keywords as written (lists already expanded).
    pub fn new(entries: &[String]) -> Result<KeywordSet, String> {
        let mut patterns = Vec::new();
        let mut sources = Vec::new();
        let mut exact = Vec::new();
        for entry in entries {
            let (is_exact, body) = match entry.strip_prefix(EXACT_PREFIX) {
                Some(rest) => (true, rest),
                None => (false, entry.as_str()),
            };
            if is_exact && body.starts_with('@') {
                return Err(format!(
                    "{entry:?}: '=' cannot apply to a list; write '=' before each entry of the list"
                ));
            }
            for variant in expand_alternatives(body).map_err(|e| format!("{entry:?}: {e}"))? {
                let sq = Squeezed::new(&variant);
                if sq.text.is_empty() {
                    return Err(format!("{entry:?}: a keyword needs a letter or a digit"));
                }
                patterns.push(sq.text);
                sources.push(entry.clone());
                exact.push(is_exact.then(|| alnum(&variant)));
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| e.to_string())?;
        Ok(KeywordSet {
            id: 0,
            automaton,
            patterns,
            entries: sources,
            exact,
        })
    }

    /// The first keyword that matches a whole word or phrase of `text`.
    pub fn find(&self, original: &str, text: &Squeezed) -> Option<KeywordHit> {
        for m in self.automaton.find_overlapping_iter(&text.text) {
            if text.is_boundary(m.start()) && text.is_boundary(m.end()) {
                let (s, e) = text.original_range(m.start(), m.end());
                let e = ceil_char_boundary(original, e);
                let matched = original.get(s..e).unwrap_or("");
                let p = m.pattern().as_usize();
                if !case_holds(self.exact[p].as_ref(), matched) {
                    continue;
                }
                return Some(KeywordHit {
                    keyword: self.entries[p].clone(),
                    text: matched.to_string(),
                });
            }
        }
        None
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Every keyword set that tests one field, in one automaton: a message's field is scanned
/// once, whatever the number of rules and keywords, and each set's first hit is looked up.
#[derive(Debug, Clone)]
pub struct KeywordIndex {
    automaton: AhoCorasick,
    /// For each pattern: the set it belongs to, its entry as written, and its case rule.
    owner: Vec<(usize, String, Option<String>)>,
}

impl KeywordIndex {
    pub fn new<'a>(sets: impl IntoIterator<Item = &'a KeywordSet>) -> Result<KeywordIndex, String> {
        let mut patterns: Vec<&str> = Vec::new();
        let mut owner = Vec::new();
        for set in sets {
            for ((p, e), x) in set.patterns.iter().zip(&set.entries).zip(&set.exact) {
                patterns.push(p);
                owner.push((set.id, e.clone(), x.clone()));
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| e.to_string())?;
        Ok(KeywordIndex { automaton, owner })
    }

    /// The first whole-word hit of every set in `text`, by set id.
    pub fn scan(
        &self,
        original: &str,
        text: &Squeezed,
        into: &mut std::collections::HashMap<usize, KeywordHit>,
    ) {
        for m in self.automaton.find_overlapping_iter(&text.text) {
            let (set, entry, exact) = &self.owner[m.pattern().as_usize()];
            if into.contains_key(set) {
                continue;
            }
            if text.is_boundary(m.start()) && text.is_boundary(m.end()) {
                let (s, e) = text.original_range(m.start(), m.end());
                let e = ceil_char_boundary(original, e);
                let matched = original.get(s..e).unwrap_or("");
                if !case_holds(exact.as_ref(), matched) {
                    continue;
                }
                into.insert(
                    *set,
                    KeywordHit {
                        keyword: entry.clone(),
                        text: matched.to_string(),
                    },
                );
            }
        }
    }
}

fn ceil_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(words: &[&str]) -> KeywordSet {
        KeywordSet::new(&words.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn hit(words: &[&str], text: &str) -> Option<String> {
        set(words).find(text, &Squeezed::new(text)).map(|h| h.text)
    }

    #[test]
    fn separators_case_and_accents_do_not_matter() {
        let k = ["dak {nf|non fisik}"];
        assert_eq!(hit(&k, "Laporan DAK NF 2024").as_deref(), Some("DAK NF"));
        assert_eq!(hit(&k, "laporan DAK-NF").as_deref(), Some("DAK-NF"));
        assert_eq!(hit(&k, "dak nonfisik tw1").as_deref(), Some("dak nonfisik"));
        assert_eq!(
            hit(&k, "Realisasi DAK Non Fisik").as_deref(),
            Some("DAK Non Fisik")
        );
        assert_eq!(
            hit(&k, "DAK_NON_FISIK.xlsx").as_deref(),
            Some("DAK_NON_FISIK")
        );
        assert_eq!(
            hit(&["kerja sama"], "KÉRJA-SAMA").as_deref(),
            Some("KÉRJA-SAMA")
        );
    }

    #[test]
    fn whole_words_only() {
        assert_eq!(hit(&["dbh"], "laporan dbhcht"), None);
        assert_eq!(hit(&["dbh"], "adbh"), None);
        assert_eq!(hit(&["dbh"], "DBH2024"), None);
        assert_eq!(hit(&["dbh"], "(DBH)").as_deref(), Some("DBH"));
        // a later overlapping candidate still counts when an earlier one fails the boundary
        assert_eq!(hit(&["dau", "daud"], "Daud").as_deref(), Some("Daud"));
    }

    #[test]
    fn alternatives_expand() {
        assert_eq!(
            expand_alternatives("a {b|c} d {e|f}").unwrap(),
            vec!["a b d e", "a c d e", "a b d f", "a c d f"]
        );
        assert!(expand_alternatives("a {b").is_err());
        assert!(expand_alternatives("a {b|{c}}").is_err());
    }

    #[test]
    fn an_acronym_written_with_equals_matches_only_as_written() {
        let k = ["=DID", "insentif fiskal"];
        assert_eq!(hit(&k, "Pertanyaan DID 2024").as_deref(), Some("DID"));
        assert_eq!(hit(&k, "Alokasi D.I.D. TA 2024").as_deref(), Some("D.I.D"));
        assert_eq!(hit(&k, "Why did the payment fail?"), None);
        assert_eq!(hit(&k, "Did you receive it?"), None);
        assert_eq!(hit(&k, "did you, DID?").as_deref(), Some("DID"));
        assert_eq!(
            hit(&k, "soal Insentif Fiskal").as_deref(),
            Some("Insentif Fiskal")
        );
        assert_eq!(hit(&["=DAU {NF|SG}"], "dau sg"), None);
        assert_eq!(hit(&["=DAU {NF|SG}"], "DAU-SG").as_deref(), Some("DAU-SG"));
        // The same through the per-field index.
        let mut s = set(&k);
        s.id = 7;
        let ix = KeywordIndex::new([&s]).unwrap();
        let mut found = std::collections::HashMap::new();
        let text = "I did ask. DID?";
        ix.scan(text, &Squeezed::new(text), &mut found);
        assert_eq!(found.get(&7).map(|h| h.text.as_str()), Some("DID"));
        let mut found = std::collections::HashMap::new();
        ix.scan("I did ask", &Squeezed::new("I did ask"), &mut found);
        assert!(found.is_empty());
        assert!(KeywordSet::new(&["=@list".to_string()]).is_err());
    }

    #[test]
    fn empty_keywords_are_refused() {
        assert!(KeywordSet::new(&["--".to_string()]).is_err());
    }
}
