//! Conditions of rules: fields of a message, matchers, and `all`/`any`/`not`.

use super::keywords::{KeywordHit, KeywordIndex, KeywordSet, Squeezed};
use crate::parse::{domain_of, Mail};
use regex::Regex;
use std::cell::OnceCell;
use std::collections::HashMap;

/// A part of a message a condition can look at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    Subject,
    Body,
    Text,
    From,
    FromDomain,
    FromName,
    To,
    Cc,
    ToDomain,
    CcDomain,
    Header(String),
    AttachmentName,
    AttachmentType,
    AttachmentCount,
    Size,
    Mailbox,
    Auth(&'static str),
    /// The organisation's spam filter's verdict from believed headers: yes, no, none.
    SpamFlag,
    /// The spam engine's score of the message (a number; none when it was not scored).
    SpamScore,
    /// The names of the spam engine's rules that fired (`BITCOIN_SPAM_03`, …).
    SpamSymbols,
}

impl Field {
    pub fn parse(name: &str) -> Option<Field> {
        Some(match name {
            "subject" => Field::Subject,
            "body" => Field::Body,
            "text" => Field::Text,
            "from" => Field::From,
            "from.domain" => Field::FromDomain,
            "from.name" => Field::FromName,
            "to" => Field::To,
            "cc" => Field::Cc,
            "to.domain" => Field::ToDomain,
            "cc.domain" => Field::CcDomain,
            "attachment.name" => Field::AttachmentName,
            "attachment.type" => Field::AttachmentType,
            "attachment.count" => Field::AttachmentCount,
            "size" => Field::Size,
            "mailbox" => Field::Mailbox,
            "auth.spf" => Field::Auth("spf"),
            "auth.dkim" => Field::Auth("dkim"),
            "auth.dmarc" => Field::Auth("dmarc"),
            "auth.dkim.domain" => Field::Auth("dkim.domain"),
            "auth.from" => Field::Auth("from"),
            "spam.flag" => Field::SpamFlag,
            "spam.score" => Field::SpamScore,
            "spam.symbols" => Field::SpamSymbols,
            other => {
                let h = other.strip_prefix("header.")?;
                if h.is_empty() || !h.chars().all(|c| c.is_ascii_graphic() && c != ':') {
                    return None;
                }
                Field::Header(h.to_ascii_lowercase())
            }
        })
    }

    pub fn name(&self) -> String {
        match self {
            Field::Subject => "subject".into(),
            Field::Body => "body".into(),
            Field::Text => "text".into(),
            Field::From => "from".into(),
            Field::FromDomain => "from.domain".into(),
            Field::FromName => "from.name".into(),
            Field::To => "to".into(),
            Field::Cc => "cc".into(),
            Field::ToDomain => "to.domain".into(),
            Field::CcDomain => "cc.domain".into(),
            Field::Header(h) => format!("header.{h}"),
            Field::AttachmentName => "attachment.name".into(),
            Field::AttachmentType => "attachment.type".into(),
            Field::AttachmentCount => "attachment.count".into(),
            Field::Size => "size".into(),
            Field::Mailbox => "mailbox".into(),
            Field::Auth(m) => format!("auth.{m}"),
            Field::SpamFlag => "spam.flag".into(),
            Field::SpamScore => "spam.score".into(),
            Field::SpamSymbols => "spam.symbols".into(),
        }
    }

    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            Field::AttachmentCount | Field::Size | Field::SpamScore
        )
    }
}

pub const FIELD_NAMES: &str = "subject, body, text, from, from.domain, from.name, to, cc, \
to.domain, cc.domain, header.NAME, attachment.name, attachment.type, attachment.count, size, \
mailbox, auth.spf, auth.dkim, auth.dmarc, auth.dkim.domain, auth.from, spam.flag, spam.score, \
spam.symbols";

#[derive(Debug, Clone)]
pub enum Matcher {
    Keywords(KeywordSet),
    Regex(Regex),
    Domain(Vec<String>),
    Equals(Vec<String>),
    Exists(bool),
    /// A number between `min` and `max` (inclusive; a count, a size, a score).
    Range {
        min: Option<f64>,
        max: Option<f64>,
    },
}

