//! End to end against the real mail stack: messages APPENDed to two mailboxes, `pilah run
//! --once`, then checked over IMAP where a user would look: the PICs' inboxes, the senders'
//! inboxes, the folders of the watched mailboxes, and the SQLite record.

mod common;

use common::*;
use mail_parser::MimeHeaders;

const MARCH: &str = "05-Mar-2024 09:30:00 +0700";

fn forwards_in(found: &[Found]) -> Vec<&Found> {
    found
        .iter()
        .filter(|f| f.header("X-Pilah-Kind").as_deref() == Some("forward"))
        .collect()
}

#[test]
fn two_mailboxes_are_drained_classified_routed_acknowledged_and_filed() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let lapor = t.addr("lapor");
    let cc = t.addr("callcenter");
    let dbh = mail(
        &format!(
            "BPKAD Kab. Cilacap <{}>",
            t.ext("bpkad", "cilacapkab.go.id")
        ),
        &lapor,
        "Laporan BA Rekonsiliasi DBH Triwulan I",
        "Dengan hormat, bersama ini kami sampaikan berita acara rekonsiliasi DBH.",
        "",
    );
    let tax = mail(
        &format!("Budi <{}>", t.ext("budi.santoso", "gmail.com")),
        &cc,
        "npwp saya hilang",
        "pagi min, gimana cara urus NPWP yang hilang?",
        "",
    );
    let spam = mail(
        &format!("Promo <{}>", t.ext("promo", "judi-slot.example")),
        &cc,
        "SLOT GACOR maxwin hari ini",
        "daftar sekarang, situs judi online terpercaya",
        "",
    );
    let ooo = mail(
        &format!("Kepala Bidang <{}>", t.ext("kabid", "brebeskab.go.id")),
        &lapor,
        "Out of office: Laporan DBH",
        "Saya sedang cuti sampai 10 Maret.",
        "Auto-Submitted: auto-replied\r\n",
    );
    let rt = rt();
    rt.block_on(async {
        append(&lapor, "INBOX", &dbh, Some(MARCH), None).await;
        // Someone already read this one in a mail client: it must be processed all the same.
        append(&lapor, "INBOX", &ooo, Some(MARCH), Some("(\\Seen)")).await;
        append(&cc, "INBOX", &tax, Some(MARCH), None).await;
        append(&cc, "INBOX", &spam, Some(MARCH), None).await;
    });

    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));

    // The DBH report went to every PIC of the DBH unit, as an attachment, with Reply-To.
    let units = std::fs::read_to_string(t.rules.join("units.toml")).unwrap();
    let dbh_pics: Vec<String> = pics_of(&units, "syarat-salur-dbh", &t);
    assert!(!dbh_pics.is_empty());
    for pic in &dbh_pics {
        let got = contents(pic);
        let fwd = forwards_in(&got);
        assert_eq!(
            fwd.len(),
            1,
            "{pic} should get exactly one forward, got {got:#?}"
        );
        let f = fwd[0];
        assert!(f.subject().contains("LPR-2024-000001"), "{}", f.subject());
        assert_eq!(
            f.header("Reply-To")
                .as_deref()
                .map(|r| r.contains(&t.ext("bpkad", "cilacapkab.go.id"))),
            Some(true)
        );
        let p = f.parsed();
        let attached = p
            .attachments()
            .find(|a| a.is_message())
            .expect("original attached as message/rfc822");
        let orig = attached.message().expect("nested message");
        assert_eq!(
            orig.subject(),
            Some("Laporan BA Rekonsiliasi DBH Triwulan I")
        );
        let summary = p.body_text(0).unwrap_or_default().to_string();
        assert!(summary.contains("Laporan Syarat Salur DBH"), "{summary}");
        assert!(
            summary.contains("Kab. Cilacap"),
            "region in summary: {summary}"
        );
    }

    // The sender got an acknowledgement naming the ticket, threaded, marked automatic.
    let acks = contents(&t.ext("bpkad", "cilacapkab.go.id"));
    assert_eq!(acks.len(), 1, "{acks:#?}");
    let ack = &acks[0];
    assert!(ack.subject().contains("LPR-2024-000001"));
    assert_eq!(
        ack.header("Auto-Submitted").as_deref(),
        Some("auto-replied")
    );
    let orig_id = mail_parser::MessageParser::default()
        .parse(&dbh)
        .unwrap()
        .message_id()
        .unwrap()
        .to_string();
    assert!(ack
        .header("In-Reply-To")
        .unwrap_or_default()
        .contains(&orig_id));
    assert!(
        String::from_utf8_lossy(&ack.raw).contains("Return-Path: <>"),
        "acknowledgements use the null sender"
    );

    // The tax question got the pointer to DJP, and was forwarded to nobody.
    let tax_replies = contents(&t.ext("budi.santoso", "gmail.com"));
    assert_eq!(tax_replies.len(), 1);
    let body = tax_replies[0]
        .parsed()
        .body_text(0)
        .unwrap_or_default()
        .to_lowercase();
    assert!(body.contains("pajak"), "{body}");

    // Spam and the auto-reply got no answer at all.
    assert!(contents(&t.ext("promo", "judi-slot.example")).is_empty());
    assert!(contents(&t.ext("kabid", "brebeskab.go.id")).is_empty());

    // Every original sits in its folder; nothing is left in INBOX, nothing was deleted.
    let l = contents(&lapor);
    let folder_of = |found: &[Found], needle: &str| -> Vec<String> {
        found
            .iter()
            .filter(|f| f.subject().contains(needle))
            .map(|f| f.folder.clone())
            .collect()
    };
    assert_eq!(
        folder_of(&l, "Rekonsiliasi DBH"),
        vec!["Pilah/syarat-salur-dbh"]
    );
    assert_eq!(folder_of(&l, "Out of office"), vec!["Pilah/otomatis"]);
    let c = contents(&cc);
    assert_eq!(folder_of(&c, "npwp"), vec!["Pilah/non-djpk"]);
    assert_eq!(folder_of(&c, "SLOT GACOR"), vec!["Pilah/spam"]);
    assert!(l.iter().chain(c.iter()).all(|f| f.folder != "INBOX"));
    assert_eq!(l.len() + c.len(), 4);
    // pilah never sets \Seen (the one that had it keeps it; the others stay unread).
    let seen: Vec<_> = l
        .iter()
        .chain(c.iter())
        .filter(|f| f.flags.iter().any(|x| x.contains("Seen")))
        .collect();
    assert_eq!(seen.len(), 1, "{seen:#?}");

    // SQLite holds the right counts.
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE state = 'filed'"),
        4
    );
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE machine = 'auto-reply'"),
        1
    );
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL AND kind = 'ack'"),
        2
    );
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL AND kind = 'forward'"),
        1
    );
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE sha256 IS NULL OR length(sha256) != 64"),
        0
    );

    // A second run sends nothing again.
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(contents(&t.ext("bpkad", "cilacapkab.go.id")).len(), 1);
    for pic in &dbh_pics {
        assert_eq!(forwards_in(&contents(pic)).len(), 1);
    }
    assert_eq!(t.count("SELECT count(*) FROM outbox"), 3);

    // The report counts people's mail by category, machine mail apart.
    let out = t.pilah(&[
        "report",
        "--config",
        t.config.to_str().unwrap(),
        "--month",
        "2024-03",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lapor_r = r
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mailbox"] == "lapor")
        .unwrap();
    assert_eq!(lapor_r["total"], 1);
    assert_eq!(lapor_r["categories"][0]["id"], "syarat-salur-dbh");
    let cc_r = r
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mailbox"] == "callcenter")
        .unwrap();
    assert_eq!(cc_r["total"], 2, "spam counts inside the total: {cc_r}");
}

/// The PIC addresses of the unit of a category, read from the test's rules.
fn pics_of(_units: &str, category: &str, t: &Scratch) -> Vec<String> {
    let cats: toml::Value =
        toml::from_str(&std::fs::read_to_string(t.rules.join("categories.toml")).unwrap()).unwrap();
    let unit = cats["category"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"].as_str() == Some(category))
        .and_then(|c| c["unit"].as_str())
        .unwrap()
        .to_string();
    let units: toml::Value =
        toml::from_str(&std::fs::read_to_string(t.rules.join("units.toml")).unwrap()).unwrap();
    units["unit"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"].as_str() == Some(unit.as_str()))
        .unwrap()["pics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn mail_older_than_the_start_is_filed_but_never_answered() {
    // No start_date: the cut-off is the day before pilah first saw the mailbox.
    let t = Scratch::new("");
    let lapor = t.addr("lapor");
    let old = mail(
        &format!("Lama <{}>", t.ext("lama", "pemda-lama.example")),
        &lapor,
        "Laporan DBH tahun lalu",
        "arsip",
        "",
    );
    let new = mail(
        &format!("Baru <{}>", t.ext("baru", "pemda-baru.example")),
        &lapor,
        "Laporan DBH terbaru",
        "baru",
        "",
    );
    rt().block_on(async {
        append(
            &lapor,
            "INBOX",
            &old,
            Some("05-Mar-2024 09:30:00 +0700"),
            None,
        )
        .await;
        append(&lapor, "INBOX", &new, None, None).await;
    });
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        contents(&t.ext("lama", "pemda-lama.example")).is_empty(),
        "old mail must not be acknowledged"
    );
    assert_eq!(contents(&t.ext("baru", "pemda-baru.example")).len(), 1);
    let l = contents(&lapor);
    assert!(
        l.iter().all(|f| f.folder == "Pilah/syarat-salur-dbh"),
        "{l:#?}"
    );
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE ack_skipped LIKE '%start date%'"),
        1
    );
}

#[test]
fn one_mailbox_failing_does_not_stop_the_other() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    // lapor gets a wrong password file.
    let cfg = std::fs::read_to_string(&t.config).unwrap();
    let bad_pw = t.dir.path().join("wrong-password");
    write_secret(&bad_pw, "not-the-password\n");
    let first = cfg.find("password_file").unwrap();
    let line_end = first + cfg[first..].find('\n').unwrap();
    let cfg = format!(
        "{}password_file = \"{}\"{}",
        &cfg[..first],
        bad_pw.display(),
        &cfg[line_end..]
    );
    std::fs::write(&t.config, cfg).unwrap();

    let cc = t.addr("callcenter");
    let q = mail(
        &format!("Sri <{}>", t.ext("sri", "semarangkota.go.id")),
        &cc,
        "Pertanyaan penyaluran DAU bulan Maret",
        "mohon info jadwal penyaluran DAU",
        "",
    );
    rt().block_on(append(&cc, "INBOX", &q, Some(MARCH), None));
    let out = t.run_once();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a failed mailbox makes --once fail: {}",
        text(&out)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mailbox lapor") && err.contains("login"),
        "the error names the mailbox: {err}"
    );
    // callcenter was processed all the same.
    assert_eq!(contents(&t.ext("sri", "semarangkota.go.id")).len(), 1);
    assert!(contents(&cc).iter().all(|f| f.folder != "INBOX"));
    assert_eq!(t.count("SELECT count(*) FROM mailbox_state WHERE mailbox = 'lapor' AND last_error LIKE '%login%'"), 1);
}

