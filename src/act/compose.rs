//! Writing the mail pilah sends: forwards to PICs and acknowledgements to senders.
//!
//! Forwards carry the original as a `message/rfc822` attachment, untouched, from pilah's own
//! address with `Reply-To` set to the sender: redirecting with the sender's address would
//! fail SPF/DMARC at the PICs' server. Every message gets a Message-ID derived from its
//! ticket, so a duplicate after a crash is recognisable as such. A forward is composed
//! without the original's bytes ([`Forward`]: what comes before and after it); they are put
//! in from the stored raw file when it is sent.
//!
//! It must not send, queue or record anything: it returns what to send, and the store and
//! the outbox do the rest.

use super::template::{Template, Vars};
use crate::classify::rules::{Category, Unit};
use crate::parse::Mail;
use crate::region::Region;
pub use crate::store::OriginalEncoding;
use crate::trust::SenderAuth;
use crate::types::{MailboxName, OutboxKind, Ticket};
use chrono::{DateTime, Datelike, Timelike, Utc};
use lettre::message::header::{
    ContentDisposition, ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue,
};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("{what}: {address:?} is not a usable e-mail address")]
    Address { what: &'static str, address: String },
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("cannot build the forward: the original's place is missing from the built message")]
    Placeholder,
}

macro_rules! text_header {
    ($ty:ident, $name:literal) => {
        #[derive(Debug, Clone)]
        pub struct $ty(pub String);
        impl Header for $ty {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($name)
            }
            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok($ty(s.to_string()))
            }
            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

text_header!(AutoSubmitted, "Auto-Submitted");
text_header!(AutoResponseSuppress, "X-Auto-Response-Suppress");
text_header!(PilahTicket, "X-Pilah-Ticket");
text_header!(PilahKind, "X-Pilah-Kind");

/// Longest subject taken from a message into pilah's own mail, in characters.
pub const MAX_SUBJECT: usize = 200;
/// Longest display name or file name taken from a message, in characters.
pub const MAX_NAME: usize = 100;
/// Most Message-IDs of a message's `References` carried on (the last ones).
pub const MAX_REFERENCES: usize = 20;

/// Text from a message made safe for a header (or a line of pilah's own text): every control
/// character and line break (CR, LF, TAB, NUL, C1, U+2028/U+2029, …) becomes a space, runs
/// of white space collapse to one, and the result is at most `max` characters (with `…`
/// when cut). Everything the sender wrote goes through this before it reaches a composer.
pub fn header_text(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max.saturating_mul(4)));
    let (mut chars, mut space) = (0usize, false);
    for c in s.chars() {
        if c.is_control() || c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if chars + usize::from(space) >= max {
            // Cut: the last character says so.
            out.pop();
            out.push('…');
            break;
        }
        if std::mem::take(&mut space) {
            out.push(' ');
            chars += 1;
        }
        out.push(c);
        chars += 1;
    }
    out
}

/// A Message-ID from a message, bracketed, when it can go into a header as it is: printable
/// ASCII without spaces or brackets, of a sane length. Anything else is left out.
fn message_id_ref(id: &str) -> Option<String> {
    let ok = !id.is_empty()
        && id.len() <= 250
        && id
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>');
    ok.then(|| format!("<{id}>"))
}

/// The sender's display name as it may appear in a header, if any is left.
fn display_name(mail: &Mail) -> Option<String> {
    mail.from_name
        .as_deref()
        .map(|n| header_text(n, MAX_NAME))
        .filter(|n| !n.is_empty())
}

/// The sender's subject without ticket tags, made safe for a header.
fn clean_subject(mail: &Mail) -> String {
    header_text(&crate::ticket::strip_tags(&mail.subject), MAX_SUBJECT)
}

/// What pilah says about itself on outgoing mail.
pub struct Sender<'a> {
    /// pilah's own address (forwards come from it).
    pub address: &'a str,
    pub name: &'a str,
}

