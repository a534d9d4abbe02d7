//! The spam engine: SpamAssassin's spamd, asked about every new message before it is judged.
//!
//! A client of the SPAMC/SPAMD protocol (1.5, as `spamc` speaks it): one TCP connection per
//! message, the `SYMBOLS` command with the raw message, the answer's `Spam:` line (score and
//! the engine's threshold) and its body (the names of the rules that fired). The whole
//! exchange is bounded by `[spam] timeout_seconds`. A message over `[spam] max_size_kb` is
//! not sent at all, as `spamc` does with its `--max-size` (500 KB by default): it is left
//! unscored, with that reason, and the rules alone judge it (big messages are attachments
//! from Pemda, and spam is small).
//!
//! This module only asks and answers; whether an unreachable engine holds a message back
//! (`required = true`) is decided by the pipeline. It does not touch the store.

use serde::Serialize;
use std::fmt;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The `[spam]` section of the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpamConfig {
    /// Where spamd listens, `host:port` (loopback only: the protocol is not encrypted).
    pub address: String,
    /// Whether a message may be judged without a score: with `true`, a message the engine
    /// could not score waits in the mailbox and is tried again (never acknowledged or
    /// routed unscored); with `false`, the rules alone decide and the record says so.
    pub required: bool,
    /// The longest one message's exchange with the engine may take.
    pub timeout: Duration,
    /// Messages larger than this (bytes) are not sent to the engine (as `spamc` does).
    pub max_size: usize,
    /// How soon a mailbox is drained again while messages wait for the engine.
    pub retry: Duration,
}

/// What the engine said about a message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpamScore {
    /// The message's score (SpamAssassin's sum of the rules that fired).
    pub score: f64,
    /// The engine's own bar for spam (`required_score`, 5.0 by default).
    pub threshold: f64,
    /// The names of the rules that fired, as the engine reports them (`MISSING_MID`, …).
    pub symbols: Vec<String>,
}

impl SpamScore {
    /// Whether the engine itself calls it spam (its score reaches its threshold).
    pub fn is_spam(&self) -> bool {
        self.score >= self.threshold
    }
}

impl fmt::Display for SpamScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1} / {:.1}", self.score, self.threshold)?;
        if !self.symbols.is_empty() {
            write!(f, " ({})", self.symbols.join(", "))?;
        }
        Ok(())
    }
}

/// Why a message was judged without a score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unscored {
    /// Over `max_size_kb`: not sent, as `spamc` does.
    TooLarge { size: usize, max: usize },
    /// The engine could not be asked (only with `required = false`).
    EngineFailed(String),
}

impl fmt::Display for Unscored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unscored::TooLarge { size, max } => write!(
                f,
                "unscored: {} KB is over spam.max_size_kb ({} KB)",
                size / 1024,
                max / 1024
            ),
            Unscored::EngineFailed(e) => write!(f, "unscored: {e}"),
        }
    }
}

/// The outcome of asking about one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Scan {
    Scored(SpamScore),
    Unscored(Unscored),
}

