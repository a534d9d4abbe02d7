//! Shared parts of the integration tests: the real mail stack (Dovecot + Postfix on
//! 127.0.0.1, started by `scripts/mailstack.sh`), an IMAP client to load and inspect
//! mailboxes, and a scratch pilah setup per test.
//!
//! Every test works in its own domain (`t<random>.test`), so tests run in parallel and
//! never see each other's mail: the stack accepts every address as a mailbox.
//!
//! A test binary that stops parts of the stack (tests/faults.rs) gets a stack of its own
//! ([`stack_exclusive`]): its own state directory (`<shared dir>-<binary>`) and ports (the
//! shared ones + 1000), so it never disturbs the tests of other binaries, whatever runs them
//! (`cargo test`: one process per binary, a thread per test; `cargo nextest run`: a process
//! per test, binaries side by side). Its tests still take turns on that stack, across
//! processes, by a lock file in its directory. `scripts/test.sh` stops it at the end.

#![allow(dead_code)]

use futures::TryStreamExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::net::TcpStream;

pub struct Stack {
    pub host: String,
    pub imap_port: u16,
    pub imaps_port: u16,
    pub smtp_port: u16,
    /// SMTP with TLS from the first byte (as port 465).
    pub smtps_port: u16,
    /// SMTP that requires AUTH (Dovecot's SASL: the password, or an OAuth2 token).
    pub submission_port: u16,
    /// The loopback OAuth2 provider (scripts/oauth2-server.py).
    pub oauth2_port: u16,
    pub password: String,
    pub ca_file: PathBuf,
    pub dir: PathBuf,
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Set by [`stack_exclusive`]: this process stops servers, so it works on a stack of its
/// own.
static OWN_STACK: AtomicBool = AtomicBool::new(false);

/// The shared stack's directory, as scripts/mailstack.sh finds it.
fn shared_dir() -> PathBuf {
    match std::env::var_os("PILAH_MAILSTACK_DIR") {
        Some(d) => PathBuf::from(d),
        None => repo().join(".mailstack"),
    }
}

/// This test binary's name, without cargo's hash (`faults` for `faults-0a1b2c…`).
fn binary_name() -> String {
    let exe = std::env::current_exe().expect("test binary path");
    let stem = exe
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("tests")
        .to_string();
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_string(),
        _ => stem,
    }
}

/// `scripts/mailstack.sh` for this process's stack: the shared one, or this binary's own
/// (its directory and ports in the environment).
fn mailstack(command: &str) -> Command {
    let mut c = Command::new("bash");
    c.arg(repo().join("scripts/mailstack.sh"))
        .arg(command)
        .stdin(Stdio::null());
    if OWN_STACK.load(Ordering::SeqCst) {
        let port = |var: &str, default: u16| -> String {
            let shared = std::env::var(var)
                .ok()
                .and_then(|p| p.parse::<u16>().ok())
                .unwrap_or(default);
            (shared + 1000).to_string()
        };
        let dir = format!("{}-{}", shared_dir().display(), binary_name());
        c.env("PILAH_IMAP_PORT", port("PILAH_IMAP_PORT", 10143))
            .env("PILAH_IMAPS_PORT", port("PILAH_IMAPS_PORT", 10993))
            .env("PILAH_SMTP_PORT", port("PILAH_SMTP_PORT", 10025))
            .env("PILAH_SMTPS_PORT", port("PILAH_SMTPS_PORT", 10465))
            .env(
                "PILAH_SUBMISSION_PORT",
                port("PILAH_SUBMISSION_PORT", 10587),
            )
            .env("PILAH_OAUTH2_PORT", port("PILAH_OAUTH2_PORT", 10080))
            .env("PILAH_MAILSTACK_DIR", dir);
    }
    c
}

/// The directory of this process's stack.
fn stack_dir() -> PathBuf {
    if OWN_STACK.load(Ordering::SeqCst) {
        PathBuf::from(format!("{}-{}", shared_dir().display(), binary_name()))
    } else {
        shared_dir()
    }
}