/// Everything the forward's summary and the templates talk about.
pub struct Context<'a> {
    pub ticket: &'a Ticket,
    pub mailbox: &'a MailboxName,
    pub mailbox_address: &'a str,
    pub mail: &'a Mail,
    pub category: &'a Category,
    pub rule: &'a str,
    pub region: Option<&'a Region>,
    pub region_source: Option<&'a str>,
    pub received: DateTime<Utc>,
    pub timezone: chrono_tz::Tz,
    /// A follow-up on the ticket (the message's row id, to keep Message-IDs unique).
    pub followup: Option<i64>,
    /// Show the mailbox in `Cc` of forwards, so that a reply-all reaches it.
    pub cc_mailbox: bool,
    /// Where answers to the sender go (see [`reply_address`]); `None`: nowhere.
    pub reply_to: Option<&'a str>,
    /// What the receiving server vouched for about the sender.
    pub sender_auth: SenderAuth,
    /// Tickets the message refers to but was not allowed to join.
    pub mentions: &'a [String],
    /// A correction sends the ticket here: where it was before (a unit's name, or a
    /// category's label when it had no unit), said on top of the forward.
    pub redirected_from: Option<&'a str>,
}

const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// Indonesian month name, 1-based.
pub fn month_name(m: u32) -> &'static str {
    MONTHS[(m.clamp(1, 12) - 1) as usize]
}

/// "5 Maret 2024 09.30 WIB".
pub fn indonesian_time(t: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    let l = t.with_timezone(&tz);
    let zone = match tz.name() {
        "Asia/Jakarta" | "Asia/Pontianak" => "WIB".to_string(),
        "Asia/Makassar" => "WITA".to_string(),
        "Asia/Jayapura" => "WIT".to_string(),
        other => other.to_string(),
    };
    format!(
        "{} {} {} {:02}.{:02} {}",
        l.day(),
        month_name(l.month()),
        l.year(),
        l.hour(),
        l.minute(),
        zone
    )
}

fn domain_of_sender(s: &Sender) -> String {
    id_domain(s.address).to_string()
}

/// The domain of pilah's own Message-IDs: that of its address.
pub fn id_domain(address: &str) -> &str {
    address
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or("pilah.invalid")
}

/// A plain-text notice from pilah itself (composed by [`super::notice`]).
pub struct Notice<'a> {
    /// `X-Pilah-Kind`: alert, reminder, escalation, digest, alert-digest.
    pub kind: OutboxKind,
    pub message_id: String,
    pub to: &'a [String],
    pub subject: String,
    pub text: String,
    pub ticket: Option<&'a str>,
    pub reply_to: Option<&'a str>,
    /// The forward this notice is about (threads it with the ticket).
    pub about: Option<String>,
}

/// Builds a notice; an error names the address lettre refused.
pub fn notice(sender: &Sender, n: Notice) -> Result<Vec<u8>, ComposeError> {
    let mut b = Message::builder()
        .from(mailbox(Some(sender.name), sender.address, "smtp.from")?)
        .subject(header_text(&n.subject, MAX_SUBJECT))
        .message_id(Some(n.message_id))
        .date_now()
        .header(AutoSubmitted("auto-generated".into()))
        .header(PilahKind(n.kind.as_str().into()));
    if let Some(t) = n.ticket {
        b = b.header(PilahTicket(t.into()));
    }
    for r in n.to {
        b = b.to(mailbox(None, r, "recipient")?);
    }
    if let Some(r) = n.reply_to.and_then(|r| mailbox(None, r, "reply-to").ok()) {
        b = b.reply_to(r);
    }
    if let Some(about) = n.about {
        b = b.references(about.clone()).in_reply_to(about);
    }
    Ok(b.body(n.text)?.formatted())
}

/// How pilah's own Message-ID ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageIdStyle {
    /// `<KEY.RANDOM@domain>`: mail about a ticket. The random part makes it unguessable: a
    /// reply that cites it comes from someone who received the mail.
    Unguessable,
    /// `<KEY@domain>`: a notice that must be queued once (the outbox keeps Message-IDs
    /// unique), e.g. one digest per unit and day.
    Keyed,
}

