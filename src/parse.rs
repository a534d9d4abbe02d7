//! Parsing raw bytes into the view of a message the rules and the actions need.
//!
//! mail-parser does the MIME work; this module copies out what pilah uses into an owned
//! [`Mail`], so the raw parse can be dropped early. A panic inside the parser (crafted
//! input has found some in the past) is caught and turned into an error: one bad message
//! must never take the daemon down.

use mail_parser::{HeaderValue, MessageParser, MimeHeaders};
use std::borrow::Cow;

/// Body text beyond this is not looked at by the rules.
pub const BODY_LIMIT: usize = 256 * 1024;

/// A message larger than this is parsed by its skeleton (see [`skeleton`]).
const SKELETON_FROM: usize = 1024 * 1024;

mod skeleton;

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not a mail message: no header line (`Name: value`) could be read")]
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
    /// What the spam engine said (set by the pipeline after asking it, [`crate::spam`];
    /// `None` when no engine was asked or it could not score the message).
    pub spam: Option<crate::spam::SpamScore>,
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

/// Rewrites what real mail gets wrong, and mail-parser 0.11 trips over, into what it reads:
///
/// - line ends made of a lone CR (old Mac mail, some gateways) become CRLF;
/// - blank or whitespace-only lines before the header are dropped (mail-parser takes the
///   first of them for the end of an empty header);
/// - a `Date:`/`Resent-Date:` ending in a one- or two-letter zone (`UT`, `Z`, military
///   zones; RFC 5322 §4.3) gets a numeric zone instead: mail-parser's `obs_zone` reads two
///   more bytes after the zone's first letter whatever they are, swallows the line end, and
///   the next header line disappears into the date (`From:` or `Subject:` lost). `UT` and `Z`
///   become `+0000`, the military letters `-0000` (as §4.3 says to read them).
///
/// The body is not touched except for the CR-only line ends. Returns the input itself when
/// nothing needed changing.
pub fn normalise(raw: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Cow<'_, [u8]> = Cow::Borrowed(raw);
    if has_lone_cr(&out) {
        let mut v = Vec::with_capacity(raw.len() + raw.len() / 32);
        let mut i = 0;
        while i < raw.len() {
            let b = raw[i];
            v.push(b);
            if b == b'\r' && raw.get(i + 1) != Some(&b'\n') {
                v.push(b'\n');
            }
            i += 1;
        }
        out = Cow::Owned(v);
    }
    let lead = leading_blank_lines(&out);
    if lead > 0 {
        out = Cow::Owned(out[lead..].to_vec());
    }
    if let Some(fixed) = fix_short_date_zones(&out) {
        out = Cow::Owned(fixed);
    }
    out
}

fn has_lone_cr(raw: &[u8]) -> bool {
    raw.iter()
        .enumerate()
        .any(|(i, &b)| b == b'\r' && raw.get(i + 1) != Some(&b'\n'))
}

/// Bytes taken by whitespace-only lines at the start, when a header line follows them.
fn leading_blank_lines(raw: &[u8]) -> usize {
    let mut pos = 0;
    while let Some(nl) = raw[pos..].iter().position(|&b| b == b'\n') {
        let line = &raw[pos..pos + nl];
        if !line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
            break;
        }
        pos += nl + 1;
    }
    // Nothing but blank lines: leave it for the parser to refuse.
    if pos >= raw.len() {
        0
    } else {
        pos
    }
}

/// The end of the header section: the offset of the blank line's first byte.
fn header_end(raw: &[u8]) -> usize {
    let mut pos = 0;
    while pos < raw.len() {
        let nl = raw[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |n| pos + n);
        let line = &raw[pos..nl];
        if line.is_empty() || line == b"\r" {
            return pos;
        }
        pos = nl + 1;
    }
    raw.len()
}

