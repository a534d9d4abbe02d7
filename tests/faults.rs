//! pilah under faults, injected for real: SIGKILL at random moments, Postfix stopped in the
//! middle of a run, Dovecot restarted during IDLE, machine mail and an auto-responder that
//! ignores RFC 3834. The tests here stop parts of the mail stack, so this binary runs a
//! stack of its own (own state directory and ports, see tests/common) and each test holds it
//! alone while it runs (`stack_exclusive`), under `cargo test` and `cargo nextest run` alike.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::time::Duration;

/// Waits until the daemon has fetched both mailboxes once.
fn wait_connected(t: &Scratch) {
    wait_until("the daemon connected", 30, || {
        t.state().join("pilah.sqlite").exists()
            && std::panic::catch_unwind(|| {
                t.count("SELECT count(*) FROM mailbox_state WHERE last_success IS NOT NULL")
            })
            .unwrap_or(0)
                == 2
    });
}

/// Every test here starts with this, before it touches the stack.
fn serial() -> Exclusive {
    stack_exclusive()
}

/// A small deterministic generator (no dependency, same sequence every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

const SUBJECTS: &[(&str, &str)] = &[
    ("lapor", "Laporan BA Rekonsiliasi DBH Triwulan I"),
    (
        "lapor",
        "Laporan Penggunaan DAU yang ditentukan penggunaannya",
    ),
    ("lapor", "Laporan Realisasi DAK Non Fisik BOS"),
    ("lapor", "Perda APBD Tahun Anggaran 2024"),
    ("callcenter", "Pertanyaan penyaluran DAU bulan Maret"),
    ("callcenter", "Reservasi konsultasi tatap muka"),
    (
        "callcenter",
        "Permohonan data realisasi TKD untuk penelitian",
    ),
];

#[test]
fn sigkill_at_random_moments_loses_nothing_and_sends_each_mail_once() {
    let _g = serial();
    let t = Scratch::new(
        "start_date = \"2024-03-01\"\n[limits]\nretry_initial_seconds = 1\nfetch_batch = 10",
    );
    let n = 120;
    let mut senders = Vec::new();
    rt().block_on(async {
        for i in 0..n {
            let (mb, subject) = SUBJECTS[i % SUBJECTS.len()];
            let to = t.addr(mb);
            let from = t.ext(&format!("s{i}"), "bpkad.cilacapkab.go.id");
            let m = mail(
                &format!("Pengirim {i} <{from}>"),
                &to,
                &format!("{subject} ({i})"),
                "terlampir",
                "",
            );
            append(&to, "INBOX", &m, Some("05-Mar-2024 09:30:00 +0700"), None).await;
            senders.push(from);
        }
    });
    let mut rng = Lcg(20241128);
    let rounds = 12;
    for _ in 0..rounds {
        let d = Daemon::start(&t);
        std::thread::sleep(Duration::from_millis(100 + rng.next() % 500));
        d.kill9();
    }
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));

    // Nothing lost: every message filed, nothing left in INBOX.
    let all: Vec<Found> = ["lapor", "callcenter"]
        .iter()
        .flat_map(|m| contents(&t.addr(m)))
        .collect();
    if all.len() != n {
        let mut by_folder: BTreeMap<String, usize> = BTreeMap::new();
        for f in &all {
            *by_folder.entry(f.folder.clone()).or_default() += 1;
        }
        let db = t.db();
        let mut st = db
            .prepare("SELECT mailbox, folder, state, count(*) FROM messages GROUP BY 1, 2, 3")
            .unwrap();
        let rows: Vec<String> = st
            .query_map([], |r| {
                Ok(format!(
                    "{}/{:?}/{}: {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?
                ))
            })
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        panic!(
            "{} of {n} messages found over IMAP: {by_folder:?}; database: {rows:#?}",
            all.len()
        );
    }
    let left: Vec<_> = all.iter().filter(|f| f.folder == "INBOX").collect();
    assert!(left.is_empty(), "{} left in INBOX", left.len());
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE state = 'filed'"),
        n as i64
    );
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL"),
        0
    );

    // Every sender got its acknowledgement; duplicates only within the documented window
    // (at most one message per kill: the send in flight when the kill landed).
    let mut duplicates = 0;
    for s in &senders {
        let got = contents(s).len();
        assert!(got >= 1, "{s} got no acknowledgement");
        duplicates += got - 1;
    }
    // Every forward reached the PICs, same rule.
    let mut per_pic: BTreeMap<String, usize> = BTreeMap::new();
    let db = t.db();
    let mut st = db
        .prepare("SELECT rcpt FROM outbox WHERE kind = 'forward'")
        .unwrap();
    let rcpts: Vec<String> = st
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    for r in rcpts {
        for pic in serde_json::from_str::<Vec<String>>(&r).unwrap() {
            *per_pic.entry(pic).or_default() += 1;
        }
    }
    // A forward goes to all of a unit's PICs at once: sent twice, it is one duplicate
    // message, however many PICs it reached.
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    for (pic, expected) in &per_pic {
        let got = contents(pic);
        assert!(
            got.len() >= *expected,
            "{pic}: {} forwards, {expected} expected",
            got.len()
        );
        let mut here: BTreeMap<String, usize> = BTreeMap::new();
        for f in &got {
            *here
                .entry(f.header("Message-ID").unwrap_or_default())
                .or_default() += 1;
        }
        for (id, n) in here {
            let most = copies.entry(id).or_default();
            *most = (*most).max(n);
        }
    }
    duplicates += copies.values().map(|n| n - 1).sum::<usize>();
    eprintln!("{rounds} kills, {duplicates} duplicate messages");
    assert!(
        duplicates <= rounds,
        "{duplicates} duplicate messages after {rounds} kills"
    );
}

