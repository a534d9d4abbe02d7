//! Places in text files (`file:line:col`), for error messages an admin can act on.
//!
//! No I/O: it turns offsets into places and formats them.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A position in a file, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
}

impl Location {
    /// The location of byte offset `offset` in `text`.
    pub fn at(file: &Path, text: &str, offset: usize) -> Location {
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = before[line_start..].chars().count() + 1;
        Location {
            file: file.to_path_buf(),
            line,
            col,
        }
    }

    /// The location of the start of a span, when there is one; line 1 otherwise.
    pub fn of_span(file: &Path, text: &str, span: Option<Range<usize>>) -> Location {
        Location::at(file, text, span.map(|s| s.start).unwrap_or(0))
    }
}

/// Where a CSV record really starts. The csv crate's position of a record is where the
/// previous one ended, before the blank lines and `#` comment lines it skipped; this skips
/// them too, from `offset` in `text`.
pub fn csv_record_start(text: &str, mut offset: usize) -> usize {
    let bytes = text.as_bytes();
    loop {
        match bytes.get(offset) {
            Some(b'\r' | b'\n') => offset += 1,
            Some(b'#') => match text[offset..].find('\n') {
                Some(nl) => offset += nl + 1,
                None => return text.len(),
            },
            _ => return offset.min(text.len()),
        }
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
    }
}

/// One problem found while loading a file, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub location: Location,
    pub message: String,
    pub severity: Severity,
    /// The name of what the diagnostic finds missing (a list, unit, category, mailbox,
    /// template) when another file may define it: a file that does not load hides it.
    pub missing: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    /// Says something about the other diagnostics (how many are hidden); neither an error
    /// nor a warning.
    Note,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        write!(f, "{}: {}: {}", self.location, kind, self.message)
    }
}

/// A list of diagnostics, collected so that every problem is reported at once.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn error(&mut self, location: Location, message: impl Into<String>) {
        self.push(location, message, Severity::Error, None);
    }
    pub fn warning(&mut self, location: Location, message: impl Into<String>) {
        self.push(location, message, Severity::Warning, None);
    }
    /// An error about `name`, which does not exist (but a file that failed to load may
    /// define it).
    pub fn missing(&mut self, location: Location, message: impl Into<String>, name: &str) {
        self.push(location, message, Severity::Error, Some(name.to_string()));
    }
    /// A warning that follows from `name` not being used or defined.
    pub fn warning_about(&mut self, location: Location, message: impl Into<String>, name: &str) {
        self.push(location, message, Severity::Warning, Some(name.to_string()));
    }
    fn push(
        &mut self,
        location: Location,
        message: impl Into<String>,
        severity: Severity,
        missing: Option<String>,
    ) {
        self.0.push(Diagnostic {
            location,
            message: message.into(),
            severity,
            missing,
        });
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Error)
    }
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Warning)
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Turns a `toml` error into a diagnostic at its place.
pub fn toml_diagnostic(file: &Path, text: &str, err: &toml::de::Error) -> Diagnostic {
    Diagnostic {
        location: Location::of_span(file, text, err.span()),
        message: err.message().trim().to_string(),
        severity: Severity::Error,
        missing: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let text = "a = 1\nbb = 2\n";
        let loc = Location::at(Path::new("f.toml"), text, 6);
        assert_eq!((loc.line, loc.col), (2, 1));
        let loc = Location::at(Path::new("f.toml"), text, 9);
        assert_eq!((loc.line, loc.col), (2, 4));
        assert_eq!(loc.to_string(), "f.toml:2:4");
    }
}