impl Scan {
    pub fn score(&self) -> Option<&SpamScore> {
        match self {
            Scan::Scored(s) => Some(s),
            Scan::Unscored(_) => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SpamError {
    #[error("spam engine {address}: cannot connect: {source}")]
    Connect {
        address: String,
        source: std::io::Error,
    },
    #[error("spam engine {address}: no answer within {seconds} s (spam.timeout_seconds)")]
    Timeout { address: String, seconds: u64 },
    #[error("spam engine {address}: connection failed while talking: {source}")]
    Io {
        address: String,
        source: std::io::Error,
    },
    #[error("spam engine {address}: {problem}: {line:?}")]
    Protocol {
        address: String,
        problem: &'static str,
        line: String,
    },
    /// spamd answered, refusing this message (an `EX_…` code other than 0).
    #[error("spam engine {address}: refused this message: {line:?}")]
    Refused { address: String, line: String },
}

impl SpamError {
    /// Whether the engine answered but will not score this one message: asking again would
    /// give the same answer, so holding it would hold it for ever.
    pub fn is_this_message(&self) -> bool {
        matches!(self, SpamError::Refused { .. })
    }
}

/// Largest answer read from the engine (SYMBOLS answers are a line of rule names).
const MAX_ANSWER: u64 = 1024 * 1024;

/// Asks the engine about a message, unless it is over `max_size` (then it is unscored and
/// not sent). An error means the engine could not be asked; the caller decides what that
/// means (`required`).
pub async fn scan(config: &SpamConfig, raw: &[u8]) -> Result<Scan, SpamError> {
    if raw.len() > config.max_size {
        return Ok(Scan::Unscored(Unscored::TooLarge {
            size: raw.len(),
            max: config.max_size,
        }));
    }
    check(config, raw).await.map(Scan::Scored)
}

/// Scores a message: `SYMBOLS` with the whole message, within the timeout.
pub async fn check(config: &SpamConfig, raw: &[u8]) -> Result<SpamScore, SpamError> {
    let mut request =
        format!("SYMBOLS SPAMC/1.5\r\nContent-length: {}\r\n\r\n", raw.len()).into_bytes();
    request.extend_from_slice(raw);
    let answer = exchange(config, &request).await?;
    parse_answer(&config.address, &answer)
}

/// Whether the engine answers `PING` with `PONG` (for `pilah doctor`).
pub async fn ping(config: &SpamConfig) -> Result<(), SpamError> {
    let answer = exchange(config, b"PING SPAMC/1.5\r\n\r\n").await?;
    let text = String::from_utf8_lossy(&answer);
    let first = text.lines().next().unwrap_or("").trim().to_string();
    if first.starts_with("SPAMD/") && first.ends_with("PONG") {
        Ok(())
    } else {
        Err(SpamError::Protocol {
            address: config.address.clone(),
            problem: "not an answer to PING",
            line: first,
        })
    }
}

/// One request, the whole answer (the engine closes the connection after it).
async fn exchange(config: &SpamConfig, request: &[u8]) -> Result<Vec<u8>, SpamError> {
    let address = config.address.clone();
    let talk = async {
        let mut s = TcpStream::connect(&config.address)
            .await
            .map_err(|source| SpamError::Connect {
                address: address.clone(),
                source,
            })?;
        let io = |source| SpamError::Io {
            address: address.clone(),
            source,
        };
        s.write_all(request).await.map_err(io)?;
        s.shutdown().await.map_err(io)?;
        let mut answer = Vec::new();
        s.take(MAX_ANSWER)
            .read_to_end(&mut answer)
            .await
            .map_err(io)?;
        Ok(answer)
    };
    match tokio::time::timeout(config.timeout, talk).await {
        Ok(r) => r,
        Err(_) => Err(SpamError::Timeout {
            address,
            seconds: config.timeout.as_secs(),
        }),
    }
}

/// Reads a `SYMBOLS` answer: `SPAMD/1.1 0 EX_OK`, headers with `Spam: True ; 15.3 / 5.0`,
/// an empty line, the rule names separated by commas.
fn parse_answer(address: &str, answer: &[u8]) -> Result<SpamScore, SpamError> {
    let text = String::from_utf8_lossy(answer);
    let bad = |problem: &'static str, line: &str| SpamError::Protocol {
        address: address.to_string(),
        problem,
        line: line.chars().take(200).collect(),
    };
    let (head, body) = text
        .split_once("\r\n\r\n")
        .or_else(|| text.split_once("\n\n"))
        .unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().unwrap_or("").trim();
    let mut words = status.split_whitespace();
    let (proto, code) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    if !proto.starts_with("SPAMD/") {
        return Err(bad("not a spamd answer", status));
    }
    if code != "0" {
        return Err(SpamError::Refused {
            address: address.to_string(),
            line: status.chars().take(200).collect(),
        });
    }
    let spam_line = lines
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.trim().eq_ignore_ascii_case("spam").then_some(value)
        })
        .ok_or_else(|| bad("no Spam: line in the answer", head))?;
    // "True ; 15.3 / 5.0"
    let (_, numbers) = spam_line
        .split_once(';')
        .ok_or_else(|| bad("a Spam: line without a score", spam_line))?;
    let (score, threshold) = numbers
        .split_once('/')
        .ok_or_else(|| bad("a Spam: line without a threshold", spam_line))?;
    let number = |s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| bad("a score that is not a number", spam_line))
    };
    Ok(SpamScore {
        score: number(score)?,
        threshold: number(threshold)?,
        symbols: body
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symbols_answer_gives_score_threshold_and_rule_names() {
        let a = b"SPAMD/1.1 0 EX_OK\r\nContent-length: 30\r\nSpam: True ; 1000.0 / 5.0\r\n\r\nGTUBE,MISSING_MID,NO_RECEIVED\r\n";
        let s = parse_answer("127.0.0.1:783", a).expect("parses");
        assert_eq!(s.score, 1000.0);
        assert_eq!(s.threshold, 5.0);
        assert_eq!(s.symbols, ["GTUBE", "MISSING_MID", "NO_RECEIVED"]);
        assert!(s.is_spam());
    }

    #[test]
    fn a_negative_score_without_symbols_is_ham() {
        let a = b"SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: False ; -0.7 / 5.0\r\n\r\n";
        let s = parse_answer("a", a).expect("parses");
        assert_eq!(s.score, -0.7);
        assert!(s.symbols.is_empty());
        assert!(!s.is_spam());
    }

    #[test]
    fn a_refusal_or_garbage_is_an_error_that_names_the_engine() {
        for a in [
            &b"SPAMD/1.0 76 Bad header line: XYZ\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\n\r\n",
            b"SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\n\r\n",
            b"SPAMD/1.1 0 EX_OK\r\nSpam: True ; lots / 5.0\r\n\r\n",
            b"",
        ] {
            let e = parse_answer("127.0.0.1:10783", a).expect_err("refused");
            assert!(
                e.to_string().starts_with("spam engine 127.0.0.1:10783: "),
                "{e}"
            );
            // Only spamd's own refusal is about this message; the rest is about the engine.
            assert_eq!(e.is_this_message(), a.starts_with(b"SPAMD/1.0 76"), "{e}");
        }
    }

    #[tokio::test]
    async fn a_message_over_the_size_limit_is_not_sent() {
        let config = SpamConfig {
            // Nothing listens here; a message that is not sent never finds out.
            address: "127.0.0.1:9".into(),
            required: true,
            timeout: Duration::from_secs(1),
            max_size: 10,
            retry: Duration::from_secs(60),
        };
        let scan = scan(&config, b"Subject: x\r\n\r\n0123456789").await;
        assert!(matches!(
            scan,
            Ok(Scan::Unscored(Unscored::TooLarge { size: 24, max: 10 }))
        ));
    }
}
