//! pilah against a second real IMAP server: Courier IMAP (Debian's, unpacked and run by
//! `scripts/courier.sh` on 127.0.0.1), whose personal namespace is `INBOX.` with `.` as the
//! delimiter, which has no MOVE, and which is also run announcing neither UIDPLUS nor IDLE.
//! Dovecot (the stack's, with MOVE) is the other server: a mailbox on each, side by side.
//!
//! Mail reaches a Courier mailbox the way it does in an organisation whose MX is Postfix:
//! submitted to the stack's Postfix (its `Received` line and `Authentication-Results` on top,
//! which pilah's trust rules read), then written into the mailbox's Maildir
//! ([`Courier::deliver`]). pilah's own mail (forwards, acknowledgements) goes out through
//! Postfix into Dovecot, where the PICs' and senders' mailboxes are.

mod common;

use common::*;

fn forwards_in(found: &[Found]) -> Vec<&Found> {
    found
        .iter()
        .filter(|f| f.header("X-Pilah-Kind").as_deref() == Some("forward"))
        .collect()
}

fn folder_of(found: &[Found], needle: &str) -> Vec<String> {
    found
        .iter()
        .filter(|f| f.subject().contains(needle))
        .map(|f| f.folder.clone())
        .collect()
}

/// The PICs of a category's unit, from the test's rules.
fn pics_of(t: &Scratch, category: &str) -> Vec<String> {
    let read = |f: &str| -> toml::Value {
        toml::from_str(&std::fs::read_to_string(t.rules.join(f)).expect("rules")).expect("toml")
    };
    let cats = read("categories.toml");
    let unit = cats["category"]
        .as_array()
        .expect("categories")
        .iter()
        .find(|c| c["id"].as_str() == Some(category))
        .and_then(|c| c["unit"].as_str())
        .expect("unit")
        .to_string();
    read("units.toml")["unit"]
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["id"].as_str() == Some(unit.as_str()))
        .expect("unit")["pics"]
        .as_array()
        .expect("pics")
        .iter()
        .map(|p| p.as_str().expect("pic").to_string())
        .collect()
}

/// A config with `lapor` on Courier (at `port`, plain IMAP on loopback, as Debian's Courier
/// runs without a certificate) and `callcenter` on Dovecot; `extra` goes at the top and
/// `lapor_extra` into lapor's table.
fn courier_config(t: &Scratch, port: u16, extra: &str, lapor_extra: &str) {
    let s = stack();
    let d = &t.domain;
    let text = format!(
        r#"state_dir = "{state}"
rules_dir = "{rules}"
admin_address = "admin@{d}"
start_date = "2024-03-01"
{extra}

[smtp]
host = "{host}"
port = {smtp}
security = "plain"
from = "pilah@{d}"

[[mailbox]]
name = "lapor"
address = "lapor@{d}"
host = "{host}"
port = {port}
security = "plain"
username = "lapor@{d}"
password_file = "{pw}"
{lapor_extra}

[[mailbox]]
name = "callcenter"
address = "callcenter@{d}"
host = "{host}"
port = {imap}
security = "plain"
username = "callcenter@{d}"
password_file = "{pw}"

[authentication]
authserv_ids = ["mx.djpk.test"]
"#,
        state = t.state().display(),
        rules = t.rules.display(),
        host = s.host,
        smtp = s.smtp_port,
        imap = s.imap_port,
        pw = t.password_file().display(),
    );
    std::fs::write(&t.config, text).expect("config");
}

fn dbh_report(t: &Scratch, subject: &str) -> Vec<u8> {
    mail(
        &format!(
            "BPKAD Kab. Cilacap <{}>",
            t.ext("bpkad", "cilacapkab.go.id")
        ),
        &t.addr("lapor"),
        subject,
        "Dengan hormat, bersama ini kami sampaikan berita acara rekonsiliasi DBH.",
        "",
    )
}

fn doctor(t: &Scratch) -> std::process::Output {
    t.pilah(&["doctor", "--config", t.config.to_str().expect("utf-8")])
}

