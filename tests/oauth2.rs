//! OAuth2 against the real stack: Dovecot's oauth2 passdb checks every token pilah presents
//! at the loopback provider (`scripts/oauth2-server.py`, started by `scripts/mailstack.sh`),
//! for IMAP and, through Dovecot's SASL, for Postfix's submission port, which refuses mail
//! without AUTH. The provider issues short-lived tokens here (3 s), rotates every refresh
//! token, and counts per client the tokens it issued, the grants it refused and the tokens
//! it saw presented after their expiry.

mod common;

use common::*;
use std::time::Duration;

/// The loopback provider's admin side.
struct Provider {
    base: String,
}

impl Provider {
    fn new() -> Provider {
        Provider {
            base: format!("http://{}:{}", stack().host, stack().oauth2_port),
        }
    }

    fn post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let url = format!("{}{path}", self.base);
        rt().block_on(async {
            let r = reqwest::Client::new()
                .post(&url)
                .body(body.to_string())
                .send()
                .await
                .expect("provider");
            assert!(r.status().is_success(), "{url}: {}", r.status());
            serde_json::from_str(&r.text().await.expect("body")).expect("json")
        })
    }

    /// A user's consent: the refresh token an admin would put in the config.
    fn grant(&self, client: &str, user: &str, lifetime: u64) -> String {
        self.post(
            "/admin/grant",
            serde_json::json!({"client_id": client, "user": user, "lifetime": lifetime}),
        )["refresh_token"]
            .as_str()
            .expect("refresh_token")
            .to_string()
    }

    fn app(&self, client: &str, secret: &str, user: &str) {
        self.post(
            "/admin/app",
            serde_json::json!({"client_id": client, "client_secret": secret, "user": user, "lifetime": 60}),
        );
    }

    fn revoke(&self, client: &str) {
        self.post("/admin/revoke", serde_json::json!({"client_id": client}));
    }

    /// `kind` (`tokens`, `rejected`, `expired_seen`) counted for `client`.
    fn stat(&self, kind: &str, client: &str) -> u64 {
        let url = format!("{}/admin/stats", self.base);
        let body = rt().block_on(async {
            reqwest::get(&url)
                .await
                .expect("provider")
                .text()
                .await
                .expect("body")
        });
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert!(v[kind].is_object(), "{kind} per client: {v}");
        v[kind][client].as_u64().unwrap_or(0)
    }
}

/// A client id no other test uses.
fn client(t: &Scratch, what: &str) -> String {
    format!("{what}-{}", t.domain)
}

/// The `[..oauth2]` table for a refresh-token grant whose token is in `file`.
fn refresh_table(table: &str, p: &Provider, client: &str, file: &std::path::Path) -> String {
    format!(
        "[{table}.oauth2]\ntoken_url = \"{}/token\"\ngrant = \"refresh_token\"\nclient_id = \"{client}\"\nrefresh_token_file = \"{}\"\n",
        p.base,
        file.display()
    )
}

/// A config with `lapor` logging in with OAuth2 (`lapor_auth`: its `[mailbox.oauth2]`
/// table) and `smtp` as given (`smtp_table`: the whole `[smtp]` section).
fn config(t: &Scratch, smtp_table: &str, lapor_auth: &str) {
    let s = stack();
    let d = &t.domain;
    let text = format!(
        r#"state_dir = "{state}"
rules_dir = "{rules}"
admin_address = "admin@{d}"
start_date = "2024-03-01"

{smtp_table}

[[mailbox]]
name = "lapor"
address = "lapor@{d}"
host = "{host}"
port = {imap}
security = "starttls"
ca_file = "{ca}"
username = "lapor@{d}"
auth = "oauth2"
{lapor_auth}

[authentication]
authserv_ids = ["mx.djpk.test"]
"#,
        state = t.state().display(),
        rules = t.rules.display(),
        host = s.host,
        imap = s.imap_port,
        ca = s.ca_file.display(),
    );
    std::fs::write(&t.config, text).expect("config");
}

