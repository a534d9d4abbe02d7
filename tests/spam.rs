//! The spam engine against the real spamd (scripts/spamd.sh) and the real mail stack: every
//! new message is scored before it is judged; spam from the real-world corpus is filed as
//! spam and never answered; an engine that is down or silent holds new mail in the mailbox
//! when a score is required (nothing answered, nothing lost, the admin told once) and leaves
//! the rules alone to judge when it is not, with the record saying so.

mod common;

use common::*;
use std::path::Path;

fn spam_config(address: &str, required: bool) -> String {
    format!(
        "start_date = \"2024-03-01\"\n\n[spam]\naddress = \"{address}\"\nrequired = {required}\ntimeout_seconds = 2\nretry_seconds = 5"
    )
}

/// A person's question to the call center, as a Pemda's staff writes it from a gmail
/// account: its sender, the unique left-hand side of its Message-ID, and the message.
fn question(t: &Scratch, subject: &str) -> (String, String, Vec<u8>) {
    let from = t.ext("staf.bpkad", "gmail.com");
    let raw = mail(
        &format!("Staf BPKAD <{from}>"),
        &t.addr("callcenter"),
        subject,
        "Selamat pagi, kami ingin menanyakan jadwal penyaluran DAU bulan ini. Terima kasih.",
        "",
    );
    let text = String::from_utf8_lossy(&raw).to_string();
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: <"))
        .and_then(|l| l.split_once('@'))
        .map(|(local, _)| local.to_string())
        .expect("a Message-ID");
    (from, id, raw)
}

/// The record of a message (by Message-ID): state, category, score, why unscored.
fn row_of(t: &Scratch, id: &str) -> (String, Option<String>, Option<f64>, Option<String>) {
    t.db()
        .query_row(
            "SELECT state, category, spam_score, spam_unscored FROM messages WHERE message_id LIKE ?1 || '@%'",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap_or_else(|e| panic!("no record of {id:?}: {e}"))
}

/// How many of this kind of mail the message caused (`ack`, `forward`).
fn mail_for(t: &Scratch, id: &str, kind: &str) -> i64 {
    t.db()
        .query_row(
            "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message_row
             WHERE m.message_id LIKE ?1 || '@%' AND o.kind = ?2",
            [id, kind],
            |r| r.get(0),
        )
        .expect("outbox")
}

#[test]
fn spam_from_the_real_world_corpus_is_filed_as_spam_and_never_answered_when_the_engine_runs() {
    let engine = spamd();
    let t = Scratch::new(&spam_config(engine, true));
    let cc = t.addr("callcenter");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real/spam");
    // GTUBE and an ordinary spam, which the rules know too, and two the rules alone let
    // through (tests/real.rs): a bitcoin extortion and a phishing page on a hacked WordPress.
    let files = [
        "spamassassin--data_spam_gtube.eml",
        "spamassassin--data_spam_001.eml",
        "rspamd--functional_messages_btc.eml",
        "spamassassin--data_spam_phishing_phishtank.eml",
    ];
    for f in files {
        let raw = std::fs::read(corpus.join(f)).expect("corpus file");
        submit("127.0.0.1", "sender+none@spam.example", &[&cc], &raw);
    }
    let (_, person, raw) = question(&t, "jadwal penyaluran DAU");
    submit("127.0.0.1", "staf@gmail.com", &[&cc], &raw);
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));

    let db = t.db();
    let mut st = db
        .prepare(
            "SELECT category, rule, folder, spam_score, spam_symbols, id FROM messages
             WHERE subject IS NOT 'jadwal penyaluran DAU' ORDER BY uid",
        )
        .expect("query");
    let rows: Vec<(String, String, String, f64, String, i64)> = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect();
    assert_eq!(rows.len(), files.len(), "{rows:?}");
    for ((category, rule, folder, score, symbols, id), f) in rows.iter().zip(files) {
        assert_eq!(category, "spam", "{f}: {rule} ({score} {symbols})");
        assert_eq!(folder, "Pilah/spam", "{f}");
        assert!(!symbols.is_empty(), "{f}: the engine's rules are recorded");
        let sent: i64 = db
            .query_row(
                "SELECT count(*) FROM outbox WHERE message_row = ?1",
                [id],
                |r| r.get(0),
            )
            .expect("outbox");
        assert_eq!(sent, 0, "{f}: neither acknowledged nor forwarded");
    }
    assert!(
        rows[0].3 >= 1000.0,
        "GTUBE scores 1000 and more: {}",
        rows[0].3
    );
    for r in &rows[2..] {
        assert_eq!(
            r.1, "spam-mesin-penipuan",
            "the engine's symbols decided: {r:?}"
        );
    }
    // The person is answered, and the engine's score of the question is on record too.
    let (state, category, score, unscored) = row_of(&t, &person);
    assert_eq!(
        (state.as_str(), category.as_deref()),
        ("filed", Some("dau"))
    );
    assert!(score.is_some(), "scored too");
    assert_eq!(unscored, None);
    assert_eq!(mail_for(&t, &person, "ack"), 1);
    let spam_folder: Vec<Found> = contents(&cc)
        .into_iter()
        .filter(|f| f.folder == "Pilah/spam")
        .collect();
    assert_eq!(spam_folder.len(), files.len());

    // What agents and admins see: the score and the engine's rules per message.
    let config = t.config.to_str().expect("utf-8");
    let json = text(&t.pilah(&[
        "messages",
        "--config",
        config,
        "--category",
        "spam",
        "--json",
    ]));
    let lines: Vec<serde_json::Value> = json
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(lines.len(), files.len(), "{json}");
    assert!(
        lines
            .iter()
            .any(|l| l["spam_score"].as_f64().is_some_and(|s| s >= 1000.0)
                && l["spam_symbols"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == "GTUBE"))),
        "{json}"
    );
    let wide = text(&t.pilah(&["messages", "--config", config, "--wide"]));
    assert!(wide.contains("spam") && wide.contains("GTUBE"), "{wide}");
    let btc = corpus.join(files[2]);
    let explained = t.pilah(&[
        "explain",
        "--rules",
        t.rules.to_str().expect("utf-8"),
        "--config",
        config,
        "--mailbox",
        "callcenter",
        btc.to_str().expect("utf-8"),
    ]);
    let explained = text(&explained);
    assert!(
        explained.contains("Spam engine: ")
            && explained.contains("BITCOIN_SPAM_03")
            && explained.contains("Verdict: spam (Spam) by spam-mesin-penipuan"),
        "{explained}"
    );
}