#[test]
fn a_mailbox_on_courier_is_drained_routed_acknowledged_and_filed_in_its_namespace() {
    let c = courier();
    let t = Scratch::new("");
    let lapor = t.addr("lapor");
    c.users(&[&lapor]);
    courier_config(&t, c.port, "", "");
    let bpkad = t.ext("bpkad", "cilacapkab.go.id");
    c.deliver(
        "127.0.0.1",
        &bpkad,
        &lapor,
        &dbh_report(&t, "Laporan BA Rekonsiliasi DBH Triwulan I"),
    );
    let kabid = t.ext("kabid", "brebeskab.go.id");
    let ooo = mail(
        &format!("Kepala Bidang <{kabid}>"),
        &lapor,
        "Out of office: Laporan DBH",
        "Saya sedang cuti sampai 10 Maret.",
        "Auto-Submitted: auto-replied\r\n",
    );
    c.deliver("127.0.0.1", &kabid, &lapor, &ooo);
    // The other mailbox is on Dovecot.
    let cc = t.addr("callcenter");
    let budi = t.ext("budi.santoso", "gmail.com");
    let tax = mail(
        &format!("Budi <{budi}>"),
        &cc,
        "npwp saya hilang",
        "pagi min, gimana cara urus NPWP yang hilang?",
        "",
    );
    submit("127.0.0.1", &budi, &[&cc], &tax);

    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));

    // Routed and acknowledged as on Dovecot: one forward to each PIC, one acknowledgement.
    let pics = pics_of(&t, "syarat-salur-dbh");
    assert!(!pics.is_empty());
    for pic in &pics {
        let got = contents(pic);
        let fwd = forwards_in(&got);
        assert_eq!(
            fwd.len(),
            1,
            "{pic}: {:?}\n{}",
            got.iter().map(|f| f.subject()).collect::<Vec<_>>(),
            text(&out)
        );
        assert!(
            fwd[0].subject().contains("Rekonsiliasi DBH Triwulan I"),
            "{}",
            fwd[0].subject()
        );
    }
    let acks = contents(&bpkad);
    assert_eq!(acks.len(), 1, "{acks:#?}");
    assert!(
        acks[0].subject().contains("-000001"),
        "{}",
        acks[0].subject()
    );
    assert!(contents(&kabid).is_empty(), "an auto-reply gets no answer");
    assert_eq!(contents(&budi).len(), 1, "the tax question got its pointer");

    // Filed inside Courier's namespace; the watched folder is empty (UIDPLUS: only pilah's
    // own copies were expunged).
    let l = rt().block_on(mailbox_contents_at(c.port, &lapor));
    assert_eq!(
        folder_of(&l, "Rekonsiliasi DBH"),
        vec!["INBOX.Pilah.syarat-salur-dbh"],
        "{l:#?}"
    );
    assert_eq!(folder_of(&l, "Out of office"), vec!["INBOX.Pilah.otomatis"]);
    assert_eq!(l.len(), 2, "{l:#?}");
    let d = contents(&cc);
    assert_eq!(folder_of(&d, "npwp"), vec!["Pilah/non-djpk"]);
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE state = 'filed'"),
        3
    );

    // New mail later, and a second run: nothing is sent twice, nothing filed twice.
    c.deliver(
        "127.0.0.1",
        &bpkad,
        &lapor,
        &dbh_report(&t, "Laporan BA Rekonsiliasi DBH Triwulan II"),
    );
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let l = rt().block_on(mailbox_contents_at(c.port, &lapor));
    assert_eq!(l.len(), 3, "{l:#?}");
    assert!(l.iter().all(|f| f.folder != "INBOX"), "{l:#?}");
    assert_eq!(contents(&bpkad).len(), 2);
    for pic in &pics {
        assert_eq!(forwards_in(&contents(pic)).len(), 2);
    }
}

