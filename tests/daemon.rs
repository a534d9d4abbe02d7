//! The daemon as systemd runs it: new mail is picked up by IDLE while it runs, a second
//! instance is refused, SIGHUP reloads the rules, SIGTERM stops it cleanly.

mod common;

use common::*;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn start(t: &Scratch) -> Child {
    let log = std::fs::File::create(t.dir.path().join("daemon.log")).unwrap();
    Command::new(env!("CARGO_BIN_EXE_pilah"))
        .args(["run", "--config", t.config.to_str().unwrap()])
        .env("PILAH_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start pilah")
}

fn log(t: &Scratch) -> String {
    std::fs::read_to_string(t.dir.path().join("daemon.log")).unwrap_or_default()
}

fn wait_for(what: &str, t: &Scratch, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}; daemon log:\n{}", log(t));
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[test]
fn the_daemon_picks_up_new_mail_reloads_and_stops_cleanly() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let mut child = start(&t);
    // It is up once both mailboxes are connected (their state is recorded).
    wait_for("both mailboxes connected", &t, || {
        t.state().join("pilah.sqlite").exists()
            && std::panic::catch_unwind(|| {
                t.count("SELECT count(*) FROM mailbox_state WHERE last_success IS NOT NULL")
            })
            .unwrap_or(0)
                == 2
    });

    // A second instance on the same state directory is refused.
    let second = t.run_once();
    assert_eq!(second.status.code(), Some(2), "{}", text(&second));
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("another pilah is running"),
        "{}",
        text(&second)
    );

    // Mail that arrives while it waits in IDLE is handled without a restart.
    let lapor = t.addr("lapor");
    let sender = t.ext("bpkad", "dumaikota.go.id");
    let m = mail(
        &format!("BPKAD Kota Dumai <{sender}>"),
        &lapor,
        "Laporan Realisasi APBD Semester I",
        "terlampir",
        "",
    );
    rt().block_on(append(&lapor, "INBOX", &m, None, None));
    wait_for("the acknowledgement", &t, || contents(&sender).len() == 1);

    // SIGHUP with a broken rules file: refused, the old rules keep running.
    std::fs::write(t.rules.join("99-broken.toml"), "[[rule]]\nid = \"x\"\n").unwrap();
    signal(&child, "-HUP");
    wait_for("the refused reload in the log", &t, || {
        log(&t).contains("rules-reload-refused")
    });
    let sender2 = t.ext("keu", "dumaikota.go.id");
    let m = mail(
        &format!("Keuangan <{sender2}>"),
        &lapor,
        "Laporan penggunaan DBH CHT",
        "terlampir",
        "",
    );
    rt().block_on(append(&lapor, "INBOX", &m, None, None));
    wait_for("the second acknowledgement", &t, || {
        contents(&sender2).len() == 1
    });

    // A missing quote in lists.toml: the refusal names that file's error and says in one
    // line how many errors that follow from it are hidden, instead of one per use of a list.
    let lists_path = t.rules.join("lists.toml");
    let lists = std::fs::read_to_string(&lists_path).unwrap();
    let typo = lists.replacen(
        "kemenkeu_domains = [\"kemenkeu.go.id\"]",
        "kemenkeu_domains = [\"kemenkeu.go.id]",
        1,
    );
    assert_ne!(typo, lists, "the line to break is in lists.toml");
    let refusals = log(&t).matches("rules-reload-refused").count();
    let tmp = t.rules.join(".lists.toml.swp");
    std::fs::write(&tmp, &typo).unwrap();
    std::fs::rename(&tmp, &lists_path).unwrap();
    signal(&child, "-HUP");
    wait_for("the refused reload of the broken lists", &t, || {
        log(&t).contains("further errors hidden until this file loads")
    });
    let entry = {
        let l = log(&t);
        let from = l
            .match_indices("rules-reload-refused")
            .nth(refusals)
            .map(|(i, _)| i)
            .expect("a new refusal");
        let e = &l[from..];
        // Up to the next refusal (the watcher may also have noticed the change), if any.
        let end = e[1..]
            .find("rules-reload-refused")
            .map_or(e.len(), |j| j + 1);
        e[..end].to_string()
    };
    assert!(entry.contains("lists.toml:"), "{entry}");
    assert!(!entry.contains("unknown list @"), "{entry}");
    assert!(entry.lines().count() < 10, "a long log entry:\n{entry}");
    let tmp = t.rules.join(".lists.toml.swp");
    std::fs::write(&tmp, &lists).unwrap();
    std::fs::rename(&tmp, &lists_path).unwrap();

    // Saving a fixed rules file (by renaming, as editors do) reloads without a signal.
    let tmp = t.rules.join(".99-broken.toml.swp");
    std::fs::write(&tmp, "# fixed\n# pilah: empty on purpose\n").unwrap();
    std::fs::rename(&tmp, t.rules.join("99-broken.toml")).unwrap();
    wait_for("the reload after the file changed", &t, || {
        log(&t).contains("rules reloaded")
    });

    // SIGTERM: it exits promptly and cleanly.
    signal(&child, "-TERM");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit {status:?}; log:\n{}", log(&t));
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "did not stop; log:\n{}",
            log(&t)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE state = 'filed'"),
        2
    );
}