/// Every Message-ID pilah writes: `<KEY[.RANDOM]@domain>`, the domain that of its address.
pub fn own_message_id(key: &str, domain: &str, style: MessageIdStyle) -> String {
    match style {
        MessageIdStyle::Unguessable => format!("<{key}.{}@{domain}>", random_token()),
        MessageIdStyle::Keyed => format!("<{key}@{domain}>"),
    }
}

/// The Message-ID of a ticket's mail: `<TICKET.WHAT.RANDOM@domain>` (`ack`,
/// `fwd.UNIT`, `reminder`, …).
pub fn outgoing_message_id(ticket: &Ticket, what: &str, sender: &Sender) -> String {
    own_message_id(
        &format!("{ticket}.{what}"),
        domain_of_sender(sender).as_str(),
        MessageIdStyle::Unguessable,
    )
}

/// 96 random bits, hex. The system's generator cannot fail on Linux once booted; should it,
/// the time and process id stand in (unique, if not unguessable) rather than stop pilah.
fn random_token() -> String {
    let mut bytes = [0u8; 12];
    if getrandom::fill(&mut bytes).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        bytes[..8].copy_from_slice(&(t as u64).to_le_bytes());
        bytes[8..].copy_from_slice(&std::process::id().to_le_bytes());
    }
    crate::store::hex(&bytes)
}

fn mailbox(name: Option<&str>, addr: &str, what: &'static str) -> Result<Mailbox, ComposeError> {
    let address: Address = addr.parse().map_err(|_| ComposeError::Address {
        what,
        address: addr.to_string(),
    })?;
    Ok(Mailbox::new(name.map(|n| n.to_string()), address))
}

/// Where answers to the sender go: `Reply-To` only when the receiving server vouched for
/// the sender (anyone can write a stranger's address there), else `From`; nowhere when the
/// sender failed authentication.
pub fn reply_address(mail: &Mail, auth: SenderAuth) -> Option<&str> {
    match auth {
        SenderAuth::Failed(_) => None,
        SenderAuth::Authenticated(_) => mail.reply_to.as_deref().or(mail.from.as_deref()),
        SenderAuth::Unverified => mail.from.as_deref(),
    }
}

/// How much of the sender's subject an acknowledgement repeats, in characters.
const ECHO_SUBJECT: usize = 60;
/// How much of the sender's display name an acknowledgement repeats.
const ECHO_NAME: usize = 40;

/// At most `max` characters of `text`, control characters and runs of white space made one
/// space, links replaced by `[tautan]`, `…` when cut: what an acknowledgement repeats of a
/// stranger's words (so that pilah cannot be made to deliver someone's link or lure).
pub fn echo(text: &str, max: usize) -> String {
    let is_link = |w: &str| {
        let w = w.to_ascii_lowercase();
        w.contains("://") || w.starts_with("www.") || (w.contains('.') && w.contains('/'))
    };
    let clean = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .map(|w| if is_link(w) { "[tautan]" } else { w })
        .collect::<Vec<_>>()
        .join(" ");
    match clean.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", clean[..cut].trim_end()),
        None => clean,
    }
}

fn template_vars(ctx: &Context) -> Vars {
    let mut v = Vars::new();
    let sender = header_text(ctx.mail.from.as_deref().unwrap_or_default(), MAX_NAME);
    v.insert("ticket", ctx.ticket.to_string());
    let subject = crate::ticket::strip_tags(&ctx.mail.subject);
    let subject = echo(&subject, ECHO_SUBJECT);
    v.insert(
        "subject",
        if subject.is_empty() {
            "(tanpa subjek)".to_string()
        } else {
            subject
        },
    );
    v.insert(
        "sender_name",
        echo(
            ctx.mail.from_name.as_deref().unwrap_or(sender.as_str()),
            ECHO_NAME,
        ),
    );
    v.insert("sender", sender);
    v.insert("category", ctx.category.id.clone());
    v.insert("category_label", ctx.category.label.clone());
    v.insert("mailbox", ctx.mailbox.to_string());
    v.insert("mailbox_address", ctx.mailbox_address.to_string());
    v.insert("received", indonesian_time(ctx.received, ctx.timezone));
    v
}