#[test]
fn both_mailboxes_on_courier_are_drained_routed_acknowledged_and_filed_in_its_namespace() {
    let c = courier();
    let t = Scratch::new("");
    let (lapor, cc) = (t.addr("lapor"), t.addr("callcenter"));
    c.users(&[&lapor, &cc]);
    courier_config(&t, c.port, "", "");
    // callcenter moves to Courier too (its `port` line is the only one with Dovecot's port).
    let config = std::fs::read_to_string(&t.config).expect("config");
    let dovecot = format!("port = {}\n", stack().imap_port);
    assert_eq!(config.matches(&dovecot).count(), 1, "{config}");
    let config = config.replace(&dovecot, &format!("port = {}\n", c.port));
    std::fs::write(&t.config, config).expect("config");

    let bpkad = t.ext("bpkad", "cilacapkab.go.id");
    c.deliver(
        "127.0.0.1",
        &bpkad,
        &lapor,
        &dbh_report(&t, "Laporan BA Rekonsiliasi DBH Triwulan III"),
    );
    let budi = t.ext("budi.santoso", "gmail.com");
    let tax = mail(
        &format!("Budi <{budi}>"),
        &cc,
        "npwp saya hilang",
        "pagi min, gimana cara urus NPWP yang hilang?",
        "",
    );
    c.deliver("127.0.0.1", &budi, &cc, &tax);
    let pemda = t.ext("keuangan", "bantulkab.go.id");
    let dau = mail(
        &format!("BPKAD Bantul <{pemda}>"),
        &cc,
        "Pertanyaan penyaluran DAU bulan Maret",
        "Mohon informasi jadwal penyaluran DAU bulan Maret untuk Kabupaten Bantul.",
        "",
    );
    c.deliver("127.0.0.1", &pemda, &cc, &dau);

    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    for pic in pics_of(&t, "syarat-salur-dbh") {
        assert_eq!(forwards_in(&contents(&pic)).len(), 1, "{pic}");
    }
    assert_eq!(contents(&bpkad).len(), 1, "acknowledged");
    assert_eq!(contents(&budi).len(), 1, "the tax question got its pointer");
    assert_eq!(contents(&pemda).len(), 1, "acknowledged");

    // Everything filed inside Courier's namespace, in both mailboxes; nothing left behind.
    let l = rt().block_on(mailbox_contents_at(c.port, &lapor));
    assert_eq!(
        folder_of(&l, "Rekonsiliasi DBH"),
        vec!["INBOX.Pilah.syarat-salur-dbh"]
    );
    let d = rt().block_on(mailbox_contents_at(c.port, &cc));
    assert_eq!(
        folder_of(&d, "npwp"),
        vec!["INBOX.Pilah.non-djpk"],
        "{d:#?}"
    );
    let dau_folder = folder_of(&d, "penyaluran DAU");
    assert_eq!(dau_folder.len(), 1, "{d:#?}");
    assert!(dau_folder[0].starts_with("INBOX.Pilah."), "{dau_folder:?}");
    assert!(d.iter().chain(&l).all(|f| f.folder != "INBOX"), "{d:#?}");
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE state = 'filed'"),
        3
    );
    let tickets: Vec<String> = t
        .db()
        .prepare("SELECT ticket FROM tickets ORDER BY ticket")
        .expect("sql")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(tickets.iter().any(|t| t.starts_with("CC-")), "{tickets:?}");
    assert!(tickets.iter().any(|t| t.starts_with("LPR-")), "{tickets:?}");
}

#[test]
fn without_uidplus_filed_mail_is_copied_and_flagged_and_never_taken_up_again() {
    let c = courier();
    let t = Scratch::new("");
    let lapor = t.addr("lapor");
    c.users(&[&lapor]);
    courier_config(&t, c.bare_port, "", "");
    let bpkad = t.ext("bpkad", "cilacapkab.go.id");
    c.deliver(
        "127.0.0.1",
        &bpkad,
        &lapor,
        &dbh_report(&t, "Laporan DBH satu"),
    );
    // Another client's message flagged \Deleted and not yet expunged: pilah leaves it be.
    rt().block_on(async {
        let mut s = login_at(c.bare_port, &lapor).await;
        let other = mail("agent@example.org", &lapor, "draft to delete", "x", "");
        s.append("INBOX", Some("(\\Deleted)"), None, &other)
            .await
            .expect("append");
        s.logout().await.ok();
    });

    for _ in 0..2 {
        let out = t.run_once();
        assert!(out.status.success(), "{}", text(&out));
    }
    let l = rt().block_on(mailbox_contents_at(c.bare_port, &lapor));
    let deleted = |f: &Found| f.flags.iter().any(|x| x.contains("Deleted"));
    let filed: Vec<_> = l
        .iter()
        .filter(|f| f.folder == "INBOX.Pilah.syarat-salur-dbh")
        .collect();
    assert_eq!(
        filed.len(),
        1,
        "filed once, not again by the second run: {l:#?}"
    );
    assert!(!deleted(filed[0]));
    let inbox: Vec<_> = l.iter().filter(|f| f.folder == "INBOX").collect();
    assert_eq!(inbox.len(), 2, "nothing was expunged: {l:#?}");
    assert!(inbox.iter().all(|f| deleted(f)), "{inbox:#?}");
    assert!(inbox.iter().any(|f| f.subject() == "draft to delete"));
    assert_eq!(
        contents(&bpkad).len(),
        1,
        "acknowledged once: {}",
        text(&t.run_once())
    );
    assert_eq!(t.count("SELECT count(*) FROM messages"), 1);
}

