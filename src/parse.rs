//! Parsing raw bytes into the view of a message the rules and the actions need.
//!
//! mail-parser does the MIME work; this module copies out what pilah uses into an owned
//! [`Mail`], so the raw parse can be dropped early. A panic inside the parser (crafted
//! input has found some in the past) is caught and turned into an error: one bad message
//! must never take the daemon down.

use mail_parser::{HeaderValue, MessageParser, MimeHeaders};

/// Body text beyond this is not looked at by the rules.
pub const BODY_LIMIT: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not a mail message: no From, To, Subject, Date or Message-ID header could be read")]
    NotMail,
    #[error("the MIME parser failed on this message ({0})")]
    Panicked(String),
}

/// An attachment as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: Option<String>,
    /// `type/subtype`, lower case.
    pub content_type: String,
    pub size: usize,
}

/// What pilah knows about one message after parsing.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub size: usize,
    pub message_id: Option<String>,
    pub subject: String,
    pub from: Option<String>,
    pub from_name: Option<String>,
    pub reply_to: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// The `Date:` header, seconds since the epoch.
    pub date: Option<i64>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// Every header as (lower-case name, decoded value), in order.
    pub headers: Vec<(String, String)>,
    /// The top-level content type, `type/subtype`, lower case.
    pub content_type: String,
    /// `report-type` parameter of a multipart/report.
    pub report_type: Option<String>,
    /// Text of the body (HTML converted to text), at most [`BODY_LIMIT`] bytes.
    pub body: String,
    pub attachments: Vec<Attachment>,
    /// What the organisation's receiving servers vouched for (set by
    /// [`crate::trust::TrustConfig::apply`] after parsing; nothing until then).
    pub vouched: crate::trust::Vouched,
}

impl Mail {
    /// Values of every header called `name` (any case).
    pub fn header(&self, name: &str) -> impl Iterator<Item = &str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.header(name).next().is_some()
    }

    /// The sender's domain, lower case.
    pub fn from_domain(&self) -> Option<&str> {
        self.from.as_deref().and_then(domain_of)
    }
}

/// The domain part of an address.
pub fn domain_of(addr: &str) -> Option<&str> {
    addr.rsplit_once('@')
        .map(|(_, d)| d)
        .filter(|d| !d.is_empty())
}

/// The Message-ID from the header section, found without a full parse (for the record
/// that is written before the message is parsed).
pub fn quick_message_id(raw: &[u8]) -> Option<String> {
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n"))
        .unwrap_or(raw.len().min(64 * 1024));
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let mut lines = head.lines().peekable();
    while let Some(line) = lines.next() {
        if line
            .get(..11)
            .is_some_and(|p| p.eq_ignore_ascii_case("message-id:"))
        {
            let mut v = line.get(11..).unwrap_or("").to_string();
            while let Some(next) = lines.peek() {
                if next.starts_with([' ', '\t']) {
                    v.push_str(next);
                    lines.next();
                } else {
                    break;
                }
            }
            let v = v
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .trim();
            return (!v.is_empty()).then(|| v.to_string());
        }
    }
    None
}

/// Parses raw message bytes. Never panics.
pub fn parse(raw: &[u8]) -> Result<Mail, ParseError> {
    crate::guard::catch(|| parse_inner(raw)).unwrap_or_else(|what| Err(ParseError::Panicked(what)))
}

fn parse_inner(raw: &[u8]) -> Result<Mail, ParseError> {
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or(ParseError::NotMail)?;
    // Bytes that are not mail parse as a message without any usable header.
    let usable = msg.from().is_some()
        || msg.subject().is_some()
        || msg.message_id().is_some()
        || msg.date().is_some()
        || msg.to().is_some();
    if msg.headers().is_empty() || !usable {
        return Err(ParseError::NotMail);
    }
    let first_addr = |a: Option<&mail_parser::Address>| {
        a.and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(|s| s.trim().to_lowercase())
    };
    let all_addrs = |a: Option<&mail_parser::Address>| -> Vec<String> {
        a.map(|a| {
            a.iter()
                .filter_map(|x| x.address())
                .map(|s| s.trim().to_lowercase())
                .collect()
        })
        .unwrap_or_default()
    };
    let from = first_addr(msg.from());
    let from_name = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.name())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());

    let mut headers = Vec::with_capacity(msg.headers().len());
    for h in msg.headers() {
        let name = h.name().to_ascii_lowercase();
        let value = header_text(h.value()).unwrap_or_else(|| {
            let raw_value = raw
                .get(h.offset_start() as usize..h.offset_end() as usize)
                .unwrap_or_default();
            unfold(&String::from_utf8_lossy(raw_value))
        });
        headers.push((name, value));
    }

    let (content_type, report_type) = match msg.content_type() {
        Some(ct) => (
            format!(
                "{}/{}",
                ct.c_type.to_ascii_lowercase(),
                ct.c_subtype.as_deref().unwrap_or("").to_ascii_lowercase()
            ),
            ct.attribute("report-type").map(|s| s.to_ascii_lowercase()),
        ),
        None => ("text/plain".to_string(), None),
    };

    let mut body = String::new();
    let mut i = 0;
    while body.len() < BODY_LIMIT {
        match msg.body_text(i) {
            Some(t) => {
                if !body.is_empty() {
                    body.push('\n');
                }
                body.push_str(&t);
            }
            None => break,
        }
        i += 1;
    }
    if body.len() > BODY_LIMIT {
        let mut cut = BODY_LIMIT;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    }

    let attachments = msg
        .attachments()
        .map(|part| Attachment {
            name: part
                .attachment_name()
                .map(|n| n.trim().to_string())
                .or_else(|| {
                    part.message()
                        .and_then(|m| m.subject())
                        .map(|s| s.to_string())
                }),
            content_type: part
                .content_type()
                .map(|ct| {
                    format!(
                        "{}/{}",
                        ct.c_type.to_ascii_lowercase(),
                        ct.c_subtype.as_deref().unwrap_or("").to_ascii_lowercase()
                    )
                })
                .unwrap_or_else(|| "application/octet-stream".to_string()),
            size: part.len(),
        })
        .collect();

    let ids = |v: &HeaderValue| -> Vec<String> {
        match v {
            HeaderValue::Text(t) => vec![t.to_string()],
            HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
            _ => Vec::new(),
        }
    };

    let body = windows_1252_controls(body);
    Ok(Mail {
        size: raw.len(),
        message_id: msg.message_id().map(|s| s.to_string()),
        subject: windows_1252_controls(msg.subject().unwrap_or("").trim().to_string()),
        from,
        from_name,
        reply_to: first_addr(msg.reply_to()),
        to: all_addrs(msg.to()),
        cc: all_addrs(msg.cc()),
        date: msg.date().map(|d| d.to_timestamp()),
        in_reply_to: ids(msg.in_reply_to()),
        references: ids(msg.references()),
        headers,
        content_type,
        report_type,
        body,
        attachments,
        vouched: Default::default(),
    })
}

