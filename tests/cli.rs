//! The offline commands, as an admin uses them: rules check, rules test, classify, explain,
//! and the config errors of `run`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pilah(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pilah"))
        .args(args)
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .output()
        .expect("run pilah")
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn copy_rules(to: &Path) {
    std::fs::create_dir_all(to.join("templates")).unwrap();
    for dir in ["", "templates"] {
        for e in std::fs::read_dir(repo().join("rules").join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                std::fs::copy(&p, to.join(dir).join(p.file_name().unwrap())).unwrap();
            }
        }
    }
}

#[test]
fn the_default_rules_pass_the_check() {
    let o = pilah(&["rules", "check", "--rules", "rules"]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains(": ok:"), "{}", out(&o));
}

#[test]
fn the_default_rules_get_every_fixture_right() {
    // The fixtures were delivered through the test stack's receiving server, whose
    // Authentication-Results (authserv-id mx.djpk.test) decide the spoofing rules.
    let o = pilah(&[
        "rules",
        "test",
        "--rules",
        "rules",
        "--authserv-id",
        "mx.djpk.test",
    ]);
    // Without a directory, from a checkout: the repository's fixtures.
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("fixtures: tests/fixtures/rules"),
        "{}",
        out(&o)
    );
    let o = pilah(&[
        "rules",
        "test",
        "--rules",
        "rules",
        "tests/fixtures/machine",
    ]);
    assert!(o.status.success(), "{}", out(&o));
}

fn pilah_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pilah"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pilah")
}

