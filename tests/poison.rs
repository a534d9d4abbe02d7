//! "A message can only ever hurt itself": poison messages (a display name that decodes to a
//! line break, control characters in the subject, a panic injected at compose time through
//! the test-only `PILAH_FAULT_INJECT` switch) are taken out of the way, and the message
//! behind them in the same mailbox is acknowledged and forwarded in the same pass; a
//! mailbox task that dies is restarted, shown and reported; the admin's alerts are capped.
//!
//! Mail reaches the mailboxes through the real Postfix (so that it carries the stack's own
//! Authentication-Results header), one message at a time, in the order written here.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// The subject marker that makes the composer panic (`PILAH_FAULT_INJECT`).
const MARKER: &str = "RACUN-COMPOSE";

/// Submits `raw` to the stack's Postfix (plain SMTP on loopback), then waits until it is
/// delivered, so that messages land in the order they are submitted.
fn submit(env_from: &str, rcpt: &str, raw: &[u8]) {
    let s = stack();
    let tcp = std::net::TcpStream::connect((s.host.as_str(), s.smtp_port)).expect("smtp");
    tcp.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut r = BufReader::new(tcp.try_clone().expect("clone"));
    let mut w = tcp;
    let mut reply = |expect: &str| loop {
        let mut line = String::new();
        r.read_line(&mut line).expect("smtp reply");
        assert!(
            line.starts_with(expect),
            "SMTP: expected {expect}, got {line:?}"
        );
        if line.as_bytes().get(3) == Some(&b' ') {
            return;
        }
    };
    reply("220");
    for (cmd, expect) in [
        ("EHLO poison.test".to_string(), "250"),
        (format!("MAIL FROM:<{env_from}>"), "250"),
        (format!("RCPT TO:<{rcpt}>"), "250"),
        ("DATA".to_string(), "354"),
    ] {
        w.write_all(format!("{cmd}\r\n").as_bytes())
            .expect("smtp write");
        reply(expect);
    }
    let mut data = Vec::with_capacity(raw.len() + 8);
    for line in raw.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b".") {
            data.push(b'.');
        }
        data.extend_from_slice(line);
    }
    if !data.ends_with(b"\r\n") {
        data.extend_from_slice(b"\r\n");
    }
    data.extend_from_slice(b".\r\nQUIT\r\n");
    w.write_all(&data).expect("smtp data");
    reply("250");
    settle();
}

/// Submits a message from `from_addr` (envelope and header) with this display-name part.
fn send(t: &Scratch, mailbox: &str, from_header: &str, from_addr: &str, subject: &str) {
    let to = t.addr(mailbox);
    submit(
        from_addr,
        &to,
        &mail(from_header, &to, subject, "terlampir", ""),
    );
}

fn run_once_with(t: &Scratch, fault: &str) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_pilah"))
        .args([
            "run",
            "--config",
            t.config.to_str().expect("utf-8"),
            "--once",
        ])
        .env("PILAH_LOG", "info")
        .env("NO_COLOR", "1")
        .env("PILAH_FAULT_INJECT", fault)
        .stdin(Stdio::null())
        .output()
        .expect("run pilah");
    settle();
    out
}

fn kind(f: &Found) -> String {
    f.header("X-Pilah-Kind").unwrap_or_default()
}

fn head(f: &Found) -> String {
    let raw = String::from_utf8_lossy(&f.raw).to_string();
    raw.split("\r\n\r\n").next().unwrap_or("").to_string()
}

fn daknf_pics(t: &Scratch) -> Vec<String> {
    vec![t.addr("pic.daknf"), t.addr("pic2.daknf")]
}

