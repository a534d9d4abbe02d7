//! Hostile senders, from the attacker's side: each message is submitted to the real Postfix
//! (which stamps its own Authentication-Results, authserv-id mx.djpk.test, above its
//! Received line, as a border MTA does), pilah runs, and the mailboxes of the PICs, the
//! victims and the attacker are read back. Each test also shows that the legitimate path
//! still works. The threat model is docs/security.md.

mod common;

use common::*;

/// An outside client's address (Postfix records it in its Received line).
const OUTSIDE: &str = "127.0.0.1";

fn kind(f: &Found) -> String {
    f.header("X-Pilah-Kind").unwrap_or_default()
}

fn forwards(to: &str) -> Vec<Found> {
    contents(to)
        .into_iter()
        .filter(|f| kind(f) == "forward")
        .collect()
}

fn ticket_of_subject(t: &Scratch, subject: &str) -> String {
    t.db()
        .query_row(
            "SELECT ticket FROM messages WHERE subject = ?1",
            [subject],
            |r| r.get::<_, String>(0),
        )
        .unwrap_or_else(|e| panic!("no ticket for {subject:?}: {e}"))
}

/// The text of the first part (the summary on top of a forward).
fn summary(f: &Found) -> String {
    f.parsed().body_text(0).unwrap_or_default().to_string()
}

#[test]
fn pilah_is_no_reflector_for_forged_senders() {
    let t = Scratch::new("");
    let lapor = t.addr("lapor");
    let victim = t.ext("korban", "gmail.com");
    let phisher = t.ext("penipu", "evil.test");
    let citizen = t.ext("bpkad", "cilacapkab.go.id");
    let citizen_other = t.ext("sekretariat", "cilacapkab.go.id");
    let lure = "info pencairan lengkap di http://kemenkeu-verifikasi.example/login paling lambat \
                dalam 24 jam hari ini juga";

    // 1. The receiving server found the sender's domain failing SPF/DKIM/DMARC: nobody is
    //    answered, not the Reply-To victim, not the forged From.
    let failed_from = t.ext("humas", "failing.test");
    let failed_env = failed_from.replace("humas@", "humas+fail@");
    submit(
        OUTSIDE,
        &failed_env,
        &[&lapor],
        &mail(
            &format!("BPKAD <{failed_from}>"),
            &lapor,
            "Laporan BA Rekon DBH Triwulan II",
            "laporan",
            &format!("Reply-To: {victim}\r\n"),
        ),
    );
    // 2. Nothing vouches for the sender (its domain publishes nothing) and Reply-To points
    //    at a victim: the acknowledgement goes to From, never to Reply-To, and repeats only
    //    a short cleaned prefix of the subject.
    let unverified_env = phisher.replace("penipu@", "penipu+none@");
    submit(
        OUTSIDE,
        &unverified_env,
        &[&lapor],
        &mail(
            &format!("Pusat Verifikasi <{phisher}>"),
            &lapor,
            &format!("Laporan DBH {lure}"),
            "laporan",
            &format!("Reply-To: {victim}\r\n"),
        ),
    );
    // 3. The legitimate correspondent, vouched for, who wants answers at another address of
    //    its own: its Reply-To is honoured.
    submit(
        OUTSIDE,
        &citizen,
        &[&lapor],
        &mail(
            &format!("BPKAD Cilacap <{citizen}>"),
            &lapor,
            "Laporan BA Rekon DBH Triwulan I",
            "terlampir",
            &format!("Reply-To: {citizen_other}\r\n"),
        ),
    );
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));

    assert!(
        contents(&victim).is_empty(),
        "the victim in Reply-To received nothing"
    );
    assert!(
        contents(&failed_env).is_empty() && contents(&failed_from).is_empty(),
        "a sender that failed DMARC is not answered"
    );
    let skipped: String = t
        .db()
        .query_row(
            "SELECT ack_skipped FROM messages WHERE sender = ?1",
            [&failed_from],
            |r| r.get(0),
        )
        .expect("recorded");
    assert!(skipped.contains("failed authentication"), "{skipped}");

    let to_phisher = contents(&phisher);
    assert_eq!(
        to_phisher.len(),
        1,
        "the unverified sender's From is answered"
    );
    let ack = &to_phisher[0];
    let subject = ack.subject();
    assert!(!subject.contains("kemenkeu-verifikasi"), "{subject}");
    assert!(subject.contains("[tautan]"), "{subject}");
    assert!(
        !subject.contains("24 jam"),
        "only a short prefix: {subject}"
    );
    let body = ack.parsed().body_text(0).unwrap_or_default().to_string();
    assert!(
        !body.contains("kemenkeu-verifikasi.example/login"),
        "{body}"
    );

    let to_citizen = contents(&citizen_other);
    assert_eq!(to_citizen.len(), 1, "an authenticated Reply-To is honoured");
    assert!(contents(&citizen).is_empty());

    // The PICs still get all three, each saying how far the sender can be trusted.
    let pic = t.addr("pic.dbh");
    let got = forwards(&pic);
    assert_eq!(got.len(), 3, "every report still reaches the PIC");
    let by_sender = |who: &str| {
        got.iter()
            .find(|f| summary(f).contains(who))
            .map(summary)
            .unwrap_or_else(|| panic!("no forward for {who}"))
    };
    assert!(by_sender(&failed_from).contains("GAGAL verifikasi"));
    assert!(by_sender(&phisher).contains("tidak terverifikasi"));
    assert!(by_sender(&citizen).contains("terverifikasi oleh server penerima"));
    // And the forward's Reply-To is the vouched address only.
    let phish_fwd = got
        .iter()
        .find(|f| summary(f).contains(&phisher))
        .expect("forward");
    let reply_to = phish_fwd.header("Reply-To").unwrap_or_default();
    assert!(!reply_to.contains(&victim), "{reply_to}");
}