#[test]
fn mail_queued_while_smtp_is_unreachable_is_sent_later_and_only_once() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    // An SMTP port nobody listens on.
    let closed = free_port();
    t.write_config(closed, "start_date = \"2024-03-01\"");
    let lapor = t.addr("lapor");
    let m = mail(
        &format!("Ani <{}>", t.ext("ani", "kuduskab.go.id")),
        &lapor,
        "Laporan penggunaan DAU earmark",
        "terlampir",
        "",
    );
    rt().block_on(append(&lapor, "INBOX", &m, Some(MARCH), None));
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    // Filed already, nothing sent, everything queued.
    assert!(contents(&lapor).iter().all(|f| f.folder != "INBOX"));
    assert!(contents(&t.ext("ani", "kuduskab.go.id")).is_empty());
    assert!(t.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") >= 2);

    t.write_config(stack().smtp_port, "start_date = \"2024-03-01\"");
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(contents(&t.ext("ani", "kuduskab.go.id")).len(), 1);
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL"),
        0
    );
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(contents(&t.ext("ani", "kuduskab.go.id")).len(), 1);
}

#[test]
fn unreadable_mail_is_quarantined_and_reported_without_blocking_the_rest() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let lapor = t.addr("lapor");
    let mut deep = String::from("From: x@deep.example\r\nSubject: deep\r\nMIME-Version: 1.0\r\n");
    for i in 0..300 {
        deep.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
    }
    deep.push_str("Content-Type: text/plain\r\n\r\nhalo\r\n");
    let good = mail(
        &format!("Rina <{}>", t.ext("rina", "tegalkab.go.id")),
        &lapor,
        "Laporan Realisasi DAK Non Fisik BOS",
        "terlampir",
        "",
    );
    rt().block_on(async {
        append(
            &lapor,
            "INBOX",
            b"\x00\x01\x02 not a mail at all \xff\xfe",
            Some(MARCH),
            None,
        )
        .await;
        append(&lapor, "INBOX", deep.as_bytes(), Some(MARCH), None).await;
        append(&lapor, "INBOX", &good, Some(MARCH), None).await;
    });
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let l = contents(&lapor);
    assert_eq!(l.len(), 3, "nothing lost: {l:#?}");
    assert!(l.iter().all(|f| f.folder != "INBOX"));
    assert_eq!(
        contents(&t.ext("rina", "tegalkab.go.id")).len(),
        1,
        "the good message behind them went through"
    );
    let quarantined = t.count("SELECT count(*) FROM messages WHERE quarantine IS NOT NULL");
    let in_folder = l.iter().filter(|f| f.folder == "Pilah/karantina").count() as i64;
    assert_eq!(quarantined, in_folder);
    assert!(quarantined >= 1);
    // The admin is told, once per quarantined message.
    let alerts = contents(&t.addr("admin"));
    assert_eq!(alerts.len() as i64, quarantined);
    assert!(alerts[0].subject().contains("karantina"));
}

