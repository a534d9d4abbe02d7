//! What the receiving server vouched for about a message's sender.
//!
//! Every header of a message from the Internet may be forged by whoever sent it. The only
//! statements pilah believes are the ones the organisation's own receiving servers wrote on
//! top of the message: `Authentication-Results` headers (RFC 8601) carrying one of the
//! configured authserv-ids, and written above the first `Received` line that records a hop
//! from outside. Anything below that line is the sender's own claim and is ignored, as
//! RFC 8601 §5 asks of a receiver; so is a header with another authserv-id.
//!
//! From the believed results, [`Vouched::sender`] decides whether the `From` address is
//! authenticated: DMARC for the From domain decides when there is one; without it, an SPF or
//! DKIM pass for a domain aligned with From authenticates, and failures of both fail. A
//! message that never left the organisation's own servers (every `Received` hop from one of
//! the configured internal networks) arrived by an internal route.

use ipnet::IpNet;
use std::fmt;
use std::net::IpAddr;

/// The `[authentication]` section of the config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustConfig {
    /// authserv-ids of the organisation's own receiving servers, lower case.
    pub authserv_ids: Vec<String>,
    /// Networks of the organisation's own mail servers: a `Received` hop from one of these
    /// is inside; the first hop from elsewhere is where the message entered.
    pub internal_networks: Vec<IpNet>,
    /// Whether the organisation's own spam filter's headers (`X-Spam-Flag`, `X-Spam-Status`,
    /// rspamd's `X-Spamd-Result`, `X-Spam`) are believed, above the border as
    /// `Authentication-Results` are (`trust_spam_headers`).
    pub spam_headers: bool,
}

impl TrustConfig {
    pub fn is_configured(&self) -> bool {
        !self.authserv_ids.is_empty()
    }

    /// Sets what the receiving servers vouched for in `mail`.
    pub fn apply(&self, mail: &mut crate::parse::Mail) {
        mail.vouched = self.evaluate(&mail.headers);
    }

    /// Reads what the receiving servers vouched for in `headers` (name lower case, value),
    /// in the order they appear.
    pub fn evaluate<'a>(&self, headers: impl IntoIterator<Item = &'a (String, String)>) -> Vouched {
        let mut v = Vouched {
            configured: self.is_configured(),
            ..Vouched::default()
        };
        let mut hops = 0usize;
        let mut border = false;
        for (name, value) in headers {
            match name.as_str() {
                "received" if !border => {
                    hops += 1;
                    if !self.is_internal_hop(value) {
                        border = true;
                    }
                }
                "x-spam-flag" | "x-spam-status" | "x-spamd-result" | "x-spam"
                    if self.spam_headers =>
                {
                    match (border, SpamVerdict::read(name, value)) {
                        (false, Some(verdict)) => v.merge_spam(verdict),
                        (_, Some(_)) => v.ignored_spam += 1,
                        (_, None) => {}
                    }
                }
                "authentication-results" => {
                    let Some(result) = AuthResults::parse(value) else {
                        v.ignored += 1;
                        continue;
                    };
                    let trusted = self
                        .authserv_ids
                        .iter()
                        .any(|id| id.eq_ignore_ascii_case(&result.authserv_id));
                    if border || !trusted {
                        v.ignored += 1;
                        continue;
                    }
                    v.merge(result);
                }
                _ => {}
            }
        }
        v.internal_route = hops > 0 && !border && !self.internal_networks.is_empty();
        v
    }

    /// A hop inside the organisation: one whose sending host, as the receiving server saw
    /// it, is in an internal network, or one with no sending host at all (a local
    /// submission, an LMTP delivery over a socket). Only hops above the border are looked
    /// at, and only the organisation's servers write those.
    fn is_internal_hop(&self, received: &str) -> bool {
        let text = received.trim_start();
        let Some(rest) = strip_prefix_ci(text, "from ") else {
            return true;
        };
        let from_clause = match find_ci(rest, " by ") {
            Some(i) => &rest[..i],
            None => rest,
        };
        // The host name given in HELO comes first and is the client's claim; the address the
        // server saw comes last, in the comment: `from helo (rdns [192.0.2.1])`.
        match last_ip(from_clause) {
            Some(ip) => self.internal_networks.iter().any(|n| n.contains(&ip)),
            None => true,
        }
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    s.get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .map(|_| &s[prefix.len()..])
}