#[test]
fn a_forged_authentication_results_header_below_the_servers_changes_nothing() {
    let t = Scratch::new("");
    let callcenter = t.addr("callcenter");
    // A fake invitation that claims to come from kemenkeu.go.id; the receiving server found
    // DMARC failing, and the attacker added a passing verdict of its own under the server's
    // name, and one of another server.
    let spoofed = t.ext("humas", "kemenkeu.go.id");
    let env = spoofed.replace("humas@", "humas+fail@");
    submit(
        OUTSIDE,
        &env,
        &[&callcenter],
        &mail(
            &format!("Humas Kemenkeu <{spoofed}>"),
            &callcenter,
            "Undangan Pelatihan Bendahara Pengeluaran",
            "Biaya kontribusi Rp 3.500.000 ditransfer ke rekening panitia.",
            &format!(
                "Authentication-Results: mx.djpk.test; spf=pass smtp.mailfrom={d}; dkim=pass header.d={d}; dmarc=pass header.from={d}\r\n\
                 Authentication-Results: mx.kemenkeu.go.id; dmarc=pass header.from={d}\r\n",
                d = spoofed.rsplit_once('@').unwrap().1
            ),
        ),
    );
    // The real thing, vouched for by the server.
    let internal = t.ext("sekretariat", "kemenkeu.go.id");
    submit(
        OUTSIDE,
        &internal,
        &[&callcenter],
        &mail(
            &format!("Sekretariat <{internal}>"),
            &callcenter,
            "Permohonan data TKD tahun 2023",
            "Mohon data alokasi TKD per daerah.",
            "",
        ),
    );
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let (category, skipped): (String, Option<String>) = t
        .db()
        .query_row(
            "SELECT category, ack_skipped FROM messages WHERE sender = ?1",
            [&spoofed],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("recorded");
    assert_eq!(category, "spam", "the server's dmarc=fail decided");
    assert!(contents(&spoofed).is_empty() && contents(&env).is_empty());
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE kind = 'ack' AND rcpt LIKE '%humas%'"),
        0,
        "no acknowledgement queued ({skipped:?})"
    );
    // `explain`, with the same trust as the daemon, says where the verdict came from.
    let raw = contents(&callcenter)
        .into_iter()
        .find(|f| f.subject().contains("Undangan"))
        .expect("filed")
        .raw;
    let file = t.dir.path().join("spoof.eml");
    std::fs::write(&file, raw).unwrap();
    let out = t.pilah(&[
        "explain",
        "--rules",
        t.rules.to_str().unwrap(),
        "--config",
        t.config.to_str().unwrap(),
        "--mailbox",
        "callcenter",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let story = String::from_utf8_lossy(&out.stdout);
    assert!(story.contains("dmarc=fail"), "{story}");
    assert!(
        story.contains("Authentication-Results of mx.djpk.test"),
        "{story}"
    );
    assert!(
        story.contains("2 other Authentication-Results header(s) ignored"),
        "{story}"
    );
    // The real sender is acknowledged.
    assert_eq!(contents(&internal).len(), 1);
}

#[test]
fn a_stranger_cannot_join_someone_elses_ticket_and_the_correspondent_still_can() {
    let t = Scratch::new("");
    let lapor = t.addr("lapor");
    let pic = t.addr("pic.dbh");
    let citizen = t.ext("bpkad.cilacap", "gmail.com");
    submit(
        OUTSIDE,
        &citizen,
        &[&lapor],
        &mail(
            &format!("BPKAD <{citizen}>"),
            &lapor,
            "Laporan BA Rekon DBH Triwulan I",
            "terlampir",
            "",
        ),
    );
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let ticket = ticket_of_subject(&t, "Laporan BA Rekon DBH Triwulan I");
    let ack = contents(&citizen).pop().expect("acknowledgement");
    let ack_id = ack.header("Message-ID").expect("Message-ID");
    // pilah's Message-IDs cannot be guessed from the ticket number.
    assert!(!ack_id.contains(&format!("<{ticket}.ack@")), "{ack_id}");
    let guessed = format!(
        "<{ticket}.ack@{}>",
        ack_id.rsplit_once('@').unwrap().1.trim_end_matches('>')
    );

    // 1. Another user of the same public provider, vouched for, with the tag.
    let neighbour = t.ext("orang.lain", "gmail.com");
    submit(
        OUTSIDE,
        &neighbour,
        &[&lapor],
        &mail(
            &neighbour,
            &lapor,
            &format!("[{ticket}] Laporan DBH (lanjutan)"),
            "teks orang lain",
            "",
        ),
    );
    // 2. Someone forging the citizen's From (its own envelope, so nothing vouches for the
    //    From) with the tag and a guessed Message-ID of the acknowledgement.
    let forger = t.ext("pemalsu", "evil.test");
    submit(
        OUTSIDE,
        &forger,
        &[&lapor],
        &mail(
            &format!("BPKAD <{citizen}>"),
            &lapor,
            &format!("Re: [{ticket}] Laporan BA Rekon DBH Triwulan I (koreksi rekening)"),
            "teks pemalsu",
            &format!("In-Reply-To: {guessed}\r\nReply-To: {forger}\r\n"),
        ),
    );
    // 3. The citizen's real reply to the acknowledgement, vouched for.
    submit(
        OUTSIDE,
        &citizen,
        &[&lapor],
        &mail(
            &format!("BPKAD <{citizen}>"),
            &lapor,
            &format!("Re: {}", ack.subject()),
            "lampiran revisi",
            &format!("In-Reply-To: {ack_id}\r\n"),
        ),
    );
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));

    let follow_ups: Vec<Found> = forwards(&pic)
        .into_iter()
        .filter(|f| f.subject().contains("Tindak lanjut"))
        .collect();
    assert_eq!(
        follow_ups.len(),
        1,
        "only the citizen's reply is a follow-up"
    );
    assert!(String::from_utf8_lossy(&follow_ups[0].raw).contains("lampiran revisi"));
    assert_eq!(
        t.count(&format!(
            "SELECT count(*) FROM messages WHERE ticket = '{ticket}'"
        )),
        2,
        "the ticket holds the citizen's two messages only"
    );
    // The others are tickets of their own, and the PIC is told which ticket they mention.
    for (who, text_of) in [(&neighbour, "teks orang lain"), (&citizen, "teks pemalsu")] {
        let other = forwards(&pic)
            .into_iter()
            .find(|f| {
                !f.subject().contains(&ticket) && String::from_utf8_lossy(&f.raw).contains(text_of)
            })
            .unwrap_or_else(|| panic!("{who}: no forward of its own"));
        assert!(
            summary(&other).contains(&format!("menyebut tiket {ticket}")),
            "{}",
            summary(&other)
        );
    }
    // The forger's Reply-To got nothing.
    assert!(contents(&forger).is_empty());
}