#[derive(Debug, Clone)]
pub enum Cond {
    Always,
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    Match {
        fields: Vec<Field>,
        matcher: Matcher,
    },
}

/// Why a condition matched: which field, what text, which pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub field: String,
    pub text: String,
    pub pattern: String,
}

/// A message as the conditions see it, with text prepared lazily and once.
pub struct Subject<'a> {
    pub mail: &'a Mail,
    pub mailbox: &'a str,
    squeezed: HashMap<Field, Vec<Squeezed>>,
    /// The rules set's per-field keyword automata, and what they found in this message.
    index: Option<&'a HashMap<Field, KeywordIndex>>,
    hits: HashMap<Field, HashMap<usize, KeywordHit>>,
    text_field: OnceCell<String>,
    attachment_names: Vec<String>,
}

impl<'a> Subject<'a> {
    pub fn new(
        mail: &'a Mail,
        mailbox: &'a str,
        index: Option<&'a HashMap<Field, KeywordIndex>>,
    ) -> Subject<'a> {
        Subject {
            mail,
            mailbox,
            squeezed: HashMap::new(),
            index,
            hits: HashMap::new(),
            text_field: OnceCell::new(),
            attachment_names: mail
                .attachments
                .iter()
                .filter_map(|a| a.name.clone())
                .collect(),
        }
    }

    fn text(&self) -> &str {
        self.text_field.get_or_init(|| {
            let mut t = String::with_capacity(self.mail.subject.len() + self.mail.body.len() + 64);
            t.push_str(&self.mail.subject);
            for n in &self.attachment_names {
                t.push('\n');
                t.push_str(n);
            }
            t.push('\n');
            t.push_str(&self.mail.body);
            t
        })
    }

    /// Every value of a text field.
    pub fn values(&self, field: &Field) -> Vec<&str> {
        let m = self.mail;
        match field {
            Field::Subject => vec![m.subject.as_str()],
            Field::Body => vec![m.body.as_str()],
            Field::Text => vec![self.text()],
            Field::From => m.from.as_deref().into_iter().collect(),
            Field::FromDomain => m.from_domain().into_iter().collect(),
            Field::FromName => m.from_name.as_deref().into_iter().collect(),
            Field::To => m.to.iter().map(|s| s.as_str()).collect(),
            Field::Cc => m.cc.iter().map(|s| s.as_str()).collect(),
            Field::ToDomain => m.to.iter().filter_map(|s| domain_of(s)).collect(),
            Field::CcDomain => m.cc.iter().filter_map(|s| domain_of(s)).collect(),
            Field::Header(h) => m.header(h).collect(),
            Field::AttachmentName => self.attachment_names.iter().map(|s| s.as_str()).collect(),
            Field::AttachmentType => m
                .attachments
                .iter()
                .map(|a| a.content_type.as_str())
                .collect(),
            Field::Mailbox => vec![self.mailbox],
            Field::Auth("dkim.domain") => m.vouched.dkim_domains().collect(),
            Field::Auth("from") => vec![m.vouched.sender(m.from_domain()).as_str()],
            Field::Auth(method) => vec![m.vouched.result(method).as_str()],
            Field::SpamFlag => vec![m.vouched.spam_flag()],
            Field::SpamSymbols => m
                .spam
                .iter()
                .flat_map(|s| s.symbols.iter().map(|x| x.as_str()))
                .collect(),
            Field::AttachmentCount | Field::Size | Field::SpamScore => Vec::new(),
        }
    }

    fn number(&self, field: &Field) -> Option<f64> {
        match field {
            Field::AttachmentCount => Some(self.mail.attachments.len() as f64),
            Field::Size => Some(self.mail.size as f64),
            Field::SpamScore => self.mail.spam.as_ref().map(|s| s.score),
            _ => None,
        }
    }

    /// Prepares the squeezed forms of a field's values, once per message.
    fn ensure_squeezed(&mut self, field: &Field) {
        if !self.squeezed.contains_key(field) {
            let sq = self.values(field).into_iter().map(Squeezed::new).collect();
            self.squeezed.insert(field.clone(), sq);
        }
    }
}