fn find_ci(s: &str, needle: &str) -> Option<usize> {
    s.to_ascii_lowercase().find(needle)
}

/// The last IP address written in a `Received` from-clause (`[192.0.2.1]`,
/// `[IPv6:2001:db8::1]`, `(192.0.2.1)`).
fn last_ip(clause: &str) -> Option<IpAddr> {
    clause
        .split(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | '(' | ')'))
        .rev()
        .filter(|t| !t.is_empty())
        .find_map(|t| {
            let t = strip_prefix_ci(t, "ipv6:").unwrap_or(t);
            t.parse::<IpAddr>().ok()
        })
}

/// A result of one method, as written in `Authentication-Results`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AuthResult {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
    TempError,
    PermError,
    Policy,
}

impl AuthResult {
    fn parse(word: &str) -> Option<AuthResult> {
        Some(match word.to_ascii_lowercase().as_str() {
            "pass" => AuthResult::Pass,
            "fail" | "hardfail" => AuthResult::Fail,
            "softfail" => AuthResult::SoftFail,
            "neutral" => AuthResult::Neutral,
            "none" => AuthResult::None,
            "temperror" => AuthResult::TempError,
            "permerror" => AuthResult::PermError,
            "policy" => AuthResult::Policy,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AuthResult::Pass => "pass",
            AuthResult::Fail => "fail",
            AuthResult::SoftFail => "softfail",
            AuthResult::Neutral => "neutral",
            AuthResult::None => "none",
            AuthResult::TempError => "temperror",
            AuthResult::PermError => "permerror",
            AuthResult::Policy => "policy",
        }
    }
}

/// One method's result with the domain it is about (`smtp.mailfrom` for SPF, `header.d`
/// for DKIM, `header.from` for DMARC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodResult {
    pub result: AuthResult,
    pub domain: Option<String>,
    /// The authserv-id of the header it came from.
    pub by: String,
}

/// One `Authentication-Results` header.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AuthResults {
    authserv_id: String,
    results: Vec<(String, MethodResult)>,
}

/// At most this many results are read from one header (a header is bounded by its line,
/// the count keeps a crafted one cheap).
const MAX_RESULTS: usize = 32;

impl AuthResults {
    /// `authserv-id [version]; method=result [reason] prop=value ...; ...` (comments in
    /// parentheses dropped). `None` when it has no authserv-id.
    fn parse(value: &str) -> Option<AuthResults> {
        let text = strip_comments(value);
        let mut parts = text.split(';');
        let authserv_id = parts
            .next()?
            .split_whitespace()
            .next()?
            .to_ascii_lowercase();
        if authserv_id.contains('=') {
            return None;
        }
        let mut results = Vec::new();
        for part in parts.take(MAX_RESULTS) {
            let mut words = part.split_whitespace();
            let Some((method, result)) = words.next().and_then(|w| w.split_once('=')) else {
                continue;
            };
            let method = method.to_ascii_lowercase();
            let Some(result) = AuthResult::parse(result) else {
                continue;
            };
            let wanted = match method.as_str() {
                "spf" => ["smtp.mailfrom", "smtp.helo"].as_slice(),
                "dkim" => ["header.d", "header.i"].as_slice(),
                "dmarc" => ["header.from"].as_slice(),
                _ => continue,
            };
            let mut domain: Option<(usize, String)> = None;
            for w in words {
                let Some((prop, val)) = w.split_once('=') else {
                    continue;
                };
                let prop = prop.to_ascii_lowercase();
                if let Some(rank) = wanted.iter().position(|p| *p == prop) {
                    if domain.as_ref().is_none_or(|(r, _)| rank < *r) {
                        let d = val.trim_matches('"');
                        let d = d.rsplit_once('@').map(|(_, d)| d).unwrap_or(d);
                        domain = Some((rank, d.trim_end_matches('.').to_ascii_lowercase()));
                    }
                }
            }
            results.push((
                method,
                MethodResult {
                    result,
                    domain: domain.map(|(_, d)| d).filter(|d| !d.is_empty()),
                    by: authserv_id.clone(),
                },
            ));
        }
        Some(AuthResults {
            authserv_id,
            results,
        })
    }
}

