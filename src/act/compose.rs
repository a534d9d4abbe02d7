//! Writing the mail pilah sends: forwards to PICs and acknowledgements to senders.
//!
//! Forwards carry the original as a `message/rfc822` attachment, untouched, from pilah's own
//! address with `Reply-To` set to the sender: redirecting with the sender's address would
//! fail SPF/DMARC at the PICs' server. Every message gets a Message-ID derived from its
//! ticket, so a duplicate after a crash is recognisable as such.

use super::template::{Template, Vars};
use crate::classify::rules::{Category, Unit};
use crate::parse::Mail;
use crate::region::Region;
use crate::types::{MailboxName, Ticket};
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

/// A plain-text notice from pilah itself: alerts to the admin, reminders, digests.
pub struct Notice<'a> {
    /// `X-Pilah-Kind`: alert, reminder, escalation, digest.
    pub kind: &'a str,
    pub message_id: String,
    pub to: &'a [String],
    pub subject: String,
    pub text: String,
    pub ticket: Option<&'a str>,
    pub reply_to: Option<&'a str>,
    /// The forward this notice is about (threads it with the ticket).
    pub about: Option<String>,
}

/// Builds a notice; `None` when an address is unusable.
pub fn notice(sender: &Sender, n: Notice) -> Option<Vec<u8>> {
    let mut b = Message::builder()
        .from(mailbox(Some(sender.name), sender.address, "smtp.from").ok()?)
        .subject(n.subject)
        .message_id(Some(n.message_id))
        .date_now()
        .header(AutoSubmitted("auto-generated".into()))
        .header(PilahKind(n.kind.into()));
    if let Some(t) = n.ticket {
        b = b.header(PilahTicket(t.into()));
    }
    for r in n.to {
        b = b.to(mailbox(None, r, "recipient").ok()?);
    }
    if let Some(r) = n.reply_to.and_then(|r| mailbox(None, r, "reply-to").ok()) {
        b = b.reply_to(r);
    }
    if let Some(about) = n.about {
        b = b.references(about.clone()).in_reply_to(about);
    }
    b.body(n.text).ok().map(|m| m.formatted())
}

/// The stable Message-ID of an outgoing message: `<TICKET.KIND@domain>`.
pub fn outgoing_message_id(ticket: &Ticket, kind: &str, sender: &Sender) -> String {
    format!("<{}.{}@{}>", ticket, kind, domain_of_sender(sender))
}

fn mailbox(name: Option<&str>, addr: &str, what: &'static str) -> Result<Mailbox, ComposeError> {
    let address: Address = addr.parse().map_err(|_| ComposeError::Address {
        what,
        address: addr.to_string(),
    })?;
    Ok(Mailbox::new(name.map(|n| n.to_string()), address))
}

/// Where an acknowledgement goes: `Reply-To`, else `From`.
pub fn reply_address(mail: &Mail) -> Option<&str> {
    mail.reply_to.as_deref().or(mail.from.as_deref())
}

fn template_vars(ctx: &Context) -> Vars {
    let mut v = Vars::new();
    let sender = ctx.mail.from.clone().unwrap_or_default();
    v.insert("ticket", ctx.ticket.to_string());
    let subject = crate::ticket::strip_tags(&ctx.mail.subject);
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
        ctx.mail.from_name.clone().unwrap_or_else(|| sender.clone()),
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
    let sender = match (&m.from_name, &m.from) {
        (Some(n), Some(a)) => format!("{n} <{a}>"),
        (None, Some(a)) => a.clone(),
        (Some(n), None) => n.clone(),
        (None, None) => "(tidak diketahui)".to_string(),
    };
    let region = match (ctx.region, ctx.region_source) {
        (Some(r), Some(src)) => format!(
            "{} ({}, {}), dikenali dari {}",
            r.display_name(),
            r.province_name,
            r.timezone,
            src
        ),
        (Some(r), None) => r.display_name(),
        _ => "tidak dikenali".to_string(),
    };
    let attachments = if m.attachments.is_empty() {
        "tidak ada".to_string()
    } else {
        let names: Vec<&str> = m
            .attachments
            .iter()
            .map(|a| a.name.as_deref().unwrap_or("(tanpa nama)"))
            .collect();
        format!("{} ({})", names.len(), names.join(", "))
    };
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
    format!(
        "{intro}\n\
         \n\
         Tiket      : {ticket}\n\
         Kotak surat: {mailbox} ({mailbox_address})\n\
         Kategori   : {label} ({cat})\n\
         Aturan     : {rule}\n\
         Pengirim   : {sender}\n\
         Daerah     : {region}\n\
         Diterima   : {received}\n\
         Subjek     : {subject}\n\
         Lampiran   : {attachments}\n\
         \n\
         Pesan asli terlampir utuh, termasuk lampirannya. Untuk menjawab pengirim, cukup\n\
         balas e-mail ini (Reply-To sudah berisi alamat pengirim) dan sebutkan nomor tiket\n\
         [{ticket}] pada subjek.\n",
        ticket = ctx.ticket,
        mailbox = ctx.mailbox,
        mailbox_address = ctx.mailbox_address,
        label = ctx.category.label,
        cat = ctx.category.id,
        rule = ctx.rule,
        received = indonesian_time(ctx.received, ctx.timezone),
        subject = if m.subject.is_empty() {
            "(tanpa subjek)"
        } else {
            &m.subject
        },
    )
}