/// See [`normalise`]: `Date:` lines whose zone is one or two letters at the line's end.
fn fix_short_date_zones(raw: &[u8]) -> Option<Vec<u8>> {
    let head = &raw[..header_end(raw)];
    let mut edits: Vec<(usize, usize, &'static [u8])> = Vec::new();
    let mut pos = 0;
    let mut in_date = false;
    while pos < head.len() {
        let nl = head[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(head.len(), |n| pos + n);
        let line = &head[pos..nl];
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !continuation {
            let name_end = line.iter().position(|&b| b == b':').unwrap_or(0);
            let name = String::from_utf8_lossy(&line[..name_end])
                .trim()
                .to_ascii_lowercase();
            in_date = name == "date" || name == "resent-date";
        }
        let next_is_continuation = head.get(nl + 1).is_some_and(|b| *b == b' ' || *b == b'\t');
        if in_date && !next_is_continuation {
            // The last physical line of a date field: look at its last token.
            let mut end = line.len();
            while end > 0 && matches!(line[end - 1], b' ' | b'\t' | b'\r') {
                end -= 1;
            }
            let mut start = end;
            while start > 0 && line[start - 1].is_ascii_alphabetic() {
                start -= 1;
            }
            let token_len = end - start;
            let after_space = start > 0 && matches!(line[start - 1], b' ' | b'\t');
            if (1..=2).contains(&token_len) && after_space {
                let zone = &line[start..end];
                let numeric: &'static [u8] =
                    if zone.eq_ignore_ascii_case(b"ut") || zone.eq_ignore_ascii_case(b"z") {
                        b"+0000"
                    } else {
                        b"-0000"
                    };
                // Replace the zone and the trailing blanks (not the CR).
                let cr = line[end..].contains(&b'\r');
                let stop = if cr {
                    pos + line.len() - 1
                } else {
                    pos + line.len()
                };
                edits.push((pos + start, stop, numeric));
            }
        }
        pos = nl + 1;
    }
    if edits.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(raw.len() + edits.len() * 4);
    let mut at = 0;
    for (from, to, with) in edits {
        out.extend_from_slice(&raw[at..from]);
        out.extend_from_slice(with);
        at = to;
    }
    out.extend_from_slice(&raw[at..]);
    Some(out)
}

/// A header field name as RFC 5322 §3.6.8 allows it: printable ASCII but the colon.
fn is_field_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
}

fn parse_inner(original: &[u8]) -> Result<Mail, ParseError> {
    // A large message is parsed by its skeleton: its attachments are neither decoded nor
    // copied in memory (the skeleton is made first, so that normalising copies only it).
    let skeleton = original.len() > SKELETON_FROM;
    let source: Cow<[u8]> = if skeleton {
        let header_start = leading_blank_lines(original);
        Cow::Owned(skeleton::skeleton(&original[header_start..]))
    } else {
        Cow::Borrowed(original)
    };
    let normalised = normalise(&source);
    let raw: &[u8] = &normalised;
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or(ParseError::NotMail)?;
    if !has_real_header(&msg, raw) {
        return Err(ParseError::NotMail);
    }
    let from_name = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.name())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let (content_type, report_type) = match msg.content_type() {
        Some(ct) => (
            mime_type(ct),
            ct.attribute("report-type").map(|s| s.to_ascii_lowercase()),
        ),
        None => ("text/plain".to_string(), None),
    };
    Ok(Mail {
        size: original.len(),
        message_id: msg.message_id().map(|s| s.to_string()),
        subject: windows_1252_controls(msg.subject().unwrap_or("").trim().to_string()),
        from: first_address(msg.from()),
        from_name,
        reply_to: first_address(msg.reply_to()),
        to: all_addresses(msg.to()),
        cc: all_addresses(msg.cc()),
        date: msg.date().map(|d| d.to_timestamp()),
        in_reply_to: message_ids(msg.in_reply_to()),
        references: message_ids(msg.references()),
        headers: header_fields(&msg, raw),
        content_type,
        report_type,
        body: windows_1252_controls(body_text(&msg)),
        attachments: attachments(&msg, skeleton),
        vouched: Default::default(),
        spam: None,
    })
}

/// Bytes that are not mail parse as a message without a real header line: one whose name
/// is a field name and that was ended by a colon.
fn has_real_header(msg: &mail_parser::Message, raw: &[u8]) -> bool {
    msg.headers().iter().any(|h| {
        is_field_name(h.name())
            && (h.offset_start() as usize)
                .checked_sub(1)
                .and_then(|i| raw.get(i))
                == Some(&b':')
    })
}

/// The first address of an address header, trimmed and in lower case.
fn first_address(a: Option<&mail_parser::Address>) -> Option<String> {
    a.and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|s| s.trim().to_lowercase())
}

/// Every address of an address header, trimmed and in lower case.
fn all_addresses(a: Option<&mail_parser::Address>) -> Vec<String> {
    a.map(|a| {
        a.iter()
            .filter_map(|x| x.address())
            .map(|s| s.trim().to_lowercase())
            .collect()
    })
    .unwrap_or_default()
}

/// The Message-IDs of In-Reply-To or References.
fn message_ids(v: &HeaderValue) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// `type/subtype` in lower case.
fn mime_type(ct: &mail_parser::ContentType) -> String {
    format!(
        "{}/{}",
        ct.c_type.to_ascii_lowercase(),
        ct.c_subtype.as_deref().unwrap_or("").to_ascii_lowercase()
    )
}

/// Every header field as (lower-case name, decoded value); a value mail-parser does not
/// give as text is taken from the raw bytes, unfolded.
fn header_fields(msg: &mail_parser::Message, raw: &[u8]) -> Vec<(String, String)> {
    msg.headers()
        .iter()
        .map(|h| {
            let name = h.name().to_ascii_lowercase();
            let value = header_text(h.value()).unwrap_or_else(|| {
                let raw_value = raw
                    .get(h.offset_start() as usize..h.offset_end() as usize)
                    .unwrap_or_default();
                unfold(&String::from_utf8_lossy(raw_value))
            });
            (name, value)
        })
        .collect()
}

/// The text parts, one after the other, up to [`BODY_LIMIT`] bytes.
fn body_text(msg: &mail_parser::Message) -> String {
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
    body
}