/// The text without `(comments)`, nested ones included.
fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// What the trusted servers said about a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vouched {
    /// Whether any authserv-id is configured at all.
    pub configured: bool,
    pub spf: Option<MethodResult>,
    pub dkim: Vec<MethodResult>,
    pub dmarc: Option<MethodResult>,
    /// Every `Received` hop is from the organisation's own networks.
    pub internal_route: bool,
    /// `Authentication-Results` headers not believed (another authserv-id, or below the
    /// border).
    pub ignored: usize,
    /// What the organisation's own spam filter said (only with `trust_spam_headers`).
    pub spam: Option<SpamVerdict>,
    /// Spam filter headers below the border, not believed.
    pub ignored_spam: usize,
}

/// The organisation's spam filter's verdict, from its own headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpamVerdict {
    pub spam: bool,
    /// The header that said so, as `Name: value` (value shortened).
    pub evidence: String,
}

impl SpamVerdict {
    /// Reads one filter header (name lower case): SpamAssassin's `X-Spam-Flag: YES` and
    /// `X-Spam-Status: Yes, score=…`, rspamd's `X-Spamd-Result: default: True [..]` and
    /// `X-Spam: Yes`. Anything else is no verdict.
    pub fn read(name: &str, value: &str) -> Option<SpamVerdict> {
        let v = value.trim().to_ascii_lowercase();
        let word = |s: &str| -> Option<bool> {
            match s.split([',', ' ', ';']).next().unwrap_or("") {
                "yes" | "true" => Some(true),
                "no" | "false" => Some(false),
                _ => None,
            }
        };
        let spam = match name {
            "x-spam-flag" | "x-spam-status" | "x-spam" => word(&v)?,
            "x-spamd-result" => word(v.strip_prefix("default:")?.trim_start())?,
            _ => return None,
        };
        let mut shown: String = value.trim().chars().take(60).collect();
        if value.trim().chars().count() > 60 {
            shown.push('…');
        }
        let canonical = match name {
            "x-spam-flag" => "X-Spam-Flag",
            "x-spam-status" => "X-Spam-Status",
            "x-spamd-result" => "X-Spamd-Result",
            _ => "X-Spam",
        };
        Some(SpamVerdict {
            spam,
            evidence: format!("{canonical}: {shown}"),
        })
    }
}

impl Vouched {
    /// A "spam" verdict wins over a "not spam" one (headers of several filter stages).
    fn merge_spam(&mut self, verdict: SpamVerdict) {
        if self.spam.as_ref().is_none_or(|s| !s.spam && verdict.spam) {
            self.spam = Some(verdict);
        }
    }