/// The daemon against lapor on Courier at `port`: fetched once, then a new message is filed.
fn daemon_files_new_mail(port: u16, subject: &str) {
    let c = courier();
    let t = Scratch::new("");
    let lapor = t.addr("lapor");
    c.users(&[&lapor]);
    courier_config(&t, port, "", "");
    std::fs::write(
        &t.config,
        std::fs::read_to_string(&t.config).expect("config")
            + "\n[limits]\npoll_interval_seconds = 1\n",
    )
    .expect("config");
    let daemon = Daemon::start(&t);
    assert!(
        wait_until("both mailboxes fetched once", 30, || {
            t.state().join("pilah.sqlite").exists()
                && std::panic::catch_unwind(|| {
                    t.count("SELECT count(*) FROM mailbox_state WHERE last_success IS NOT NULL")
                })
                .unwrap_or(0)
                    == 2
        }),
        "{}",
        daemon.log()
    );
    let bpkad = t.ext("bpkad", "cilacapkab.go.id");
    c.deliver("127.0.0.1", &bpkad, &lapor, &dbh_report(&t, subject));
    assert!(
        wait_until("the new message filed", 30, || {
            t.count("SELECT count(*) FROM messages WHERE state = 'filed'") == 1
        }),
        "{}",
        daemon.log()
    );
    daemon.stop();
    let l = rt().block_on(mailbox_contents_at(port, &lapor));
    assert_eq!(
        folder_of(&l, subject)
            .iter()
            .filter(|f| f.as_str() != "INBOX")
            .collect::<Vec<_>>(),
        vec!["INBOX.Pilah.syarat-salur-dbh"]
    );
}

#[test]
fn without_idle_the_daemon_polls_and_files_new_mail() {
    daemon_files_new_mail(courier().bare_port, "Laporan DBH polling");
}

#[test]
fn the_daemon_waits_in_courier_idle_and_files_new_mail() {
    daemon_files_new_mail(courier().port, "Laporan DBH idle");
}