#[test]
fn with_a_score_required_a_down_engine_holds_new_mail_in_the_mailbox_until_it_answers() {
    // Nothing listens on this loopback port: the engine is down.
    let closed = format!("127.0.0.1:{}", free_port());
    let t = Scratch::new(&spam_config(&closed, true));
    let cc = t.addr("callcenter");
    let subject = "mohon info penyaluran DAU";
    let (asker, id, raw) = question(&t, subject);
    submit("127.0.0.1", "staf@gmail.com", &[&cc], &raw);

    for pass in 0..2 {
        let out = t.run_once();
        let log = text(&out);
        assert_eq!(out.status.code(), Some(2), "pass {pass}: {log}");
        assert!(
            log.contains("spam-held")
                && log.contains("mailbox=callcenter")
                && log.contains(&format!("spam engine {closed}: cannot connect")),
            "pass {pass}: the held message is logged with its mailbox and UID: {log}"
        );
        // Stored, not judged: still in the inbox, nothing answered or forwarded.
        let (state, category, _, _) = row_of(&t, &id);
        assert_eq!((state.as_str(), category), ("stored", None), "pass {pass}");
        let inbox: Vec<Found> = contents(&cc)
            .into_iter()
            .filter(|f| f.folder == "INBOX")
            .collect();
        assert_eq!(inbox.len(), 1, "pass {pass}: still in the mailbox");
        assert_eq!(mail_for(&t, &id, "ack"), 0, "pass {pass}");
        assert_eq!(mail_for(&t, &id, "forward"), 0, "pass {pass}");
        assert!(
            contents(&asker).is_empty(),
            "pass {pass}: the sender got nothing"
        );
    }
    // The admin is told once, with the engine's address and the error.
    let alerts: Vec<Found> = contents(&t.addr("admin"))
        .into_iter()
        .filter(|f| f.subject().contains("Mesin spam"))
        .collect();
    assert_eq!(alerts.len(), 1, "one alert for both passes");
    let body = String::from_utf8_lossy(&alerts[0].raw).to_string();
    assert!(
        body.contains(&closed) && body.contains("callcenter"),
        "{body}"
    );
    let doctor = t.pilah(&["doctor", "--config", t.config.to_str().expect("utf-8")]);
    let report = text(&doctor);
    assert!(
        !doctor.status.success() && report.contains(&format!("FAIL spam engine {closed}")),
        "{report}"
    );

    // The engine is back: the held message is scored, judged, answered and filed.
    std::fs::write(
        &t.config,
        std::fs::read_to_string(&t.config)
            .expect("config")
            .replace(&closed, spamd()),
    )
    .expect("config");
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let (state, category, score, unscored) = row_of(&t, &id);
    assert_eq!(
        (state.as_str(), category.as_deref()),
        ("filed", Some("dau"))
    );
    assert!(score.is_some(), "scored once the engine answered");
    assert_eq!(unscored, None);
    assert_eq!(mail_for(&t, &id, "ack"), 1);
    assert_eq!(contents(&asker).len(), 1, "acknowledged once");
    let doctor = t.pilah(&["doctor", "--config", t.config.to_str().expect("utf-8")]);
    assert!(
        text(&doctor).contains(&format!("ok   spam engine {}", spamd())),
        "{}",
        text(&doctor)
    );
}