/// `[smtp]` on the submission port (AUTH required) with a refresh-token grant.
fn smtp_oauth2(t: &Scratch, p: &Provider, client: &str, file: &std::path::Path) -> String {
    format!(
        "[smtp]\nhost = \"{}\"\nport = {}\nsecurity = \"starttls\"\nca_file = \"{}\"\nfrom = \"pilah@{d}\"\nusername = \"pilah@{d}\"\nauth = \"oauth2\"\n\n{}",
        stack().host,
        stack().submission_port,
        stack().ca_file.display(),
        refresh_table("smtp", p, client, file),
        d = t.domain,
    )
}

/// `[smtp]` on the stack's open loopback port (no AUTH).
fn smtp_plain(t: &Scratch) -> String {
    format!(
        "[smtp]\nhost = \"{}\"\nport = {}\nsecurity = \"plain\"\nfrom = \"pilah@{}\"\n",
        stack().host,
        stack().smtp_port,
        t.domain
    )
}

fn dbh_report(t: &Scratch, from: &str, subject: &str) {
    let lapor = t.addr("lapor");
    let raw = mail(
        &format!("BPKAD <{from}>"),
        &lapor,
        subject,
        "Dengan hormat, bersama ini kami sampaikan berita acara rekonsiliasi DBH.",
        "",
    );
    submit("127.0.0.1", from, &[&lapor], &raw);
}

fn acks(addr: &str) -> usize {
    contents(addr)
        .iter()
        .filter(|f| f.header("X-Pilah-Kind").as_deref() == Some("ack"))
        .count()
}

fn inbox_count(t: &Scratch) -> usize {
    contents(&t.addr("lapor"))
        .iter()
        .filter(|f| f.folder == "INBOX")
        .count()
}

#[test]
fn refresh_token_grants_log_in_to_imap_and_smtp_and_outlive_their_tokens() {
    let t = Scratch::new("");
    let p = Provider::new();
    let (imap_client, smtp_client) = (client(&t, "imap"), client(&t, "smtp"));
    let imap_file = t.dir.path().join("imap-refresh-token");
    let smtp_file = t.dir.path().join("smtp-refresh-token");
    write_secret(&imap_file, &p.grant(&imap_client, &t.addr("lapor"), 3));
    write_secret(&smtp_file, &p.grant(&smtp_client, &t.addr("pilah"), 3));
    config(
        &t,
        &smtp_oauth2(&t, &p, &smtp_client, &smtp_file),
        &refresh_table("mailbox", &p, &imap_client, &imap_file),
    );
    let bpkad = t.ext("bpkad", "cilacapkab.go.id");

    let daemon = Daemon::start(&t);
    dbh_report(&t, &bpkad, "Rekonsiliasi DBH Triwulan I");
    wait_until("the first acknowledgement", 60, || acks(&bpkad) == 1);

    // Both tokens expire; Dovecot ends the IMAP session (as a server restart or an idle
    // timeout would), so both logins need new tokens.
    std::thread::sleep(Duration::from_secs(4));
    let kicked = std::process::Command::new("doveadm")
        .args([
            "-c",
            stack()
                .dir
                .join("dovecot/dovecot.conf")
                .to_str()
                .expect("utf-8"),
        ])
        .args(["kick", &t.addr("lapor")])
        .output()
        .expect("doveadm kick");
    assert!(kicked.status.success(), "{}", text(&kicked));
    dbh_report(&t, &bpkad, "Rekonsiliasi DBH Triwulan II");
    wait_until("the second acknowledgement", 60, || acks(&bpkad) == 2);
    daemon.stop();

    for c in [&imap_client, &smtp_client] {
        assert!(p.stat("tokens", c) >= 2, "{c}: renewed after expiry");
        assert_eq!(p.stat("rejected", c), 0, "{c}: no refused grant");
        assert_eq!(p.stat("expired_seen", c), 0, "{c}: never an expired token");
    }
    assert_eq!(inbox_count(&t), 0, "both messages filed");

    // Every refresh rotated the token: the configured one is dead at the provider. The
    // rotated one is in the state directory, private, and a new run uses it.
    use std::os::unix::fs::PermissionsExt;
    let saved: Vec<_> = std::fs::read_dir(t.state().join("oauth2"))
        .expect("rotated tokens saved")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(
        saved.len(),
        2,
        "one per configured refresh token: {saved:?}"
    );
    for f in &saved {
        let mode = std::fs::metadata(f).expect("saved").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", f.display());
    }
    dbh_report(&t, &bpkad, "Rekonsiliasi DBH Triwulan III");
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(acks(&bpkad), 3, "{}", text(&out));
    assert_eq!(p.stat("rejected", &imap_client), 0);
}