/// The text on top of a forward, for the PIC.
pub fn summary(ctx: &Context, unit: &Unit) -> String {
    let m = ctx.mail;
    let intro = match ctx.followup {
        Some(_) => format!(
            "Tindak lanjut dari pengirim untuk tiket {}: pesan ini diteruskan otomatis oleh pilah,\n\
             Contact Center DJPK, kepada PIC {}.",
            ctx.ticket, unit.name
        ),
        None => format!(
            "Pesan ini diteruskan otomatis oleh pilah, Contact Center DJPK, kepada PIC {}.",
            unit.name
        ),
    };
    let intro = match ctx.redirected_from {
        Some(from) => format!(
            "Dialihkan dari {from}: Contact Center DJPK memindahkan tiket ini ke unit Anda.\n{intro}"
        ),
        None => intro,
    };
    let mentions = if ctx.mentions.is_empty() {
        String::new()
    } else {
        format!(
            "Catatan    : pesan ini menyebut tiket {}, tetapi pengirimnya tidak dapat dipastikan\n\
             \x20            sebagai pengirim tiket tersebut, sehingga dicatat sebagai tiket baru.\n",
            ctx.mentions.join(", ")
        )
    };
    format!(
        "{intro}\n\
         \n\
         Tiket      : {ticket}\n\
         Kotak surat: {mailbox} ({mailbox_address})\n\
         Kategori   : {label} ({cat})\n\
         Aturan     : {rule}\n\
         Pengirim   : {sender}\n\
         Keaslian   : {auth}\n\
         Daerah     : {region}\n\
         Diterima   : {received}\n\
         Subjek     : {subject}\n\
         Lampiran   : {attachments}\n\
         {mentions}\
         \n\
         Pesan asli terlampir utuh, termasuk lampirannya. Untuk menjawab pengirim, cukup\n\
         balas e-mail ini (Reply-To sudah berisi alamat pengirim) dan sebutkan nomor tiket\n\
         [{ticket}] pada subjek.\n",
        ticket = ctx.ticket,
        sender = summary_sender(m),
        auth = summary_auth(ctx.sender_auth),
        region = summary_region(ctx),
        attachments = summary_attachments(m),
        mailbox = ctx.mailbox,
        mailbox_address = ctx.mailbox_address,
        label = ctx.category.label,
        cat = ctx.category.id,
        rule = ctx.rule,
        received = indonesian_time(ctx.received, ctx.timezone),
        subject = match header_text(&m.subject, MAX_SUBJECT) {
            s if s.is_empty() => "(tanpa subjek)".to_string(),
            s => s,
        },
    )
}

/// The summary's sender: display name and address, cleaned.
fn summary_sender(m: &Mail) -> String {
    let from = m.from.as_deref().map(|a| header_text(a, MAX_NAME));
    match (display_name(m), from) {
        (Some(n), Some(a)) => format!("{n} <{a}>"),
        (None, Some(a)) => a,
        (Some(n), None) => n,
        (None, None) => "(tidak diketahui)".to_string(),
    }
}

/// What the receiving server vouched for about the sender, for the PICs.
fn summary_auth(auth: SenderAuth) -> String {
    match auth {
        SenderAuth::Authenticated(m) => format!("terverifikasi oleh server penerima ({m})"),
        SenderAuth::Failed(m) => {
            format!("GAGAL verifikasi ({m}): alamat pengirim kemungkinan dipalsukan")
        }
        SenderAuth::Unverified => {
            "tidak terverifikasi (alamat pengirim belum tentu asli)".to_string()
        }
    }
}

/// The sender's region and how it was recognised.
fn summary_region(ctx: &Context) -> String {
    match (ctx.region, ctx.region_source) {
        (Some(r), Some(src)) => format!(
            "{} ({}, {}), dikenali dari {}",
            r.display_name(),
            r.province_name,
            r.timezone,
            src
        ),
        (Some(r), None) => r.display_name(),
        _ => "tidak dikenali".to_string(),
    }
}