#[test]
fn without_a_required_score_a_silent_or_absent_engine_leaves_the_rules_to_judge_unscored() {
    // An engine that accepts the connection and never answers (a hung spamd), and one that
    // is not there at all.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent_addr = silent.local_addr().expect("address").to_string();
    let closed = format!("127.0.0.1:{}", free_port());
    for (engine, why) in [
        (&silent_addr, "no answer within 2 s"),
        (&closed, "cannot connect"),
    ] {
        let t = Scratch::new(&spam_config(engine, false));
        let cc = t.addr("callcenter");
        let subject = "pertanyaan penyaluran DAU";
        let (asker, id, raw) = question(&t, subject);
        submit("127.0.0.1", "staf@gmail.com", &[&cc], &raw);
        let out = t.run_once();
        assert!(out.status.success(), "{engine}: {}", text(&out));
        let (state, category, score, unscored) = row_of(&t, &id);
        assert_eq!(
            (state.as_str(), category.as_deref()),
            ("filed", Some("dau"))
        );
        assert_eq!(score, None, "{engine}");
        let unscored = unscored.expect("the record says unscored");
        assert!(
            unscored.starts_with("unscored: spam engine ") && unscored.contains(why),
            "{engine}: {unscored}"
        );
        assert_eq!(mail_for(&t, &id, "ack"), 1, "{engine}");
        assert_eq!(contents(&asker).len(), 1, "{engine}");
    }
    drop(silent);
}

/// `pilah rules test` of the repository's rules on its Indonesian fixtures, with `t`'s config.
fn rules_test(t: &Scratch) -> (bool, String) {
    let rules = repo().join("rules");
    let fixtures = repo().join("tests/fixtures/rules");
    let out = t.pilah(&[
        "rules",
        "test",
        "--rules",
        rules.to_str().expect("utf-8"),
        "--config",
        t.config.to_str().expect("utf-8"),
        fixtures.to_str().expect("utf-8"),
    ]);
    (out.status.success(), text(&out))
}

#[test]
fn the_indonesian_fixtures_keep_their_verdicts_with_the_engine_scoring_them() {
    let (ok, report) = rules_test(&Scratch::new(&spam_config(spamd(), true)));
    assert!(ok, "{report}");
    assert!(report.contains("fixtures as expected (100.0%)"), "{report}");
    // The engine was asked: with it down, every fixture fails instead.
    let closed = format!("127.0.0.1:{}", free_port());
    let (ok, report) = rules_test(&Scratch::new(&spam_config(&closed, true)));
    assert!(!ok && report.contains("cannot connect"), "{report}");
}