#[test]
fn a_client_credentials_grant_opens_a_shared_mailbox_with_oauthbearer() {
    let t = Scratch::new("");
    let p = Provider::new();
    let app = client(&t, "app");
    p.app(&app, "s3cret-app", &t.addr("lapor"));
    let secret = t.dir.path().join("client-secret");
    write_secret(&secret, "s3cret-app\n");
    config(
        &t,
        &smtp_plain(&t),
        &format!(
            "[mailbox.oauth2]\ntoken_url = \"{}/token\"\ngrant = \"client_credentials\"\nclient_id = \"{app}\"\nclient_secret_file = \"{}\"\nscope = \"https://outlook.office365.com/.default\"\nmechanism = \"oauthbearer\"\n",
            p.base,
            secret.display()
        ),
    );
    let bpkad = t.ext("bpkad", "cilacapkab.go.id");
    dbh_report(&t, &bpkad, "Rekonsiliasi DBH Triwulan I");
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(acks(&bpkad), 1, "{}", text(&out));
    assert_eq!(inbox_count(&t), 0);
    assert_eq!(p.stat("tokens", &app), 1);
    let doctor = t.pilah(&["doctor", "--config", t.config.to_str().expect("utf-8")]);
    let report = text(&doctor);
    assert!(doctor.status.success(), "{report}");
    assert!(
        report.contains(
            "ok   mailbox \"lapor\".oauth2 (client_credentials grant): access token from"
        ),
        "{report}"
    );
    let log = text(&out);
    assert!(!log.contains("s3cret-app"), "the secret is never logged");

    // A wrong secret is refused by the provider and named.
    write_secret(&secret, "wrong\n");
    dbh_report(&t, &bpkad, "Rekonsiliasi DBH Triwulan II");
    let out = t.run_once();
    let log = text(&out);
    assert!(log.contains("invalid_client"), "{log}");
    assert!(log.contains("client_secret"), "{log}");
    assert_eq!(inbox_count(&t), 1, "the new message waits: {log}");
}

#[test]
fn a_revoked_grant_is_named_by_run_and_doctor_and_nothing_is_lost() {
    let t = Scratch::new("");
    let p = Provider::new();
    let c = client(&t, "revoked");
    let file = t.dir.path().join("refresh-token");
    write_secret(&file, &p.grant(&c, &t.addr("lapor"), 60));
    config(
        &t,
        &smtp_plain(&t),
        &refresh_table("mailbox", &p, &c, &file),
    );
    let bpkad = t.ext("bpkad", "cilacapkab.go.id");
    dbh_report(&t, &bpkad, "Rekonsiliasi DBH Triwulan I");
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(acks(&bpkad), 1);

    p.revoke(&c);
    dbh_report(&t, &bpkad, "Rekonsiliasi DBH Triwulan II");
    let out = t.run_once();
    let log = text(&out);
    assert!(log.contains("mailbox \"lapor\".oauth2"), "{log}");
    assert!(log.contains("invalid_grant"), "{log}");
    assert!(log.contains("sign in again"), "{log}");
    assert_eq!(inbox_count(&t), 1, "the message waits in INBOX: {log}");
    assert_eq!(acks(&bpkad), 1);

    // The daemon tells the admin once, however often it retries.
    let daemon = Daemon::start(&t);
    let alerts = || {
        contents(&t.addr("admin"))
            .iter()
            .filter(|f| f.subject().contains("Izin OAuth2 ditolak untuk lapor"))
            .count()
    };
    wait_until("the alert about the refused grant", 60, || alerts() == 1);
    wait_until("a few more attempts", 60, || {
        daemon.log().matches("oauth2-refused").count() >= 1
            && daemon.log().matches("invalid_grant").count() >= 3
    });
    daemon.stop();
    assert_eq!(alerts(), 1);
    assert_eq!(inbox_count(&t), 1);

    let doctor = t.pilah(&["doctor", "--config", t.config.to_str().expect("utf-8")]);
    let report = text(&doctor);
    assert!(!doctor.status.success(), "{report}");
    assert!(report.contains("invalid_grant"), "{report}");

    // The admin signs in again and saves the new refresh token: the stale rotated one in
    // the state directory is not used, and the waiting message is handled.
    write_secret(&file, &p.grant(&c, &t.addr("lapor"), 60));
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(acks(&bpkad), 2, "{}", text(&out));
    assert_eq!(inbox_count(&t), 0);
}