#[test]
fn every_hostile_message_is_filed_and_none_stops_the_daemon() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let lapor = t.addr("lapor");
    let dir = repo().join("tests/fixtures/hostile");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    let mut appended = 0;
    rt().block_on(async {
        let mut s = login(&lapor).await;
        for f in &files {
            let raw = std::fs::read(f).unwrap();
            // The server itself refuses some (an empty message): nothing for pilah to see.
            if s.append("INBOX", None, Some("\"05-Mar-2024 09:30:00 +0700\""), &raw)
                .await
                .is_ok()
            {
                appended += 1;
            }
        }
        s.logout().await.ok();
    });
    assert!(
        appended >= files.len() - 2,
        "{appended} of {} appended",
        files.len()
    );
    // A good message behind them.
    let sender = t.ext("bpkad", "bantulkab.go.id");
    let good = mail(
        &format!("BPKAD <{sender}>"),
        &lapor,
        "Laporan BA Rekon DBH",
        "terlampir",
        "",
    );
    rt().block_on(append(&lapor, "INBOX", &good, Some(MARCH), None));

    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let l = contents(&lapor);
    assert_eq!(l.len(), appended + 1, "nothing lost");
    assert!(
        l.iter().all(|f| f.folder != "INBOX"),
        "{:?}",
        l.iter().map(|f| &f.folder).collect::<Vec<_>>()
    );
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE state != 'filed'"),
        0
    );
    assert_eq!(contents(&sender).len(), 1, "the good message was answered");
    // Each quarantined one is recorded with its reason.
    assert_eq!(
        t.count(
            "SELECT count(*) FROM messages WHERE quarantine IS NOT NULL AND length(quarantine) < 5"
        ),
        0
    );
    // A second run has nothing left to do.
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        t.count("SELECT count(*) FROM messages"),
        (appended + 1) as i64
    );
}