#[test]
fn mail_queued_while_postfix_is_down_is_delivered_when_it_is_back() {
    let _g = serial();
    let t = Scratch::new("start_date = \"2024-03-01\"\n[limits]\nretry_initial_seconds = 1");
    let d = Daemon::start(&t);
    let lapor = t.addr("lapor");
    wait_connected(&t);
    stop_daemon("postfix");
    let senders: Vec<String> = (0..5)
        .map(|i| t.ext(&format!("p{i}"), "bpkad.brebeskab.go.id"))
        .collect();
    rt().block_on(async {
        for (i, s) in senders.iter().enumerate() {
            let m = mail(
                &format!("P {i} <{s}>"),
                &lapor,
                "Laporan DBH CHT semester I",
                "terlampir",
                "",
            );
            append(&lapor, "INBOX", &m, None, None).await;
        }
    });
    // Filed while Postfix is down, the mail waits in the outbox.
    let filed = wait_until("filed while postfix is down", 30, || {
        t.count("SELECT count(*) FROM messages WHERE state = 'filed'") == 5
    });
    assert!(filed);
    wait_until("a failed send attempt", 30, || {
        t.count("SELECT count(*) FROM outbox WHERE attempts > 0") > 0
    });
    restart_stack();
    wait_until(
        "every acknowledgement delivered and the outbox empty",
        90,
        || {
            senders.iter().all(|s| contents(s).len() == 1)
                && t.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
        },
    );
    d.stop();
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL"),
        0
    );
    assert!(
        senders.iter().all(|s| contents(s).len() == 1),
        "each exactly once"
    );
}

#[test]
fn the_daemon_reconnects_after_dovecot_restarts_during_idle() {
    let _g = serial();
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let d = Daemon::start(&t);
    wait_connected(&t);
    std::thread::sleep(Duration::from_millis(500)); // in IDLE by now
    stop_daemon("dovecot");
    restart_stack();
    // Mail that arrived while pilah was reconnecting.
    let cc = t.addr("callcenter");
    let s = t.ext("warga", "gmail.com");
    let m = mail(
        &format!("Warga <{s}>"),
        &cc,
        "Pertanyaan penyaluran Dana Desa tahap II",
        "kapan cair?",
        "",
    );
    rt().block_on(append(&cc, "INBOX", &m, None, None));
    wait_until("the acknowledgement after the reconnect", 60, || {
        contents(&s).len() == 1
    });
    let log = d.log();
    d.stop();
    assert!(log.contains("fetch-failed"), "the outage is logged: {log}");
}