#[test]
fn poison_messages_are_taken_out_of_the_way_and_the_next_one_is_acknowledged_in_the_same_pass() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let lapor = t.addr("lapor");
    // (a) A display name that decodes to a line break: lettre panicked on it.
    let a = t.ext("evil.a", "bekasikab.go.id");
    send(
        &t,
        "lapor",
        &format!("=?UTF-8?Q?Evil=0ABcc:_x@y.test?= <{a}>"),
        &a,
        "Laporan Realisasi DAK Non Fisik BOS (a)",
    );
    // (b) A panic injected while composing its mail.
    let b = t.ext("evil.b", "bekasikab.go.id");
    send(
        &t,
        "lapor",
        &format!("Pengirim B <{b}>"),
        &b,
        &format!("Laporan Realisasi DAK Non Fisik BOS {MARKER} (b)"),
    );
    // (c) Control characters, and an encoded line break, in the subject.
    let c = t.ext("evil.c", "bekasikab.go.id");
    send(
        &t,
        "lapor",
        &format!("Pengirim C <{c}>"),
        &c,
        "Laporan Realisasi DAK Non Fisik BOS \x01\x1b[31m =?UTF-8?Q?(c)=0D=0ABcc:_z@y.test?=",
    );
    // (d) Both: a line break in the display name and the injected panic.
    let d = t.ext("evil.d", "bekasikab.go.id");
    send(
        &t,
        "lapor",
        &format!("=?UTF-8?Q?Evil=0D=0AD?= <{d}>"),
        &d,
        &format!("Laporan Realisasi DAK Non Fisik BOS {MARKER} (d)"),
    );
    // The citizen behind them.
    let rina = t.ext("rina", "tegalkab.go.id");
    send(
        &t,
        "lapor",
        &format!("Rina <{rina}>"),
        &rina,
        "Laporan Realisasi DAK Non Fisik BOS Triwulan II",
    );

    let out = run_once_with(&t, &format!("compose-panic:{MARKER}"));
    assert!(out.status.success(), "{}", text(&out));

    // Nothing is left in the watched folder, nothing is lost.
    let l = contents(&lapor);
    assert_eq!(l.len(), 5, "{l:#?}");
    assert!(l.iter().all(|f| f.folder != "INBOX"), "{l:#?}");
    // The ones that could not be judged are in quarantine, with their reason recorded.
    let quarantined: Vec<&Found> = l.iter().filter(|f| f.folder == "Pilah/karantina").collect();
    assert_eq!(quarantined.len(), 2, "{l:#?}");
    assert!(quarantined.iter().all(|f| f.subject().contains(MARKER)));
    let db = t.db();
    let mut st = db
        .prepare(
            "SELECT subject, quarantine FROM messages WHERE quarantine IS NOT NULL ORDER BY uid",
        )
        .unwrap();
    let reasons: Vec<(String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    for (subject, reason) in &reasons {
        assert!(subject.contains(MARKER), "{subject}");
        assert!(
            reason.starts_with("pilah failed while judging this message: ")
                && reason.contains("fault injected while composing"),
            "{reason}"
        );
    }
    // Their partial work was rolled back: no ticket was opened for them.
    assert_eq!(t.count("SELECT count(*) FROM tickets"), 3);
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE kind IN ('ack', 'forward') AND message_row IN (SELECT id FROM messages WHERE quarantine IS NOT NULL)"),
        0
    );
    // The admin hears of each.
    let admin = contents(&t.addr("admin"));
    assert_eq!(admin.len(), 2, "{admin:#?}");
    assert!(admin.iter().all(|f| f.subject().contains("dikarantina")));
    assert!(String::from_utf8_lossy(&admin[0].raw).contains("fault injected"));

    // The message behind them: acknowledged and forwarded in the same pass.
    let got = contents(&rina);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(kind(&got[0]), "ack");
    for pic in daknf_pics(&t) {
        let fwd: Vec<Found> = contents(&pic)
            .into_iter()
            .filter(|f| kind(f) == "forward" && f.subject().contains("Triwulan II"))
            .collect();
        assert_eq!(fwd.len(), 1, "{pic}");
    }

    // (a) and (c) could be judged once their text was cleaned: acknowledged, without the
    // header their sender tried to inject, and without control characters.
    for sender in [&a, &c] {
        let got = contents(sender);
        assert_eq!(got.len(), 1, "{sender}: {got:#?}");
        let h = head(&got[0]);
        assert!(
            !h.lines()
                .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
            "{h}"
        );
        assert!(got[0].subject().chars().all(|ch| !ch.is_control()), "{h}");
        assert!(
            got[0].header("To").is_some_and(|to| !to.contains('\n')),
            "{h}"
        );
    }
    assert!(contents(&b).is_empty());
    assert!(contents(&d).is_empty());
}