/// How many attachments, and their (cleaned) names.
fn summary_attachments(m: &Mail) -> String {
    if m.attachments.is_empty() {
        return "tidak ada".to_string();
    }
    let names: Vec<String> = m
        .attachments
        .iter()
        .map(
            |a| match a.name.as_deref().map(|n| header_text(n, MAX_NAME)) {
                Some(n) if !n.is_empty() => n,
                _ => "(tanpa nama)".to_string(),
            },
        )
        .collect();
    format!("{} ({})", names.len(), names.join(", "))
}

/// Stands in the forward for the original: where the stored raw file's bytes go when the
/// forward is sent.
const ORIGINAL_PLACEHOLDER: &str = "@@PILAH-ORIGINAL-MESSAGE-7f3c9a1e@@";

/// How the original can travel as a `message/rfc822` part: 7bit or 8bit, or not at all
/// (bare LF or CR, NUL, a line over 998 bytes: then it goes as a base64 `.eml` file).
fn rfc822_encoding(raw: &[u8]) -> Option<ContentTransferEncoding> {
    let (mut eight, mut line, mut prev) = (false, 0usize, 0u8);
    for &b in raw {
        match b {
            b'\n' if prev != b'\r' => return None,
            b'\n' => line = 0,
            0 => return None,
            _ if prev == b'\r' => return None,
            b'\r' => {}
            _ => {
                line += 1;
                if line > 998 {
                    return None;
                }
                eight |= b >= 0x80;
            }
        }
        prev = b;
    }
    if prev == b'\r' {
        return None;
    }
    Some(if eight {
        ContentTransferEncoding::EightBit
    } else {
        ContentTransferEncoding::SevenBit
    })
}

/// The part that carries the original, holding a placeholder: the original's bytes are never
/// copied through the MIME builder, and are not part of the forward as queued (see
/// [`Forward`]). `message/rfc822` when its bytes can travel as they are, otherwise an
/// `application/octet-stream` `.eml` file in base64.
fn original_part(raw: &[u8]) -> (SinglePart, OriginalEncoding) {
    let placeholder = ORIGINAL_PLACEHOLDER.as_bytes().to_vec();
    match rfc822_encoding(raw) {
        Some(encoding) => (
            SinglePart::builder()
                .header(ContentType::parse("message/rfc822").expect("static content type"))
                .header(ContentDisposition::inline_with_name("pesan-asli.eml"))
                .body(Body::dangerous_pre_encoded(placeholder, encoding)),
            OriginalEncoding::AsIs,
        ),
        None => (
            SinglePart::builder()
                .header(
                    ContentType::parse("application/octet-stream").expect("static content type"),
                )
                .header(ContentDisposition::attachment("pesan-asli.eml"))
                .body(Body::dangerous_pre_encoded(
                    placeholder,
                    ContentTransferEncoding::Base64,
                )),
            OriginalEncoding::Base64,
        ),
    }
}

/// A forward as queued: pilah's own bytes before and after the original, which is not
/// copied here. The original's bytes come from the stored raw file when the forward is sent
/// (`Store::outbox_body`), so the database holds only what is pilah's own, and a large
/// message is never in memory twice while it is judged.
#[derive(Debug, Clone)]
pub struct Forward {
    pub message_id: String,
    /// Everything up to the original: headers, summary, the attachment's part header.
    pub head: Vec<u8>,
    /// Everything after it: the end of the MIME structure.
    pub tail: Vec<u8>,
    pub original: OriginalEncoding,
}