#[test]
fn machine_mail_is_never_answered_and_an_auto_responder_stops_after_one_exchange() {
    let _g = serial();
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let lapor = t.addr("lapor");
    let robot = t.ext("robot", "pemda.example");
    let machine: Vec<(String, Vec<u8>)> = vec![
        (
            "auto-submitted".into(),
            mail(
                &format!("<{}>", t.ext("a", "x.example")),
                &lapor,
                "Automatic reply: laporan",
                "cuti",
                "Auto-Submitted: auto-replied\r\n",
            ),
        ),
        (
            "precedence".into(),
            mail(
                &format!("<{}>", t.ext("b", "x.example")),
                &lapor,
                "Newsletter",
                "berita",
                "Precedence: bulk\r\n",
            ),
        ),
        (
            "list".into(),
            mail(
                &format!("<{}>", t.ext("c", "x.example")),
                &lapor,
                "Info",
                "berita",
                "List-Id: <berita.x.example>\r\n",
            ),
        ),
        (
            "exchange".into(),
            mail(
                &format!("<{}>", t.ext("d", "x.example")),
                &lapor,
                "Out of Office",
                "cuti",
                "X-Auto-Response-Suppress: All\r\n",
            ),
        ),
        (
            "failed".into(),
            mail(
                &format!("<{}>", t.ext("e", "x.example")),
                &lapor,
                "Undelivered",
                "gagal",
                "X-Failed-Recipients: x@y.example\r\n",
            ),
        ),
        (
            "noreply".into(),
            mail(
                &format!("<{}>", t.ext("noreply", "x.example")),
                &lapor,
                "Notifikasi sistem",
                "info",
                "",
            ),
        ),
        (
            "empty-return-path".into(),
            mail(
                &format!("<{}>", t.ext("f", "x.example")),
                &lapor,
                "Pemberitahuan",
                "info",
                "Return-Path: <>\r\n",
            ),
        ),
    ];
    rt().block_on(async {
        for (_, m) in &machine {
            append(&lapor, "INBOX", m, Some("05-Mar-2024 09:30:00 +0700"), None).await;
        }
        // A robot that answers everything and sets no header at all.
        let m = mail(
            &format!("Robot <{robot}>"),
            &lapor,
            "Laporan DBH",
            "terlampir",
            "",
        );
        append(
            &lapor,
            "INBOX",
            &m,
            Some("05-Mar-2024 09:30:00 +0700"),
            None,
        )
        .await;
    });
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    for (i, (what, _)) in machine.iter().enumerate() {
        let local = ["a", "b", "c", "d", "e", "noreply", "f"][i];
        assert!(
            contents(&t.ext(local, "x.example")).is_empty(),
            "{what}: machine mail must not be answered"
        );
    }
    // The robot answers each acknowledgement it gets, the way naive robots do: to From,
    // quoting the subject, with In-Reply-To; pilah must answer it once and then stop.
    for _round in 0..3 {
        let inbox = contents(&robot);
        for f in inbox.iter().filter(|f| f.folder == "INBOX") {
            let reply = mail(
                &format!("Robot <{robot}>"),
                &lapor,
                &format!("Re: {}", f.subject()),
                "Terima kasih, pesan Anda sudah kami terima.",
                &format!(
                    "In-Reply-To: {}\r\n",
                    f.header("Message-ID").unwrap_or_default()
                ),
            );
            rt().block_on(async {
                let mut s = login(&robot).await;
                s.select("INBOX").await.unwrap();
                use futures::StreamExt;
                let _ = s
                    .uid_store(f.uid.to_string(), "+FLAGS (\\Deleted)")
                    .await
                    .unwrap()
                    .collect::<Vec<_>>()
                    .await;
                let _ = s.expunge().await.unwrap().collect::<Vec<_>>().await;
                s.logout().await.ok();
                append(&lapor, "INBOX", &reply, None, None).await;
            });
        }
        let out = t.run_once();
        assert!(out.status.success(), "{}", text(&out));
    }
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE kind = 'ack'"),
        1,
        "one exchange with the robot, no more"
    );
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE machine IS NOT NULL"),
        machine.len() as i64
    );
}

/// The maildir of one of this test's users, as the stack's Dovecot keeps it
/// (`maildir:~/Maildir:LAYOUT=fs`: folder `A/B` is the directory `Maildir/A/B`).
fn maildir(t: &Scratch, local: &str) -> std::path::PathBuf {
    stack()
        .dir
        .join("mail")
        .join(&t.domain)
        .join(local)
        .join("Maildir")
}