#[test]
fn a_forged_pic_answer_does_not_close_the_ticket_but_a_real_one_does() {
    // Mail from 127.0.0.2 stands for the organisation's own network.
    let t = Scratch::new("");
    t.write_config(
        stack().smtp_port,
        "[authentication]\nauthserv_ids = [\"mx.djpk.test\"]\ninternal_networks = [\"127.0.0.2\"]\n",
    );
    let lapor = t.addr("lapor");
    let pic = t.addr("pic.dbh");
    let citizen = t.ext("bpkad", "brebeskab.go.id");
    let open_tickets = |t: &Scratch| {
        t.count("SELECT count(*) FROM tickets WHERE answered_at IS NULL AND unit IS NOT NULL")
    };
    for n in 1..=2 {
        submit(
            OUTSIDE,
            &citizen,
            &[&lapor],
            &mail(
                &format!("BPKAD <{citizen}>"),
                &lapor,
                &format!("Laporan BA Rekon DBH Triwulan {n}"),
                "terlampir",
                "",
            ),
        );
    }
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let first = ticket_of_subject(&t, "Laporan BA Rekon DBH Triwulan 1");
    let second = ticket_of_subject(&t, "Laporan BA Rekon DBH Triwulan 2");
    assert_eq!(open_tickets(&t), 2);
    let fwd = |ticket: &str| {
        forwards(&pic)
            .into_iter()
            .find(|f| f.subject().contains(ticket))
            .expect("forward")
    };

    // The attacker writes as the PIC, from outside, with the tag and a reply-like subject.
    let attacker = t.ext("penyerang", "evil.test");
    submit(
        OUTSIDE,
        &attacker,
        &[&lapor],
        &mail(
            &format!("PIC DBH <{pic}>"),
            &lapor,
            &format!("Re: [{first}] sudah selesai"),
            "Sudah kami tindak lanjuti.",
            "",
        ),
    );
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(open_tickets(&t), 2, "a forged answer closes nothing");
    let (relation, folder): (String, String) = t
        .db()
        .query_row(
            "SELECT relation, folder FROM messages WHERE subject LIKE 'Re: [%] sudah selesai'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("recorded");
    assert_eq!(relation, "unverified-answer");
    assert_eq!(folder, "Pilah/tidak-terverifikasi");
    assert!(contents(&lapor)
        .iter()
        .any(|f| f.folder == "Pilah/tidak-terverifikasi"));
    let story = t.pilah(&[
        "ticket",
        "show",
        "--config",
        t.config.to_str().unwrap(),
        &first,
    ]);
    assert!(
        String::from_utf8_lossy(&story.stdout).contains("unverified answer"),
        "{}",
        text(&story)
    );

    // The real PIC answers the first forward, vouched for by the server.
    let f1 = fwd(&first);
    submit(
        OUTSIDE,
        &pic,
        &[&lapor],
        &mail(
            &format!("PIC DBH <{pic}>"),
            &lapor,
            &format!("Re: {}", f1.subject()),
            "Laporan sudah kami terima.",
            &format!("In-Reply-To: {}\r\n", f1.header("Message-ID").unwrap()),
        ),
    );
    // And answers the second from inside the organisation, where no DMARC verdict is
    // written (`+none`): the internal route vouches for it.
    let f2 = fwd(&second);
    submit(
        "127.0.0.2",
        &pic.replace("pic.dbh@", "pic.dbh+none@"),
        &[&lapor],
        &mail(
            &format!("PIC DBH <{pic}>"),
            &lapor,
            &format!("Re: {}", f2.subject()),
            "Laporan sudah kami terima.",
            &format!("In-Reply-To: {}\r\n", f2.header("Message-ID").unwrap()),
        ),
    );
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(open_tickets(&t), 0, "both real answers count");
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE relation = 'pic-answer'"),
        2
    );
}