impl Cond {
    /// Evaluates the condition; `Some(evidence)` when it matches.
    pub fn eval(&self, s: &mut Subject) -> Option<Vec<Evidence>> {
        match self {
            Cond::Always => Some(Vec::new()),
            Cond::All(cs) => {
                let mut ev = Vec::new();
                for c in cs {
                    ev.extend(c.eval(s)?);
                }
                Some(ev)
            }
            Cond::Any(cs) => cs.iter().find_map(|c| c.eval(s)),
            Cond::Not(c) => match c.eval(s) {
                Some(_) => None,
                None => Some(vec![Evidence {
                    field: "not".into(),
                    text: String::new(),
                    pattern: c.describe(),
                }]),
            },
            Cond::Match { fields, matcher } => {
                fields.iter().find_map(|f| eval_match(f, matcher, s))
            }
        }
    }

    /// A short text form, for explanations and duplicate detection.
    pub fn describe(&self) -> String {
        match self {
            Cond::Always => "always".into(),
            Cond::All(cs) => format!(
                "all({})",
                cs.iter()
                    .map(|c| c.describe())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Cond::Any(cs) => format!(
                "any({})",
                cs.iter()
                    .map(|c| c.describe())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Cond::Not(c) => format!("not({})", c.describe()),
            Cond::Match { fields, matcher } => {
                let f = fields
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join("|");
                let m = match matcher {
                    Matcher::Keywords(k) => format!("keywords[{}]", k.len()),
                    Matcher::Regex(r) => format!("regex {:?}", r.as_str()),
                    Matcher::Domain(d) => format!("domain {d:?}"),
                    Matcher::Equals(e) => format!("equals {e:?}"),
                    Matcher::Exists(b) => format!("exists={b}"),
                    Matcher::Range { min, max } => format!("range {min:?}..{max:?}"),
                };
                format!("{f} {m}")
            }
        }
    }
}

fn eval_match(field: &Field, matcher: &Matcher, s: &mut Subject) -> Option<Vec<Evidence>> {
    let ev = |text: &str, pattern: String| {
        Some(vec![Evidence {
            field: field.name(),
            text: text.to_string(),
            pattern,
        }])
    };
    match matcher {
        Matcher::Range { min, max } => {
            let n = s.number(field)?;
            let ok = min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m);
            if ok {
                ev(&n.to_string(), format!("{min:?}..{max:?}"))
            } else {
                None
            }
        }
        Matcher::Exists(want) => {
            let has = !s.values(field).is_empty();
            if has == *want {
                ev("", format!("exists = {want}"))
            } else {
                None
            }
        }
        Matcher::Keywords(set) => {
            s.ensure_squeezed(field);
            if let Some(index) = s.index.and_then(|i| i.get(field)) {
                // One scan of the field for every keyword set of the rules.
                if !s.hits.contains_key(field) {
                    let mut found = HashMap::new();
                    if let Some(squeezed) = s.squeezed.get(field) {
                        for (v, sq) in s.values(field).into_iter().zip(squeezed) {
                            index.scan(v, sq, &mut found);
                        }
                    }
                    s.hits.insert(field.clone(), found);
                }
                return s
                    .hits
                    .get(field)
                    .and_then(|h| h.get(&set.id))
                    .cloned()
                    .and_then(|hit| ev(&hit.text, hit.keyword));
            }
            let squeezed = s.squeezed.get(field)?;
            s.values(field)
                .into_iter()
                .zip(squeezed)
                .find_map(|(v, sq)| set.find(v, sq))
                .and_then(|hit| ev(&hit.text, hit.keyword))
        }
        Matcher::Regex(re) => s
            .values(field)
            .into_iter()
            .find_map(|v| re.find(v).map(|m| m.as_str().to_string()))
            .and_then(|t| ev(&t, re.as_str().to_string())),
        Matcher::Domain(domains) => s.values(field).into_iter().find_map(|v| {
            let d = domain_of(v).unwrap_or(v).to_ascii_lowercase();
            domains
                .iter()
                .find(|want| d == **want || d.ends_with(&format!(".{want}")))
                .and_then(|want| ev(&d, want.clone()))
        }),
        Matcher::Equals(values) => s.values(field).into_iter().find_map(|v| {
            values
                .iter()
                .find(|want| v.trim().eq_ignore_ascii_case(want))
                .and_then(|want| ev(v, want.clone()))
        }),
    }
}