/// The tests' lock file in the stack's directory (not the script's own `.lock`, which
/// `mailstack.sh start` takes).
fn lock_file() -> std::fs::File {
    let dir = stack_dir();
    std::fs::create_dir_all(&dir).expect("stack directory");
    let path = dir.join("tests.lock");
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A stack of this binary's own, held by one test at a time (in this process or any other)
/// until the guard is dropped (also when the test panics; the lock goes with the process at
/// the latest). Call it first, before anything touches the stack.
pub struct Exclusive(std::fs::File);

pub fn stack_exclusive() -> Exclusive {
    OWN_STACK.store(true, Ordering::SeqCst);
    let f = lock_file();
    f.lock().expect("exclusive lock on the stack");
    Exclusive(f)
}

/// A log file name no other test process uses.
fn log_path(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!("pilah-mailstack-{what}-{}.log", unique()))
}

/// Starts the mail stack once per test binary (idempotent and fast when it runs already).
pub fn stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    STACK.get_or_init(|| {
        let log = log_path("start");
        let out = std::fs::File::create(&log).expect("log file");
        let status = mailstack("start")
            .stdout(out.try_clone().expect("log file"))
            .stderr(out)
            .status()
            .expect("run scripts/mailstack.sh");
        let output = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_file(&log);
        assert!(
            status.success(),
            "scripts/mailstack.sh start failed: {output}"
        );
        let env = mailstack("env").output().expect("mailstack env");
        let text = String::from_utf8_lossy(&env.stdout).to_string();
        let get = |k: &str| -> String {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("export {k}=")))
                .unwrap_or_else(|| panic!("{k} missing from mailstack env: {text}"))
                .trim_matches(['"', '\''])
                .to_string()
        };
        Stack {
            host: get("PILAH_MAIL_HOST"),
            imap_port: get("PILAH_IMAP_PORT").parse().expect("port"),
            imaps_port: get("PILAH_IMAPS_PORT").parse().expect("port"),
            smtp_port: get("PILAH_SMTP_PORT").parse().expect("port"),
            smtps_port: get("PILAH_SMTPS_PORT").parse().expect("port"),
            submission_port: get("PILAH_SUBMISSION_PORT").parse().expect("port"),
            oauth2_port: get("PILAH_OAUTH2_PORT").parse().expect("port"),
            password: get("PILAH_TEST_PASSWORD"),
            ca_file: PathBuf::from(get("PILAH_CA_FILE")),
            dir: PathBuf::from(get("PILAH_MAILSTACK_DIR")),
        }
    })
}

/// Writes a password file as an admin must: mode 0600 (pilah refuses one that group or
/// others may read).
pub fn write_secret(path: &Path, text: &str) {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .expect("password file");
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .expect("chmod password file");
    f.write_all(text.as_bytes()).expect("write password file");
}

/// A fresh namespace: its own domain, state directory, rules copy and config.
pub struct Scratch {
    pub dir: tempfile::TempDir,
    pub domain: String,
    pub config: PathBuf,
    pub rules: PathBuf,
}