#[test]
fn doctor_reports_each_server_and_tries_the_folders() {
    let c = courier();
    let t = Scratch::new("");
    let lapor = t.addr("lapor");
    c.users(&[&lapor]);
    courier_config(&t, c.port, "", "");
    let out = doctor(&t);
    let o = text(&out);
    assert!(out.status.success(), "{o}");
    assert!(
        o.contains(r#"folder prefix "INBOX." (from NAMESPACE), delimiter ".""#),
        "{o}"
    );
    assert!(o.contains("MOVE no, UIDPLUS yes, IDLE yes"), "{o}");
    assert!(
        o.contains("files by UID COPY + \\Deleted + UID EXPUNGE"),
        "{o}"
    );
    // Dovecot, the other mailbox.
    assert!(
        o.contains(r#"folder prefix "" (from NAMESPACE), delimiter "/"; MOVE yes"#),
        "{o}"
    );
    assert!(
        o.contains("created and deleted again: filing will work"),
        "{o}"
    );
    // The tries left nothing behind.
    let l = rt().block_on(async {
        let mut s = login_at(c.port, &lapor).await;
        use futures::TryStreamExt;
        let names: Vec<String> = s
            .list(Some(""), Some("*"))
            .await
            .expect("list")
            .try_collect::<Vec<_>>()
            .await
            .expect("list")
            .iter()
            .map(|n| n.name().to_string())
            .collect();
        s.logout().await.ok();
        names
    });
    assert_eq!(l, vec!["INBOX"]);

    // Without UIDPLUS and IDLE.
    courier_config(&t, c.bare_port, "", "");
    let o = text(&doctor(&t));
    assert!(o.contains("never EXPUNGE"), "{o}");
    assert!(o.contains("polling every"), "{o}");
}

#[test]
fn doctor_fails_when_the_server_would_refuse_the_folders() {
    let c = courier();
    let t = Scratch::new("");
    let lapor = t.addr("lapor");
    c.users(&[&lapor]);
    // Outside Courier's namespace, as `Pilah.apbd` was in the field.
    courier_config(&t, c.port, "", "folder_prefix = \"Arsip.\"");
    let out = doctor(&t);
    let o = text(&out);
    assert!(!out.status.success(), "{o}");
    assert!(
        o.contains("FAIL mailbox lapor folders Pilah/apbd, ")
            && o.contains("Pilah/karantina, ")
            && o.contains("filing would fail")
            && o.contains("CREATE \"Arsip.Pilah\": Invalid mailbox name"),
        "{o}"
    );

    // On Dovecot: a folder whose name it will not create.
    let t = Scratch::new("[folders]\nmachine = \"Pilah/../otomatis\"");
    let out = doctor(&t);
    let o = text(&out);
    assert!(!out.status.success(), "{o}");
    assert!(
        o.contains("FAIL mailbox lapor folders Pilah/../otomatis: filing would fail"),
        "{o}"
    );
}

/// `pilah doctor` with one mistake in lapor's (or SMTP's) connection settings, against the
/// stack's real ports: 10143 plain with STARTTLS, 10993 TLS from the first byte, 10025 SMTP.
fn doctor_with(t: &Scratch, from: &str, to: &str) -> String {
    let config = std::fs::read_to_string(&t.config).expect("config");
    assert!(config.contains(from), "{from} not in {config}");
    std::fs::write(&t.config, config.replacen(from, to, 1)).expect("config");
    let out = doctor(t);
    assert!(!out.status.success(), "{}", text(&out));
    std::fs::write(&t.config, config).expect("config");
    text(&out)
}

#[test]
fn connection_mistakes_say_what_probably_happened() {
    let s = stack();
    let t = Scratch::new("[limits]\nnetwork_timeout_seconds = 3");
    let starttls = format!("port = {}\nsecurity = \"starttls\"", s.imap_port);
    // TLS on the plain port.
    let o = doctor_with(
        &t,
        &starttls,
        &format!("port = {}\nsecurity = \"tls\"", s.imap_port),
    );
    assert!(
        o.contains("the server did not answer TLS: is this port plain or STARTTLS?")
            && o.contains("InvalidContentType"),
        "{o}"
    );
    // STARTTLS on the TLS port: the server waits for a handshake, pilah for a greeting.
    let o = doctor_with(
        &t,
        &starttls,
        &format!("port = {}\nsecurity = \"starttls\"", s.imaps_port),
    );
    assert!(
        o.contains("sent no greeting within 3 s: the server may expect TLS from the first byte"),
        "{o}"
    );
    // A ca_file that is not the CA of the server's certificate.
    let other_ca = t.dir.path().join("other-ca.pem");
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        ])
        .arg(format!("/CN={}", s.host))
        .arg("-keyout")
        .arg(t.dir.path().join("other-key.pem"))
        .arg("-out")
        .arg(&other_ca)
        .output()
        .expect("openssl");
    assert!(made.status.success(), "{}", text(&made));
    let ca = format!("ca_file = \"{}\"", s.ca_file.display());
    let o = doctor_with(&t, &ca, &format!("ca_file = \"{}\"", other_ca.display()));
    assert!(
        o.contains(&format!(
            "not signed by a CA in ca_file {}",
            other_ca.display()
        )) && o.contains("invalid peer certificate"),
        "{o}"
    );
    // SMTP: TLS on the plain port.
    let smtp = format!("port = {}\nsecurity = \"plain\"", s.smtp_port);
    let o = doctor_with(
        &t,
        &smtp,
        &format!("port = {}\nsecurity = \"tls\"", s.smtp_port),
    );
    assert!(
        o.contains("FAIL smtp") && o.contains("the server did not answer TLS"),
        "{o}"
    );
}

#[test]
fn a_folder_courier_cannot_hold_is_bypassed_through_quarantine() {
    let c = courier();
    let t = Scratch::new("");
    let lapor = t.addr("lapor");
    c.users(&[&lapor]);
    courier_config(&t, c.port, "", "");
    // A folder name with Courier's delimiter in one of its parts.
    let cats = t.rules.join("categories.toml");
    let text_of = std::fs::read_to_string(&cats).expect("categories");
    let fixed = text_of.replacen(
        "id = \"syarat-salur-dbh\"\n",
        "id = \"syarat-salur-dbh\"\nfolder = \"Pilah/dbh.2024\"\n",
        1,
    );
    assert_ne!(fixed, text_of);
    std::fs::write(&cats, fixed).expect("categories");
    let bpkad = t.ext("bpkad", "cilacapkab.go.id");
    c.deliver(
        "127.0.0.1",
        &bpkad,
        &lapor,
        &dbh_report(&t, "Laporan BA Rekonsiliasi DBH"),
    );

    let out = t.run_once();
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("folder-refused") && log.contains("hierarchy delimiter"),
        "{log}"
    );
    let l = rt().block_on(mailbox_contents_at(c.port, &lapor));
    assert_eq!(
        folder_of(&l, "Rekonsiliasi DBH"),
        vec!["INBOX.Pilah.karantina"],
        "{l:#?}"
    );
    // Forwarded and acknowledged all the same; the admin was told.
    assert_eq!(contents(&bpkad).len(), 1);
    assert!(
        contents(&t.addr("admin"))
            .iter()
            .any(|f| f.raw.windows(7).any(|w| w == b"dbh.202")),
        "the admin's alert names the folder"
    );
}