    /// `spam.flag` for the rules: `yes`, `no`, or `none` when no believed header says.
    pub fn spam_flag(&self) -> &'static str {
        match &self.spam {
            Some(s) if s.spam => "yes",
            Some(_) => "no",
            None => "none",
        }
    }

    fn merge(&mut self, r: AuthResults) {
        for (method, m) in r.results {
            match method.as_str() {
                "spf" => keep_worst(&mut self.spf, m),
                "dmarc" => keep_worst(&mut self.dmarc, m),
                "dkim" if self.dkim.len() < MAX_RESULTS => self.dkim.push(m),
                _ => {}
            }
        }
    }

    /// The result of `method` (`spf`, `dkim`, `dmarc`) for the rules: a DKIM pass wins over
    /// other signatures' failures (one good signature is enough), `none` when nothing
    /// trusted says anything.
    pub fn result(&self, method: &str) -> AuthResult {
        match method {
            "spf" => self.spf.as_ref().map(|m| m.result),
            "dmarc" => self.dmarc.as_ref().map(|m| m.result),
            "dkim" => self.dkim.iter().map(|m| m.result).min(),
            _ => None,
        }
        .unwrap_or(AuthResult::None)
    }

    /// Domains with a passing DKIM signature.
    pub fn dkim_domains(&self) -> impl Iterator<Item = &str> {
        self.dkim
            .iter()
            .filter(|m| m.result == AuthResult::Pass)
            .filter_map(|m| m.domain.as_deref())
    }

    /// Whether the `From` address (of domain `from_domain`) is vouched for.
    pub fn sender(&self, from_domain: Option<&str>) -> SenderAuth {
        if self.internal_route {
            return SenderAuth::Authenticated(Method::InternalRoute);
        }
        let Some(from) = from_domain else {
            return SenderAuth::Unverified;
        };
        let about_from = |m: &&MethodResult| m.domain.as_deref().is_none_or(|d| aligned(d, from));
        if let Some(d) = self.dmarc.as_ref().filter(about_from) {
            match d.result {
                AuthResult::Pass => return SenderAuth::Authenticated(Method::Dmarc),
                AuthResult::Fail => return SenderAuth::Failed(Method::Dmarc),
                _ => {}
            }
        }
        let spf = self
            .spf
            .as_ref()
            .filter(|m| m.domain.as_deref().is_some_and(|d| aligned(d, from)));
        let dkim: Vec<&MethodResult> = self
            .dkim
            .iter()
            .filter(|m| m.domain.as_deref().is_some_and(|d| aligned(d, from)))
            .collect();
        if dkim.iter().any(|m| m.result == AuthResult::Pass) {
            return SenderAuth::Authenticated(Method::Dkim);
        }
        if spf.is_some_and(|m| m.result == AuthResult::Pass) {
            return SenderAuth::Authenticated(Method::Spf);
        }
        if spf.is_some_and(|m| m.result == AuthResult::Fail) {
            return SenderAuth::Failed(Method::Spf);
        }
        SenderAuth::Unverified
    }

    /// Where the results came from, for `explain` and the logs.
    pub fn source(&self) -> String {
        if !self.configured {
            return "no authserv-id is configured ([authentication] authserv_ids): every sender is unauthenticated".into();
        }
        let by: Vec<&str> = self
            .spf
            .iter()
            .chain(self.dmarc.iter())
            .chain(self.dkim.iter())
            .map(|m| m.by.as_str())
            .collect();
        let mut s = match by.first() {
            Some(id) => format!("Authentication-Results of {id}"),
            None => "no trusted Authentication-Results".to_string(),
        };
        if self.internal_route {
            s.push_str("; every Received hop is from an internal network");
        }
        if self.ignored > 0 {
            s.push_str(&format!(
                "; {} other Authentication-Results header(s) ignored (another authserv-id, or written below the receiving server's Received line)",
                self.ignored
            ));
        }
        s
    }
}

/// Keeps the more damning of two results for one method (a fail is never hidden by a pass).
fn keep_worst(slot: &mut Option<MethodResult>, m: MethodResult) {
    let worse = |r: AuthResult| match r {
        AuthResult::Fail => 3,
        AuthResult::SoftFail | AuthResult::PermError | AuthResult::TempError => 2,
        AuthResult::Pass => 1,
        _ => 0,
    };
    if slot
        .as_ref()
        .is_none_or(|s| worse(m.result) > worse(s.result))
    {
        *slot = Some(m);
    }
}

/// Relaxed alignment (RFC 7489 §3.1): the same domain, or one a subdomain of the other.
/// (Without the public suffix list this is stricter than DMARC for unrelated subdomains of
/// one organisation, never looser.)
pub fn aligned(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    a == b || a.ends_with(&format!(".{b}")) || b.ends_with(&format!(".{a}"))
}

/// How a sender was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Dmarc,
    Dkim,
    Spf,
    InternalRoute,
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Dmarc => "dmarc",
            Method::Dkim => "dkim",
            Method::Spf => "spf",
            Method::InternalRoute => "internal route",
        })
    }
}

/// Whether the receiving server vouched for the `From` address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderAuth {
    Authenticated(Method),
    /// The trusted server checked and the check failed: the From address is forged.
    Failed(Method),
    /// Nothing trusted says either way.
    Unverified,
}

impl SenderAuth {
    pub fn is_authenticated(self) -> bool {
        matches!(self, SenderAuth::Authenticated(_))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SenderAuth::Authenticated(_) => "pass",
            SenderAuth::Failed(_) => "fail",
            SenderAuth::Unverified => "none",
        }
    }
}

impl fmt::Display for SenderAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SenderAuth::Authenticated(m) => write!(f, "authenticated ({m})"),
            SenderAuth::Failed(m) => write!(f, "failed ({m})"),
            SenderAuth::Unverified => f.write_str("unverified"),
        }
    }
}

#[cfg(test)]
mod tests {