#[test]
fn mail_goes_out_over_starttls_when_the_config_asks_for_it() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let cfg = std::fs::read_to_string(&t.config).unwrap();
    let ca = stack().ca_file.display().to_string();
    let cfg = cfg.replacen(
        "security = \"plain\"\nfrom",
        &format!("security = \"starttls\"\nca_file = \"{ca}\"\nfrom"),
        1,
    );
    assert!(cfg.contains("security = \"starttls\"\nca_file"), "{cfg}");
    std::fs::write(&t.config, cfg).unwrap();
    let lapor = t.addr("lapor");
    let sender = t.ext("bpkad", "sragenkab.go.id");
    let m = mail(
        &format!("BPKAD <{sender}>"),
        &lapor,
        "Laporan BA Rekon DBH",
        "terlampir",
        "",
    );
    rt().block_on(append(&lapor, "INBOX", &m, Some(MARCH), None));
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let got = contents(&sender);
    assert_eq!(got.len(), 1);
    // Postfix records a TLS submission as ESMTPS in its Received header.
    let raw = String::from_utf8_lossy(&got[0].raw).to_string();
    assert!(raw.contains("with ESMTPS"), "submitted over TLS:\n{raw}");
}

/// Deterministic bytes that do not compress or repeat (an attachment's content).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A DBH report with an attachment of `attachment.len()` bytes, in base64 lines of 76.
fn report_with_attachment(
    from: &str,
    to: &str,
    subject: &str,
    text: &str,
    attachment: &[u8],
) -> Vec<u8> {
    use base64::Engine;
    let mut b64 = String::new();
    for line in attachment.chunks(57) {
        base64::engine::general_purpose::STANDARD.encode_string(line, &mut b64);
        b64.push_str("\r\n");
    }
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Tue, 05 Mar 2024 09:30:00 +0700\r\n\
         Message-ID: <{}.big@cilacapkab.go.id>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n\
         --b1\r\nContent-Type: application/pdf; name=\"ba-rekon.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"ba-rekon.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {b64}--b1--\r\n",
        subject.len()
    )
    .into_bytes()
}