#[test]
fn a_folder_the_server_refuses_is_bypassed_through_quarantine_and_the_mailbox_carries_on() {
    let _g = serial();
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let lapor = t.addr("lapor");
    let send = |i: usize, subject: &str| {
        let from = t.ext(&format!("f{i}"), "bpkad.cilacapkab.go.id");
        let m = mail(&format!("P {i} <{from}>"), &lapor, subject, "terlampir", "");
        rt().block_on(append(&lapor, "INBOX", &m, None, None));
    };
    // A first report makes its category's folder, as on any server.
    send(0, "Laporan BA Rekonsiliasi DBH Triwulan I");
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let folder: String = t
        .db()
        .query_row("SELECT folder FROM messages", [], |r| r.get(0))
        .unwrap();
    assert!(folder.starts_with("Pilah/"), "{folder}");
    // The fault: the folder is broken on the server's disk (a file where its directory
    // was). Dovecot no longer lists it, answers CREATE with NO [SERVERBUG] and refuses
    // every move into it: what a CREATE cut off half-way leaves behind.
    let dir = maildir(&t, "lapor").join(&folder);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::write(&dir, "not a folder").unwrap();
    send(1, "Laporan BA Rekonsiliasi DBH Triwulan II");
    send(2, "Perda APBD Tahun Anggaran 2024");
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let log = text(&out);
    assert!(log.contains("folder-refused"), "{log}");

    // Nothing stays in INBOX: the DBH report waits in quarantine, the other report is in its
    // own folder, and the database says where each is and why.
    let found = contents(&lapor);
    let inbox: Vec<_> = found.iter().filter(|f| f.folder == "INBOX").collect();
    assert!(inbox.is_empty(), "left in INBOX: {inbox:?}");
    let in_quarantine: Vec<String> = found
        .iter()
        .filter(|f| f.folder == "Pilah/karantina")
        .map(|f| f.subject())
        .collect();
    assert_eq!(
        in_quarantine,
        vec!["Laporan BA Rekonsiliasi DBH Triwulan II".to_string()]
    );
    assert_eq!(
        t.count(
            "SELECT count(*) FROM messages WHERE state = 'filed' AND folder = 'Pilah/karantina'"
        ),
        1
    );
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE state = 'filed'"),
        3
    );
    let why: String = t
        .db()
        .query_row(
            "SELECT detail FROM events WHERE step = 'filed-fallback'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(why.contains(&folder) && why.contains("SERVERBUG"), "{why}");
    // The forward and acknowledgement of the report were still sent: only the filing changed.
    assert_eq!(
        contents(&t.ext("f1", "bpkad.cilacapkab.go.id")).len(),
        1,
        "acknowledged"
    );

    // Another report for the refused folder: quarantined again, the admin told only once.
    send(3, "Laporan BA Rekonsiliasi DBH Triwulan III");
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        t.count(
            "SELECT count(*) FROM messages WHERE state = 'filed' AND folder = 'Pilah/karantina'"
        ),
        2
    );
    let alerts: Vec<String> = contents(&t.addr("admin"))
        .iter()
        .map(|f| f.subject())
        .filter(|s| s.contains("ditolak server"))
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].contains(&folder), "{alerts:?}");
}