    fn spam_trust() -> TrustConfig {
        TrustConfig {
            spam_headers: true,
            internal_networks: vec!["10.0.0.0/8".parse().unwrap()],
            ..TrustConfig::default()
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_own_spam_filter_is_believed_above_the_border_only_when_trusted() {
        let hs = pairs(&[
            ("X-Spam-Flag", "YES"),
            ("X-Spam-Status", "Yes, score=12.1 required=5.0"),
            (
                "Received",
                "from relay.example (relay.example [203.0.113.9]) by mx.djpk.test",
            ),
            ("X-Spam-Flag", "NO"),
        ]);
        let v = spam_trust().evaluate(&hs);
        assert_eq!(v.spam_flag(), "yes");
        assert_eq!(v.ignored_spam, 1);
        assert!(v.spam.unwrap().evidence.starts_with("X-Spam-Flag: YES"));
        // Not trusted by default: nothing is read.
        assert_eq!(TrustConfig::default().evaluate(&hs).spam_flag(), "none");
        // The sender's own claim, below the border, is ignored.
        let forged = pairs(&[
            (
                "Received",
                "from relay.example (relay.example [203.0.113.9]) by mx.djpk.test",
            ),
            ("X-Spam-Flag", "NO"),
            ("X-Spamd-Result", "default: False [0.0 / 15.0]"),
        ]);
        assert_eq!(spam_trust().evaluate(&forged).spam_flag(), "none");
    }

    #[test]
    fn rspamd_headers_are_read() {
        for (name, value, flag) in [
            (
                "X-Spamd-Result",
                "default: True [16.20 / 15.00]; GTUBE(0.00)",
                "yes",
            ),
            ("X-Spamd-Result", "default: False [1.20 / 15.00]", "no"),
            ("X-Spam", "Yes", "yes"),
            ("X-Spam-Status", "No, score=-0.1 required=5.0", "no"),
            ("X-Spam-Flag", "maybe", "none"),
        ] {
            let hs = pairs(&[(name, value)]);
            assert_eq!(
                spam_trust().evaluate(&hs).spam_flag(),
                flag,
                "{name}: {value}"
            );
        }
    }

    use super::*;

    fn headers(text: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some(last) = out.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(line.trim());
                }
            } else if let Some((n, v)) = line.split_once(':') {
                out.push((n.to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        out
    }

    fn trust(internal: &[&str]) -> TrustConfig {
        TrustConfig {
            authserv_ids: vec!["mx.djpk.test".into()],
            internal_networks: internal.iter().map(|n| n.parse().unwrap()).collect(),
            spam_headers: false,
        }
    }

    const DELIVERED: &str = "Return-Path: <a@warga.test>\n\
Received: from mail.djpk.test\n\tby mail.djpk.test with LMTP id x\n\
Authentication-Results: mx.djpk.test; spf=pass smtp.mailfrom=warga.test; dkim=pass header.d=warga.test; dmarc=pass header.from=warga.test\n\
Received: from [127.0.0.1] (unknown [192.0.2.7])\n\tby mail.djpk.test (Postfix) with ESMTP id 1\n\
Authentication-Results: mx.djpk.test; dmarc=fail header.from=warga.test\n\
From: a@warga.test\n";

    #[test]
    fn only_the_receiving_servers_results_above_its_received_line_count() {
        let v = trust(&[]).evaluate(&headers(DELIVERED));
        assert_eq!(
            v.result("dmarc"),
            AuthResult::Pass,
            "the forged fail below is ignored"
        );
        assert_eq!(v.ignored, 1);
        assert_eq!(
            v.sender(Some("warga.test")),
            SenderAuth::Authenticated(Method::Dmarc)
        );
        assert!(!v.internal_route);
        assert!(v.source().contains("mx.djpk.test"), "{}", v.source());
    }

    #[test]
    fn a_forged_pass_below_the_border_or_of_another_server_changes_nothing() {
        let forged = "Received: from mail.djpk.test by mail.djpk.test with LMTP\n\
Authentication-Results: mx.djpk.test; spf=fail smtp.mailfrom=kemenkeu.go.id; dmarc=fail header.from=kemenkeu.go.id\n\
Received: from x (unknown [198.51.100.1]) by mail.djpk.test\n\
Authentication-Results: mx.djpk.test; dmarc=pass header.from=kemenkeu.go.id\n\
Authentication-Results: mx.djpk.test (forged); dmarc=pass\n";
        let v = trust(&[]).evaluate(&headers(forged));
        assert_eq!(
            v.sender(Some("kemenkeu.go.id")),
            SenderAuth::Failed(Method::Dmarc)
        );
        assert_eq!(v.ignored, 2);
        // A header of another authserv-id above the border is not believed either.
        let other = "Authentication-Results: evil.example; dmarc=pass header.from=kemenkeu.go.id\n";
        let v = trust(&[]).evaluate(&headers(other));
        assert_eq!(v.sender(Some("kemenkeu.go.id")), SenderAuth::Unverified);
        assert_eq!(v.ignored, 1);
    }

    #[test]
    fn without_a_configured_authserv_id_nobody_is_authenticated() {
        let v = TrustConfig::default().evaluate(&headers(DELIVERED));
        assert_eq!(v.sender(Some("warga.test")), SenderAuth::Unverified);
        assert_eq!(v.result("dmarc"), AuthResult::None);
        assert!(v.source().contains("authserv_ids"));
    }

    #[test]
    fn a_pass_for_another_domain_does_not_vouch_for_from() {
        let h = "Authentication-Results: mx.djpk.test; spf=pass smtp.mailfrom=evil.test; dkim=pass header.d=evil.test; dmarc=pass header.from=evil.test\n";
        let v = trust(&[]).evaluate(&headers(h));
        assert_eq!(v.sender(Some("gmail.com")), SenderAuth::Unverified);
        assert_eq!(
            v.sender(Some("evil.test")),
            SenderAuth::Authenticated(Method::Dmarc)
        );
        assert_eq!(
            v.sender(Some("mail.evil.test")),
            SenderAuth::Authenticated(Method::Dmarc)
        );
    }

    #[test]
    fn without_dmarc_spf_or_dkim_decide() {
        let h = "Authentication-Results: mx.djpk.test; spf=fail smtp.mailfrom=a@pemda.go.id; dkim=pass header.d=pemda.go.id (good sig); dmarc=none\n";
        let v = trust(&[]).evaluate(&headers(h));
        assert_eq!(
            v.sender(Some("pemda.go.id")),
            SenderAuth::Authenticated(Method::Dkim)
        );
        assert_eq!(v.dkim_domains().collect::<Vec<_>>(), vec!["pemda.go.id"]);
        let h =
            "Authentication-Results: mx.djpk.test; spf=fail smtp.mailfrom=pemda.go.id; dkim=none\n";
        let v = trust(&[]).evaluate(&headers(h));
        assert_eq!(
            v.sender(Some("pemda.go.id")),
            SenderAuth::Failed(Method::Spf)
        );
    }

    #[test]
    fn a_message_that_never_left_the_internal_networks_arrived_by_an_internal_route() {
        let inside = "Received: from mail.djpk.test by mail.djpk.test with LMTP\n\
Received: from [127.0.0.1] (unknown [10.1.2.3]) by mail.djpk.test (Postfix)\n\
From: pic@djpk.test\n";
        let v = trust(&["10.0.0.0/8"]).evaluate(&headers(inside));
        assert!(v.internal_route);
        assert_eq!(
            v.sender(Some("djpk.test")),
            SenderAuth::Authenticated(Method::InternalRoute)
        );
        // The HELO name is the client's claim: only the address the server saw counts.
        let outside =
            "Received: from [10.1.2.3] (unknown [192.0.2.9]) by mail.djpk.test (Postfix)\n\
Received: from x (y [10.1.2.3]) by z\n";
        let v = trust(&["10.0.0.0/8"]).evaluate(&headers(outside));
        assert!(!v.internal_route);
        // Appended with IMAP (no Received at all): nothing shows the route.
        let v = trust(&["10.0.0.0/8"]).evaluate(&headers("From: pic@djpk.test\n"));
        assert!(!v.internal_route);
    }

    #[test]
    fn crafted_headers_stay_cheap_and_harmless() {
        let mut h = String::from("Authentication-Results: mx.djpk.test");
        for _ in 0..10_000 {
            h.push_str("; dkim=pass header.d=x.test");
        }
        h.push('\n');
        let v = trust(&[]).evaluate(&headers(&h));
        assert_eq!(v.dkim.len(), MAX_RESULTS);
        assert!(AuthResults::parse("").is_none());
        assert!(AuthResults::parse("dmarc=pass").is_none());
        assert_eq!(strip_comments("a (b (c) d) e"), "a  e");
    }
}