/// Where pilah stored the raw file of the message with this subject.
fn raw_path_of(t: &Scratch, subject: &str) -> String {
    t.db()
        .query_row(
            "SELECT raw_path FROM messages WHERE subject = ?1",
            [subject],
            |r| r.get(0),
        )
        .expect("recorded")
}

/// The stored raw file of the message with this subject, as pilah recorded it.
fn stored_raw(t: &Scratch, subject: &str) -> Vec<u8> {
    std::fs::read(raw_path_of(t, subject)).expect("raw file")
}

#[test]
fn a_large_forward_carries_the_original_byte_for_byte_and_the_database_does_not() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let lapor = t.addr("lapor");
    let from = format!(
        "BPKAD Kab. Cilacap <{}>",
        t.ext("bpkad", "cilacapkab.go.id")
    );
    // 8-bit text and a 4 MB attachment: travels as message/rfc822, as it is.
    let pdf = noise(4 * 1024 * 1024, 7);
    let big_subject = "Laporan BA Rekonsiliasi DBH Triwulan I";
    let big = report_with_attachment(
        &from,
        &lapor,
        big_subject,
        "Dengan hormat, terlampir berita acara rekonsiliasi DBH — Rp 1.250.000.",
        &pdf,
    );
    // A line over 998 bytes: cannot travel as message/rfc822, goes as a base64 .eml file.
    let long_subject = "Laporan BA Rekonsiliasi DBH Triwulan II";
    let long = report_with_attachment(
        &from,
        &lapor,
        long_subject,
        &format!(
            "Dengan hormat, berita acara rekonsiliasi DBH: {}",
            "data ".repeat(300)
        ),
        &noise(300 * 1024, 11),
    );
    rt().block_on(async {
        append(&lapor, "INBOX", &big, Some(MARCH), None).await;
        append(&lapor, "INBOX", &long, Some(MARCH), None).await;
    });
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));

    // What pilah stored is what was delivered to the mailbox.
    let big_raw = stored_raw(&t, big_subject);
    assert_eq!(big_raw, big);
    let long_raw = stored_raw(&t, long_subject);
    assert_eq!(long_raw, long);

    // The forwards' rows hold only pilah's own bytes, and point at the raw files.
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE kind = 'forward' AND sent_at IS NOT NULL"),
        2
    );
    let stored_max =
        t.count("SELECT max(length(body) + length(body_tail)) FROM outbox WHERE kind = 'forward'");
    assert!(
        stored_max < 16 * 1024,
        "forward rows hold {stored_max} bytes"
    );
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE kind = 'forward' AND original = 'rfc822'"),
        1
    );
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE kind = 'forward' AND original = 'base64'"),
        1
    );

    let dbh_pics = pics_of("", "syarat-salur-dbh", &t);
    assert!(!dbh_pics.is_empty());
    for pic in &dbh_pics {
        let got = contents(pic);
        let fwd = forwards_in(&got);
        assert_eq!(
            fwd.len(),
            2,
            "{pic}: {:?}",
            fwd.iter().map(|f| f.subject()).collect::<Vec<_>>()
        );
        let big_fwd = fwd
            .iter()
            .find(|f| f.subject().ends_with(big_subject))
            .expect("forward of the large report");
        // The original, byte for byte, inside the forward, as a message/rfc822 part.
        let at = big_fwd
            .raw
            .windows(64)
            .position(|w| w == &big_raw[..64])
            .expect("the original's first bytes in the forward");
        assert!(
            big_fwd.raw[at..].starts_with(&big_raw),
            "the attached original differs from the stored one"
        );
        let p = big_fwd.parsed();
        let attached = p
            .attachments()
            .find(|a| a.is_message())
            .expect("original attached as message/rfc822");
        let nested = attached.message().expect("nested message");
        assert_eq!(nested.subject(), Some(big_subject));
        let inner = nested.attachments().next().expect("the PDF");
        assert_eq!(inner.contents(), &pdf[..], "the PDF inside the original");

        let long_fwd = fwd
            .iter()
            .find(|f| f.subject().ends_with(long_subject))
            .expect("forward of the report with a long line");
        let p = long_fwd.parsed();
        let eml = p
            .attachments()
            .find(|a| a.attachment_name() == Some("pesan-asli.eml"))
            .expect("original attached as a file");
        assert_eq!(
            eml.contents(),
            &long_raw[..],
            "the .eml file is the original"
        );
    }
}