/// `log` without its colours (ANSI escape sequences).
fn plain(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The `retry_in_s=N` of each log line of `step`, in order.
fn retries(log: &str, step: &str) -> Vec<u64> {
    plain(log)
        .lines()
        .filter(|l| l.contains(&format!("step=\"{step}\"")) || l.contains(&format!("step={step}")))
        .filter_map(|l| {
            let rest = &l[l.find("retry_in_s=")? + "retry_in_s=".len()..];
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .collect::<Vec<_>>()
}

#[test]
fn a_disk_failure_after_login_is_logged_as_such_and_backs_off_until_it_is_fixed() {
    let _g = serial();
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let d = Daemon::start(&t);
    wait_connected(&t);
    // The fault: pilah cannot write the raw copy of lapor's mail (a file stands where its
    // directory under raw/ must be made), while the IMAP server is fine.
    let blocker = t.state().join("raw").join("lapor");
    std::fs::create_dir_all(t.state().join("raw")).unwrap();
    std::fs::write(&blocker, "in the way").unwrap();
    let lapor = t.addr("lapor");
    let from = t.ext("disk", "bpkad.cilacapkab.go.id");
    let m = mail(
        &format!("P <{from}>"),
        &lapor,
        "Laporan BA Rekonsiliasi DBH Triwulan I",
        "terlampir",
        "",
    );
    rt().block_on(append(&lapor, "INBOX", &m, None, None));
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while retries(&d.log(), "store-failed").len() < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "no three failed attempts: {}",
            d.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let log = plain(&d.log());
    let delays = retries(&log, "store-failed");
    // Each attempt logs in successfully, and still the delay grows: 2 s, 4 s, 8 s, ...
    assert!(
        delays.windows(2).all(|w| w[1] > w[0]),
        "the backoff grows across logins: {delays:?}\n{log}"
    );
    let failure = log
        .lines()
        .find(|l| l.contains("store-failed"))
        .unwrap_or_default();
    assert!(
        failure.contains(blocker.to_str().unwrap()) && failure.contains("ot a directory"),
        "the real cause is logged: {failure}"
    );
    assert!(
        !log.lines()
            .any(|l| l.contains("fetch-failed") && l.contains("lapor")),
        "a disk failure is not a fetch failure: {log}"
    );
    // Fixed: the next attempt handles the message.
    std::fs::remove_file(&blocker).unwrap();
    wait_until("the message filed after the fix", 60, || {
        t.count("SELECT count(*) FROM messages WHERE state = 'filed'") == 1
    });
    d.stop();
}

#[test]
fn a_message_moved_just_before_a_uidvalidity_change_is_settled_as_filed() {
    let _g = serial();
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let lapor = t.addr("lapor");
    let from = t.ext("uv", "bpkad.cilacapkab.go.id");
    let m = mail(
        &format!("P <{from}>"),
        &lapor,
        "Laporan BA Rekonsiliasi DBH Triwulan I",
        "terlampir",
        "",
    );
    rt().block_on(append(&lapor, "INBOX", &m, None, None));
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let old: i64 = t
        .db()
        .query_row("SELECT uidvalidity FROM messages", [], |r| r.get(0))
        .unwrap();
    // pilah moved it and stopped before recording "filed" (a power cut undoes that commit).
    t.db()
        .execute(
            "UPDATE messages SET state = 'classified', filed_at = NULL",
            [],
        )
        .unwrap();
    // The server then gives the folder a new UIDVALIDITY (its index rebuilt, a restore):
    // Dovecot makes a new one when its UID list and index of INBOX are gone.
    let md = maildir(&t, "lapor");
    for e in std::fs::read_dir(&md).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("dovecot-uidlist") || name.starts_with("dovecot.index") {
            std::fs::remove_file(&p).unwrap();
        }
    }
    // New mail, so that the drain sees the new UIDVALIDITY with something in it.
    let m2 = mail(
        &format!("P <{from}>"),
        &lapor,
        "Perda APBD Tahun Anggaran 2024",
        "terlampir",
        "",
    );
    rt().block_on(append(&lapor, "INBOX", &m2, None, None));
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let now: i64 = t
        .db()
        .query_row("SELECT max(uidvalidity) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_ne!(now, old, "the UIDVALIDITY changed");
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE state = 'classified'"),
        0,
        "nothing left classified for good"
    );
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE state = 'filed'"),
        2
    );
    assert_eq!(
        t.count("SELECT count(*) FROM events WHERE detail LIKE 'found moved before UIDVALIDITY changed%'"),
        1
    );
}

#[test]
fn a_read_only_shm_left_behind_is_named() {
    let _g = serial();
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    // The database was made read-only and writable again; SQLite's shared-memory file,
    // left behind, was not.
    use std::os::unix::fs::PermissionsExt;
    let shm = t.state().join("pilah.sqlite-shm");
    std::fs::write(&shm, b"").unwrap();
    std::fs::set_permissions(&shm, std::fs::Permissions::from_mode(0o400)).unwrap();
    let out = t.run_once();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("pilah.sqlite-shm") && err.contains("read-only"),
        "{}",
        text(&out)
    );
    std::fs::set_permissions(&shm, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
}

/// A cgroup v1 memory group with `limit` bytes, or `None` where this machine has none to
/// give (then the test says so and checks nothing).
struct MemoryCgroup(std::path::PathBuf);
impl MemoryCgroup {
    fn new(limit: u64) -> Option<MemoryCgroup> {
        let dir = std::path::PathBuf::from(format!(
            "/sys/fs/cgroup/memory/pilah-test-{}",
            std::process::id()
        ));
        std::fs::create_dir(&dir).ok()?;
        let cg = MemoryCgroup(dir);
        std::fs::write(cg.0.join("memory.limit_in_bytes"), limit.to_string()).ok()?;
        Some(cg)
    }
}
impl Drop for MemoryCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn a_message_too_large_for_the_memory_limit_is_quarantined_instead_of_killing_pilah() {
    let _g = serial();
    let Some(cg) = MemoryCgroup::new(64 << 20) else {
        eprintln!("no cgroup v1 memory controller to use here: nothing checked");
        return;
    };
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let lapor = t.addr("lapor");
    let from = t.ext("besar", "bpkad.cilacapkab.go.id");
    // 30 MB: under limits.max_message_size_mb (50), over what 64 MB of memory can handle.
    let line = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\r\n";
    let attachment = line.repeat(30 * 1024 * 1024 / line.len());
    let big = format!(
        "From: P <{from}>\r\nTo: {lapor}\r\nSubject: Laporan BA Rekonsiliasi DBH (lampiran besar)\r\n\
         Date: Tue, 05 Mar 2024 09:30:00 +0700\r\nMessage-ID: <besar.{}@x>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nterlampir\r\n\
         --b\r\nContent-Type: application/pdf; name=\"ba.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{attachment}--b--\r\n",
        t.domain
    );
    drop(attachment);
    let small = mail(
        &format!("Q <{}>", t.ext("kecil", "bpkad.cilacapkab.go.id")),
        &lapor,
        "Perda APBD Tahun Anggaran 2024",
        "terlampir",
        "",
    );
    rt().block_on(async {
        append(&lapor, "INBOX", big.as_bytes(), None, None).await;
        append(&lapor, "INBOX", &small, None, None).await;
    });
    drop(big);
    let run = || {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "echo $$ > {}/cgroup.procs && exec \"$0\" run --config \"$1\" --once",
                cg.0.display()
            ))
            .arg(env!("CARGO_BIN_EXE_pilah"))
            .arg(&t.config)
            .env("PILAH_LOG", "info")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        settle();
        out
    };
    // Twice: no OOM at the first run, and none at a restart either.
    for _ in 0..2 {
        let out = run();
        assert!(out.status.success(), "{}", text(&out));
    }
    let reason: String = t
        .db()
        .query_row(
            "SELECT quarantine FROM messages WHERE subject LIKE '%lampiran besar%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(reason.contains("memory limit of 64 MB"), "{reason}");
    let found = contents(&lapor);
    let folder_of = |needle: &str| {
        found
            .iter()
            .find(|f| f.subject().contains(needle))
            .map(|f| f.folder.clone())
    };
    assert_eq!(
        folder_of("lampiran besar").as_deref(),
        Some("Pilah/karantina")
    );
    assert_ne!(folder_of("Perda APBD").as_deref(), Some("INBOX"));
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE state = 'filed'"),
        2
    );
}