fn unique() -> String {
    use std::sync::atomic::AtomicU32;
    static N: AtomicU32 = AtomicU32::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "t{}{}{}",
        std::process::id(),
        t.subsec_nanos() % 100_000,
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read rules") {
        let e = e.expect("entry");
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

impl Scratch {
    /// The repo's default rules, with every `@djpk.test` address moved into this test's
    /// domain, and a config for the `lapor` (STARTTLS) and `callcenter` (IMAPS) mailboxes.
    pub fn new(extra_config: &str) -> Scratch {
        let s = stack();
        let dir = tempfile::tempdir().expect("tempdir");
        let domain = format!("{}.test", unique());
        let rules = dir.path().join("rules");
        copy_dir(&repo().join("rules"), &rules);
        for f in std::fs::read_dir(&rules).expect("rules") {
            let p = f.expect("entry").path();
            if p.extension().is_some_and(|x| x == "toml") {
                let t = std::fs::read_to_string(&p).expect("read");
                // Reminders depend on the wall clock: tests that want them set their own.
                let t: String = t
                    .lines()
                    .filter(|l| {
                        !l.starts_with("remind_after_hours")
                            && !l.starts_with("escalate_after_hours")
                            && !l.starts_with("daily_digest")
                    })
                    .map(|l| format!("{l}\n"))
                    .collect();
                std::fs::write(&p, t.replace("@djpk.test", &format!("@{domain}"))).expect("write");
            }
        }
        let config = dir.path().join("pilah.toml");
        let scratch = Scratch {
            domain,
            config,
            rules,
            dir,
        };
        scratch.write_config(s.smtp_port, extra_config);
        scratch
    }

    pub fn write_config(&self, smtp_port: u16, extra: &str) {
        let s = stack();
        let d = &self.domain;
        let text = format!(
            r#"state_dir = "{state}"
rules_dir = "{rules}"
admin_address = "admin@{d}"
{extra}

[smtp]
host = "{host}"
port = {smtp_port}
security = "plain"
from = "pilah@{d}"

[[mailbox]]
name = "lapor"
address = "lapor@{d}"
host = "{host}"
port = {imap}
security = "starttls"
ca_file = "{ca}"
username = "lapor@{d}"
password_file = "{pw}"

[[mailbox]]
name = "callcenter"
address = "callcenter@{d}"
host = "{host}"
port = {imaps}
security = "tls"
ca_file = "{ca}"
username = "callcenter@{d}"
password_file = "{pw}"
{auth}"#,
            state = self.state().display(),
            rules = self.rules.display(),
            host = s.host,
            imap = s.imap_port,
            imaps = s.imaps_port,
            ca = s.ca_file.display(),
            pw = self.password_file().display(),
            // The stack's Postfix writes the verdict of authserv-id mx.djpk.test
            // (scripts/mailstack.sh); a test that sets its own section passes it in `extra`.
            auth = if extra.contains("[authentication]") {
                ""
            } else {
                "\n[authentication]\nauthserv_ids = [\"mx.djpk.test\"]\n"
            },
        );
        write_secret(&self.password_file(), &format!("{}\n", s.password));
        std::fs::write(&self.config, text).expect("config");
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn password_file(&self) -> PathBuf {
        self.dir.path().join("imap-password")
    }

    /// `local@<this test's domain>`.
    pub fn addr(&self, local: &str) -> String {
        format!("{local}@{}", self.domain)
    }

    /// An outside address unique to this test, in a subdomain of `domain`
    /// (`bpkad@t123.cilacapkab.go.id`): the region is still found from the domain.
    pub fn ext(&self, local: &str, domain: &str) -> String {
        let ns = self.domain.trim_end_matches(".test");
        format!("{local}@{ns}.{domain}")
    }

    /// Runs the pilah binary with these arguments.
    pub fn pilah(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_pilah"))
            .args(args)
            .env("PILAH_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("run pilah")
    }

    /// `pilah run --config ... --once`, then wait until Postfix has delivered what pilah
    /// handed to it (delivery into Dovecot happens just after the SMTP server's answer).
    pub fn run_once(&self) -> Output {
        let out = self.pilah(&[
            "run",
            "--config",
            self.config.to_str().expect("utf-8"),
            "--once",
        ]);
        settle();
        out
    }

    /// `pilah run --once` with the reminder clock set to `now` (RFC 3339).
    pub fn run_once_at(&self, now: &str) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_pilah"))
            .args([
                "run",
                "--config",
                self.config.to_str().expect("utf-8"),
                "--once",
            ])
            .env("PILAH_LOG", "info")
            .env("NO_COLOR", "1")
            .env("PILAH_NOW", now)
            .stdin(Stdio::null())
            .output()
            .expect("run pilah");
        settle();
        out
    }

    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.state().join("pilah.sqlite")).expect("db")
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).expect(sql)
    }
}

/// Waits until the Postfix queue is empty: everything accepted has been delivered.
pub fn settle() {
    let s = stack();
    let etc = s.dir.join("postfix/etc");
    for _ in 0..200 {
        let out = Command::new("postqueue")
            .args(["-c", etc.to_str().expect("utf-8"), "-p"])
            .stdin(Stdio::null())
            .output();
        match out {
            Ok(o) if String::from_utf8_lossy(&o.stdout).contains("Mail queue is empty") => return,
            // Postfix is down (a fault test): nothing will move; don't wait.
            Ok(o) if !o.status.success() => return,
            _ => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
}

pub fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A port on 127.0.0.1 nobody listens on (free when this returns).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .expect("local address")
        .port()
}

// ---- IMAP, for loading and checking mailboxes ----

type Session = async_imap::Session<TcpStream>;

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

pub async fn login(user: &str) -> Session {
    login_at(stack().imap_port, user).await
}

/// Logs in over plain IMAP on a port of 127.0.0.1 (Dovecot's, or Courier's: [`courier`]).
pub async fn login_at(port: u16, user: &str) -> Session {
    let s = stack();
    let tcp = TcpStream::connect((s.host.as_str(), port))
        .await
        .expect("connect");
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.expect("greeting");
    client
        .login(user, &s.password)
        .await
        .map_err(|e| e.0)
        .expect("login")
}

/// APPENDs a message with an INTERNALDATE (IMAP date-time, e.g. "05-Mar-2024 09:30:00 +0700").
pub async fn append(user: &str, folder: &str, raw: &[u8], date: Option<&str>, flags: Option<&str>) {
    let mut s = login(user).await;
    let date = date.map(|d| format!("\"{d}\""));
    s.append(folder, flags, date.as_deref(), raw)
        .await
        .expect("append");
    s.logout().await.ok();
}

/// A message found in a mailbox.
#[derive(Debug, Clone)]
pub struct Found {
    pub folder: String,
    pub uid: u32,
    pub flags: Vec<String>,
    pub raw: Vec<u8>,
}

impl Found {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .expect("parse")
    }
    pub fn header(&self, name: &str) -> Option<String> {
        let p = self.parsed();
        p.header_raw(name).map(|v| v.trim().to_string())
    }
    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or("").to_string()
    }
}

