//! How a forward's original travels: the encoding recorded in `outbox.original`, and the
//! assembly of the original from its raw file, straight into the outgoing buffer.
//!
//! Owns [`OriginalEncoding`] (the composer chooses it, the store records it and puts the
//! original in place when the forward is sent) and the chunked base64 encoder both use. It
//! must not know how a forward is composed (that is `act::compose`, which imports this), and
//! it runs no SQL: [`super::outbox`] reads the row and hands the raw file here.

use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// How the original stands between a forward's head and tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginalEncoding {
    /// Its bytes as they are (`message/rfc822`, 7bit or 8bit).
    AsIs,
    /// Base64, in lines of 76 characters (an `.eml` file that could not travel as it is).
    Base64,
}

impl OriginalEncoding {
    /// As stored in `outbox.original`.
    pub fn as_str(self) -> &'static str {
        match self {
            OriginalEncoding::AsIs => "rfc822",
            OriginalEncoding::Base64 => "base64",
        }
    }

    pub fn parse(s: &str) -> Option<OriginalEncoding> {
        match s {
            "rfc822" => Some(OriginalEncoding::AsIs),
            "base64" => Some(OriginalEncoding::Base64),
            _ => None,
        }
    }

    /// Bytes the original of `len` bytes takes in the forward.
    pub fn encoded_len(self, len: usize) -> usize {
        match self {
            OriginalEncoding::AsIs => len,
            OriginalEncoding::Base64 => {
                let chars = len.div_ceil(3) * 4;
                chars + 2 * chars.div_ceil(BASE64_LINE).saturating_sub(1)
            }
        }
    }
}

/// Characters per base64 line (RFC 2045), from 57 bytes of input.
const BASE64_LINE: usize = 76;
const BASE64_LINE_IN: usize = BASE64_LINE / 4 * 3;

/// Appends the base64 of everything `from` yields, in CRLF-separated lines of 76 characters
/// (no line break after the last line: the MIME structure that follows brings its own).
/// Reads in chunks, so the original is never in memory as a whole besides its encoding, and
/// feeds what it reads to `hasher` (the caller checks that it is the original recorded).
pub fn append_base64(
    mut from: impl std::io::Read,
    out: &mut Vec<u8>,
    hasher: &mut impl sha2::Digest,
) -> std::io::Result<usize> {
    use base64::Engine;
    let mut chunk = vec![0u8; BASE64_LINE_IN * 1024];
    let (mut total, mut first_line) = (0usize, true);
    loop {
        // Fill the chunk (whole lines), unless the input ends.
        let mut n = 0;
        while n < chunk.len() {
            match from.read(&mut chunk[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if n == 0 {
            return Ok(total);
        }
        total += n;
        hasher.update(&chunk[..n]);
        for line in chunk[..n].chunks(BASE64_LINE_IN) {
            if !first_line {
                out.extend_from_slice(b"\r\n");
            }
            first_line = false;
            let at = out.len();
            out.resize(at + line.len().div_ceil(3) * 4, 0);
            base64::engine::general_purpose::STANDARD
                .encode_slice(line, &mut out[at..])
                .map_err(std::io::Error::other)?;
        }
        if n < chunk.len() {
            return Ok(total);
        }
    }
}

/// Appends the original of a forward, read from its raw file (which must be the one recorded:
/// `size` bytes with SHA-256 `sha`) straight into `out`, in `encoding`. The error says what
/// is wrong with the file.
pub(super) fn append_original(
    out: &mut Vec<u8>,
    path: &Path,
    size: u64,
    sha: &str,
    encoding: OriginalEncoding,
) -> Result<(), String> {
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let on_disk = file.metadata().map_err(|e| e.to_string())?.len();
    if on_disk != size {
        return Err(format!(
            "the file has {on_disk} bytes, {size} were recorded"
        ));
    }
    let mut hasher = Sha256::new();
    let start = out.len();
    let read = match encoding {
        OriginalEncoding::AsIs => {
            let n = (&mut file)
                .take(size)
                .read_to_end(out)
                .map_err(|e| e.to_string())?;
            hasher.update(&out[start..]);
            n
        }
        OriginalEncoding::Base64 => {
            append_base64((&mut file).take(size), out, &mut hasher).map_err(|e| e.to_string())?
        }
    };
    if read as u64 != size {
        return Err(format!("read {read} bytes, {size} were recorded"));
    }
    if super::hex(&hasher.finalize()) != sha {
        return Err(
            "the file's SHA-256 is not the one recorded when the message was fetched".into(),
        );
    }
    Ok(())
}