#[test]
fn alerts_to_the_admin_are_capped_per_hour_and_the_rest_come_in_one_digest() {
    let t = Scratch::new("start_date = \"2024-03-01\"\n[limits]\nalerts_per_hour = 2");
    for i in 0..5 {
        let s = t.ext(&format!("flood{i}"), "gmail.com");
        send(
            &t,
            "lapor",
            &format!("F <{s}>"),
            &s,
            &format!("{MARKER} banjir {i}"),
        );
    }
    let rina = t.ext("rina", "tegalkab.go.id");
    send(
        &t,
        "lapor",
        &format!("Rina <{rina}>"),
        &rina,
        "Laporan Realisasi DAK Non Fisik BOS",
    );
    let out = run_once_with(&t, &format!("compose-panic:{MARKER}"));
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE quarantine IS NOT NULL"),
        5
    );
    assert_eq!(contents(&rina).len(), 1, "the good one still goes through");
    let admin = contents(&t.addr("admin"));
    let alerts: Vec<&Found> = admin.iter().filter(|f| kind(f) == "alert").collect();
    let digests: Vec<&Found> = admin.iter().filter(|f| kind(f) == "alert-digest").collect();
    assert_eq!(alerts.len(), 2, "{admin:#?}");
    assert_eq!(digests.len(), 1, "{admin:#?}");
    let digest = String::from_utf8_lossy(&digests[0].raw).to_string();
    assert!(
        digests[0].subject().contains("3 pesan lagi dikarantina"),
        "{digest}"
    );
    assert_eq!(digest.matches("- lapor UID ").count(), 3, "{digest}");

    // More of the same within the hour: no alert, and no second digest yet.
    for i in 5..7 {
        let s = t.ext(&format!("flood{i}"), "gmail.com");
        send(
            &t,
            "lapor",
            &format!("F <{s}>"),
            &s,
            &format!("{MARKER} banjir {i}"),
        );
    }
    let out = run_once_with(&t, &format!("compose-panic:{MARKER}"));
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE quarantine IS NOT NULL"),
        7
    );
    assert_eq!(contents(&t.addr("admin")).len(), 3);
    assert_eq!(
        t.count(
            "SELECT count(*) FROM messages WHERE quarantine IS NOT NULL AND filed_at IS NOT NULL"
        ),
        7,
        "every one of them is filed in quarantine all the same"
    );
}

#[test]
fn a_mailbox_task_that_panics_in_once_mode_is_reported_with_its_name() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let out = run_once_with(&t, "task-panic:lapor");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines()
            .any(|l| l.contains("lapor") && l.contains("fault injected in the mailbox task")),
        "{}",
        text(&out)
    );
    assert!(
        err.contains("1 of 2 mailboxes could not be drained"),
        "{}",
        text(&out)
    );
}

/// A daemon with a metrics endpoint and a notify socket (systemd's `STATUS=`).
struct Watched {
    child: Child,
    log: std::path::PathBuf,
    sock: std::os::unix::net::UnixDatagram,
    heard: String,
    port: u16,
}