/// A forward of the original to one unit's PICs. `raw` is only looked at (how it can
/// travel), never copied: see [`Forward`].
pub fn forward(
    ctx: &Context,
    unit: &Unit,
    raw: &[u8],
    sender: &Sender,
) -> Result<Forward, ComposeError> {
    crate::guard::compose_fault(&ctx.mail.subject);
    let kind = match ctx.followup {
        Some(row) => format!("fwd.{}.{row}", unit.id),
        None => format!("fwd.{}", unit.id),
    };
    let id = outgoing_message_id(ctx.ticket, &kind, sender);
    let subject = format!(
        "[{}] [{}{}] {}",
        ctx.ticket,
        if ctx.followup.is_some() {
            "Tindak lanjut: "
        } else if ctx.redirected_from.is_some() {
            "Dialihkan: "
        } else {
            ""
        },
        ctx.category.label,
        match clean_subject(ctx.mail) {
            s if s.is_empty() => "(tanpa subjek)".to_string(),
            s => s,
        }
    );
    let mut b = Message::builder()
        .from(mailbox(Some(sender.name), sender.address, "smtp.from")?)
        .subject(subject)
        .message_id(Some(id.clone()))
        .date_now()
        .header(AutoSubmitted("auto-generated".into()))
        .header(PilahTicket(ctx.ticket.to_string()))
        .header(PilahKind("forward".into()));
    for pic in &unit.pics {
        b = b.to(mailbox(None, pic, "unit PIC")?);
    }
    if let Some(reply) = ctx.reply_to {
        if let Ok(mb) = mailbox(display_name(ctx.mail).as_deref(), reply, "sender") {
            b = b.reply_to(mb);
        }
    }
    if ctx.cc_mailbox {
        // Shown, not delivered: the envelope holds only the PICs.
        if let Ok(mb) = mailbox(None, ctx.mailbox_address, "mailbox address") {
            b = b.cc(mb);
        }
    }
    if let Some(orig) = ctx.mail.message_id.as_deref().and_then(message_id_ref) {
        b = b.references(orig);
    }
    let (part, original) = original_part(raw);
    let msg = b.multipart(
        MultiPart::mixed()
            .singlepart(SinglePart::plain(summary(ctx, unit)))
            .singlepart(part),
    )?;
    let mut formatted = msg.formatted();
    drop(msg);
    let token = ORIGINAL_PLACEHOLDER.as_bytes();
    let Some(at) = formatted.windows(token.len()).position(|w| w == token) else {
        return Err(ComposeError::Placeholder);
    };
    let mut tail = Vec::with_capacity(formatted.len() - at - token.len() + 2);
    if original == OriginalEncoding::AsIs && !raw.ends_with(b"\r\n") {
        tail.extend_from_slice(b"\r\n");
    }
    tail.extend_from_slice(&formatted[at + token.len()..]);
    formatted.truncate(at);
    Ok(Forward {
        message_id: id,
        head: formatted,
        tail,
        original,
    })
}