#[test]
fn a_flood_from_many_senders_is_acknowledged_up_to_the_hourly_cap() {
    let t = Scratch::new("");
    t.write_config(
        stack().smtp_port,
        "[limits]\nacks_per_hour = 2\n\n[authentication]\nauthserv_ids = [\"mx.djpk.test\"]\n",
    );
    let lapor = t.addr("lapor");
    let senders: Vec<String> = (1..=4)
        .map(|n| t.ext(&format!("pengirim{n}"), "pemda.go.id"))
        .collect();
    for (n, s) in senders.iter().enumerate() {
        submit(
            OUTSIDE,
            s,
            &[&lapor],
            &mail(
                s,
                &lapor,
                &format!("Laporan BA Rekon DBH Triwulan {}", n + 1),
                "terlampir",
                "",
            ),
        );
    }
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let answered = senders.iter().filter(|s| !contents(s).is_empty()).count();
    assert_eq!(answered, 2, "two acknowledgements within the hour, no more");
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE ack_skipped LIKE '%acks_per_hour%'"),
        2
    );
    // Every report still reached the PIC.
    assert_eq!(forwards(&t.addr("pic.dbh")).len(), 4);
}

#[test]
fn doctor_says_when_no_receiving_server_is_trusted() {
    // An empty [authentication] section: nothing is believed.
    let t = Scratch::new("[authentication]\n");
    let o = t.pilah(&["doctor", "--config", t.config.to_str().unwrap()]);
    let said = text(&o);
    assert!(said.contains("warn authentication"), "{said}");
    assert!(
        said.contains("every sender is treated as unauthenticated"),
        "{said}"
    );
    let t = Scratch::new("");
    let o = t.pilah(&["doctor", "--config", t.config.to_str().unwrap()]);
    let said = text(&o);
    assert!(
        said.contains("believing the Authentication-Results of mx.djpk.test"),
        "{said}"
    );
}
