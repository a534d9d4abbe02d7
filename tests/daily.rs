//! Daily use, as the contact center's agents and admin do it (issue 20): finding a citizen's
//! message, the open tickets, names that do not exist, a listing piped into `head`, a log
//! redirected to a file. Against the real mail stack: messages APPENDed, `pilah run --once`.

mod common;

use common::*;
use std::process::{Command, Stdio};

const MARCH: &str = "05-Mar-2024 09:30:00 +0700";

/// A long sender address, longer than any column cuts.
const LONG_LOCAL: &str = "sekretariat.badan.pengelolaan.keuangan.dan.aset.daerah";

/// A state directory with three recorded messages of March 2024: a DBH report to `lapor`
/// (ticket LPR-2024-000001, to unit dtu-dbh) from a long address, a tax question and a
/// DAU question to `callcenter`.
fn recorded_month() -> Scratch {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let lapor = t.addr("lapor");
    let cc = t.addr("callcenter");
    let dbh = mail(
        &format!(
            "BPKAD Kab. Cilacap <{}>",
            t.ext(LONG_LOCAL, "cilacapkab.go.id")
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
    let dau = mail(
        &format!("Siti <{}>", t.ext("siti", "bantulkab.go.id")),
        &cc,
        "Pertanyaan penyaluran DAU bulan Maret",
        "Mohon informasi jadwal penyaluran DAU bulan Maret untuk kabupaten kami.",
        "",
    );
    rt().block_on(async {
        append(
            &lapor,
            "INBOX",
            &vouched(&t.ext(LONG_LOCAL, "cilacapkab.go.id"), dbh),
            Some(MARCH),
            None,
        )
        .await;
        append(&cc, "INBOX", &tax, Some(MARCH), None).await;
        append(&cc, "INBOX", &dau, Some(MARCH), None).await;
    });
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    t
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn an_agent_finds_a_message_by_sender_subject_ticket_category_unit_and_date() {
    let t = recorded_month();
    let cfg = t.config.to_str().unwrap();
    let find = |args: &[&str]| {
        let mut all = vec!["messages", "--config", cfg];
        all.extend_from_slice(args);
        let o = t.pilah(&all);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        stdout(&o)
    };
    // Everything: a header with the zone, each row's time on its clock, the subject.
    let all = find(&[]);
    assert!(all.contains("received (WIB)"), "{all}");
    assert!(all.contains("2024-03-05 09:30"), "{all}");
    assert!(all.contains("npwp saya hilang"), "{all}");
    assert!(all.contains("3 message(s)"), "{all}");
    // By part of the sender's address or name, any case.
    let budi = find(&["--from", "BUDI.santoso"]);
    assert!(budi.contains("npwp saya hilang"), "{budi}");
    assert!(budi.contains("1 message(s)"), "{budi}");
    assert_eq!(find(&["--from", "Siti"]).matches("DAU").count(), 1);
    // By words of the subject, in any order and case.
    let dbh = find(&["--subject", "dbh rekonsiliasi"]);
    assert!(dbh.contains("LPR-2024-000001"), "{dbh}");
    assert!(dbh.contains("1 message(s)"), "{dbh}");
    // By ticket, as an agent types it.
    let by_ticket = find(&["--ticket", "[lpr-2024-000001]"]);
    assert!(by_ticket.contains("Rekonsiliasi"), "{by_ticket}");
    assert!(by_ticket.contains("1 message(s)"), "{by_ticket}");
    // By category, by the unit it went to.
    assert!(find(&["--category", "syarat-salur-dbh"]).contains("1 message(s)"));
    assert!(find(&["--unit", "dtu-dbh"]).contains("LPR-2024-000001"));
    assert!(find(&["--unit", "dtu-dau"]).contains("penyaluran DAU"));
    // By date, on the configured clock: 5 March WIB, whatever UTC says.
    assert!(find(&["--since", "2024-03-05", "--until", "2024-03-05"]).contains("3 message(s)"));
    assert!(find(&["--since", "2024-03-06"]).contains("0 message(s)"));
    assert!(find(&["--until", "2024-03-04"]).contains("0 message(s)"));
    assert!(find(&["--month", "2024-03", "--mailbox", "lapor"]).contains("1 message(s)"));
}

#[test]
fn whole_addresses_with_wide_or_json_and_cut_ones_otherwise() {
    let t = recorded_month();
    let cfg = t.config.to_str().unwrap();
    let full = t.ext(LONG_LOCAL, "cilacapkab.go.id");
    let o = t.pilah(&["messages", "--config", cfg, "--mailbox", "lapor"]);
    let cut = stdout(&o);
    assert!(!cut.contains(&full) && cut.contains('…'), "{cut}");
    let o = t.pilah(&["messages", "--config", cfg, "--mailbox", "lapor", "--wide"]);
    let wide = stdout(&o);
    assert!(wide.contains(&full), "{wide}");
    assert!(
        wide.contains("Laporan BA Rekonsiliasi DBH Triwulan I"),
        "{wide}"
    );
    let o = t.pilah(&["messages", "--config", cfg, "--json", "--mailbox", "lapor"]);
    assert!(o.status.success(), "{}", text(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["sender"], full.as_str());
    assert_eq!(lines[0]["ticket"], "LPR-2024-000001");
    assert_eq!(lines[0]["internal_date"], "2024-03-05T09:30:00+07:00");
    // The open tickets, the same way.
    let o = t.pilah(&[
        "ticket", "list", "--config", cfg, "--json", "--unit", "dtu-dbh",
    ]);
    let l: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!(l["sender"], full.as_str());
    assert_eq!(l["subject"], "Laporan BA Rekonsiliasi DBH Triwulan I");
    assert_eq!(l["opened_at"], "2024-03-05T09:30:00+07:00");
}

#[test]
fn tickets_show_their_times_on_the_configured_clock_with_a_subject() {
    let t = recorded_month();
    let cfg = t.config.to_str().unwrap();
    let o = t.pilah(&["ticket", "show", "--config", cfg, "LPR-2024-000001"]);
    assert!(o.status.success(), "{}", text(&o));
    let show = stdout(&o);
    assert!(show.contains("opened: 2024-03-05 09:30 WIB"), "{show}");
    assert!(show.contains("2024-03-05 09:30 WIB message"), "{show}");
    assert!(!show.contains("T02:30"), "UTC leaked: {show}");
    let o = t.pilah(&["ticket", "list", "--config", cfg, "--open"]);
    let list = stdout(&o);
    assert!(list.contains("opened (WIB)"), "{list}");
    assert!(list.contains("2024-03-05 09:30"), "{list}");
    assert!(list.contains("Laporan BA Rekonsiliasi"), "{list}");
    assert!(list.contains("2 open ticket(s)"), "{list}");
    let o = t.pilah(&[
        "ticket",
        "list",
        "--config",
        cfg,
        "--mailbox",
        "callcenter",
        "--from",
        "siti",
    ]);
    assert!(stdout(&o).contains("1 open ticket(s)"), "{}", stdout(&o));
}

#[test]
fn a_name_that_does_not_exist_is_an_error_that_lists_the_valid_ones() {
    let t = recorded_month();
    let cfg = t.config.to_str().unwrap();
    let o = t.pilah(&["ticket", "list", "--config", cfg, "--unit", "dtu-dauu"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--unit \"dtu-dauu\": no such name"), "{err}");
    assert!(err.contains("dtu-dau, dtu-dbh"), "{err}");
    assert!(!stdout(&o).contains("open ticket"), "{}", stdout(&o));
    let o = t.pilah(&["messages", "--config", cfg, "--mailbox", "lapr"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("the mailboxes (of the config) are: lapor, callcenter"),
        "{err}"
    );
    let o = t.pilah(&[
        "report",
        "--config",
        cfg,
        "--month",
        "2024-03",
        "--mailbox",
        "lapr",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("its mailboxes are: lapor, callcenter"),
        "{}",
        text(&o)
    );
    let o = t.pilah(&["messages", "--config", cfg, "--category", "syarat-salur"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("syarat-salur-dau, syarat-salur-dbh"), "{err}");
    let o = t.pilah(&["messages", "--config", cfg, "--since", "5 Maret"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--since \"5 Maret\": give a day as YYYY-MM-DD"),
        "{err}"
    );
}

/// Runs pilah with its output read by nobody (`| head` that has exited).
fn into_closed_pipe(args: &[&str]) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pilah"))
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(repo())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pilah");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_listing_piped_into_a_reader_that_went_away_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let t = recorded_month();
    let cfg = t.config.to_str().unwrap();
    let rules = t.rules.to_str().unwrap();
    let fixture = repo().join("tests/fixtures/rules/lapor/syarat-salur-dbh");
    let eml = std::fs::read_dir(&fixture)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "eml"))
        .unwrap();
    let eml = eml.to_str().unwrap();
    let commands: [&[&str]; 6] = [
        &["messages", "--config", cfg],
        &["ticket", "list", "--config", cfg],
        &["ticket", "show", "--config", cfg, "LPR-2024-000001"],
        &["report", "--config", cfg, "--month", "2024-03"],
        &["explain", "--rules", rules, "--mailbox", "lapor", eml],
        &["rules", "test", "--rules", "rules"],
    ];
    for args in commands {
        let (status, err) = into_closed_pipe(args);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
        assert!(
            status.success() || status.signal() == Some(13),
            "{args:?}: {status:?} {err}"
        );
    }
}

#[test]
fn a_log_redirected_to_a_file_carries_no_colour_codes() {
    let t = recorded_month();
    let out = Command::new(env!("CARGO_BIN_EXE_pilah"))
        .args([
            "run",
            "--once",
            "--no-send",
            "--config",
            t.config.to_str().unwrap(),
        ])
        .env_remove("NO_COLOR")
        .env_remove("JOURNAL_STREAM")
        .env("PILAH_LOG", "info")
        .stdin(Stdio::null())
        .output()
        .expect("run pilah");
    assert!(out.status.success(), "{}", text(&out));
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("INFO"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "escape codes in a redirected log: {log:?}"
    );
}

#[test]
fn a_failed_forward_is_listed_with_its_reason_retried_once_and_what_was_sent_is_not_sent_again() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let cfg = t.config.to_str().unwrap();
    // Queued while the SMTP server is down, then the original is lost before the forward
    // goes out: it fails for good, the acknowledgement goes out.
    t.write_config(free_port(), "start_date = \"2024-03-01\"");
    let lapor = t.addr("lapor");
    let sender = t.ext("bpkad", "cilacapkab.go.id");
    let subject = "Laporan BA Rekonsiliasi DBH Triwulan II";
    let m = mail(
        &format!("BPKAD Kab. Cilacap <{sender}>"),
        &lapor,
        subject,
        "Dengan hormat, bersama ini kami sampaikan berita acara rekonsiliasi DBH.",
        "",
    );
    rt().block_on(append(&lapor, "INBOX", &m, Some(MARCH), None));
    assert!(t.run_once().status.success());
    let raw_path: String = t
        .db()
        .query_row("SELECT raw_path FROM messages", [], |r| r.get(0))
        .unwrap();
    let raw = std::fs::read(&raw_path).unwrap();
    std::fs::remove_file(&raw_path).unwrap();
    t.write_config(stack().smtp_port, "start_date = \"2024-03-01\"");
    assert!(t.run_once().status.success());
    let fwd = t.count("SELECT id FROM outbox WHERE kind = 'forward'");
    let ack = t.count("SELECT id FROM outbox WHERE kind = 'ack'");
    let (fwd, ack) = (fwd.to_string(), ack.to_string());

    // Listed, with the reason.
    let o = t.pilah(&["outbox", "list", "--config", cfg]);
    assert!(o.status.success(), "{}", text(&o));
    let list = stdout(&o);
    assert!(list.contains("LPR-2024-000001"), "{list}");
    assert!(list.contains("failed 20"), "{list}");
    assert!(list.contains("cannot attach the original"), "{list}");
    assert!(list.contains("1 item(s)"), "{list}");

    // Cancelled, then retried after all, once the file is back from the backup.
    let o = t.pilah(&["outbox", "cancel", "--config", cfg, &fwd]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(stdout(&t.pilah(&["outbox", "list", "--config", cfg])).contains("cancelled 20"));
    std::fs::write(&raw_path, &raw).unwrap();
    let o = t.pilah(&["outbox", "retry", "--config", cfg, &fwd, &ack]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let said = stdout(&o);
    assert!(said.contains(&format!("item {fwd}: due again")), "{said}");
    assert!(
        said.contains(&format!("item {ack}: the server accepted it"))
            && said.contains("not sent again"),
        "{said}"
    );
    let o = t.pilah(&["outbox", "cancel", "--config", cfg, &ack]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(t.run_once().status.success());

    // The PICs got the forward once; the sender got the acknowledgement once.
    let forwards = |who: &str| {
        contents(who)
            .iter()
            .filter(|f| f.header("X-Pilah-Kind").as_deref() == Some("forward"))
            .count()
    };
    assert_eq!(forwards(&t.addr("pic.dbh")), 1);
    assert_eq!(contents(&sender).len(), 1);
    let list = stdout(&t.pilah(&["outbox", "list", "--config", cfg]));
    assert!(list.contains("0 item(s)"), "{list}");
}

#[test]
fn a_backup_holds_a_checked_database_the_raw_mail_config_rules_and_where_passwords_are() {
    let t = recorded_month();
    let cfg = t.config.to_str().unwrap();
    let dir = t.dir.path().join("backup");
    let o = t.pilah(&["backup", "--config", cfg, dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let said = stdout(&o);
    assert!(said.contains("3 message(s), integrity ok"), "{said}");
    assert!(said.contains("raw/, 3 file(s)"), "{said}");
    // The copy is a database pilah reads: the same messages.
    let copy = rusqlite::Connection::open(dir.join("pilah.sqlite")).unwrap();
    let n: i64 = copy
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(
        std::fs::read(dir.join("etc/pilah.toml")).unwrap(),
        std::fs::read(&t.config).unwrap()
    );
    assert!(dir.join("etc/rules/categories.toml").is_file());
    assert!(dir.join("etc/rules/templates").is_dir());
    // Where the password is, not the password.
    let creds = std::fs::read_to_string(dir.join("etc/credentials.txt")).unwrap();
    let pw_file = t.password_file().display().to_string();
    assert!(
        creds.contains(&format!("mailbox \"lapor\".password_file = file {pw_file}")),
        "{creds}"
    );
    let password = stack().password.clone();
    assert!(!creds.contains(&password), "{creds}");
    assert!(!dir.join("etc/secrets").exists());
    // Private to its owner: it holds personal data.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    // Not over an earlier backup; with --with-secrets, the password files too.
    let o = t.pilah(&["backup", "--config", cfg, dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("is not empty"), "{}", text(&o));
    let with = t.dir.path().join("backup2");
    let o = t.pilah(&[
        "backup",
        "--config",
        cfg,
        "--with-secrets",
        with.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let copied = std::fs::read_to_string(with.join("etc/secrets/imap-password")).unwrap();
    assert_eq!(copied.trim(), password);
}

#[test]
fn a_pruned_state_directory_still_reports_the_same_months_counts() {
    let t = recorded_month();
    let cfg = t.config.to_str().unwrap();
    let report = || {
        let o = t.pilah(&[
            "report", "--config", cfg, "--month", "2024-03", "--format", "csv",
        ]);
        assert!(o.status.success(), "{}", text(&o));
        stdout(&o)
    };
    let before = report();
    assert!(before.contains("syarat-salur-dbh"), "{before}");
    let raw_files = || {
        t.count("SELECT count(*) FROM messages") as usize
            - t.db()
                .prepare("SELECT raw_path FROM messages")
                .unwrap()
                .query_map([], |r| r.get::<_, String>(0))
                .unwrap()
                .filter(|p| !std::path::Path::new(p.as_ref().unwrap()).exists())
                .count()
    };
    assert_eq!(raw_files(), 3);
    // Without a retention setting, nothing to prune: says where to set it.
    let o = t.pilah(&["prune", "--config", cfg]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("[retention] raw_months is not set"),
        "{}",
        text(&o)
    );
    t.write_config(
        stack().smtp_port,
        "start_date = \"2024-03-01\"\n\n[retention]\nraw_months = 12\nerase_subjects = true\n",
    );
    let o = t.pilah(&["prune", "--config", cfg, "--dry-run"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        stdout(&o).contains("would remove the raw mail of 3 message(s)"),
        "{}",
        stdout(&o)
    );
    assert_eq!(raw_files(), 3, "a dry run removes nothing");
    let o = t.pilah(&["prune", "--config", cfg]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        stdout(&o).contains("removed the raw mail of 3 message(s)"),
        "{}",
        stdout(&o)
    );
    assert_eq!(raw_files(), 0);
    // The subjects are gone, the month's counts are not.
    let listing = stdout(&t.pilah(&["messages", "--config", cfg, "--wide"]));
    assert!(listing.contains("3 message(s)"), "{listing}");
    assert!(!listing.contains("Rekonsiliasi"), "{listing}");
    assert_eq!(report(), before);
    let o = t.pilah(&["prune", "--config", cfg]);
    assert!(stdout(&o).contains("of 0 message(s)"), "{}", stdout(&o));
}

#[test]
fn rules_test_runs_the_packaged_fixtures_and_the_admins_own_by_default() {
    // As installed: the binary in <root>/usr/bin, the package's fixtures (which say whose
    // Authentication-Results they carry) in <root>/usr/share/pilah/fixtures, the rules in
    // <root>/etc/pilah/rules with the admin's own fixtures beside them.
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let bin = root.path().join("usr/bin");
    std::fs::create_dir_all(&bin).unwrap();
    if std::fs::hard_link(env!("CARGO_BIN_EXE_pilah"), bin.join("pilah")).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_pilah"), bin.join("pilah")).unwrap();
    }
    copy_dir(
        &repo().join("tests/fixtures/rules"),
        &root.path().join("usr/share/pilah/fixtures"),
    );
    let rules = root.path().join("etc/pilah/rules");
    copy_dir(&repo().join("rules"), &rules);
    let mine = rules.join("fixtures/lapor/syarat-salur-dbh");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(
        mine.join("900.eml"),
        "From: BPKAD Kab. Cilacap <bpkad@cilacapkab.go.id>\r\nTo: lapor@djpk.test\r\n\
         Subject: Laporan BA Rekonsiliasi DBH Triwulan I\r\nMessage-ID: <900@cilacapkab.go.id>\r\n\
         \r\nDengan hormat, bersama ini kami sampaikan berita acara rekonsiliasi DBH.\r\n",
    )
    .unwrap();
    std::fs::write(
        mine.join("900.expected.toml"),
        "mailbox = \"lapor\"\ncategory = \"syarat-salur-dbh\"\n",
    )
    .unwrap();
    let run = || {
        Command::new(bin.join("pilah"))
            .args(["rules", "test", "--rules", rules.to_str().unwrap()])
            .env("NO_COLOR", "1")
            .current_dir(root.path())
            .output()
            .unwrap()
    };
    let o = run();
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    let packaged = root.path().join("usr/share/pilah/fixtures");
    assert!(
        out.contains(&format!("fixtures: {} (the package's)", packaged.display())),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "fixtures: {} (the admin's)",
            rules.join("fixtures").display()
        )),
        "{out}"
    );
    assert!(out.contains("1/1 as expected"), "{out}");
    assert!(
        out.contains("accuracy: 269/269 fixtures as expected"),
        "{out}"
    );
    // Neither set: says where to put them.
    std::fs::remove_dir_all(&packaged).unwrap();
    std::fs::remove_dir_all(rules.join("fixtures")).unwrap();
    let o = run();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("/usr/share/pilah/fixtures") && out.contains("fixtures_dir"),
        "{out}"
    );
}

/// (bytes, bytes of the disk blocks they take) of the files under `dir`.
fn bytes_under(dir: &std::path::Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let mut n = (0, 0);
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let m = std::fs::metadata(&p).unwrap();
        let (a, b) = if p.is_dir() {
            bytes_under(&p)
        } else {
            (m.len(), m.blocks() * 512)
        };
        n = (n.0 + a, n.1 + b);
    }
    n
}

/// The measurement behind the sizing guidance of docs/operations.md ("Sizing"): the
/// repository's fixtures (real-shaped DJPK mail of both mailboxes) drained, forwarded and
/// acknowledged, then the state directory's bytes per message. Prints; asserts only that
/// everything was recorded. `cargo test --test daily -- --ignored --nocapture disk_per`.
#[test]
#[ignore = "a measurement for the docs, not a check"]
fn disk_per_message_of_a_real_drain() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let mut files = Vec::new();
    emls(&repo().join("tests/fixtures/rules"), &mut files);
    emls(&repo().join("demo/mail"), &mut files);
    let lapor = t.addr("lapor");
    let cc = t.addr("callcenter");
    let mut total = 0u64;
    rt().block_on(async {
        for f in &files {
            let raw = std::fs::read(f).unwrap();
            total += raw.len() as u64;
            let to = if f.to_string_lossy().contains("/lapor/") {
                &lapor
            } else {
                &cc
            };
            append(to, "INBOX", &raw, Some(MARCH), None).await;
        }
    });
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let n = t.count("SELECT count(*) FROM messages") as u64;
    assert_eq!(n, files.len() as u64);
    t.db()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let db = std::fs::metadata(t.state().join("pilah.sqlite"))
        .unwrap()
        .len();
    let (raw, raw_disk) = bytes_under(&t.state().join("raw"));
    let sent = t.count("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL");
    println!(
        "{n} messages ({:.1} KB each on average), {sent} mails sent\n\
         raw/: {raw} bytes, {:.1} KB per message (the mail's own size: {total} bytes), \
         {:.1} KB per message in disk blocks\n\
         pilah.sqlite: {db} bytes, {:.1} KB per message, bodies of sent mail held",
        total as f64 / n as f64 / 1e3,
        raw as f64 / n as f64 / 1e3,
        raw_disk as f64 / n as f64 / 1e3,
        db as f64 / n as f64 / 1e3,
    );
}