/// A loopback relay on `port` to the real spamd: the engine "coming back" on the address
/// the daemon was configured with. Runs until the test process ends.
fn relay_to_spamd(port: u16) {
    use std::io::copy;
    use std::net::{Shutdown, TcpListener, TcpStream};
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the engine's port");
    let target = spamd().to_string();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let (Ok(client), Ok(server)) = (client, TcpStream::connect(&target)) else {
                continue;
            };
            let (mut c_in, mut s_out) = (
                client.try_clone().expect("clone"),
                server.try_clone().expect("clone"),
            );
            std::thread::spawn(move || {
                let _ = copy(&mut c_in, &mut s_out);
                let _ = s_out.shutdown(Shutdown::Write);
            });
            let (mut s_in, mut c_out) = (server, client);
            std::thread::spawn(move || {
                let _ = copy(&mut s_in, &mut c_out);
                let _ = c_out.shutdown(Shutdown::Write);
            });
        }
    });
}

#[test]
fn the_daemon_retries_held_mail_soon_and_handles_it_once_the_engine_answers() {
    let port = free_port();
    let metrics = free_port();
    let t = Scratch::new(&format!(
        "{}\n[metrics]\nlisten = \"127.0.0.1:{metrics}\"\n",
        spam_config(&format!("127.0.0.1:{port}"), true)
    ));
    let cc = t.addr("callcenter");
    let held = || {
        scrape_metrics(metrics)
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("pilah_spam_held_messages{mailbox=\"callcenter\"} "))
            .map(str::to_string)
    };
    let daemon = Daemon::start(&t);
    let (asker, id, raw) = question(&t, "penyaluran DAU tahap dua");
    submit("127.0.0.1", "staf@gmail.com", &[&cc], &raw);
    wait_until("the message held", 60, || {
        daemon.log().contains("spam-held")
    });
    assert_eq!(row_of(&t, &id).0, "stored");
    assert!(contents(&asker).is_empty(), "nothing answered while held");
    wait_until("the metrics show the held message", 30, || {
        held().as_deref() == Some("1")
    });
    // The engine answers on its address again: within retry_seconds (5 s) and without new
    // mail, the daemon scores, judges, answers and files the held message.
    relay_to_spamd(port);
    wait_until("the held message filed", 60, || {
        row_of(&t, &id).0 == "filed"
    });
    let (_, category, score, _) = row_of(&t, &id);
    assert_eq!(category.as_deref(), Some("dau"));
    assert!(score.is_some(), "scored");
    wait_until("the acknowledgement", 60, || contents(&asker).len() == 1);
    wait_until("the metrics show nothing held", 30, || {
        held().as_deref() == Some("0")
    });
    daemon.stop();
}

#[test]
fn the_demo_mail_is_classified_the_same_with_and_without_the_engine() {
    let t = Scratch::new(&spam_config(spamd(), true));
    for mailbox in ["lapor", "callcenter"] {
        let mut files = Vec::new();
        emls(&repo().join("demo/mail").join(mailbox), &mut files);
        files.sort();
        assert!(files.len() >= 20, "{mailbox}: the demo's mail is there");
        let classify = |config: Option<&str>| -> Vec<(String, String)> {
            let rules = repo().join("rules");
            let mut args = vec!["classify", "--rules", rules.to_str().expect("utf-8")];
            if let Some(c) = config {
                args.extend(["--config", c]);
            }
            args.extend(["--authserv-id", "mx.djpk.test", "--mailbox", mailbox]);
            args.extend(files.iter().map(|f| f.to_str().expect("utf-8")));
            let out = t.pilah(&args);
            assert!(out.status.success(), "{}", text(&out));
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
                .map(|v| {
                    assert_eq!(v["spam"].is_object(), config.is_some(), "{v}");
                    (v["file"].to_string(), v["category"].to_string())
                })
                .collect()
        };
        let with = classify(Some(t.config.to_str().expect("utf-8")));
        assert_eq!(with, classify(None), "{mailbox}");
    }
}