#[test]
fn a_folder_deleted_on_the_server_while_pilah_runs_is_made_again_on_trycreate() {
    let _g = serial();
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let lapor = t.addr("lapor");
    let send = |i: usize| {
        let from = t.ext(&format!("tc{i}"), "bpkad.cilacapkab.go.id");
        let m = mail(
            &format!("P {i} <{from}>"),
            &lapor,
            &format!("Laporan BA Rekonsiliasi DBH Triwulan {i}"),
            "terlampir",
            "",
        );
        rt().block_on(append(&lapor, "INBOX", &m, None, None));
    };
    let d = Daemon::start(&t);
    send(1);
    wait_until("the first report filed", 30, || {
        std::panic::catch_unwind(|| t.count("SELECT count(*) FROM messages WHERE state = 'filed'"))
            .unwrap_or(0)
            == 1
    });
    let folder: String = t
        .db()
        .query_row("SELECT folder FROM messages", [], |r| r.get(0))
        .unwrap();
    // The folder disappears on the server behind pilah's back (someone deleted it in a mail
    // client; pilah still has it in its list): the next MOVE is answered NO [TRYCREATE].
    std::fs::remove_dir_all(maildir(&t, "lapor").join(&folder)).unwrap();
    send(2);
    wait_until("the second report filed", 30, || {
        t.count("SELECT count(*) FROM messages WHERE state = 'filed'") == 2
    });
    let log = plain(&d.log());
    d.stop();
    assert!(log.contains("folder-missing"), "{log}");
    assert!(!log.contains("folder-refused"), "{log}");
    let in_folder = contents(&lapor)
        .iter()
        .filter(|f| f.folder == folder)
        .count();
    assert_eq!(
        in_folder, 1,
        "the second report is in the folder made again"
    );
}

#[test]
fn a_folder_name_the_server_will_not_create_is_bypassed_too() {
    let _g = serial();
    let t = Scratch::new("start_date = \"2024-03-01\"");
    // A folder name Dovecot refuses to make (a ".." part: NO [CANNOT]).
    let cats = t.rules.join("categories.toml");
    let categories = std::fs::read_to_string(&cats).unwrap();
    let marker = "id = \"syarat-salur-dbh\"\n";
    assert!(categories.contains(marker));
    std::fs::write(
        &cats,
        categories.replace(marker, &format!("{marker}folder = \"Pilah/../lama\"\n")),
    )
    .unwrap();
    let lapor = t.addr("lapor");
    for (i, subject) in [
        "Laporan BA Rekonsiliasi DBH Triwulan I",
        "Perda APBD Tahun Anggaran 2024",
    ]
    .iter()
    .enumerate()
    {
        let from = t.ext(&format!("n{i}"), "bpkad.cilacapkab.go.id");
        let m = mail(&format!("P <{from}>"), &lapor, subject, "terlampir", "");
        rt().block_on(append(&lapor, "INBOX", &m, None, None));
    }
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let found = contents(&lapor);
    assert!(found.iter().all(|f| f.folder != "INBOX"), "{found:?}");
    let quarantined: Vec<String> = found
        .iter()
        .filter(|f| f.folder == "Pilah/karantina")
        .map(|f| f.subject())
        .collect();
    assert_eq!(
        quarantined,
        vec!["Laporan BA Rekonsiliasi DBH Triwulan I".to_string()],
        "{:?}\n{}",
        found.iter().map(|f| &f.folder).collect::<Vec<_>>(),
        text(&out)
    );
    let why: String = t
        .db()
        .query_row(
            "SELECT detail FROM events WHERE step = 'filed-fallback'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        why.contains("Pilah/../lama") && why.contains("CREATE"),
        "{why}"
    );
}

