//! Templates of the mail pilah writes (acknowledgements, and its own notices): `Subject: ...`, a blank line, then the body, with
//! `{placeholders}` an admin can use. Checked at load, so a typo is found by
//! `pilah rules check`, not by a sender.
//!
//! It must not know which mail uses which template, nor send anything: it loads, checks and
//! fills.

use crate::location::{Diagnostics, Location};
use std::collections::BTreeMap;
use std::path::Path;

/// Placeholders an acknowledgement template may use (pilah's own notices have theirs:
/// [`super::notice::NoticeKind::placeholders`]).
pub const PLACEHOLDERS: &[&str] = &[
    "ticket",
    "subject",
    "sender",
    "sender_name",
    "category",
    "category_label",
    "mailbox",
    "mailbox_address",
    "received",
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Lit(String),
    Var(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    subject: Vec<Piece>,
    body: Vec<Piece>,
}

/// Values for the placeholders.
pub type Vars = BTreeMap<&'static str, String>;

impl Template {
    /// Parses a template file's text; problems go to `diags` with their place.
    pub fn parse(name: &str, file: &Path, text: &str, diags: &mut Diagnostics) -> Option<Template> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let Some(first_end) = text.find('\n') else {
            diags.error(
                Location::at(file, text, 0),
                "a template starts with a `Subject: ...` line, then a blank line, then the body",
            );
            return None;
        };
        let first = text[..first_end].trim_end_matches('\r');
        let Some(subject) = first
            .strip_prefix("Subject:")
            .or_else(|| first.strip_prefix("subject:"))
        else {
            diags.error(
                Location::at(file, text, 0),
                "the first line of a template must be `Subject: ...`",
            );
            return None;
        };
        let subject_offset = first.len() - subject.len();
        let subject_text = subject.trim();
        let lead = subject.len() - subject.trim_start().len();
        let rest = &text[first_end + 1..];
        let rest_offset = first_end + 1;
        let (body, body_offset) = if let Some(b) = rest.strip_prefix("\r\n") {
            (b, rest_offset + 2)
        } else if let Some(b) = rest.strip_prefix('\n') {
            (b, rest_offset + 1)
        } else {
            diags.error(
                Location::at(file, text, rest_offset),
                "the `Subject:` line must be followed by a blank line",
            );
            return None;
        };
        let errors_before = diags.errors().count();
        let known = super::notice::placeholders_for(name);
        let subject = pieces(
            subject_text,
            subject_offset + lead,
            known,
            file,
            text,
            diags,
        );
        let body = pieces(body, body_offset, known, file, text, diags);
        if diags.errors().count() > errors_before {
            return None;
        }
        Some(Template {
            name: name.to_string(),
            subject,
            body,
        })
    }

    pub fn render_subject(&self, vars: &Vars) -> String {
        render(&self.subject, vars)
            .replace(['\r', '\n'], " ")
            .trim()
            .to_string()
    }

    pub fn render_body(&self, vars: &Vars) -> String {
        render(&self.body, vars)
    }
}

fn render(pieces: &[Piece], vars: &Vars) -> String {
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Lit(s) => out.push_str(s),
            Piece::Var(v) => out.push_str(vars.get(v.as_str()).map(|s| s.as_str()).unwrap_or("")),
        }
    }
    out
}

fn pieces(
    s: &str,
    offset: usize,
    known: &[&str],
    file: &Path,
    whole: &str,
    diags: &mut Diagnostics,
) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if matches!(chars.peek(), Some((_, '{'))) => {
                chars.next();
                lit.push('{');
            }
            '}' if matches!(chars.peek(), Some((_, '}'))) => {
                chars.next();
                lit.push('}');
            }
            '{' => {
                let Some(end) = s[i..].find('}') else {
                    diags.error(
                        Location::at(file, whole, offset + i),
                        "'{' is not closed: write `{{` for a literal brace",
                    );
                    break;
                };
                let name = &s[i + 1..i + end];
                if !known.contains(&name) {
                    diags.error(
                        Location::at(file, whole, offset + i),
                        format!(
                            "unknown placeholder {{{name}}}; known: {}",
                            known
                                .iter()
                                .map(|p| format!("{{{p}}}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
                if !lit.is_empty() {
                    out.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                out.push(Piece::Var(name.to_string()));
                while let Some((j, _)) = chars.peek() {
                    if *j > i + end {
                        break;
                    }
                    chars.next();
                }
            }
            '}' => {
                diags.error(
                    Location::at(file, whole, offset + i),
                    "'}' without '{': write `}}` for a literal brace",
                );
            }
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_placeholders_and_literal_braces() {
        let mut d = Diagnostics::default();
        let t = Template::parse(
            "ack",
            Path::new("ack.txt"),
            "Subject: [{ticket}] Tanda terima\n\nYth. {sender_name},\n{{tetap}}\n",
            &mut d,
        )
        .unwrap();
        let mut v = Vars::new();
        v.insert("ticket", "LPR-2024-000001".into());
        v.insert("sender_name", "Budi".into());
        assert_eq!(t.render_subject(&v), "[LPR-2024-000001] Tanda terima");
        assert_eq!(t.render_body(&v), "Yth. Budi,\n{tetap}\n");
    }

    #[test]
    fn unknown_placeholder_is_reported_at_its_place() {
        let mut d = Diagnostics::default();
        let r = Template::parse(
            "ack",
            Path::new("ack.txt"),
            "Subject: x\n\nHalo {nama},\n",
            &mut d,
        );
        assert!(r.is_none());
        let msg = d.to_string();
        assert!(
            msg.starts_with("ack.txt:3:6: error: unknown placeholder {nama}"),
            "{msg}"
        );
    }
}