/// Every folder of a user, with every message in it (fetched with PEEK: flags untouched).
pub async fn mailbox_contents(user: &str) -> Vec<Found> {
    mailbox_contents_at(stack().imap_port, user).await
}

/// [`mailbox_contents`] on the IMAP server at `port` of 127.0.0.1.
pub async fn mailbox_contents_at(port: u16, user: &str) -> Vec<Found> {
    let mut s = login_at(port, user).await;
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
    let mut out = Vec::new();
    for name in names {
        let mb = s.select(&name).await.expect("select");
        if mb.exists == 0 {
            continue;
        }
        let fetches = s
            .uid_fetch("1:*", "(UID FLAGS BODY.PEEK[])")
            .await
            .expect("fetch")
            .try_collect::<Vec<_>>()
            .await
            .expect("fetch");
        for f in fetches {
            out.push(Found {
                folder: name.clone(),
                uid: f.uid.unwrap_or(0),
                flags: f.flags().map(|fl| format!("{fl:?}")).collect(),
                raw: f.body().unwrap_or_default().to_vec(),
            });
        }
    }
    s.logout().await.ok();
    out
}

pub fn contents(user: &str) -> Vec<Found> {
    rt().block_on(mailbox_contents(user))
}

/// The second IMAP server: Courier, started by `scripts/courier.sh` on 127.0.0.1 beside the
/// stack (whose Postfix still delivers pilah's mail into Dovecot).
pub struct Courier {
    /// Courier as Debian ships it: UIDPLUS and IDLE, no MOVE; namespace `INBOX.`, `.`.
    pub port: u16,
    /// The same Courier announcing neither UIDPLUS nor IDLE.
    pub bare_port: u16,
    pub dir: PathBuf,
}

