//! A corrected message as a fixture for `pilah rules test`, with personal data masked.
//!
//! The fixture is a new, plain message built from what the rules look at — the sender's
//! domain, the subject, the body's text, the attachments' names and types, and the trusted
//! `Authentication-Results` — not a copy of the original: attachments' contents, every other
//! header and the original's encodings stay out. Masked in the subject, body and names:
//! people's names (the display names, and the capitalised words after an honorific such as
//! Bapak, Ibu, Sdr., Yth.), NIK (16-digit numbers), phone numbers (+62…, 62…, 0…, 8 to 13
//! digits with spaces, dots or dashes), addresses (from `Jl.`, `Jalan`, `Gg.`, `RT/RW` to the
//! end of the line), and the local part of e-mail addresses (the domain stays: the rules and
//! the region detection read it).

use crate::parse::Mail;
use regex::Regex;
use std::sync::OnceLock;

const NAME: &str = "Nama Disamarkan";

struct Masks {
    honorific: Regex,
    nik: Regex,
    phone: Regex,
    address: Regex,
    email: Regex,
}

fn masks() -> &'static Masks {
    static M: OnceLock<Masks> = OnceLock::new();
    M.get_or_init(|| Masks {
        honorific: Regex::new(
            r"(?i)\b(bapak|bpk\.?|ibu|sdr\.?|sdri\.?|saudara|saudari|yth\.?|a\.n\.?|an\.)(\s+)(\p{Lu}[\p{L}'.]*(?:[ \t]+\p{Lu}[\p{L}'.]*){0,3})",
        )
        .expect("static regex"),
        nik: Regex::new(r"\b\d{16}\b").expect("static regex"),
        phone: Regex::new(r"(?:\+62|\b62|\b0)[\s.-]?\d{2,4}(?:[\s.-]?\d{2,5}){2,4}\b")
            .expect("static regex"),
        address: Regex::new(r"(?im)\b(jl\.|jln\.?|jalan|gg\.|gang|rt\s*\d+\s*/\s*rw)[^\r\n]*")
            .expect("static regex"),
        email: Regex::new(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
            .expect("static regex"),
    })
}

/// `text` with the personal data of the module's list masked; `names` (the sender's display
/// name, say) masked wherever they appear.
pub fn mask_text(text: &str, names: &[&str]) -> String {
    let m = masks();
    let mut out = text.to_string();
    for n in names.iter().filter(|n| n.trim().len() >= 3) {
        out = out.replace(n.trim(), NAME);
    }
    out = m.nik.replace_all(&out, "[NIK disamarkan]").into_owned();
    out = m.email.replace_all(&out, "disamarkan@$1").into_owned();
    out = m
        .phone
        .replace_all(&out, "[telepon disamarkan]")
        .into_owned();
    out = m
        .address
        .replace_all(&out, "[alamat disamarkan]")
        .into_owned();
    out = m
        .honorific
        .replace_all(&out, format!("${{1}}${{2}}{NAME}").as_str())
        .into_owned();
    out
}

/// The fixture's message: see the module's text. `authentication`: the trusted
/// `Authentication-Results` values to keep.
pub fn fixture_eml(mail: &Mail, to: &str, authentication: &[String]) -> Vec<u8> {
    let names: Vec<&str> = mail.from_name.iter().map(String::as_str).collect();
    let from_domain = mail
        .from
        .as_deref()
        .and_then(|a| a.rsplit_once('@'))
        .map(|(_, d)| d)
        .unwrap_or("disamarkan.invalid");
    let subject = mask_text(&mail.subject, &names).replace(['\r', '\n'], " ");
    let body = mask_text(&mail.body, &names);
    let boundary = "pilah-fixture-boundary";
    let mut s = String::new();
    for a in authentication {
        s.push_str(&format!(
            "Authentication-Results: {}\r\n",
            a.replace(['\r', '\n'], " ")
        ));
    }
    s.push_str(&format!(
        "From: {NAME} <pengirim@{from_domain}>\r\nTo: {to}\r\nSubject: {subject}\r\n\
         Date: Tue, 05 Mar 2024 09:30:00 +0700\r\nMIME-Version: 1.0\r\n"
    ));
    if mail.attachments.is_empty() {
        s.push_str("Content-Type: text/plain; charset=utf-8\r\n\r\n");
        s.push_str(&body.replace('\n', "\r\n"));
        s.push_str("\r\n");
        return s.into_bytes();
    }
    s.push_str(&format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
        body.replace('\n', "\r\n")
    ));
    for a in &mail.attachments {
        let name = a
            .name
            .as_deref()
            .map(|n| mask_text(n, &names).replace(['"', '\r', '\n'], " "))
            .unwrap_or_else(|| "lampiran".into());
        s.push_str(&format!(
            "--{boundary}\r\nContent-Type: {}; name=\"{name}\"\r\n\
             Content-Disposition: attachment; filename=\"{name}\"\r\n\r\n(isi lampiran tidak disertakan)\r\n",
            a.content_type
        ));
    }
    s.push_str(&format!("--{boundary}--\r\n"));
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nik_phone_address_names_and_addresses_are_masked() {
        let t = "Yth. Bapak Ahmad Fauzi,\nNIK 3301234567890001, HP 0812-3456-7890 atau +62 21 3500 842.\n\
                 Alamat: Jl. Merdeka No. 5 Cilacap\nsalam, budi.santoso@gmail.com\nSiti Aminah";
        let m = mask_text(t, &["Siti Aminah"]);
        for gone in [
            "Ahmad",
            "3301234567890001",
            "0812",
            "3500 842",
            "Merdeka",
            "budi.santoso",
            "Siti",
        ] {
            assert!(!m.contains(gone), "{gone} left in {m}");
        }
        assert!(m.contains("disamarkan@gmail.com"), "{m}");
        assert!(m.contains("Yth. Nama Disamarkan,"), "{m}");
        // What the rules need stays.
        assert!(mask_text("BA Rekon DBH 2024 Kab Brebes", &[]).contains("DBH 2024 Kab Brebes"));
    }

    #[test]
    fn the_fixture_parses_with_its_subject_attachment_names_and_domain() {
        let mail = Mail {
            subject: "Laporan DAU sawit 081234567890".into(),
            from: Some("bpkad@siakkab.go.id".into()),
            from_name: Some("Rudi Hartono".into()),
            body: "Terlampir. Rudi Hartono".into(),
            attachments: vec![crate::parse::Attachment {
                name: Some("BA Rekon Rudi Hartono.pdf".into()),
                content_type: "application/pdf".into(),
                size: 10,
            }],
            ..Mail::default()
        };
        let raw = fixture_eml(&mail, "lapor@djpk.test", &[]);
        let back = crate::parse::parse(&raw).unwrap();
        assert_eq!(back.subject, "Laporan DAU sawit [telepon disamarkan]");
        assert_eq!(back.from.as_deref(), Some("pengirim@siakkab.go.id"));
        assert_eq!(
            back.attachments[0].name.as_deref(),
            Some("BA Rekon Nama Disamarkan.pdf")
        );
        assert!(!String::from_utf8_lossy(&raw).contains("Rudi"));
    }
}