#[test]
fn rules_test_without_a_directory_uses_the_fixtures_beside_the_rules() {
    // As installed: rules in /etc/pilah/rules, fixtures in its `fixtures` directory, run
    // from a directory that has no tests/fixtures/rules.
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    copy_rules(&rules);
    let from = repo().join("tests/fixtures/rules/lapor/syarat-salur-dbh");
    let to = rules.join("fixtures/lapor/syarat-salur-dbh");
    std::fs::create_dir_all(&to).unwrap();
    for name in ["001.eml", "001.expected.toml"] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
    let elsewhere = tempfile::tempdir().unwrap();
    let o = pilah_in(
        elsewhere.path(),
        &["rules", "test", "--rules", rules.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains(&format!("fixtures: {}", rules.join("fixtures").display())),
        "{text}"
    );
    assert!(text.contains("accuracy: 1/1 fixtures"), "{text}");
}

#[test]
fn rules_test_without_fixtures_anywhere_says_where_to_put_them() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    copy_rules(&rules);
    let o = pilah_in(
        dir.path(),
        &["rules", "test", "--rules", rules.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let text = out(&o);
    let beside = rules.join("fixtures").display().to_string();
    assert!(
        text.contains(&format!("no fixtures: neither {beside}")),
        "{text}"
    );
    assert!(text.contains("tests/fixtures/rules"), "{text}");
    assert!(
        text.contains(&format!("pilah rules test --rules {} DIR", rules.display())),
        "{text}"
    );
}

#[test]
fn every_error_of_a_broken_rules_set_is_reported_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path();
    copy_rules(rules);
    std::fs::write(
        rules.join("99-broken.toml"),
        r#"[[rule]]
id = "bad-regex"
category = "dbh"
when = { field = "subject", regex = "(unclosed" }

[[rule]]
id = "bad-field"
category = "dbh"
when = { field = "subjek", keywords = ["dbh"] }

[[rule]]
id = "bad-category"
category = "tidak-ada"

[[rule]]
id = "bad-list"
category = "dbh"
when = { field = "subject", keywords = ["@no_such_list"] }
"#,
    )
    .unwrap();
    std::fs::write(
        rules.join("zz-typo.toml"),
        "[[unit]]\nid = \"x\"\nname = \"X\"\npics = []\nemail = 1\n",
    )
    .unwrap();
    let o = pilah(&["rules", "check", "--rules", rules.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let text = out(&o);
    let f = rules.join("99-broken.toml").display().to_string();
    assert!(
        text.contains(&format!("{f}:4:37: error: bad regex")),
        "{text}"
    );
    assert!(
        text.contains(&format!("{f}:9:")) && text.contains("unknown field \"subjek\""),
        "{text}"
    );
    assert!(
        text.contains(&format!("{f}:13:12: error: unknown category \"tidak-ada\"")),
        "{text}"
    );
    assert!(text.contains("unknown list @no_such_list"), "{text}");
    assert!(
        text.contains("zz-typo.toml:5:1: error: unknown field `email`"),
        "{text}"
    );
}

#[test]
fn a_file_that_does_not_load_hides_the_errors_that_only_follow_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path();
    copy_rules(rules);
    // A missing quote in lists.toml: every rule using its lists would say "unknown list".
    let lists = std::fs::read_to_string(rules.join("lists.toml")).unwrap();
    let typo = lists.replacen(
        "kemenkeu_domains = [\"kemenkeu.go.id\"]",
        "kemenkeu_domains = [\"kemenkeu.go.id]",
        1,
    );
    assert_ne!(typo, lists, "the line to break is in lists.toml");
    std::fs::write(rules.join("lists.toml"), typo).unwrap();
    // A list that no file defines stays an error of its own.
    std::fs::write(
        rules.join("99-own.toml"),
        "[[rule]]\nid = \"salah-ketik\"\ncategory = \"dbh\"\n\
         when = { field = \"subject\", keywords = [\"@tidak_ada_di_mana_pun\"] }\n",
    )
    .unwrap();
    let o = pilah(&["rules", "check", "--rules", rules.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let text = out(&o);
    let f = rules.join("lists.toml").display().to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with(&format!("{f}:")), "{text}");
    assert!(lines[0].contains(": error: "), "{text}");
    let note = regex::Regex::new(&format!(
        r"^{}:\d+:\d+: note: (\d+) further errors hidden until this file loads$",
        regex::escape(&f)
    ))
    .unwrap();
    let hidden: usize = note
        .captures(lines[1])
        .unwrap_or_else(|| panic!("no note on the second line:\n{text}"))[1]
        .parse()
        .unwrap();
    assert!(hidden > 100, "{text}");
    assert!(
        text.contains("99-own.toml:4:") && text.contains("unknown list @tidak_ada_di_mana_pun"),
        "{text}"
    );
    assert!(!text.contains("unknown list @kemenkeu_domains"), "{text}");
    assert_eq!(
        lines.len(),
        4,
        "own error, note, the other file's error, summary:\n{text}"
    );
    assert!(text.contains(": 2 errors"), "{text}");
}

/// A config with the two mailboxes and a third, `pengaduan`.
fn three_mailboxes(dir: &Path, rules: &Path) -> PathBuf {
    let mut text = format!(
        "state_dir = \"state\"\nrules_dir = \"{}\"\n\n[smtp]\nhost = \"127.0.0.1\"\nport = 10025\n\
         security = \"plain\"\nfrom = \"pilah@djpk.test\"\n",
        rules.display()
    );
    for name in ["lapor", "callcenter", "pengaduan"] {
        text.push_str(&format!(
            "\n[[mailbox]]\nname = \"{name}\"\naddress = \"{name}@djpk.test\"\nhost = \"127.0.0.1\"\n\
             security = \"plain\"\nusername = \"{name}\"\npassword_env = \"UNUSED_PASSWORD\"\n"
        ));
    }
    let path = dir.join("pilah.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_third_mailbox_is_checked_for_categories_fallback_spam_and_non_djpk() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    copy_rules(&rules);
    let config = three_mailboxes(dir.path(), &rules);
    let check = || {
        pilah(&[
            "rules",
            "check",
            "--rules",
            rules.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ])
    };
    // The rules as shipped do not know the new mailbox: each gap is named.
    let o = check();
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "warnings only:\n{text}");
    let c = config.display().to_string();
    for want in [
        format!("{c}: warning: mailbox \"pengaduan\": no category lists it"),
        format!("{c}: warning: mailbox \"pengaduan\" has no fallback category"),
        format!("{c}: warning: mailbox \"pengaduan\": no spam handling: add \"pengaduan\" to `mailboxes` of category \"spam\""),
        format!("{c}: warning: mailbox \"pengaduan\": no non-djpk handling"),
        format!("{c}: warning: mailbox \"pengaduan\": 5 rule(s) apply to every other mailbox but not to it: tag-pemda"),
    ] {
        assert!(text.contains(&want), "missing {want:?} in:\n{text}");
    }
    assert!(!text.contains("mailbox \"lapor\""), "{text}");

    // The recipe of docs/rules.md, "Adding a third mailbox": the shared categories and the
    // rules for every mailbox name it, it gets a fallback category. Then nothing is missing.
    for file in ["categories.toml", "10-tags.toml"] {
        let path = rules.join(file);
        let t = std::fs::read_to_string(&path).unwrap().replace(
            "mailboxes = [\"lapor\", \"callcenter\"]",
            "mailboxes = [\"lapor\", \"callcenter\", \"pengaduan\"]",
        );
        std::fs::write(&path, t).unwrap();
    }
    let path = rules.join("categories.toml");
    let t = std::fs::read_to_string(&path).unwrap().replace(
        "callcenter = \"lainnya\"\n",
        "callcenter = \"lainnya\"\npengaduan = \"lainnya\"\n",
    ) + "\n[[category]]\nid = \"lainnya\"\nlabel = \"Lainnya\"\nmailboxes = [\"pengaduan\"]\nack = \"none\"\n";
    std::fs::write(&path, t).unwrap();
    let o = check();
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(!text.contains("warning: mailbox"), "{text}");
}

#[test]
fn a_rule_that_can_never_fire_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    copy_rules(dir.path());
    std::fs::write(
        dir.path().join("00-catch-all.toml"),
        "[[rule]]\nid = \"semua\"\nmailboxes = [\"lapor\"]\ncategory = \"lainnya\"\n",
    )
    .unwrap();
    let o = pilah(&["rules", "check", "--rules", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        out(&o).contains("can never fire: rule \"semua\""),
        "{}",
        out(&o)
    );
}

#[test]
fn a_notice_template_with_a_wrong_name_or_placeholder_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    copy_rules(dir.path());
    let t = dir.path().join("templates");
    std::fs::write(
        t.join("notice-remider.txt"),
        "Subject: [{ticket}] Pengingat\n\n{waited_hours} jam\n",
    )
    .unwrap();
    std::fs::write(
        t.join("notice-mailbox-stale.txt"),
        "Subject: Kotak surat {mailbox}\n\nSejak {ticket}\n",
    )
    .unwrap();
    let o = pilah(&["rules", "check", "--rules", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains("notice-remider.txt:1:1: error: template \"notice-remider\" is not one of pilah's notices")
            && text.contains("notice-reminder"),
        "{text}"
    );
    assert!(
        text.contains("notice-mailbox-stale.txt:3:7: error: unknown placeholder {ticket}; known: {mailbox}, {minutes}, {error}"),
        "{text}"
    );
}

#[test]
fn classify_prints_one_json_object_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.eml");
    std::fs::write(
        &a,
        "From: BPKAD <bpkad@cilacapkab.go.id>\r\nTo: lapor@djpk.test\r\nSubject: kiriman\r\nMessage-ID: <x1@cilacapkab.go.id>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\r\n--b\r\n\
Content-Type: application/pdf; name=\"BA Rekon DBH Kab Brebes.pdf\"\r\nContent-Disposition: attachment; filename=\"BA Rekon DBH Kab Brebes.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ=\r\n--b--\r\n",
    )
    .unwrap();
    let b = dir.path().join("b.eml");
    std::fs::write(
        &b,
        "From: Kantor <kantor@pemda.example>\r\nTo: lapor@djpk.test\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\nsedang cuti\r\n",
    )
    .unwrap();
    let o = pilah(&[
        "classify",
        "--rules",
        "rules",
        "--mailbox",
        "lapor",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", out(&o));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0]["category"], "syarat-salur-dbh",
        "attachment name alone decides: {}",
        lines[0]
    );
    assert_eq!(lines[0]["message_id"], "x1@cilacapkab.go.id");
    assert_eq!(lines[0]["machine"], serde_json::Value::Null);
    assert_eq!(lines[0]["ack"], "ack-lapor");
    assert!(lines[0]["route"].as_array().unwrap().len() == 1);
    for key in [
        "file",
        "message_id",
        "mailbox",
        "category",
        "rule",
        "machine",
        "route",
        "ack",
    ] {
        assert!(lines[1].get(key).is_some(), "{key} missing in {}", lines[1]);
    }
    assert_eq!(lines[1]["machine"], "auto-reply");
    assert_eq!(lines[1]["ack"], serde_json::Value::Null);
    assert_eq!(lines[1]["route"], serde_json::json!([]));
}

#[test]
fn explain_shows_which_rule_decided_and_on_what_text() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.eml");
    std::fs::write(
        &a,
        "From: x@cilacapkab.go.id\r\nTo: lapor@djpk.test\r\nSubject: Laporan Realisasi DAK-NF BOS Triwulan I\r\n\r\nterlampir\r\n",
    )
    .unwrap();
    let o = pilah(&[
        "explain",
        "--rules",
        "rules",
        "--mailbox",
        "lapor",
        a.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", out(&o));
    let text = out(&o);
    assert!(text.contains("MATCHED, decides"), "{text}");
    assert!(text.contains("Verdict: syarat-salur-dak-nf"), "{text}");
}

#[test]
fn a_config_error_names_the_key_and_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("pilah.toml");
    std::fs::write(
        &cfg,
        "state_dir = \"s\"\nrules_dir = \"r\"\n\n[smtp]\nhost = \"smtp.example.id\"\nsecurity = \"plain\"\nfrom = \"pilah@djpk.test\"\nretries = 3\n",
    )
    .unwrap();
    let o = pilah(&["run", "--config", cfg.to_str().unwrap(), "--once"]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains(&format!("{}:8:1", cfg.display())) && text.contains("retries"),
        "{text}"
    );
}