#[test]
fn a_forward_whose_original_is_gone_fails_with_its_path_and_nothing_truncated_goes_out() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let closed = free_port();
    t.write_config(closed, "start_date = \"2024-03-01\"");
    let lapor = t.addr("lapor");
    let subject = "Laporan BA Rekonsiliasi DBH Triwulan III";
    let m = mail(
        &format!(
            "BPKAD Kab. Cilacap <{}>",
            t.ext("bpkad", "cilacapkab.go.id")
        ),
        &lapor,
        subject,
        "Dengan hormat, bersama ini kami sampaikan berita acara rekonsiliasi DBH.",
        "",
    );
    rt().block_on(append(&lapor, "INBOX", &m, Some(MARCH), None));
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let raw_path = raw_path_of(&t, subject);
    // The raw file is lost before the forward is sent (a bad restore, a disk fault).
    std::fs::remove_file(&raw_path).unwrap();

    t.write_config(stack().smtp_port, "start_date = \"2024-03-01\"");
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let log = text(&out);
    assert!(
        log.contains("send-failed") && log.contains(&raw_path),
        "{log}"
    );

    // Nothing reached the PICs; the acknowledgement went out all the same.
    for pic in pics_of("", "syarat-salur-dbh", &t) {
        assert!(forwards_in(&contents(&pic)).is_empty(), "{pic}");
    }
    assert_eq!(contents(&t.ext("bpkad", "cilacapkab.go.id")).len(), 1);

    // Failed for good, with an error naming the item, the ticket and the path.
    let (id, error): (i64, String) = t
        .db()
        .query_row(
            "SELECT id, last_error FROM outbox WHERE kind = 'forward' AND failed_at IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the forward failed");
    assert!(error.contains(&format!("outbox item {id}")), "{error}");
    assert!(error.contains("LPR-2024-000001"), "{error}");
    assert!(error.contains(&raw_path), "{error}");
    // `pilah messages` says so.
    let out = t.pilah(&["messages", "--config", t.config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(listing.contains("(failed)"), "{listing}");

    // Not tried again.
    let attempts = t.count("SELECT attempts FROM outbox WHERE kind = 'forward'");
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        t.count("SELECT attempts FROM outbox WHERE kind = 'forward'"),
        attempts
    );
}