/// What a TCP relay in front of the stack's IMAP port does to the connections through it.
#[derive(Clone, Copy, Default)]
struct Relay {
    /// Cut the first connection whose client sends a CREATE, right after passing it on.
    cut_on_create: bool,
    /// Hold each piece of the server's answers this long (a slow server or link).
    delay: Duration,
    /// Close a connection on which nothing passed for this long (a server or NAT box that
    /// drops idle connections, also during IDLE).
    idle_close: Option<Duration>,
}

impl Relay {
    /// Starts the relay; returns its port and how many connections it cut or closed.
    fn start(self) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::AtomicUsize;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let cuts = std::sync::Arc::new(AtomicUsize::new(0));
        let counted = cuts.clone();
        let target = (stack().host.clone(), stack().imap_port);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = std::net::TcpStream::connect((target.0.as_str(), target.1)) else {
                    continue;
                };
                self.relay(client, server, counted.clone());
            }
        });
        (port, cuts)
    }

    fn relay(
        self,
        client: std::net::TcpStream,
        server: std::net::TcpStream,
        cuts: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    ) {
        use std::io::{BufRead, BufReader, Read, Write};
        use std::sync::atomic::{AtomicBool, Ordering};
        let last = std::sync::Arc::new(std::sync::Mutex::new(std::time::Instant::now()));
        let closed = std::sync::Arc::new(AtomicBool::new(false));
        let close = {
            let (client, server, closed) = (
                std::sync::Arc::new(client.try_clone().expect("clone")),
                std::sync::Arc::new(server.try_clone().expect("clone")),
                closed.clone(),
            );
            move || {
                closed.store(true, Ordering::SeqCst);
                let _ = server.shutdown(std::net::Shutdown::Both);
                let _ = client.shutdown(std::net::Shutdown::Both);
            }
        };
        if let Some(idle) = self.idle_close {
            let (last, closed, close, cuts) =
                (last.clone(), closed.clone(), close.clone(), cuts.clone());
            std::thread::spawn(move || {
                while !closed.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(100));
                    if last.lock().expect("lock").elapsed() >= idle {
                        cuts.fetch_add(1, Ordering::SeqCst);
                        close();
                        return;
                    }
                }
            });
        }
        // Server to client: as it comes, after the delay.
        {
            let (mut from, mut to, last, close) = (
                server.try_clone().expect("clone"),
                client.try_clone().expect("clone"),
                last.clone(),
                close.clone(),
            );
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n @ 1..) = from.read(&mut buf) {
                    std::thread::sleep(self.delay);
                    *last.lock().expect("lock") = std::time::Instant::now();
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                close();
            });
        }
        // Client to server: line by line, to see the commands.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(client);
            let mut server = server;
            let mut line = Vec::new();
            loop {
                line.clear();
                match lines.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                *last.lock().expect("lock") = std::time::Instant::now();
                if server.write_all(&line).is_err() {
                    break;
                }
                let is_create = String::from_utf8_lossy(&line)
                    .to_ascii_uppercase()
                    .contains(" CREATE ");
                if self.cut_on_create
                    && is_create
                    && cuts
                        .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                        .is_ok()
                {
                    std::thread::sleep(Duration::from_millis(200));
                    break;
                }
            }
            close();
        });
    }
}

/// Points the `lapor` mailbox of `t` at a relay's port, in plain text on loopback (so that
/// the relay sees the commands).
fn through_relay(t: &Scratch, port: u16) {
    let config = std::fs::read_to_string(&t.config).expect("config");
    let config = config.replacen(
        &format!("port = {}\nsecurity = \"starttls\"", stack().imap_port),
        &format!("port = {port}\nsecurity = \"plain\""),
        1,
    );
    assert!(config.contains(&format!("port = {port}")), "{config}");
    std::fs::write(&t.config, config).expect("config");
}