#[test]
fn smtp_with_tls_from_the_first_byte_delivers_and_starttls_there_is_explained() {
    let s = stack();
    let t = Scratch::new("[limits]\nnetwork_timeout_seconds = 3");
    let plain = format!("port = {}\nsecurity = \"plain\"", s.smtp_port);
    // STARTTLS aimed at the port that expects TLS at once (as port 465 does).
    let o = doctor_with(
        &t,
        &plain,
        &format!("port = {}\nsecurity = \"starttls\"", s.smtps_port),
    );
    assert!(
        o.contains("FAIL smtp") && o.contains("the server may expect TLS from the first byte"),
        "{o}"
    );
    // The same port with security = "tls": mail goes out, and the sender has the
    // acknowledgement in their mailbox.
    let config = std::fs::read_to_string(&t.config).expect("config");
    let tls = format!(
        "port = {}\nsecurity = \"tls\"\nca_file = \"{}\"",
        s.smtps_port,
        s.ca_file.display()
    );
    std::fs::write(&t.config, config.replacen(&plain, &tls, 1)).expect("config");
    let cc = t.addr("callcenter");
    let warga = t.ext("warga", "gmail.com");
    let m = mail(
        &format!("Warga <{warga}>"),
        &cc,
        "Pertanyaan penyaluran Dana Desa tahap II",
        "kapan cair?",
        "",
    );
    rt().block_on(append(&cc, "INBOX", &m, None, None));
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        wait_until("the acknowledgement sent over SMTPS", 30, || contents(
            &warga
        )
        .len()
            == 1),
        "{}",
        text(&out)
    );
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL"),
        0,
        "{}",
        text(&out)
    );
}

#[test]
fn a_correction_on_courier_is_seen_when_the_client_moves_by_copy_and_deleted() {
    let c = courier();
    let t = Scratch::new("");
    let lapor = t.addr("lapor");
    c.users(&[&lapor]);
    // Without UIDPLUS and IDLE: pilah files by COPY + \Deleted, and so does the agent's
    // client, which leaves the source's STATUS (count, UIDNEXT) as it was.
    courier_config(&t, c.bare_port, "", "");
    let bpkad = t.ext("bpkad", "cilacapkab.go.id");
    c.deliver(
        "127.0.0.1",
        &bpkad,
        &lapor,
        &dbh_report(&t, "Laporan DAU Cilacap"),
    );
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let dau = "INBOX.Pilah.syarat-salur-dau";
    let found = rt().block_on(mailbox_contents_at(c.bare_port, &lapor));
    assert!(folder_of(&found, "DAU Cilacap").contains(&dau.to_string()));
    // The agent's client: COPY to the DBH folder, the original flagged \Deleted, no EXPUNGE.
    rt().block_on(async {
        let mut s = login_at(c.bare_port, &lapor).await;
        s.select(dau).await.expect("select");
        let uid = s
            .uid_search("SUBJECT \"DAU Cilacap\"")
            .await
            .expect("search")
            .into_iter()
            .next()
            .expect("the message");
        s.uid_copy(uid.to_string(), "INBOX.Pilah.syarat-salur-dbh")
            .await
            .expect("copy");
        use futures::TryStreamExt;
        s.uid_store(uid.to_string(), "+FLAGS.SILENT (\\Deleted)")
            .await
            .expect("store")
            .try_collect::<Vec<_>>()
            .await
            .expect("store");
        s.logout().await.ok();
    });
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        t.count("SELECT count(*) FROM corrections WHERE to_category = 'syarat-salur-dbh'"),
        1,
        "{}",
        text(&out)
    );
    for pic in pics_of(&t, "syarat-salur-dbh") {
        assert_eq!(forwards_in(&contents(&pic)).len(), 1, "{pic}");
    }
}