/// Text labelled ISO-8859-1 is very often windows-1252 (curly quotes, dashes, "…"): its C1
/// control characters, which no one writes on purpose, are read as windows-1252 instead.
fn windows_1252_controls(text: String) -> String {
    if !text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)) {
        return text;
    }
    const CP1252: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    text.chars()
        .map(|c| match c as u32 {
            0x80..=0x9f => CP1252[(c as u32 - 0x80) as usize],
            _ => c,
        })
        .collect()
}

fn header_text(v: &HeaderValue) -> Option<String> {
    match v {
        HeaderValue::Text(t) => Some(t.to_string()),
        HeaderValue::TextList(l) => {
            Some(l.iter().map(|t| t.as_ref()).collect::<Vec<_>>().join(", "))
        }
        HeaderValue::Address(a) => Some(
            a.iter()
                .map(|x| match (x.name(), x.address()) {
                    (Some(n), Some(ad)) => format!("{n} <{ad}>"),
                    (None, Some(ad)) => ad.to_string(),
                    (Some(n), None) => n.to_string(),
                    (None, None) => String::new(),
                })
                .collect::<Vec<_>>()
                .join(", "),
        ),
        HeaderValue::DateTime(d) => Some(d.to_rfc3339()),
        _ => None,
    }
}

fn unfold(s: &str) -> String {
    s.split(['\r', '\n'])
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_parts_rules_need() {
        let raw = b"From: =?UTF-8?B?QlBLQUQgS2FiLiBDaWxhY2Fw?= <BPKAD@CilacapKab.go.id>\r\n\
To: lapor@djpk.test\r\nSubject: =?UTF-8?Q?Laporan_DBH_Triwulan_I?=\r\n\
Message-ID: <a1@cilacapkab.go.id>\r\nX-Custom: hello\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDengan hormat,\r\n\
--b\r\nContent-Type: application/pdf\r\n\
Content-Disposition: attachment; filename*=UTF-8''BA%20Rekon%20DBH.pdf\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n";
        let m = parse(raw).unwrap();
        assert_eq!(m.from.as_deref(), Some("bpkad@cilacapkab.go.id"));
        assert_eq!(m.from_name.as_deref(), Some("BPKAD Kab. Cilacap"));
        assert_eq!(m.from_domain(), Some("cilacapkab.go.id"));
        assert_eq!(m.subject, "Laporan DBH Triwulan I");
        assert_eq!(m.message_id.as_deref(), Some("a1@cilacapkab.go.id"));
        assert_eq!(m.header("x-custom").collect::<Vec<_>>(), vec!["hello"]);
        assert!(m.body.contains("Dengan hormat"));
        assert_eq!(m.attachments.len(), 1);
        assert_eq!(m.attachments[0].name.as_deref(), Some("BA Rekon DBH.pdf"));
        assert_eq!(m.attachments[0].content_type, "application/pdf");
    }

    #[test]
    fn message_id_without_a_parse() {
        let raw = b"Subject: x\r\nMessage-ID:\r\n <abc@d.id>\r\n\r\nMessage-ID: <no@x>\r\n";
        assert_eq!(quick_message_id(raw).as_deref(), Some("abc@d.id"));
        assert_eq!(quick_message_id(b"Subject: x\r\n\r\n"), None);
    }

    #[test]
    fn windows_1252_labelled_latin1_is_read_as_windows_1252() {
        let raw = b"From: a@b.id\r\nSubject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n\x93Laporan\x94 \x96 DBH\x85\r\n";
        let m = parse(raw).unwrap();
        assert!(
            m.body
                .contains("\u{201c}Laporan\u{201d} \u{2013} DBH\u{2026}"),
            "{:?}",
            m.body
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse(b"").is_err());
        assert!(parse(b"\x00\x01\x02 not a mail at all \xff\xfe").is_err());
    }
}