impl Watched {
    fn start(t: &Scratch, port: u16, fault: &str) -> Watched {
        let sock_path = t.dir.path().join("notify.sock");
        let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let log = t.dir.path().join("daemon.log");
        let child = Command::new(env!("CARGO_BIN_EXE_pilah"))
            .args(["run", "--config", t.config.to_str().unwrap()])
            .env("PILAH_LOG", "info")
            .env("NOTIFY_SOCKET", &sock_path)
            .env("WATCHDOG_USEC", "3000000")
            .env("PILAH_FAULT_INJECT", fault)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Watched {
            child,
            log,
            sock,
            heard: String::new(),
            port,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Every STATUS= line heard so far.
    fn listen(&mut self) -> &str {
        let mut buf = [0u8; 4096];
        while let Ok(n) = self.sock.recv(&mut buf) {
            self.heard.push_str(&String::from_utf8_lossy(&buf[..n]));
            self.heard.push('\n');
        }
        &self.heard
    }

    /// The last STATUS= line heard.
    fn status(&mut self) -> String {
        self.listen()
            .lines()
            .filter_map(|l| l.strip_prefix("STATUS="))
            .next_back()
            .unwrap_or("")
            .to_string()
    }

    fn metrics(&self) -> String {
        scrape_metrics(self.port).expect("metrics")
    }

    fn stop(mut self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{}", self.log());
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_daemon_quarantines_a_poison_message_acknowledges_the_next_and_tells_the_truth() {
    let port = free_port();
    let t = Scratch::new(&format!(
        "start_date = \"2024-03-01\"\n[metrics]\nlisten = \"127.0.0.1:{port}\""
    ));
    let mut d = Watched::start(&t, port, &format!("compose-panic:{MARKER}"));
    wait_until("the daemon is ready", 30, || d.listen().contains("READY=1"));

    let evil = t.ext("evil", "gmail.com");
    send(
        &t,
        "lapor",
        &format!("=?UTF-8?Q?Evil=0ABcc:_x@y.test?= <{evil}>"),
        &evil,
        &format!("Laporan Realisasi DAK Non Fisik BOS {MARKER}"),
    );
    let rina = t.ext("rina", "tegalkab.go.id");
    send(
        &t,
        "lapor",
        &format!("Rina <{rina}>"),
        &rina,
        "Laporan Realisasi DAK Non Fisik BOS",
    );
    wait_until("the acknowledgement behind the poison message", 30, || {
        contents(&rina).len() == 1
    });
    wait_until("the admin's alert", 30, || {
        contents(&t.addr("admin")).len() == 1
    });
    let l = contents(&t.addr("lapor"));
    assert!(
        l.iter()
            .any(|f| f.folder == "Pilah/karantina" && f.subject().contains(MARKER)),
        "{l:#?}"
    );

    // The status says what the mailbox does now: waiting for mail, not "fetching".
    wait_until("lapor idle in STATUS=", 30, || {
        d.status().contains("lapor: idle")
    });
    let m = d.metrics();
    assert!(
        m.contains("pilah_messages_total{mailbox=\"lapor\",category=\"karantina\",outcome=\"quarantined\"} 1"),
        "{m}"
    );
    assert!(m.contains("pilah_mailbox_up{mailbox=\"lapor\"} 1"), "{m}");
    assert!(
        m.contains("pilah_mailbox_task_restarts_total{mailbox=\"lapor\"} 0"),
        "{m}"
    );
    assert!(d.log().contains("judge-failed"), "{}", d.log());
    d.stop();
}

#[test]
fn a_mailbox_task_that_panics_is_restarted_shown_counted_and_reported_once() {
    let port = free_port();
    let t = Scratch::new(&format!(
        "start_date = \"2024-03-01\"\n[metrics]\nlisten = \"127.0.0.1:{port}\""
    ));
    let mut d = Watched::start(&t, port, "task-panic:lapor");
    wait_until("the restart in STATUS=", 30, || {
        d.listen().contains("lapor: restarting in")
    });
    assert!(
        d.listen().contains("fault injected in the mailbox task"),
        "{}",
        d.heard
    );
    // It runs again: new mail is picked up.
    let rina = t.ext("rina", "tegalkab.go.id");
    send(
        &t,
        "lapor",
        &format!("Rina <{rina}>"),
        &rina,
        "Laporan Realisasi DAK Non Fisik BOS",
    );
    wait_until("the acknowledgement after the restart", 60, || {
        contents(&rina).len() == 1
    });
    wait_until("lapor idle again", 30, || {
        d.status().contains("lapor: idle")
    });
    let m = d.metrics();
    assert!(
        m.contains("pilah_mailbox_task_restarts_total{mailbox=\"lapor\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("pilah_mailbox_task_restarts_total{mailbox=\"callcenter\"} 0"),
        "{m}"
    );
    let log = d.log();
    assert!(
        log.lines().any(|l| l.contains("mailbox-task-restart")
            && l.contains("lapor")
            && l.contains("fault injected in the mailbox task")),
        "{log}"
    );
    let admin = contents(&t.addr("admin"));
    assert_eq!(admin.len(), 1, "{admin:#?}");
    assert!(
        admin[0].subject().contains("lapor dijalankan ulang"),
        "{admin:#?}"
    );
    d.stop();
}