fn courier_script(args: &[&str]) -> Output {
    stack();
    Command::new("bash")
        .arg(repo().join("scripts/courier.sh"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run scripts/courier.sh")
}

/// Starts Courier once per test binary (idempotent).
pub fn courier() -> &'static Courier {
    static COURIER: OnceLock<Courier> = OnceLock::new();
    COURIER.get_or_init(|| {
        let out = courier_script(&["start"]);
        assert!(
            out.status.success(),
            "scripts/courier.sh start failed: {}",
            text(&out)
        );
        let env = courier_script(&["env"]);
        let env = String::from_utf8_lossy(&env.stdout).to_string();
        let get = |k: &str| -> String {
            env.lines()
                .find_map(|l| l.strip_prefix(&format!("export {k}=")))
                .unwrap_or_else(|| panic!("{k} missing from courier env: {env}"))
                .to_string()
        };
        Courier {
            port: get("PILAH_COURIER_PORT").parse().expect("port"),
            bare_port: get("PILAH_COURIER_BARE_PORT").parse().expect("port"),
            dir: PathBuf::from(get("PILAH_COURIER_DIR")),
        }
    })
}

impl Courier {
    /// Makes mailboxes on Courier (its userdb; the stack's password).
    pub fn users(&self, addrs: &[&str]) {
        let mut args = vec!["user"];
        args.extend_from_slice(addrs);
        let out = courier_script(&args);
        assert!(out.status.success(), "courier.sh user: {}", text(&out));
    }

    /// Delivers `raw` into a Courier mailbox as the organisation's MX would: submitted to
    /// the stack's Postfix (which adds its `Received` line and `Authentication-Results`, as
    /// a border MX does), taken from where Postfix delivered it, and written into the
    /// mailbox's Maildir (`tmp/`, then `new/`), as a delivery agent does.
    pub fn deliver(&self, source: &str, env_from: &str, to: &str, raw: &[u8]) {
        let relay = format!(
            "relay-{}@{}",
            unique(),
            to.rsplit_once('@').expect("address").1
        );
        submit(source, env_from, &[&relay], raw);
        let got = contents(&relay);
        assert_eq!(got.len(), 1, "relay mailbox {relay}: {got:#?}");
        let (local, domain) = to
            .to_ascii_lowercase()
            .rsplit_once('@')
            .map(|(l, d)| (l.to_string(), d.to_string()))
            .expect("address");
        let maildir = self
            .dir
            .join("mail")
            .join(domain)
            .join(local)
            .join("Maildir");
        let name = format!("{}.{}.pilah-test", unique(), std::process::id());
        let tmp = maildir.join("tmp").join(&name);
        // A Maildir file has the system's line ends; IMAP gives CRLF.
        let lf: Vec<u8> = got[0].raw.iter().copied().filter(|b| *b != b'\r').collect();
        std::fs::write(&tmp, lf).expect("write into Maildir/tmp");
        let owner = std::fs::metadata(&maildir).expect("Maildir");
        use std::os::unix::fs::MetadataExt;
        std::os::unix::fs::chown(&tmp, Some(owner.uid()), Some(owner.gid())).expect("chown");
        std::fs::rename(&tmp, maildir.join("new").join(&name)).expect("into Maildir/new");
    }
}

/// Builds a small message.
pub fn mail(from: &str, to: &str, subject: &str, body: &str, extra_headers: &str) -> Vec<u8> {
    let id = format!(
        "<{}@{}>",
        unique(),
        from.rsplit_once('@').map(|x| x.1).unwrap_or("x")
    );
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Tue, 05 Mar 2024 09:30:00 +0700\r\n\
         Message-ID: {id}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n{extra_headers}\r\n{body}\r\n"
    )
    .into_bytes()
}

/// `raw` as the receiving server would have stamped it after SPF, DKIM and DMARC passed
/// for `from`'s domain: what a message loaded with IMAP APPEND (which bypasses the server)
/// needs to be taken as vouched for. Mail submitted with [`submit`] gets it from Postfix.
pub fn vouched(from: &str, raw: Vec<u8>) -> Vec<u8> {
    let d = from.rsplit_once('@').map(|x| x.1).unwrap_or(from);
    let mut out = format!(
        "Authentication-Results: mx.djpk.test; spf=pass smtp.mailfrom={d}; dkim=pass header.d={d}; dmarc=pass header.from={d}\r\n"
    )
    .into_bytes();
    out.extend_from_slice(&raw);
    out
}

/// Submits `raw` to the stack's Postfix over SMTP from `source` (an address of 127/8),
/// with envelope sender `env_from`: the message arrives as mail from outside does, with
/// Postfix's Received line and its Authentication-Results on top (see
/// `scripts/mailstack.sh`: `x+fail@d` fails, `x+none@d` has no verdict, else pass).
pub fn submit(source: &str, env_from: &str, rcpt: &[&str], raw: &[u8]) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let s = stack();
    rt().block_on(async {
        let sock = tokio::net::TcpSocket::new_v4().expect("socket");
        sock.bind(format!("{source}:0").parse().expect("source address"))
            .expect("bind");
        let addr = format!("{}:{}", s.host, s.smtp_port)
            .parse()
            .expect("address");
        let stream = sock.connect(addr).await.expect("connect to Postfix");
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        async fn reply(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>, want: &str) {
            loop {
                let mut line = String::new();
                r.read_line(&mut line).await.expect("read");
                assert!(
                    line.starts_with(want),
                    "SMTP: expected {want}, got {line:?}"
                );
                if line.as_bytes().get(3) != Some(&b'-') {
                    return;
                }
            }
        }
        reply(&mut r, "220").await;
        let mut steps = vec![
            ("EHLO client.test\r\n".to_string(), "250"),
            (format!("MAIL FROM:<{env_from}>\r\n"), "250"),
        ];
        steps.extend(rcpt.iter().map(|to| (format!("RCPT TO:<{to}>\r\n"), "250")));
        steps.push(("DATA\r\n".to_string(), "354"));
        for (c, want) in steps {
            w.write_all(c.as_bytes()).await.expect("write");
            reply(&mut r, want).await;
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
        data.extend_from_slice(b".\r\n");
        w.write_all(&data).await.expect("write");
        reply(&mut r, "250").await;
        w.write_all(b"QUIT\r\n").await.expect("write");
    });
    settle();
}