/// `pilah oauth2 login` for lapor, started; returns the child and its first printed lines
/// up to the one `want` is in.
fn login(t: &Scratch, extra: &[&str], want: &str) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pilah"))
        .args([
            "oauth2",
            "login",
            "--config",
            t.config.to_str().expect("utf-8"),
        ])
        .args(["--mailbox", "lapor"])
        .args(extra)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("pilah oauth2 login");
    let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut seen = String::new();
    while !seen.contains(want) {
        let mut line = String::new();
        if out.read_line(&mut line).expect("read") == 0 {
            panic!("login ended before {want:?}: {seen}");
        }
        seen.push_str(&line);
    }
    child.stdout = None;
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    (child, seen)
}

/// Waits for the login to end; asserts it succeeded.
fn finished(mut child: std::process::Child) {
    let status = child.wait().expect("wait");
    let mut err = String::new();
    use std::io::Read;
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    assert!(status.success(), "{status:?}: {err}");
}

/// A refresh-token grant whose token file does not exist yet, with both sign-in endpoints.
fn unsigned(t: &Scratch, p: &Provider, c: &str) -> std::path::PathBuf {
    let file = t.dir.path().join("refresh-token");
    let table = format!(
        "{}device_authorization_url = \"{}/devicecode\"\nauthorize_url = \"{}/authorize\"\nscope = \"https://outlook.office365.com/IMAP.AccessAsUser.All offline_access\"\n",
        refresh_table("mailbox", p, c, &file),
        p.base,
        p.base
    );
    config(t, &smtp_plain(t), &table);
    file
}

fn signed_in_and_working(t: &Scratch, file: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(file)
        .expect("token written")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let bpkad = t.ext("bpkad", "cilacapkab.go.id");
    dbh_report(t, &bpkad, "Rekonsiliasi DBH Triwulan I");
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(acks(&bpkad), 1, "{}", text(&out));
}

#[test]
fn oauth2_login_by_device_code_writes_the_refresh_token_where_the_config_reads_it() {
    let t = Scratch::new("");
    let p = Provider::new();
    let c = client(&t, "device");
    let file = unsigned(&t, &p, &c);
    let (child, seen) = login(&t, &[], "enter the code");
    let code = seen
        .split("enter the code ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("a user code");
    // The person enters the code at the provider and consents.
    p.post(
        "/admin/approve",
        serde_json::json!({"user_code": code, "user": t.addr("lapor")}),
    );
    finished(child);
    assert!(!seen.contains("rt-"), "the token is never printed: {seen}");
    signed_in_and_working(&t, &file);
}

#[test]
fn oauth2_login_in_the_browser_takes_the_redirect_with_pkce() {
    let t = Scratch::new("");
    let p = Provider::new();
    let c = client(&t, "browser");
    let file = unsigned(&t, &p, &c);
    p.post(
        "/admin/consent",
        serde_json::json!({"client_id": c, "user": t.addr("lapor")}),
    );
    let (child, seen) = login(&t, &["--browser"], "/authorize?");
    let url = seen
        .lines()
        .find(|l| l.contains("/authorize?"))
        .expect("the address to open")
        .trim()
        .to_string();
    // The browser: the provider signs the person in and redirects to pilah's loopback port.
    let page = rt().block_on(async {
        reqwest::get(&url)
            .await
            .expect("browser")
            .text()
            .await
            .expect("page")
    });
    assert!(page.contains("masuk berhasil"), "{page}");
    finished(child);
    signed_in_and_working(&t, &file);
}
