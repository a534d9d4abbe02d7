//! The skeleton of a large message: the same MIME structure, every header, the text parts
//! (up to a cap), and the non-text parts' contents left out, each replaced by a note of its
//! size. Parsing the skeleton instead of the whole keeps a large attachment from being
//! decoded in memory (mail-parser decodes every part), while classification still sees all
//! it reads: headers, text, attachment names, types and sizes.
//!
//! It owns nothing but this transformation; it must not decide anything about the mail.
//! The walk is line by line over the (normalised, CRLF) message, with a stack of the
//! multipart boundaries it is inside; a message/rfc822 part is walked as a message.

/// The header the skeleton puts on a part whose contents it left out: the size of what
/// was left out, decoded (base64 counted as the bytes it decodes to).
pub const ELIDED_HEADER: &str = "X-Pilah-Elided-Size";

/// A non-text part's contents are left out once they pass this many bytes.
const KEEP_NON_TEXT: usize = 16 * 1024;

/// A text part's contents are cut after this many bytes (more than the body text kept).
const KEEP_TEXT: usize = 2 * super::BODY_LIMIT;

/// The skeleton of `raw` (a message with CRLF line ends).
pub fn skeleton(raw: &[u8]) -> Vec<u8> {
    let mut walk = Walk {
        lines: raw.split_inclusive(|b| *b == b'\n').peekable(),
        out: Vec::with_capacity(64 * 1024),
        boundaries: Vec::new(),
    };
    walk.entity();
    // What follows the outermost structure (nothing, in well-formed mail).
    for line in walk.lines.by_ref() {
        walk.out.extend_from_slice(line);
    }
    walk.out
}

struct Walk<'a, I: Iterator<Item = &'a [u8]>> {
    lines: std::iter::Peekable<I>,
    out: Vec<u8>,
    /// The boundaries of the multiparts around the current line, innermost last.
    boundaries: Vec<Vec<u8>>,
}

/// What a part's header says about its body.
#[derive(Default)]
struct PartHeader {
    /// `type/subtype`, lower case; empty when not given (text/plain).
    content_type: String,
    boundary: Option<Vec<u8>>,
    base64: bool,
}