/// The size of what the skeleton left out of a part, from its note.
fn elided_size(part: &mail_parser::MessagePart) -> Option<usize> {
    part.headers()
        .iter()
        .find(|h| h.name().eq_ignore_ascii_case(skeleton::ELIDED_HEADER))
        .and_then(|h| header_text(h.value()))
        .and_then(|v| v.trim().parse().ok())
}

/// The attachments' names (a forwarded message's subject when it has none), types and sizes
/// (in a skeleton, the size of what it left out).
fn attachments(msg: &mail_parser::Message, skeleton: bool) -> Vec<Attachment> {
    msg.attachments()
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
                .map(mime_type)
                .unwrap_or_else(|| "application/octet-stream".to_string()),
            size: skeleton
                .then(|| elided_size(part))
                .flatten()
                .unwrap_or(part.len()),
        })
        .collect()
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
    fn a_date_in_ut_or_z_does_not_swallow_the_next_header_line() {
        // mail-parser 0.11's obs_zone reads two bytes past the zone's first letter.
        for (date, eol) in [
            ("Mon, 1 Jan 2024 10:00:00 UT", "\n"),
            ("Mon, 1 Jan 2024 10:00:00 Z", "\r\n"),
            ("Mon, 1 Jan 2024 10:00:00 Z  ", "\n"),
            ("Mon, 1 Jan 2024 10:00:00 ut", "\r\n"),
            ("Mon, 1 Jan 2024 10:00:00 A", "\n"),
        ] {
            let raw = format!(
                "Date: {date}{eol}From: MAILER-DAEMON@mx.example.org{eol}Subject: x{eol}{eol}body{eol}"
            );
            let m = parse(raw.as_bytes()).unwrap();
            assert_eq!(
                m.from.as_deref(),
                Some("mailer-daemon@mx.example.org"),
                "{date:?}"
            );
            assert_eq!(m.subject, "x", "{date:?}");
            assert_eq!(m.date, Some(1_704_103_200), "{date:?}");
        }
        // A folded date and Resent-Date, too; GMT and numeric zones are left alone.
        let raw = b"Resent-Date: Mon, 1 Jan 2024\n 10:00:00 UT\nSubject: y\nDate: Mon, 1 Jan 2024 10:00:00 GMT\nFrom: a@b.id\n\n";
        let m = parse(raw).unwrap();
        assert_eq!(m.subject, "y");
        assert_eq!(m.from.as_deref(), Some("a@b.id"));
        assert!(matches!(
            normalise(b"Date: Mon, 1 Jan 2024 10:00:00 +0700\r\nSubject: z\r\n\r\n"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn leading_blank_lines_before_the_header_are_skipped() {
        let m = parse(
            b"   \r\n\r\n\t\nFrom: Budi <budi@gmail.com>\r\nSubject: Tanya DAU\r\n\r\nhalo\r\n",
        )
        .unwrap();
        assert_eq!(m.from.as_deref(), Some("budi@gmail.com"));
        assert_eq!(m.subject, "Tanya DAU");
        assert!(m.body.contains("halo"));
    }

    #[test]
    fn cr_only_and_mixed_line_ends_are_read() {
        let m = parse(b"From: a@b.id\rSubject: satu\rTo: c@d.id\r\rbody one\rline two\r").unwrap();
        assert_eq!(m.from.as_deref(), Some("a@b.id"));
        assert_eq!(m.subject, "satu");
        assert_eq!(m.to, vec!["c@d.id".to_string()]);
        assert!(m.body.contains("line two"));
        let m = parse(b"From: a@b.id\r\nSubject: dua\nTo: c@d.id\rX-A: 1\r\n\nbody\n").unwrap();
        assert_eq!(m.subject, "dua");
        assert_eq!(m.to, vec!["c@d.id".to_string()]);
        assert_eq!(m.header("x-a").collect::<Vec<_>>(), vec!["1"]);
    }

    #[test]
    fn header_lines_without_a_colon_are_skipped_not_fatal() {
        let raw = b"From MAILER-DAEMON Fri Jul  5 10:00:00 2024\nReceived: from x\nthis line has no colon\nFrom: Mail Delivery System <MAILER-DAEMON@mx.example.org>\nSubject: Undelivered Mail\n\nbody\n";
        let m = parse(raw).unwrap();
        assert_eq!(m.from.as_deref(), Some("mailer-daemon@mx.example.org"));
        assert_eq!(m.subject, "Undelivered Mail");
        // A header with only unusual fields is still a header.
        let m = parse(b"X-Only: this\r\n\r\nbody\r\n").unwrap();
        assert_eq!(m.header("x-only").collect::<Vec<_>>(), vec!["this"]);
    }

    #[test]
    fn text_without_any_header_line_is_not_mail() {
        assert!(matches!(
            parse(b"hello world\nthis is just text\n"),
            Err(ParseError::NotMail)
        ));
        assert!(matches!(parse(b"\r\n\r\n  \r\n"), Err(ParseError::NotMail)));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse(b"").is_err());
        assert!(parse(b"\x00\x01\x02 not a mail at all \xff\xfe").is_err());
    }
}