#[test]
fn a_connection_cut_during_create_is_retried_and_every_message_is_filed_once() {
    let _g = serial();
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let (port, cuts) = Relay {
        cut_on_create: true,
        ..Relay::default()
    }
    .start();
    through_relay(&t, port);
    let lapor = t.addr("lapor");
    let subjects = [
        "Laporan BA Rekonsiliasi DBH Triwulan I",
        "Perda APBD Tahun Anggaran 2024",
    ];
    for (i, subject) in subjects.iter().enumerate() {
        let from = t.ext(&format!("f{i}"), "bpkad.cilacapkab.go.id");
        let m = mail(&format!("P {i} <{from}>"), &lapor, subject, "terlampir", "");
        rt().block_on(append(&lapor, "INBOX", &m, None, None));
    }
    let d = Daemon::start(&t);
    let filed = wait_until("both messages filed after the cut", 90, || {
        t.state().join("pilah.sqlite").exists()
            && std::panic::catch_unwind(|| {
                t.count("SELECT count(*) FROM messages WHERE state = 'filed'")
            })
            .unwrap_or(0)
                == 2
    });
    let log = d.log();
    d.stop();
    assert!(filed, "{log}");
    assert_eq!(cuts.load(std::sync::atomic::Ordering::SeqCst), 1, "{log}");
    assert!(log.contains("fetch-failed"), "the cut is logged: {log}");
    // Each message is in one Pilah folder on the server, none is left in INBOX, and each
    // caused one forward and one acknowledgement, not two.
    let found = contents(&lapor);
    let inbox: Vec<_> = found.iter().filter(|f| f.folder == "INBOX").collect();
    assert!(inbox.is_empty(), "left in INBOX: {inbox:?}");
    for subject in subjects {
        let places: Vec<&str> = found
            .iter()
            .filter(|f| f.subject() == subject)
            .map(|f| f.folder.as_str())
            .collect();
        assert_eq!(places.len(), 1, "{subject}: {places:?}");
        assert!(places[0].starts_with("Pilah/"), "{subject}: {places:?}");
    }
    assert_eq!(t.count("SELECT count(*) FROM messages"), 2);
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE kind = 'ack'"),
        2,
        "{log}"
    );
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE kind = 'forward'"),
        t.count("SELECT count(DISTINCT message_row) FROM outbox WHERE kind = 'forward'"),
    );
}

#[test]
fn a_slow_server_that_drops_idle_connections_still_gets_every_message_handled() {
    let _g = serial();
    let t = Scratch::new("start_date = \"2024-03-01\"");
    // Every answer 150 ms late; a connection quiet for 3 s is dropped (also in IDLE).
    let (port, closed) = Relay {
        delay: Duration::from_millis(150),
        idle_close: Some(Duration::from_secs(3)),
        ..Relay::default()
    }
    .start();
    through_relay(&t, port);
    let lapor = t.addr("lapor");
    let send = |i: usize, subject: &str| {
        let from = t.ext(&format!("f{i}"), "bpkad.cilacapkab.go.id");
        let m = mail(&format!("P {i} <{from}>"), &lapor, subject, "terlampir", "");
        rt().block_on(append(&lapor, "INBOX", &m, None, None));
    };
    let t = &t;
    let filed = |n: i64| {
        move || {
            std::panic::catch_unwind(|| {
                t.count("SELECT count(*) FROM messages WHERE state = 'filed' AND mailbox = 'lapor'")
            })
            .unwrap_or(0)
                == n
        }
    };
    send(0, "Laporan BA Rekonsiliasi DBH Triwulan I");
    let d = Daemon::start(t);
    let first = wait_until("the first message filed", 60, filed(1));
    // Quiet long enough for the relay to drop the connection, then new mail.
    let dropped = wait_until("the idle connection dropped", 30, || {
        closed.load(std::sync::atomic::Ordering::SeqCst) >= 1
    });
    send(1, "Perda APBD Tahun Anggaran 2024");
    let second = wait_until("the second message filed after the drop", 60, filed(2));
    let log = d.log();
    d.stop();
    assert!(first && dropped && second, "{log}");
    assert!(log.contains("fetch-failed"), "the drop is logged: {log}");
    // Each message handled once: one acknowledgement each, nothing left in INBOX.
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE kind = 'ack'"),
        2,
        "{log}"
    );
    let found = contents(&lapor);
    assert!(found.iter().all(|f| f.folder != "INBOX"), "{found:?}");
}