#[test]
fn systemd_hears_ready_status_and_watchdog_and_metrics_are_served() {
    use std::os::unix::net::UnixDatagram;
    let port = free_port();
    let t = Scratch::new(&format!(
        "start_date = \"2024-03-01\"\n[metrics]\nlisten = \"127.0.0.1:{port}\""
    ));
    let sock_path = t.dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let log = std::fs::File::create(t.dir.path().join("daemon.log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pilah"))
        .args(["run", "--config", t.config.to_str().unwrap()])
        .env("NOTIFY_SOCKET", &sock_path)
        .env("WATCHDOG_USEC", "3000000")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut heard = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline && !(heard.contains("READY=1") && heard.contains("WATCHDOG=1"))
    {
        if let Ok(n) = sock.recv(&mut buf) {
            heard.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }
    assert!(heard.contains("READY=1"), "{heard}\n{}", log_of(&t));
    assert!(heard.contains("WATCHDOG=1"), "{heard}");
    assert!(
        heard.contains("STATUS=") && heard.contains("lapor: ") && heard.contains("callcenter: "),
        "{heard}"
    );

    // Metrics: a message goes through, and the endpoint counts it.
    let lapor = t.addr("lapor");
    let sender = t.ext("bpkad", "kendalkab.go.id");
    let m = mail(
        &format!("BPKAD <{sender}>"),
        &lapor,
        "Laporan Realisasi DAK Non Fisik TPG",
        "terlampir",
        "",
    );
    rt().block_on(append(&lapor, "INBOX", &m, None, None));
    wait_for("the acknowledgement", &t, || contents(&sender).len() == 1);
    let body = scrape_metrics(port).expect("metrics");
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(
        body.contains("pilah_messages_total{mailbox=\"lapor\",category=\"syarat-salur-dak-nf\",outcome=\"filed\"} 1"),
        "{body}"
    );
    assert!(
        body.contains("pilah_mailbox_up{mailbox=\"callcenter\"} 1"),
        "{body}"
    );
    assert!(body.contains("pilah_sent_total{kind=\"ack\"} 1"), "{body}");
    assert!(body.contains("pilah_outbox_pending 0"), "{body}");

    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let status = child.wait().unwrap();
    assert!(status.success());
}

fn log_of(t: &Scratch) -> String {
    std::fs::read_to_string(t.dir.path().join("daemon.log")).unwrap_or_default()
}

fn chmod(p: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode_of(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_password_file_others_can_read_is_refused_by_run_and_reported_by_doctor() {
    let t = Scratch::new("");
    let pw = t.password_file();
    chmod(&pw, 0o644);
    std::fs::create_dir(t.state()).unwrap();
    chmod(&t.state(), 0o755);
    let cfg = t.config.to_str().unwrap();

    let out = t.pilah(&["run", "--config", cfg, "--once"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mailbox \"lapor\".password_file")
            && err.contains("readable by group and others (mode 0644)")
            && err.contains(&format!("chmod 600 {}", pw.display())),
        "{}",
        text(&out)
    );
    assert!(
        !t.state().join("pilah.sqlite").exists(),
        "refused before anything starts"
    );

    let out = t.pilah(&["doctor", "--config", cfg]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = String::from_utf8_lossy(&out.stdout);
    let fail = |what: &str, detail: &str| {
        report
            .lines()
            .any(|l| l.contains("FAIL") && l.contains(what) && l.contains(detail))
    };
    assert!(
        fail(
            &format!("password_file {}", pw.display()),
            &format!("chmod 600 {}", pw.display())
        ),
        "{report}"
    );
    assert!(
        fail(
            &format!("state directory {}", t.state().display()),
            "mode 0755"
        ),
        "{report}"
    );

    // Fixed: pilah runs, and tightens the state directory itself, saying so.
    chmod(&pw, 0o600);
    let out = t.pilah(&["run", "--config", cfg, "--once"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(mode_of(&t.state()), 0o700);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("mode-tightened"),
        "{}",
        text(&out)
    );
}

#[test]
fn doctor_gives_a_verdict_per_item() {
    let t = Scratch::new("");
    let out = t.pilah(&["doctor", "--config", t.config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let report = String::from_utf8_lossy(&out.stdout);
    for item in [
        "config",
        "rules",
        "mailbox lapor",
        "mailbox callcenter",
        "smtp",
        "file modes",
    ] {
        assert!(
            report
                .lines()
                .any(|l| l.trim_start().starts_with("ok") && l.contains(item)),
            "{item}:\n{report}"
        );
    }
    // A wrong password for one mailbox: that item fails, by name, and the exit code says so.
    write_secret(&t.password_file(), "wrong\n");
    let out = t.pilah(&["doctor", "--config", t.config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report
            .lines()
            .any(|l| l.contains("FAIL") && l.contains("mailbox lapor") && l.contains("login")),
        "{report}"
    );
    assert!(
        report
            .lines()
            .any(|l| l.trim_start().starts_with("ok") && l.contains("smtp")),
        "{report}"
    );
}

#[test]
fn a_mailbox_that_cannot_be_fetched_is_reported_to_the_admin_once() {
    let t = Scratch::new("start_date = \"2024-03-01\"\n[limits]\nalert_after_minutes = 0");
    // lapor's password is wrong; callcenter's is right.
    let cfg = std::fs::read_to_string(&t.config).unwrap();
    let bad = t.dir.path().join("wrong");
    write_secret(&bad, "nope\n");
    let first = cfg.find("password_file").unwrap();
    let end = first + cfg[first..].find('\n').unwrap();
    std::fs::write(
        &t.config,
        format!(
            "{}password_file = \"{}\"{}",
            &cfg[..first],
            bad.display(),
            &cfg[end..]
        ),
    )
    .unwrap();
    let mut child = start(&t);
    let admin = t.addr("admin");
    wait_for("the alert", &t, || !contents(&admin).is_empty());
    // Two more failed reconnects (backoff 2 s, then 4 s), and still one alert.
    wait_for("more reconnect attempts", &t, || {
        log(&t).matches("fetch-failed").count() >= 3
    });
    signal(&child, "-TERM");
    let _ = child.wait();
    let alerts = contents(&admin);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert!(
        alerts[0].subject().contains("lapor"),
        "{}",
        alerts[0].subject()
    );
    let body = alerts[0]
        .parsed()
        .body_text(0)
        .unwrap_or_default()
        .to_string();
    assert!(
        body.contains("login"),
        "the alert carries the last error: {body}"
    );
    assert!(log(&t).contains("mailbox-stale"));
}

/// Waits until the daemon is connected to both mailboxes.
fn connected(t: &Scratch) {
    wait_for("both mailboxes connected", t, || {
        t.state().join("pilah.sqlite").exists()
            && std::panic::catch_unwind(|| {
                t.count("SELECT count(*) FROM mailbox_state WHERE last_success IS NOT NULL")
            })
            .unwrap_or(0)
                == 2
    });
}

/// A rule for `lapor` that files subjects with `word` under `category`.
fn extra_rule(word: &str, category: &str) -> String {
    format!(
        "\n[[rule]]\nid = \"uji-{word}\"\ncategory = \"{category}\"\nwhen = {{ field = \"subject\", keywords = [\"{word}\"] }}\n"
    )
}

/// Sends `subject` to lapor and returns the category it was filed under.
fn category_of(t: &Scratch, subject: &str) -> String {
    let lapor = t.addr("lapor");
    let from = t.ext("kirim", "bpkad.cilacapkab.go.id");
    let m = mail(&format!("P <{from}>"), &lapor, subject, "terlampir", "");
    rt().block_on(append(&lapor, "INBOX", &m, None, None));
    let q =
        format!("SELECT count(*) FROM messages WHERE subject = '{subject}' AND state = 'filed'");
    wait_for(&format!("{subject:?} filed"), t, || t.count(&q) == 1);
    t.db()
        .query_row(
            "SELECT category FROM messages WHERE subject = ?1",
            [subject],
            |r| r.get(0),
        )
        .unwrap()
}

/// The `rules=N` of each `rules-reloaded` line.
fn reloaded_counts(t: &Scratch) -> Vec<usize> {
    log(t)
        .lines()
        .filter(|l| l.contains("rules-reloaded"))
        .filter_map(|l| {
            let rest = &l[l.find("rules=")? + "rules=".len()..];
            let rest = rest.trim_start_matches(|c: char| !c.is_ascii_digit());
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

#[test]
fn a_rules_file_saved_in_two_steps_is_never_loaded_half_way_and_a_shrink_needs_sighup() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let mut child = start(&t);
    connected(&t);
    let file = t.rules.join("40-lapor.toml");
    let full = std::fs::read_to_string(&file).unwrap();
    // An editor that truncates, then writes the new content 1.5 s later.
    std::fs::write(&file, "").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    std::fs::write(
        &file,
        format!("{full}{}", extra_rule("zetauji", "syarat-salur-dau")),
    )
    .unwrap();
    wait_for("the reload", &t, || !reloaded_counts(&t).is_empty());
    // Never the set without the file's rules: every reload has them all.
    let counts = reloaded_counts(&t);
    assert!(
        counts.windows(2).all(|w| w[0] == w[1]),
        "reloads with different sets: {counts:?}\n{}",
        log(&t)
    );
    assert_eq!(
        category_of(&t, "Laporan BA Rekonsiliasi DBH Triwulan I"),
        "syarat-salur-dbh"
    );
    assert_eq!(category_of(&t, "zetauji bulan Maret"), "syarat-salur-dau");

    // A save that removes a whole file is refused by the watcher ...
    let full_count = counts[0];
    std::fs::remove_file(t.rules.join("10-tags.toml")).unwrap();
    wait_for("the refused shrink", &t, || {
        log(&t)
            .lines()
            .any(|l| l.contains("rules-reload-refused") && l.contains("10-tags.toml"))
    });
    assert_eq!(reloaded_counts(&t).last(), Some(&full_count));
    // ... and taken when the admin confirms it with SIGHUP.
    signal(&child, "-HUP");
    wait_for("the confirmed shrink", &t, || {
        reloaded_counts(&t).last().is_some_and(|n| *n < full_count)
    });
    assert!(log(&t).contains("rules-shrunk"), "{}", log(&t));
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_rules_directory_replaced_with_mv_is_followed_by_the_watcher() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let mut child = start(&t);
    connected(&t);
    // A deploy: the new directory is made beside the old one and renamed into place.
    let new = t.dir.path().join("rules.new");
    let status = Command::new("cp")
        .args(["-a", t.rules.to_str().unwrap(), new.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let lapor_file = |dir: &std::path::Path| dir.join("40-lapor.toml");
    let text = std::fs::read_to_string(lapor_file(&new)).unwrap();
    std::fs::write(
        lapor_file(&new),
        format!("{text}{}", extra_rule("zetauji", "syarat-salur-dau")),
    )
    .unwrap();
    std::fs::rename(&t.rules, t.dir.path().join("rules.old")).unwrap();
    std::fs::rename(&new, &t.rules).unwrap();
    wait_for("the reload of the new directory", &t, || {
        reloaded_counts(&t).len() == 1
    });
    // A later save in the new directory is reloaded too.
    let text = std::fs::read_to_string(lapor_file(&t.rules)).unwrap();
    std::fs::write(
        lapor_file(&t.rules),
        format!("{text}{}", extra_rule("omegauji", "syarat-salur-dbh")),
    )
    .unwrap();
    wait_for("the reload after a save in the new directory", &t, || {
        reloaded_counts(&t).len() == 2
    });
    assert_eq!(category_of(&t, "omegauji bulan Maret"), "syarat-salur-dbh");
    assert_eq!(category_of(&t, "zetauji bulan Maret"), "syarat-salur-dau");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn deleting_files_in_the_state_directory_does_not_let_a_second_daemon_start() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let mut child = start(&t);
    connected(&t);
    // What an admin (or a cleanup script) might delete to "unstick" pilah: every file in the
    // state directory except the database itself (a lock file, if there were one).
    for e in std::fs::read_dir(t.state()).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if p.is_file() && !name.starts_with("pilah.sqlite") {
            std::fs::remove_file(&p).unwrap();
        }
    }
    let second = t.run_once();
    assert_eq!(second.status.code(), Some(2), "{}", text(&second));
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("another pilah is running"),
        "{}",
        text(&second)
    );
    // Once the first is gone, the lock goes with it (also after SIGKILL).
    let _ = child.kill();
    let _ = child.wait();
    let third = t.run_once();
    assert!(third.status.success(), "{}", text(&third));
}