#[test]
fn a_recipient_the_server_refuses_fails_that_forward_for_good_and_the_rest_go_out() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    // One of the DBH unit's PICs is an address the server does not know (someone who left,
    // a typo): the mail stack answers 550 5.1.1 to every `refused.*` recipient.
    let units = t.rules.join("units.toml");
    let text_of_units = std::fs::read_to_string(&units).unwrap();
    let pic3 = format!("pic3.dbh@{}", t.domain);
    let refused = format!("refused.dbh@{}", t.domain);
    assert!(text_of_units.contains(&pic3));
    std::fs::write(&units, text_of_units.replace(&pic3, &refused)).unwrap();

    let lapor = t.addr("lapor");
    let cilacap = t.ext("bpkad", "cilacapkab.go.id");
    let banyumas = t.ext("bkad", "banyumaskab.go.id");
    let dbh = mail(
        &format!("BPKAD Kab. Cilacap <{cilacap}>"),
        &lapor,
        "Laporan BA Rekonsiliasi DBH Triwulan III",
        "Dengan hormat, bersama ini kami sampaikan berita acara rekonsiliasi DBH.",
        "",
    );
    let dau = mail(
        &format!("BKAD Kab. Banyumas <{banyumas}>"),
        &lapor,
        "Laporan Syarat Salur DAU Bulan Maret 2024",
        "Dengan hormat, terlampir laporan syarat salur DAU bulan Maret.",
        "",
    );
    rt().block_on(async {
        append(&lapor, "INBOX", &dbh, Some(MARCH), None).await;
        append(&lapor, "INBOX", &dau, Some(MARCH), None).await;
    });
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));

    // The DBH forward failed for good, with the server's reply and the address it refused.
    let error: String = t
        .db()
        .query_row(
            "SELECT last_error FROM outbox WHERE kind = 'forward' AND failed_at IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("the DBH forward did not fail ({e}):\n{}", text(&out)));
    assert!(error.contains("550"), "{error}");
    assert!(error.contains(&refused), "{error}");
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL"),
        1
    );
    // It is one message to all the unit's PICs: none of them got it.
    for pic in pics_of("", "syarat-salur-dbh", &t) {
        if pic != refused {
            assert!(forwards_in(&contents(&pic)).is_empty(), "{pic}");
        }
    }
    // Everything else went out once: both acknowledgements, the DAU forward to every PIC.
    let check_the_rest = || {
        assert_eq!(contents(&cilacap).len(), 1, "{cilacap}");
        assert_eq!(contents(&banyumas).len(), 1, "{banyumas}");
        for pic in pics_of("", "syarat-salur-dau", &t) {
            assert_eq!(forwards_in(&contents(&pic)).len(), 1, "{pic}");
        }
    };
    check_the_rest();

    // Not tried again, and nothing sent twice.
    let attempts = t.count("SELECT sum(attempts) FROM outbox");
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(t.count("SELECT sum(attempts) FROM outbox"), attempts);
    check_the_rest();
}