/// The original as an attachment: `message/rfc822` when its bytes allow, otherwise an
/// `application/octet-stream` `.eml` file (8-bit lines too long for SMTP, NULs, ...).
/// Stands in the forward for the original until the finished message is assembled.
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

/// The part that carries the original: `message/rfc822` holding a placeholder (the bytes are
/// put in place once, when the message is assembled, instead of being copied through the
/// MIME builder), or a base64 `.eml` file when the bytes cannot travel as they are.
fn original_part(raw: &[u8]) -> (SinglePart, bool) {
    match rfc822_encoding(raw) {
        Some(encoding) => (
            SinglePart::builder()
                .header(ContentType::parse("message/rfc822").expect("static content type"))
                .header(ContentDisposition::inline_with_name("pesan-asli.eml"))
                .header(encoding)
                .body(ORIGINAL_PLACEHOLDER.to_string()),
            true,
        ),
        None => (
            SinglePart::builder()
                .header(
                    ContentType::parse("application/octet-stream").expect("static content type"),
                )
                .header(ContentDisposition::attachment("pesan-asli.eml"))
                .body(
                    Body::new_with_encoding(raw.to_vec(), ContentTransferEncoding::Base64)
                        .unwrap_or_else(Body::new),
                ),
            false,
        ),
    }
}

/// A forward of the original to one unit's PICs.
pub fn forward(
    ctx: &Context,
    unit: &Unit,
    raw: &[u8],
    sender: &Sender,
) -> Result<(String, Vec<u8>), ComposeError> {
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
        } else {
            ""
        },
        ctx.category.label,
        match crate::ticket::strip_tags(&ctx.mail.subject) {
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
    if let Some(reply) = reply_address(ctx.mail) {
        if let Ok(mb) = mailbox(ctx.mail.from_name.as_deref(), reply, "sender") {
            b = b.reply_to(mb);
        }
    }
    if ctx.cc_mailbox {
        // Shown, not delivered: the envelope holds only the PICs.
        if let Ok(mb) = mailbox(None, ctx.mailbox_address, "mailbox address") {
            b = b.cc(mb);
        }
    }
    if let Some(orig) = &ctx.mail.message_id {
        b = b.references(format!("<{orig}>"));
    }
    let (part, placeholder) = original_part(raw);
    let msg = b.multipart(
        MultiPart::mixed()
            .singlepart(SinglePart::plain(summary(ctx, unit)))
            .singlepart(part),
    )?;
    let formatted = msg.formatted();
    drop(msg);
    if !placeholder {
        return Ok((id, formatted));
    }
    let token = ORIGINAL_PLACEHOLDER.as_bytes();
    let Some(at) = formatted.windows(token.len()).position(|w| w == token) else {
        return Err(ComposeError::Build(lettre::error::Error::MissingFrom));
    };
    let mut out = Vec::with_capacity(formatted.len() + raw.len());
    out.extend_from_slice(&formatted[..at]);
    out.extend_from_slice(raw);
    if !raw.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(&formatted[at + token.len()..]);
    Ok((id, out))
}

/// The acknowledgement to the sender, from the mailbox's own address.
pub fn acknowledgement(
    ctx: &Context,
    template: &Template,
    to: &str,
    sender: &Sender,
) -> Result<(String, Message), ComposeError> {
    let id = outgoing_message_id(ctx.ticket, "ack", sender);
    let vars = template_vars(ctx);
    let mut b = Message::builder()
        .from(mailbox(
            Some(sender.name),
            ctx.mailbox_address,
            "mailbox address",
        )?)
        .to(mailbox(ctx.mail.from_name.as_deref(), to, "sender")?)
        .subject(template.render_subject(&vars))
        .message_id(Some(id.clone()))
        .date_now()
        .header(AutoSubmitted("auto-replied".into()))
        .header(AutoResponseSuppress("All".into()))
        .header(PilahTicket(ctx.ticket.to_string()))
        .header(PilahKind("ack".into()));
    if let Some(orig) = &ctx.mail.message_id {
        let mut refs: Vec<String> = ctx
            .mail
            .references
            .iter()
            .map(|r| format!("<{r}>"))
            .collect();
        refs.push(format!("<{orig}>"));
        b = b
            .in_reply_to(format!("<{orig}>"))
            .references(refs.join(" "));
    }
    let msg = b.singlepart(SinglePart::plain(template.render_body(&vars)))?;
    Ok((id, msg))
}

#[cfg(test)]
mod tests {
    use super::*;

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