/// The acknowledgement to the sender, from the mailbox's own address.
pub fn acknowledgement(
    ctx: &Context,
    template: &Template,
    to: &str,
    sender: &Sender,
) -> Result<(String, Message), ComposeError> {
    crate::guard::compose_fault(&ctx.mail.subject);
    let id = outgoing_message_id(ctx.ticket, "ack", sender);
    let vars = template_vars(ctx);
    let mut b = Message::builder()
        .from(mailbox(
            Some(sender.name),
            ctx.mailbox_address,
            "mailbox address",
        )?)
        .to(mailbox(None, to, "sender")?)
        .subject(template.render_subject(&vars))
        .message_id(Some(id.clone()))
        .date_now()
        .header(AutoSubmitted("auto-replied".into()))
        .header(AutoResponseSuppress("All".into()))
        .header(PilahTicket(ctx.ticket.to_string()))
        .header(PilahKind("ack".into()));
    if let Some(orig) = ctx.mail.message_id.as_deref().and_then(message_id_ref) {
        let refs = &ctx.mail.references;
        let mut refs: Vec<String> = refs[refs.len().saturating_sub(MAX_REFERENCES)..]
            .iter()
            .filter_map(|r| message_id_ref(r))
            .collect();
        refs.push(orig.clone());
        b = b.in_reply_to(orig).references(refs.join(" "));
    }
    let msg = b.singlepart(SinglePart::plain(template.render_body(&vars)))?;
    Ok((id, msg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::append_base64;

    #[test]
    fn which_originals_travel_as_message_rfc822() {
        assert!(matches!(
            rfc822_encoding(b"Subject: a\r\n\r\nhalo\r\n"),
            Some(ContentTransferEncoding::SevenBit)
        ));
        assert!(matches!(
            rfc822_encoding("Subject: á\r\n\r\nhalo\r\n".as_bytes()),
            Some(ContentTransferEncoding::EightBit)
        ));
        assert!(rfc822_encoding(b"Subject: a\n\nbare lf\n").is_none());
        assert!(rfc822_encoding(b"a\rb\r\n").is_none());
        assert!(rfc822_encoding(&[b'a'; 1200]).is_none());
        assert!(rfc822_encoding(b"nul\x00\r\n").is_none());
    }

    #[test]
    fn base64_of_the_original_is_wrapped_and_sized_up_front() {
        let b64 = |raw: &[u8]| {
            let mut out = Vec::new();
            let n = append_base64(raw, &mut out, &mut sha2::Sha256::default()).unwrap();
            assert_eq!(n, raw.len());
            assert_eq!(out.len(), OriginalEncoding::Base64.encoded_len(raw.len()));
            String::from_utf8(out).unwrap()
        };
        assert_eq!(b64(b""), "");
        assert_eq!(b64(b"M"), "TQ==");
        assert_eq!(b64(b"Ma"), "TWE=");
        assert_eq!(b64(b"Man"), "TWFu");
        let raw: Vec<u8> = (0..200_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for len in (0..300).chain([57 * 1024 - 1, 57 * 1024, 57 * 1024 + 1, 200_000]) {
            let text = b64(&raw[..len]);
            let lines: Vec<&str> = text.split("\r\n").collect();
            assert!(lines.iter().all(|l| l.len() <= 76), "{len}");
            assert!(
                lines[..lines.len() - 1].iter().all(|l| l.len() == 76),
                "{len}"
            );
            // Same as lettre's own base64 body, line breaks aside.
            let lettre = Body::new(raw[..len].to_vec());
            if lettre.encoding() == ContentTransferEncoding::Base64 {
                let theirs: Vec<u8> = lettre
                    .into_vec()
                    .into_iter()
                    .filter(|b| !b"\r\n".contains(b))
                    .collect();
                assert_eq!(text.replace("\r\n", "").as_bytes(), &theirs[..], "{len}");
            }
        }
    }

    #[test]
    fn an_acknowledgement_repeats_little_of_a_strangers_words() {
        assert_eq!(echo("Laporan\r\nBcc: x\t DBH", 60), "Laporan Bcc: x DBH");
        assert_eq!(
            echo("Klik http://phish.example/a atau www.phish.example", 60),
            "Klik [tautan] atau [tautan]"
        );
        let long = "a".repeat(100);
        assert_eq!(echo(&long, 10), format!("{}…", "a".repeat(10)));
        assert_eq!(echo("ÀÀÀ", 2), "ÀÀ…");
    }

    #[test]
    fn text_from_mail_loses_its_line_breaks_and_control_characters_before_a_header() {
        assert_eq!(
            header_text("Evil\nBcc: x@y.test", 100),
            "Evil Bcc: x@y.test"
        );
        assert_eq!(
            header_text("  a\r\n\tb\u{0}c\u{85}d\u{2028}e  ", 100),
            "a b c d e"
        );
        assert_eq!(header_text("\n\r\u{7}", 100), "");
        assert_eq!(header_text("Laporan DBH", 100), "Laporan DBH");
        let long = "x".repeat(1000);
        let cut = header_text(&long, 10);
        assert_eq!(cut.chars().count(), 10);
        assert!(cut.ends_with('…'));
        assert_eq!(header_text(&"x".repeat(10), 10), "x".repeat(10));
        assert_eq!(header_text("ááá ééé", 5).chars().count(), 5);
    }

    #[test]
    fn a_message_id_goes_into_a_header_only_when_it_is_plain() {
        assert_eq!(message_id_ref("a1@b.test").as_deref(), Some("<a1@b.test>"));
        assert_eq!(message_id_ref("a\n@b"), None);
        assert_eq!(message_id_ref("a b@c"), None);
        assert_eq!(message_id_ref("a>@c"), None);
        assert_eq!(message_id_ref(""), None);
    }

    #[test]
    fn a_display_name_with_a_line_break_composes_a_clean_acknowledgement() {
        let mut mail = crate::parse::parse(
            b"From: =?UTF-8?Q?Evil=0ABcc:_x@y.test?= <a@b.test>\r\nSubject: =?UTF-8?Q?Halo=0D=0ABcc:_z@y.test?=\r\nMessage-ID: <m1@b.test>\r\n\r\nisi\r\n",
        )
        .unwrap();
        assert!(mail.from_name.as_deref().unwrap_or("").contains('\n'));
        mail.references = (0..100).map(|i| format!("r{i}@b.test")).collect();
        let ticket: Ticket = "LPR-2024-000001".parse().unwrap();
        let mailbox = MailboxName("lapor".into());
        let category = Category {
            id: "umum".into(),
            label: "Umum".into(),
            mailboxes: Vec::new(),
            unit: None,
            ack: None,
            folder: "Pilah/umum".into(),
        };
        let unit = Unit {
            id: "u".into(),
            name: "U".into(),
            pics: vec!["pic@djpk.test".into()],
            supervisor: None,
            remind_after_hours: None,
            escalate_after_hours: None,
            daily_digest: false,
        };
        let ctx = Context {
            ticket: &ticket,
            mailbox: &mailbox,
            mailbox_address: "lapor@djpk.test",
            mail: &mail,
            category: &category,
            rule: "r",
            region: None,
            region_source: None,
            received: Utc::now(),
            timezone: chrono_tz::Asia::Jakarta,
            followup: None,
            cc_mailbox: false,
            reply_to: reply_address(&mail, SenderAuth::Unverified),
            sender_auth: SenderAuth::Unverified,
            mentions: &[],
            redirected_from: None,
        };
        let template = Template::parse(
            "t",
            std::path::Path::new("t.txt"),
            "Subject: Re: {subject} [{ticket}]\n\nYth. {sender_name}\n",
            &mut crate::location::Diagnostics::default(),
        )
        .unwrap();
        let sender = Sender {
            address: "pilah@djpk.test",
            name: "pilah",
        };
        let (_, msg) = acknowledgement(&ctx, &template, "a@b.test", &sender).unwrap();
        let text = String::from_utf8(msg.formatted()).unwrap();
        let head = text.split("\r\n\r\n").next().unwrap();
        assert!(!head.lines().any(|l| l.starts_with("Bcc:")), "{head}");
        assert_eq!(
            head.matches("r9@b.test").count(),
            0,
            "only the last references"
        );
        assert_eq!(head.matches("r99@b.test").count(), 1);
        let summary = summary(&ctx, &unit);
        let fwd = forward(&ctx, &unit, b"From: a@b.test\r\n\r\nisi\r\n", &sender).unwrap();
        let head = String::from_utf8(fwd.head).unwrap();
        let head = head.split("\r\n\r\n").next().unwrap();
        assert!(!head.lines().any(|l| l.starts_with("Bcc:")), "{head}");
        assert!(
            summary.contains("Evil Bcc: x@y.test <a@b.test>"),
            "{summary}"
        );
        assert!(
            summary.contains("Subjek     : Halo Bcc: z@y.test"),
            "{summary}"
        );
    }

    #[test]
    fn indonesian_dates() {
        let t = DateTime::parse_from_rfc3339("2024-03-05T02:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            indonesian_time(t, chrono_tz::Asia::Jakarta),
            "5 Maret 2024 09.30 WIB"
        );
        assert_eq!(
            indonesian_time(t, chrono_tz::Asia::Jayapura),
            "5 Maret 2024 11.30 WIT"
        );
    }
}