/// `pilah run --once` with `env` set, started by a shell that first sets `umask`.
fn run_once_with(t: &Scratch, umask: &str, env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new("sh");
    cmd.args([
        "-c",
        &format!("umask {umask}; exec \"$0\" \"$@\""),
        env!("CARGO_BIN_EXE_pilah"),
        "run",
        "--config",
        t.config.to_str().unwrap(),
        "--once",
    ])
    .env("PILAH_LOG", "info")
    .env("NO_COLOR", "1")
    .stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run pilah");
    settle();
    out
}

#[test]
fn no_log_level_shows_a_password_or_a_message_body() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let marker = format!("isi-rahasia-{}", t.domain.trim_end_matches(".test"));
    let (lapor, cc) = (t.addr("lapor"), t.addr("callcenter"));
    // One message per mailbox (STARTTLS and implicit TLS), each forwarded and acknowledged,
    // so its body crosses IMAP and SMTP.
    let sender = t.ext("bpkad", "cilacapkab.go.id");
    let dbh = mail(
        &format!("BPKAD <{sender}>"),
        &lapor,
        "Laporan BA Rekonsiliasi DBH Triwulan I",
        &format!("Dengan hormat, berita acara rekonsiliasi DBH. {marker}"),
        "",
    );
    let dau = mail(
        &format!("Sri <{}>", t.ext("sri", "semarangkota.go.id")),
        &cc,
        "Pertanyaan penyaluran DAU bulan Maret",
        &format!("mohon info jadwal penyaluran DAU {marker}"),
        "",
    );
    rt().block_on(async {
        append(&lapor, "INBOX", &dbh, Some(MARCH), None).await;
        append(&cc, "INBOX", &dau, Some(MARCH), None).await;
    });

    // Everything at trace, the IMAP library's wire log asked for by name as well.
    let out = run_once_with(
        &t,
        "077",
        &[(
            "PILAH_LOG",
            "trace,async_imap::imap_stream=trace,lettre=trace,rustls=trace",
        )],
    );
    assert!(out.status.success(), "{}", text(&out));
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("TRACE"), "trace was not on:\n{log}");
    assert!(
        !contents(&sender).is_empty(),
        "the message went through IMAP and SMTP"
    );
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL"),
        0
    );
    assert!(
        !log.contains(&stack().password),
        "the password is in the log:\n{log}"
    );
    assert!(
        !log.contains(&marker),
        "a message body is in the log:\n{log}"
    );
}

#[test]
fn the_state_directory_is_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let lapor = t.addr("lapor");
    let q = mail(
        &format!("Sri <{}>", t.ext("sri", "semarangkota.go.id")),
        &lapor,
        "Laporan BA Rekonsiliasi DBH Triwulan I",
        "Dengan hormat, berita acara rekonsiliasi DBH.",
        "",
    );
    rt().block_on(append(&lapor, "INBOX", &q, Some(MARCH), None));
    let out = run_once_with(&t, "000", &[]);
    assert!(out.status.success(), "{}", text(&out));
    let state = t.state();
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&state.join("pilah.sqlite")), 0o600);
    for f in ["pilah.sqlite-wal", "pilah.sqlite-shm"] {
        if state.join(f).exists() {
            assert_eq!(mode(&state.join(f)), 0o600, "{f}");
        }
    }
    let raw: Vec<std::path::PathBuf> = t
        .db()
        .prepare("SELECT raw_path FROM messages")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|p| std::path::PathBuf::from(p.unwrap()))
        .collect();
    assert_eq!(raw.len(), 1);
    for p in &raw {
        assert_eq!(mode(p), 0o600, "{}", p.display());
        let mut dir = p.parent().unwrap();
        while dir != state {
            assert_eq!(mode(dir), 0o700, "{}", dir.display());
            dir = dir.parent().unwrap();
        }
    }
}