impl<'a, I: Iterator<Item = &'a [u8]>> Walk<'a, I> {
    /// One entity: its header, then its body as its type says.
    fn entity(&mut self) {
        let header = self.header();
        let ct = header.content_type.as_str();
        if let (true, Some(b)) = (ct.starts_with("multipart/"), header.boundary.clone()) {
            self.multipart(b);
        } else if ct == "message/rfc822" && !header.base64 {
            self.entity();
        } else {
            let text = ct.is_empty() || ct.starts_with("text/");
            self.leaf(text, header.base64);
        }
    }

    /// Copies header lines up to and including the blank line, reading what the body needs.
    fn header(&mut self) -> PartHeader {
        let mut fields: Vec<Vec<u8>> = Vec::new();
        let mut skipping = false;
        while let Some(line) = self.lines.peek().copied() {
            if self.is_boundary(line).is_some() {
                break; // a part without a body
            }
            self.lines.next();
            let continued = matches!(line.first(), Some(b' ' | b'\t'));
            if !continued {
                // A note of the sender's own is not the skeleton's: dropped.
                skipping = line.len() > ELIDED_HEADER.len()
                    && line[..ELIDED_HEADER.len()].eq_ignore_ascii_case(ELIDED_HEADER.as_bytes())
                    && line[ELIDED_HEADER.len()] == b':';
            }
            if skipping {
                continue;
            }
            self.out.extend_from_slice(line);
            if line == b"\r\n" || line == b"\n" {
                break;
            }
            match (continued, fields.last_mut()) {
                (true, Some(last)) => last.extend_from_slice(line),
                _ => fields.push(line.to_vec()),
            }
        }
        let mut h = PartHeader::default();
        for f in &fields {
            let text = String::from_utf8_lossy(f);
            let Some((name, value)) = text.split_once(':') else {
                continue;
            };
            let value = value.replace(['\r', '\n'], "");
            match name.trim().to_ascii_lowercase().as_str() {
                "content-type" => {
                    let mut params = value.split(';');
                    h.content_type = params.next().unwrap_or("").trim().to_ascii_lowercase();
                    h.boundary = params.find_map(|p| {
                        let (k, v) = p.split_once('=')?;
                        k.trim()
                            .eq_ignore_ascii_case("boundary")
                            .then(|| v.trim().trim_matches('"').as_bytes().to_vec())
                    });
                }
                "content-transfer-encoding" => {
                    h.base64 = value.trim().eq_ignore_ascii_case("base64");
                }
                _ => {}
            }
        }
        h
    }

    /// A multipart body: preamble, parts, closing delimiter, epilogue.
    fn multipart(&mut self, boundary: Vec<u8>) {
        self.boundaries.push(boundary);
        let depth = self.boundaries.len();
        // The preamble, up to the first delimiter.
        self.copy_until_boundary();
        while let Some(line) = self.lines.peek().copied() {
            match self.is_boundary(line) {
                Some((d, closing)) if d == depth => {
                    self.lines.next();
                    self.out.extend_from_slice(line);
                    if closing {
                        break;
                    }
                    self.entity();
                }
                // An outer delimiter: this multipart was never closed.
                _ => {
                    self.boundaries.truncate(depth - 1);
                    return;
                }
            }
        }
        self.boundaries.truncate(depth - 1);
        // The epilogue, up to the enclosing delimiter.
        self.copy_until_boundary();
    }

    /// A leaf body: copied, or left out with a note of its size once it passes the cap.
    fn leaf(&mut self, text: bool, base64: bool) {
        let keep = if text { KEEP_TEXT } else { KEEP_NON_TEXT };
        let start = self.out.len();
        let mut kept = 0usize;
        let mut elided = 0u64;
        while let Some(line) = self.lines.peek().copied() {
            if self.is_boundary(line).is_some() {
                break;
            }
            self.lines.next();
            let size = if base64 {
                line.iter().filter(|b| !b.is_ascii_whitespace()).count() as u64 * 3 / 4
            } else {
                line.len() as u64
            };
            if kept + line.len() <= keep && elided == 0 {
                self.out.extend_from_slice(line);
                kept += line.len();
            } else {
                if elided == 0 && !text {
                    // Past the cap: what was kept of a non-text part goes too.
                    elided = self.out[start..]
                        .split_inclusive(|b| *b == b'\n')
                        .map(|l| {
                            if base64 {
                                l.iter().filter(|b| !b.is_ascii_whitespace()).count() as u64 * 3 / 4
                            } else {
                                l.len() as u64
                            }
                        })
                        .sum();
                    self.out.truncate(start);
                }
                elided += size;
            }
        }
        if elided > 0 && !text {
            self.note_elided(start, elided);
        }
    }

    /// Puts the size of what was left out into the part's header, just before its blank
    /// line (which ends at `body_start`).
    fn note_elided(&mut self, body_start: usize, size: u64) {
        let blank = if self.out[..body_start].ends_with(b"\r\n\r\n") {
            2
        } else if self.out[..body_start].ends_with(b"\n\n") {
            1
        } else {
            0
        };
        let at = body_start - blank;
        let note = format!("{ELIDED_HEADER}: {size}\r\n");
        self.out.splice(at..at, note.bytes());
    }

    /// Copies lines up to (not including) a delimiter of any enclosing multipart.
    fn copy_until_boundary(&mut self) {
        while let Some(line) = self.lines.peek().copied() {
            if self.is_boundary(line).is_some() {
                return;
            }
            self.lines.next();
            self.out.extend_from_slice(line);
        }
    }

    /// Whether `line` is a delimiter of an enclosing multipart: its depth (1 = outermost)
    /// and whether it closes it. The innermost match wins.
    fn is_boundary(&self, line: &[u8]) -> Option<(usize, bool)> {
        let rest = line.strip_prefix(b"--")?;
        self.boundaries.iter().enumerate().rev().find_map(|(i, b)| {
            let after = rest.strip_prefix(b.as_slice())?;
            let (closing, after) = match after.strip_prefix(b"--") {
                Some(a) => (true, a),
                None => (false, after),
            };
            after
                .iter()
                .all(|c| c.is_ascii_whitespace())
                .then_some((i + 1, closing))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big_attachment(lines: usize) -> Vec<u8> {
        let mut m = b"From: a@b.test\r\nSubject: laporan DBH\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\npreamble\r\n--XX\r\n\
            Content-Type: text/plain\r\n\r\nMohon cek lampiran.\r\n--XX\r\n\
            Content-Type: application/pdf; name=\"lapor.pdf\"\r\n\
            Content-Transfer-Encoding: base64\r\n\
            Content-Disposition: attachment; filename=\"lapor.pdf\"\r\n\r\n"
            .to_vec();
        for _ in 0..lines {
            m.extend_from_slice(&[b'Q'; 76]);
            m.extend_from_slice(b"\r\n");
        }
        m.extend_from_slice(b"--XX--\r\nepilogue\r\n");
        m
    }

    #[test]
    fn a_large_attachment_is_left_out_with_its_size_and_the_rest_is_kept() {
        let raw = big_attachment(20_000);
        let s = skeleton(&raw);
        assert!(s.len() < 2_000, "{}", s.len());
        // As pilah's parser reads the whole message (which it parses by its skeleton).
        let mail = MessageParserTest::parse(&raw);
        assert_eq!(mail.0, "laporan DBH");
        assert!(mail.1.contains("Mohon cek lampiran."), "{}", mail.1);
        assert_eq!(mail.2, vec![(Some("lapor.pdf".to_string()), 20_000 * 57)]);
        assert!(String::from_utf8_lossy(&s).ends_with("--XX--\r\nepilogue\r\n"));
    }

    #[test]
    fn a_senders_own_size_note_is_not_believed() {
        let mut raw = big_attachment(20_000);
        let forged = b"Content-Type: text/plain\r\n";
        let at = raw
            .windows(forged.len())
            .position(|w| w == forged)
            .expect("text part");
        raw.splice(at..at, b"X-Pilah-Elided-Size: 999\r\n".iter().copied());
        let s = String::from_utf8_lossy(&skeleton(&raw)).to_string();
        assert!(!s.contains(": 999"), "{s}");
    }

    #[test]
    fn a_small_attachment_and_a_message_without_parts_are_copied_as_they_are() {
        let raw = big_attachment(10);
        assert_eq!(skeleton(&raw), raw);
        let plain = b"From: a@b.test\r\nSubject: x\r\n\r\nbody\r\nline\r\n".to_vec();
        assert_eq!(skeleton(&plain), plain);
    }

    #[test]
    fn a_multipart_never_closed_and_a_forwarded_message_are_walked() {
        let mut raw = b"From: a@b.test\r\nContent-Type: multipart/mixed; boundary=A\r\n\r\n\
            --A\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@d.test\r\nSubject: inner\r\n\
            Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n\
            Content-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            .to_vec();
        for _ in 0..1000 {
            raw.extend_from_slice(&[b'A'; 76]);
            raw.extend_from_slice(b"\r\n");
        }
        // B is never closed; A closes.
        raw.extend_from_slice(b"--A--\r\n");
        let s = skeleton(&raw);
        let text = String::from_utf8_lossy(&s);
        assert!(text.contains("Subject: inner"), "{text}");
        assert!(
            text.contains("X-Pilah-Elided-Size: 57000\r\n\r\n"),
            "{text}"
        );
        assert!(text.ends_with("--A--\r\n"), "{text}");
        assert!(s.len() < 1_000);
    }

    /// Subject, body text and (attachment name, size) as pilah's parser reads them.
    struct MessageParserTest;
    impl MessageParserTest {
        fn parse(raw: &[u8]) -> (String, String, Vec<(Option<String>, usize)>) {
            let m = crate::parse::parse(raw).expect("parses");
            let atts = m
                .attachments
                .iter()
                .map(|a| (a.name.clone(), a.size))
                .collect();
            (m.subject, m.body, atts)
        }
    }
}