pub type Shared<T> = Arc<T>;

/// Stops one daemon of the stack (`postfix` or `dovecot`), as a fault.
pub fn stop_daemon(which: &str) {
    let s = stack();
    let status = match which {
        "postfix" => Command::new("postfix")
            .args(["-c", s.dir.join("postfix/etc").to_str().unwrap(), "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status(),
        _ => {
            // Kill the master's children first (login proxies would otherwise keep open
            // connections alive across the restart), then stop the master.
            if let Ok(pid) = std::fs::read_to_string(s.dir.join("dovecot/run/master.pid")) {
                let _ = Command::new("pkill")
                    .args(["-KILL", "-P", pid.trim()])
                    .status();
            }
            Command::new("dovecot")
                .args([
                    "-c",
                    s.dir.join("dovecot/dovecot.conf").to_str().unwrap(),
                    "stop",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
        }
    }
    .expect("stop daemon");
    assert!(status.success(), "stopping {which} failed");
    // Wait until its port is closed.
    let port = if which == "postfix" {
        s.smtp_port
    } else {
        s.imap_port
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect((s.host.as_str(), port)).is_err() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{which} did not stop");
}

/// Starts whatever of the stack is not running.
pub fn restart_stack() {
    let log = log_path("restart");
    let out = std::fs::File::create(&log).expect("log file");
    let status = mailstack("start")
        .stdout(out.try_clone().expect("log"))
        .stderr(out)
        .status()
        .expect("mailstack start");
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert!(status.success(), "{output}");
}

/// A running `pilah run` daemon, killed when dropped.
pub struct Daemon {
    pub child: std::process::Child,
    pub log: PathBuf,
}

impl Daemon {
    pub fn start(t: &Scratch) -> Daemon {
        let log = t.dir.path().join(format!("daemon-{}.log", unique()));
        let f = std::fs::File::create(&log).expect("log");
        let child = Command::new(env!("CARGO_BIN_EXE_pilah"))
            .args(["run", "--config", t.config.to_str().expect("utf-8")])
            .env("PILAH_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(f)
            .spawn()
            .expect("start pilah");
        Daemon { child, log }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill {sig}");
    }

    /// SIGKILL, and reap.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for a clean exit.
    pub fn stop(mut self) {
        self.signal("-TERM");
        let started = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "exit {status:?}; log:\n{}", self.log());
                return;
            }
            assert!(
                started.elapsed().as_secs() < 30,
                "did not stop; log:\n{}",
                self.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The answer of pilah's metrics endpoint on 127.0.0.1:`port` to `GET /metrics`, head and body.
pub fn scrape_metrics(port: u16) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

/// Polls `f` until it holds (at most `secs` seconds); panics with `what` otherwise.
pub fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

/// Every `.eml` under `dir`, recursively.
pub fn emls(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            emls(&p, out);
        } else if p.extension().is_some_and(|x| x == "eml") {
            out.push(p);
        }
    }
}

/// SpamAssassin's spamd of scripts/spamd.sh (its port from `PILAH_SPAMD_PORT`, beside the
/// shared stack), started once per test binary (idempotent and fast when it runs already).
/// Returns its address, `127.0.0.1:PORT`.
pub fn spamd() -> &'static str {
    static SPAMD: OnceLock<String> = OnceLock::new();
    SPAMD.get_or_init(|| {
        let log = log_path("spamd");
        let out = std::fs::File::create(&log).expect("log file");
        let status = Command::new("bash")
            .arg(repo().join("scripts/spamd.sh"))
            .arg("start")
            .env("PILAH_MAILSTACK_DIR", shared_dir())
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log file"))
            .stderr(out)
            .status()
            .expect("run scripts/spamd.sh");
        let output = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_file(&log);
        assert!(status.success(), "scripts/spamd.sh start failed: {output}");
        let port = std::env::var("PILAH_SPAMD_PORT").unwrap_or_else(|_| "10783".into());
        format!("127.0.0.1:{port}")
    })
}
