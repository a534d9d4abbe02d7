//! The monthly report, checked where a user reads it: the numbers and wording of
//! `pilah report` in each format, imported past counts, the HTML page as headless Chromium
//! renders it (with a screenshot kept under `target/test-artifacts/`), one month driven
//! through the real pipeline, and how well the sender's region is recognised on the rules'
//! fixtures.
//!
//! Most tests build a state with the real `Store` API: three months of known messages (and
//! their forwards and acknowledgements, with the times the SMTP server accepted them).

mod common;

use chrono::{DateTime, Utc};
use pilah::classify::{MachineKind, Verdict};
use pilah::store::{NewMessage, Outgoing, Store, VerdictRecord};
use pilah::types::{ImapUid, MailboxName};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .with_timezone(&Utc)
}

/// One message to record.
#[derive(Clone)]
struct M {
    mailbox: &'static str,
    at: &'static str,
    sender: String,
    category: &'static str,
    region: Option<(&'static str, &'static str)>,
    machine: Option<MachineKind>,
    quarantine: bool,
    relation: &'static str,
    /// Unit, and seconds from arrival until the forward was sent (`None`: not sent yet).
    forward: Option<(&'static str, Option<i64>)>,
    /// Seconds from arrival until the acknowledgement was sent.
    ack: Option<i64>,
    /// Seconds from arrival until a PIC answered its ticket.
    answer: Option<i64>,
}

fn person(mailbox: &'static str, at: &'static str, sender: &str, category: &'static str) -> M {
    M {
        mailbox,
        at,
        sender: sender.to_string(),
        category,
        region: None,
        machine: None,
        quarantine: false,
        relation: "new",
        forward: None,
        ack: None,
        answer: None,
    }
}

impl M {
    fn region(mut self, code: &'static str, source: &'static str) -> M {
        self.region = Some((code, source));
        self
    }
    fn forward(mut self, unit: &'static str, after: Option<i64>) -> M {
        self.forward = Some((unit, after));
        self
    }
    fn ack(mut self, after: i64) -> M {
        self.ack = Some(after);
        self
    }
    fn answered(mut self, after: i64) -> M {
        self.answer = Some(after);
        self
    }
}

/// A scratch state directory, its config (the repo's rules, service hours with Nyepi as a
/// holiday) and the store.
struct Fixture {
    dir: tempfile::TempDir,
    config: PathBuf,
    store: Store,
    next_uid: u32,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("libur.txt"),
            "# Hari libur nasional (uji)\n2024-03-11 Hari Suci Nyepi\n2024-03-29 Wafat Isa Almasih\n",
        )
        .expect("holidays");
        let config = dir.path().join("pilah.toml");
        std::fs::write(
            &config,
            format!(
                r#"state_dir = "state"
rules_dir = "{rules}"

[smtp]
host = "127.0.0.1"
port = 10025
security = "plain"
from = "pilah@djpk.test"

[[mailbox]]
name = "lapor"
address = "lapor.djpk@kemenkeu.go.id"
host = "127.0.0.1"
security = "plain"
username = "lapor"
password_env = "UNUSED_PASSWORD"

[[mailbox]]
name = "callcenter"
address = "callcenter.djpk@kemenkeu.go.id"
host = "127.0.0.1"
security = "plain"
username = "callcenter"
password_env = "UNUSED_PASSWORD"

[service_hours]
days = ["mon", "tue", "wed", "thu", "fri"]
start = "08:00"
end = "17:00"
holidays_file = "libur.txt"
"#,
                rules = repo().join("rules").display()
            ),
        )
        .expect("config");
        let store = Store::open(&dir.path().join("state")).expect("store");
        Fixture {
            dir,
            config,
            store,
            next_uid: 1,
        }
    }

    fn add(&mut self, m: &M) {
        let uid = self.next_uid;
        self.next_uid += 1;
        let mid = format!("<m{uid}@test>");
        let raw = format!(
            "From: {}\r\nSubject: uji {uid}\r\nMessage-ID: {mid}\r\n\r\nisi\r\n",
            m.sender
        );
        let mailbox = MailboxName(m.mailbox.to_string());
        let arrived = at(m.at);
        let stored = self
            .store
            .record(&NewMessage {
                mailbox: &mailbox,
                uid: ImapUid {
                    uidvalidity: 1,
                    uid,
                },
                raw: raw.as_bytes(),
                internal_date: Some(arrived),
                message_id: Some(&mid),
            })
            .expect("record");
        let verdict = Verdict {
            category: m.category.to_string(),
            rule: Some("uji".into()),
            machine: m.machine,
            route: m.forward.iter().map(|f| f.0.to_string()).collect(),
            ack: m.ack.map(|_| "ack-lapor".to_string()),
            folder: format!("Pilah/{}", m.category),
            tags: Vec::new(),
            rules_version: "uji".into(),
        };
        let mut outgoing = Vec::new();
        if let Some((unit, _)) = m.forward {
            outgoing.push(Outgoing {
                kind: pilah::types::OutboxKind::Forward,
                message_id: format!("<fwd{uid}@test>"),
                env_from: "pilah@djpk.test".into(),
                rcpt: vec![format!("pic@{unit}.test")],
                unit: Some(unit.to_string()),
                body: b"forward".to_vec(),
                original: None,
            });
        }
        if m.ack.is_some() {
            outgoing.push(Outgoing {
                kind: pilah::types::OutboxKind::Ack,
                message_id: format!("<ack{uid}@test>"),
                env_from: String::new(),
                rcpt: vec![m.sender.clone()],
                unit: None,
                body: b"ack".to_vec(),
                original: None,
            });
        }
        // A ticket for a lapor message that was forwarded or acknowledged.
        let ticketed =
            m.mailbox == "lapor" && m.relation == "new" && (m.forward.is_some() || m.ack.is_some());
        self.store
            .transaction(|tx| {
                let ticket = if ticketed {
                    let t = tx.next_ticket("LPR", 2024)?;
                    tx.open_ticket(
                        &t,
                        m.mailbox,
                        m.category,
                        m.forward.map(|f| f.0),
                        Some(&m.sender),
                        arrived,
                    )?;
                    if let Some(after) = m.answer {
                        tx.ticket_answered(
                            &t.to_string(),
                            "pic@djpk.test",
                            arrived + chrono::Duration::seconds(after),
                        )?;
                    }
                    Some(t)
                } else {
                    None
                };
                tx.record_verdict(
                    &VerdictRecord {
                        message_row: stored.id,
                        verdict: &verdict,
                        quarantine: m.quarantine.then_some("unreadable message"),
                        sender: Some(&m.sender),
                        sender_name: None,
                        subject: "uji",
                        ticket: ticket.as_ref(),
                        relation: m.relation,
                        region: m.region,
                        ack_skipped: None,
                        spam: None,
                    },
                    &outgoing,
                )
            })
            .expect("verdict");
        // When the SMTP server accepted each mail.
        let db = rusqlite::Connection::open(self.store.path()).expect("db");
        db.busy_timeout(std::time::Duration::from_secs(10)).ok();
        let sent = |id: String, after: i64| {
            let t = (arrived + chrono::Duration::seconds(after))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            db.execute(
                "UPDATE outbox SET sent_at = ?1, attempts = 1 WHERE message_id = ?2",
                rusqlite::params![t, id],
            )
            .expect("sent");
        };
        if let Some((_, Some(after))) = m.forward {
            sent(format!("<fwd{uid}@test>"), after);
        }
        if let Some(after) = m.ack {
            sent(format!("<ack{uid}@test>"), after);
        }
    }

    fn pilah(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_pilah"))
            .args(args)
            .env("PILAH_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .expect("run pilah")
    }

    fn config(&self) -> &str {
        self.config.to_str().expect("utf-8")
    }

    /// `pilah report --config … --month … <extra>`, which must succeed; its stdout.
    fn report(&self, month: &str, extra: &[&str]) -> String {
        let mut args = vec!["report", "--config", self.config(), "--month", month];
        args.extend_from_slice(extra);
        let out = self.pilah(&args);
        assert!(out.status.success(), "{}", common::text(&out));
        String::from_utf8(out.stdout).expect("utf-8")
    }

    fn import(&self, csv: &str) -> std::process::Output {
        let path = self.dir.path().join("lalu.csv");
        std::fs::write(&path, csv).expect("csv");
        self.pilah(&[
            "report",
            "import",
            path.to_str().expect("utf-8"),
            "--config",
            self.config(),
        ])
    }
}

const SUMUT: &str = "12";
const CILACAP: &str = "33.01";
const MAKASSAR: &str = "73.71";
const KOTA_JAYAPURA: &str = "91.71";

/// Three months of lapor and callcenter: March 2024 in detail, February 2024 counted by
/// pilah for lapor, the rest imported the way the contact center counted it.
fn march_2024() -> Fixture {
    let mut f = Fixture::new();
    let l = "lapor";
    let mut all = vec![
        // Tuesday 09:30 WIB, from the regency's own domain.
        person(
            l,
            "2024-03-05T09:30:00+07:00",
            "bpkad@bpkad.cilacapkab.go.id",
            "syarat-salur-dbh",
        )
        .region(CILACAP, "domain")
        .forward("dtu-dbh", Some(120))
        .ack(60)
        .answered(2 * 3600),
        person(
            l,
            "2024-03-06T10:00:00+07:00",
            "keu@sumutprov.go.id",
            "syarat-salur-dbh",
        )
        .region(SUMUT, "domain")
        .forward("dtu-dbh", Some(180))
        .ack(90),
        // Saturday.
        person(
            l,
            "2024-03-09T10:00:00+07:00",
            "bpkad@sumutprov.go.id",
            "syarat-salur-dbh",
        )
        .region(SUMUT, "domain")
        .forward("dtu-dbh", Some(300))
        .ack(100),
        // Monday 11 March, Nyepi; a personal account, the region named in the subject.
        person(
            l,
            "2024-03-11T10:00:00+07:00",
            "pemda.sumut@gmail.com",
            "syarat-salur-dbh",
        )
        .region(SUMUT, "subject")
        .forward("dtu-dbh", Some(600))
        .ack(120),
        // 07:30 WIB is 08:30 WITA: inside Makassar's hours.
        person(
            l,
            "2024-03-05T07:30:00+07:00",
            "bkad@makassarkota.go.id",
            "syarat-salur-dau",
        )
        .region(MAKASSAR, "domain")
        .forward("dtu-dau", Some(240))
        .ack(30)
        .answered(86_400),
        // 16:30 WIB is 18:30 WIT: outside Jayapura's; its forward is not sent yet.
        person(
            l,
            "2024-03-05T16:30:00+07:00",
            "bpkad@jayapurakota.go.id",
            "syarat-salur-dau",
        )
        .region(KOTA_JAYAPURA, "domain")
        .forward("dtu-dau", None)
        .ack(45),
        // A ministry, in the evening.
        person(
            l,
            "2024-03-07T20:00:00+07:00",
            "keuda@kemendagri.go.id",
            "syarat-salur-dak-nf",
        )
        .forward("dtk-dak-nonfisik", Some(900)),
        // Spam is inside the total.
        person(
            l,
            "2024-03-12T03:00:00+07:00",
            "promo@slot-gacor.example",
            "spam",
        ),
        // An academic, in hours.
        person(l, "2024-03-13T11:00:00+07:00", "dosen@ugm.ac.id", "lainnya").ack(50),
        // Sunday 31 March 23:30 WIB: still March in Jakarta (16:30 UTC).
        person(
            l,
            "2024-03-31T23:30:00+07:00",
            "operator.cilacap@gmail.com",
            "syarat-salur-dbh",
        )
        .region(CILACAP, "body")
        .forward("dtu-dbh", Some(30))
        .ack(20)
        // Answered on 2 April: still open at the end of March.
        .answered(2 * 86_400),
    ];
    // Outside the total: machine mail, quarantine, a PIC's answer.
    let mut auto = person(
        l,
        "2024-03-05T10:00:00+07:00",
        "kabid@brebeskab.go.id",
        "lainnya",
    );
    auto.machine = Some(MachineKind::AutoReply);
    all.push(auto.clone());
    auto.at = "2024-03-06T10:00:00+07:00";
    all.push(auto.clone());
    auto.machine = Some(MachineKind::Bounce);
    auto.sender = "MAILER-DAEMON@mail.example".into();
    all.push(auto);
    let mut q = person(
        l,
        "2024-03-08T10:00:00+07:00",
        "x@example.com",
        "quarantine",
    );
    q.quarantine = true;
    all.push(q);
    let mut answer = person(
        l,
        "2024-03-05T13:00:00+07:00",
        "pic.dbh@djpk.test",
        "syarat-salur-dbh",
    );
    answer.relation = "pic-answer";
    all.push(answer);
    // April 1st 00:30 WIB is still 31 March in UTC: it belongs to April.
    all.push(
        person(
            l,
            "2024-04-01T00:30:00+07:00",
            "bpkad@bpkad.cilacapkab.go.id",
            "syarat-salur-dbh",
        )
        .region(CILACAP, "domain"),
    );
    // February 2024: eight, the last on the 29th at 23:30 WIB.
    const FEB: [&str; 8] = [
        "2024-02-01T09:00:00+07:00",
        "2024-02-05T09:00:00+07:00",
        "2024-02-08T09:00:00+07:00",
        "2024-02-12T09:00:00+07:00",
        "2024-02-15T09:00:00+07:00",
        "2024-02-19T09:00:00+07:00",
        "2024-02-22T09:00:00+07:00",
        "2024-02-29T23:30:00+07:00",
    ];
    for d in FEB {
        all.push(
            person(l, d, "bpkad@bpkad.cilacapkab.go.id", "syarat-salur-dbh")
                .region(CILACAP, "domain"),
        );
    }
    // callcenter, March 2024: 158 messages as in the published report.
    const DAYS: [&str; 4] = [
        "2024-03-04T10:00:00+07:00",
        "2024-03-14T10:00:00+07:00",
        "2024-03-20T10:00:00+07:00",
        "2024-03-26T10:00:00+07:00",
    ];
    for (cat, n) in [
        ("surat-masuk", 60),
        ("dau", 40),
        ("dbh", 30),
        ("spam", 20),
        ("permintaan-data", 8),
    ] {
        for i in 0..n {
            all.push(person(
                "callcenter",
                DAYS[i % DAYS.len()],
                &format!("warga{i}@gmail.com"),
                cat,
            ));
        }
    }
    for m in &all {
        f.add(m);
    }
    let out = f.import(
        "mailbox,month,category,count\n\
         lapor,2023-03,syarat-salur-dbh,30\n\
         lapor,2023-03,syarat-salur-dau,6\n\
         lapor,2023-03,,40\n\
         callcenter,2024-02,,131\n\
         callcenter,2023-03,,102\n",
    );
    assert!(out.status.success(), "{}", common::text(&out));
    f
}

fn mailbox<'a>(all: &'a Value, name: &str) -> &'a Value {
    all.as_array()
        .expect("array")
        .iter()
        .find(|m| m["mailbox"] == name)
        .unwrap_or_else(|| panic!("no {name} in {all}"))
}

#[test]
fn json_has_every_figure_of_the_month() {
    let f = march_2024();
    let all: Value = serde_json::from_str(&f.report("2024-03", &["--format", "json"])).unwrap();
    let l = mailbox(&all, "lapor");
    for key in [
        "mailbox",
        "month",
        "total",
        "previous_month",
        "same_month_last_year",
        "categories",
        "machine",
        "quarantined",
        "regions",
        "service_hours",
        "routing",
    ] {
        assert!(l.get(key).is_some(), "no {key} in {l}");
    }
    assert_eq!(l["month"], "2024-03");
    // The twelve months up to March, February counted by pilah; each category with
    // February's count; the regions per province.
    let trend = l["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 12);
    assert_eq!(trend[0]["month"], "2023-04");
    assert_eq!(
        trend[10],
        serde_json::json!({"month": "2024-02", "label": "Februari 2024", "total": 8, "imported": false})
    );
    assert_eq!(l["categories"][0]["previous"], 8);
    assert_eq!(
        l["regions"]["provinces"][0],
        serde_json::json!({"code": "12", "name": "Sumatera Utara", "count": 3, "regions": 1})
    );
    assert_eq!(l["tickets"]["open_at_month_end"], 6);

    // The total: people only, spam inside; machine mail, quarantine, PIC answers apart.
    assert_eq!(l["total"], 10);
    assert_eq!(l["machine"]["total"], 3);
    assert_eq!(l["machine"]["kinds"]["auto-reply"], 2);
    assert_eq!(l["machine"]["kinds"]["bounce"], 1);
    assert_eq!(l["quarantined"], 1);
    assert_eq!(l["pic_answers"], 1);

    // Comparisons: February counted by pilah (the 29th at 23:30 WIB included), March 2023
    // imported.
    assert_eq!(
        l["previous_month"],
        serde_json::json!({"month": "2024-02", "label": "Februari 2024", "total": 8, "imported": false})
    );
    assert_eq!(l["same_month_last_year"]["month"], "2023-03");
    assert_eq!(l["same_month_last_year"]["total"], 40);
    assert_eq!(l["same_month_last_year"]["imported"], true);
    assert_eq!(
        l["comparisons"]["previous_month"],
        "meningkat 25% dibandingkan bulan sebelumnya (8)"
    );
    assert_eq!(
        l["comparisons"]["same_month_last_year"],
        "menurun 75% dibandingkan Maret 2023 (40)"
    );

    // Categories, largest first, with labels and percentages.
    let cats: Vec<(String, String, i64, f64)> = l["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["label"].as_str().unwrap().to_string(),
                c["count"].as_i64().unwrap(),
                c["percent"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        cats,
        vec![
            (
                "syarat-salur-dbh".into(),
                "Laporan Syarat Salur DBH".into(),
                5,
                50.0
            ),
            (
                "syarat-salur-dau".into(),
                "Laporan Syarat Salur DAU".into(),
                2,
                20.0
            ),
            ("lainnya".into(), "Lainnya".into(), 1, 10.0),
            (
                "syarat-salur-dak-nf".into(),
                "Laporan Syarat Salur DAK Non Fisik".into(),
                1,
                10.0
            ),
            ("spam".into(), "Spam".into(), 1, 10.0),
        ]
    );

    // Regions: the Pemda that wrote most, with the report's names.
    let top: Vec<(String, i64)> = l["regions"]["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        top,
        vec![
            ("Prov. Sumatera Utara".to_string(), 3),
            ("Kab. Cilacap".to_string(), 2),
            ("Kota Jayapura".to_string(), 1),
            ("Kota Makassar".to_string(), 1),
        ]
    );
    assert_eq!(l["regions"]["distinct"], 4);
    assert_eq!(l["regions"]["top"][2]["timezone"], "WIT");

    // Kinds of sender.
    let senders: Vec<(String, i64, f64)> = l["senders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_str().unwrap().to_string(),
                g["messages"].as_i64().unwrap(),
                g["percent"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        senders,
        vec![
            ("pemda".to_string(), 7, 70.0),
            ("kementerian-lembaga".to_string(), 1, 10.0),
            ("akademisi".to_string(), 1, 10.0),
            ("lainnya".to_string(), 1, 10.0),
        ]
    );
    assert_eq!(l["senders"][0]["senders"], 7);

    // Service hours on the sender's clock: weekends, Nyepi and evenings are outside.
    let h = &l["service_hours"];
    assert_eq!(h["hours"], "Senin–Jumat 08.00–17.00");
    assert_eq!(
        (h["inside"].as_i64(), h["outside"].as_i64()),
        (Some(4), Some(6))
    );
    let zone = |z: &str| {
        let x = h["zones"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["zone"] == z)
            .unwrap();
        (
            x["inside"].as_i64().unwrap(),
            x["outside"].as_i64().unwrap(),
        )
    };
    assert_eq!(zone("WIB"), (3, 5));
    assert_eq!(zone("WITA"), (1, 0));
    assert_eq!(zone("WIT"), (0, 1));
    assert_eq!(h["holidays"][0]["name"], "Hari Suci Nyepi");
    assert_eq!(h["holidays"].as_array().unwrap().len(), 2);

    // Routing: forwards per unit, and how long until forward and acknowledgement.
    let r = &l["routing"];
    assert_eq!(r["forwarded"], 8);
    assert_eq!(r["forwarded_percent"], 80.0);
    assert_eq!(r["acknowledged"], 8);
    let units: Vec<(String, i64, i64)> = r["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["unit"].as_str().unwrap().to_string(),
                u["forwarded"].as_i64().unwrap(),
                u["sent"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        units,
        vec![
            ("dtu-dbh".to_string(), 5, 5),
            ("dtu-dau".to_string(), 2, 1),
            ("dtk-dak-nonfisik".to_string(), 1, 1),
        ]
    );
    assert_eq!(
        r["units"][0]["name"],
        "Direktorat Dana Transfer Umum — Subdirektorat Dana Bagi Hasil"
    );
    // Forwards sent after 30, 120, 180, 240, 300, 600, 900 s.
    assert_eq!(r["to_forward"]["count"], 7);
    assert_eq!(r["to_forward"]["median_seconds"], 240);
    assert_eq!(r["to_forward"]["p90_seconds"], 900);
    // Acknowledgements after 20, 30, 45, 50, 60, 90, 100, 120 s.
    assert_eq!(r["to_acknowledgement"]["count"], 8);
    assert_eq!(r["to_acknowledgement"]["median_seconds"], 55);
    assert_eq!(r["to_acknowledgement"]["p90_seconds"], 120);

    // callcenter: the published figures, compared with imported months.
    let c = mailbox(&all, "callcenter");
    assert_eq!(c["total"], 158);
    assert_eq!(c["previous_month"]["total"], 131);
    assert_eq!(c["previous_month"]["imported"], true);
    assert_eq!(
        c["comparisons"]["previous_month"],
        "meningkat 21% dibandingkan bulan sebelumnya (131)"
    );
    assert_eq!(
        c["comparisons"]["same_month_last_year"],
        "meningkat 55% dibandingkan Maret 2023 (102)"
    );
    assert_eq!(c["categories"][0]["id"], "surat-masuk");
    assert_eq!(c["categories"][0]["percent"], 38.0);
    assert_eq!(c["categories"][4]["id"], "permintaan-data");

    // --mailbox: one mailbox only. April: the message of 1 April 00:30 WIB.
    let one: Value =
        serde_json::from_str(&f.report("2024-04", &["--format", "json", "--mailbox", "lapor"]))
            .unwrap();
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(one[0]["total"], 1);
    assert_eq!(one[0]["previous_month"]["total"], 10);
}

#[test]
fn text_and_markdown_read_like_the_published_report() {
    let f = march_2024();
    let t = f.report("2024-03", &[]);
    for want in [
        "Email lapor (lapor.djpk@kemenkeu.go.id) — Maret 2024",
        "Jumlah pesan: 10",
        "meningkat 25% dibandingkan bulan sebelumnya (8)",
        "menurun 75% dibandingkan Maret 2023 (40) [impor]",
        "Laporan Syarat Salur DBH",
        "50,0%",
        "Pesan otomatis (di luar jumlah): 3 (balasan otomatis 2, pantulan 1)",
        "Karantina (di luar jumlah): 1",
        "Jawaban PIC (di luar jumlah): 1",
        "Pemda 7 (70,0%)",
        "Pemda terbanyak: Prov. Sumatera Utara (3), Kab. Cilacap (2), Kota Jayapura (1), Kota Makassar (1)",
        "di dalam 4, di luar 6",
        "libur 2024-03-11: Hari Suci Nyepi",
        "Diteruskan ke unit: 8 pesan (80,0%)",
        "Waktu sampai diteruskan: median 4 menit, persentil ke-90 15 menit (7 pesan)",
        "Waktu sampai tanda terima: median 55 detik, persentil ke-90 2 menit (8 pesan)",
        "Email callcenter (callcenter.djpk@kemenkeu.go.id) — Maret 2024",
        "Jumlah pesan: 158",
        "meningkat 21% dibandingkan bulan sebelumnya (131) [impor]",
        "[impor] angka impor",
        // Tickets, the trend, the change per category, the provinces.
        "Tiket: 9 dibuka, 8 diteruskan ke unit (88,9%), 3 dijawab PIC (37,5%), median 24,0 jam",
        "masih terbuka di akhir bulan 6",
        "12 bulan terakhir: April 2023 0, Mei 2023 0,",
        "Januari 2024 0, Februari 2024 8, Maret 2024 10\n",
        "Februari 2024 131 [impor], Maret 2024 158\n",
        "Per provinsi: Sumatera Utara (3), Jawa Tengah (2), Papua (1), Sulawesi Selatan (1)",
        // Both mailboxes together.
        "Gabungan email lapor + callcenter — Maret 2024\n  Jumlah pesan: 168\n  \
         meningkat 21% dibandingkan bulan sebelumnya (139) [impor]\n  \
         meningkat 18% dibandingkan Maret 2023 (142) [impor]\n",
    ] {
        assert!(t.contains(want), "missing {want:?} in:\n{t}");
    }
    let dbh_line = t
        .lines()
        .find(|l| l.trim_start().starts_with("Laporan Syarat Salur DBH"))
        .unwrap();
    assert!(
        dbh_line.ends_with("5   50,0%      \u{2212}3"),
        "{dbh_line:?}"
    );
    // The categories come largest first.
    let dbh = t.find("Laporan Syarat Salur DBH").unwrap();
    let dau = t.find("Laporan Syarat Salur DAU").unwrap();
    assert!(dbh < dau);

    let md = f.report("2024-03", &["--format", "md"]);
    for want in [
        "# Laporan Bulanan Kanal Email — Maret 2024",
        "## Email lapor (lapor.djpk@kemenkeu.go.id)",
        "**10** pesan",
        "- menurun 75% dibandingkan Maret 2023 (40) *",
        "| Maret 2023 * | 40 |",
        "| Laporan Syarat Salur DBH | 5 | 50,0% |",
        "1. Prov. Sumatera Utara (3)",
        "| WITA | 1 | 0 |",
        "| Laporan Syarat Salur DBH | 5 | 50,0% | \u{2212}3 |",
        "| Surat Masuk | 60 | 38,0% | \u{2013} |",
        "### Tiket\n\n- dibuka: 9\n- diteruskan ke unit: 8 (88,9%)\n- dijawab PIC: 3 (37,5%), median 24,0 jam\n",
        "- masih terbuka di akhir bulan: 6",
        "| dtu-dbh | 5 | 2 | 40,0% |",
        "| Sumatera Utara | 3 | 1 |",
        "## Gabungan email lapor + callcenter\n\n**168** pesan\n",
        "| Februari 2024 * | 139 |",
    ] {
        assert!(md.contains(want), "missing {want:?} in:\n{md}");
    }
}

#[test]
fn csv_has_one_row_per_mailbox_month_and_category() {
    let f = march_2024();
    let out = f.dir.path().join("maret.csv");
    f.report(
        "2024-03",
        &["--format", "csv", "--out", out.to_str().unwrap()],
    );
    let csv = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0],
        vec![
            "mailbox",
            "month",
            "category",
            "label",
            "count",
            "percent",
            "month_total",
            "source",
            "corrected"
        ]
    );
    assert!(rows.iter().all(|r| r.len() == 9), "{csv}");
    let find = |mb: &str, month: &str, cat: &str| -> Vec<&str> {
        rows.iter()
            .find(|r| r[0] == mb && r[1] == month && r[2] == cat)
            .unwrap_or_else(|| panic!("no row {mb} {month} {cat} in\n{csv}"))
            .clone()
    };
    assert_eq!(
        find("lapor", "2024-03", "syarat-salur-dbh"),
        vec![
            "lapor",
            "2024-03",
            "syarat-salur-dbh",
            "Laporan Syarat Salur DBH",
            "5",
            "50.0",
            "10",
            "pilah",
            "0"
        ]
    );
    assert_eq!(find("lapor", "2024-02", "syarat-salur-dbh")[4], "8");
    assert_eq!(
        find("lapor", "2024-02", "syarat-salur-dbh")[8],
        "",
        "corrections are counted for the report's month"
    );
    // Imported months keep their breakdown, the rest of the total without a category.
    assert_eq!(find("lapor", "2023-03", "syarat-salur-dbh")[7], "imported");
    assert_eq!(find("lapor", "2023-03", "")[4], "4");
    assert_eq!(find("callcenter", "2024-02", "")[4], "131");
    assert_eq!(find("callcenter", "2024-03", "surat-masuk")[4], "60");
    // lapor: 5 categories in March, 1 in February, 3 rows in March 2023; callcenter: 5 + 1 + 1.
    assert_eq!(rows.len() - 1, 5 + 1 + 3 + 5 + 1 + 1, "{csv}");
}

#[test]
fn imported_months_are_checked_replaced_and_marked() {
    let mut f = Fixture::new();
    f.add(&person(
        "lapor",
        "2024-03-05T09:30:00+07:00",
        "a@gmail.com",
        "syarat-salur-dbh",
    ));
    // Every error at once, with its place; nothing written.
    let bad = f.import("mailbox,month,category,count\nlaporan,2024-02,,3\nlapor,2024-13,,x\n");
    assert_eq!(bad.status.code(), Some(2), "{}", common::text(&bad));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("lalu.csv:2:1: error: mailbox \"laporan\" is not in the config"),
        "{err}"
    );
    assert!(
        err.contains("lalu.csv:3:7: error: month \"2024-13\""),
        "{err}"
    );
    assert!(err.contains("lalu.csv:3:16: error: count \"x\""), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    let j: Value = serde_json::from_str(&f.report("2024-03", &["--format", "json"])).unwrap();
    assert_eq!(mailbox(&j, "lapor")["previous_month"]["total"], 0);
    assert_eq!(
        mailbox(&j, "lapor")["comparisons"]["previous_month"],
        "tidak ada data bulan sebelumnya (0)"
    );

    // A good file; a month imported again replaces the first import.
    let ok = f.import("mailbox;month;count\nlapor;2024-02;4\n");
    assert!(ok.status.success(), "{}", common::text(&ok));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("imported 1 rows"));
    let ok = f.import("mailbox,month,count\nlapor,2024-02,2\n");
    assert!(ok.status.success(), "{}", common::text(&ok));
    let j: Value = serde_json::from_str(&f.report("2024-03", &["--format", "json"])).unwrap();
    let l = mailbox(&j, "lapor");
    assert_eq!(l["previous_month"]["total"], 2);
    assert_eq!(l["previous_month"]["imported"], true);
    assert_eq!(
        l["comparisons"]["previous_month"],
        "menurun 50% dibandingkan bulan sebelumnya (2)"
    );
    // A report of the imported month itself: its figure, marked, without a breakdown.
    let t = f.report("2024-02", &["--mailbox", "lapor"]);
    assert!(t.contains("Jumlah pesan: 2 [impor]"), "{t}");
    assert!(t.contains("Tanpa rincian kategori"), "{t}");
    // An import of a month pilah counted itself is warned about, then takes its place.
    let over = f.import("mailbox,month,category,count\nlapor,2024-03,syarat-salur-dbh,7\n");
    assert!(over.status.success(), "{}", common::text(&over));
    assert!(
        String::from_utf8_lossy(&over.stderr)
            .contains("pilah recorded 1 messages of lapor in 2024-03"),
        "{}",
        common::text(&over)
    );
    let j: Value = serde_json::from_str(&f.report("2024-03", &["--format", "json"])).unwrap();
    assert_eq!(mailbox(&j, "lapor")["total"], 7);
    assert_eq!(mailbox(&j, "lapor")["imported"], true);
}

// ---- HTML in headless Chromium ----

fn artifacts() -> PathBuf {
    let d = repo().join("target").join("test-artifacts");
    std::fs::create_dir_all(&d).expect("artifacts dir");
    d
}

/// Debian's chromium, installed by scripts/install-chromium.sh if missing.
fn chromium() -> PathBuf {
    let out = Command::new("bash")
        .arg(repo().join("scripts/install-chromium.sh"))
        .stdin(Stdio::null())
        .output()
        .expect("run scripts/install-chromium.sh");
    assert!(
        out.status.success(),
        "scripts/install-chromium.sh failed:\n{}",
        common::text(&out)
    );
    let path = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string();
    PathBuf::from(path)
}

/// Runs headless Chromium with `args` after the standard flags; its stdout. Killed after
/// two minutes.
fn run_chromium(bin: &Path, args: &[String]) -> String {
    let profile = tempfile::tempdir().expect("profile");
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(args)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start chromium");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::BufReader::new(stdout), &mut s).ok();
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::BufReader::new(stderr), &mut s).ok();
        s
    });
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if started.elapsed() > std::time::Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish in 2 minutes: {args:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    assert!(status.success(), "chromium {args:?}: {status:?}\n{err}");
    out
}

/// The text of the element after `marker` (up to the next tag), tags inside removed.
fn text_after<'a>(dom: &'a str, marker: &str) -> &'a str {
    let i = dom
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} not in the rendered page"));
    let rest = &dom[i + marker.len()..];
    let start = rest.find('>').map(|j| j + 1).unwrap_or(0);
    let rest = &rest[start..];
    &rest[..rest.find('<').unwrap_or(rest.len())]
}

/// The pages of one mailbox (`<article data-mailbox=…>`), or of the mailboxes together
/// (`data-combined`).
fn page_of<'a>(dom: &'a str, mailbox: &str) -> &'a str {
    let marker = if mailbox.is_empty() {
        "<article data-combined=".to_string()
    } else {
        format!("<article data-mailbox=\"{mailbox}\"")
    };
    let start = dom
        .find(&marker)
        .unwrap_or_else(|| panic!("no page for {mailbox:?}"));
    let rest = &dom[start..];
    &rest[..rest.find("</article>").unwrap_or(rest.len())]
}

/// The cells' texts of the table row that starts with `marker`.
fn row_cells(page: &str, marker: &str) -> Vec<String> {
    let start = page
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} not in the rendered page"));
    let row = &page[start..];
    let row = &row[..row.find("</tr>").unwrap_or(row.len())];
    row.split("<td")
        .skip(1)
        .map(|c| {
            let c = &c[c.find('>').map(|i| i + 1).unwrap_or(0)..];
            let c = &c[..c.find("</td>").unwrap_or(c.len())];
            // Tags inside (the imported star) removed.
            let mut out = String::new();
            let mut in_tag = false;
            for ch in c.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    ch if !in_tag => out.push(ch),
                    _ => {}
                }
            }
            out
        })
        .collect()
}

#[test]
fn html_renders_in_chromium_with_the_numbers_and_prints_on_a4() {
    if std::env::var_os("PILAH_SKIP_CHROMIUM").is_some() {
        eprintln!("PILAH_SKIP_CHROMIUM set: the HTML is not rendered");
        return;
    }
    let f = march_2024();
    let dir = artifacts();
    let html = dir.join("report-2024-03.html");
    f.report(
        "2024-03",
        &["--format", "html", "--out", html.to_str().unwrap()],
    );
    let source = std::fs::read_to_string(&html).unwrap();
    // Self-contained: no script, nothing to fetch.
    for bad in [
        "<script", "http://", "https://", "<link", "@import", "url(http",
    ] {
        let allowed = bad == "http://"
            && source.matches(bad).count() == source.matches("http://www.w3.org/2000/svg").count();
        assert!(allowed || !source.contains(bad), "{bad} in the HTML");
    }
    assert!(source.contains("@page { size: A4 landscape"));

    let bin = chromium();
    let url = format!("file://{}", html.display());
    let dom = run_chromium(&bin, &["--dump-dom".to_string(), url.clone()]);
    let lapor = page_of(&dom, "lapor");
    assert_eq!(text_after(lapor, "data-k=\"total\""), "10");
    assert_eq!(
        text_after(lapor, "data-k=\"cmp-previous\""),
        "meningkat 25% dibandingkan bulan sebelumnya (8)"
    );
    assert_eq!(
        text_after(lapor, "data-k=\"cmp-year\""),
        "menurun 75% dibandingkan Maret 2023 (40)"
    );
    // The three bars: March 2023 (imported, starred), February, March.
    assert_eq!(text_after(lapor, "data-k=\"bar-2023-03\""), "40*");
    assert_eq!(text_after(lapor, "data-k=\"bar-2024-02\""), "8");
    assert_eq!(text_after(lapor, "data-k=\"bar-2024-03\""), "10");
    assert_eq!(text_after(lapor, "data-k=\"machine\""), "3");
    assert_eq!(text_after(lapor, "data-k=\"quarantined\""), "1");
    // The category table, largest first.
    let rows: Vec<&str> = lapor
        .match_indices("<tr data-category=\"")
        .map(|(i, _)| {
            let r = &lapor[i + 19..];
            &r[..r.find('"').unwrap()]
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            "syarat-salur-dbh",
            "syarat-salur-dau",
            "lainnya",
            "syarat-salur-dak-nf",
            "spam"
        ]
    );
    let dbh_row = &lapor[lapor
        .find("<tr data-category=\"syarat-salur-dbh\"")
        .unwrap()..];
    let dbh_row = &dbh_row[..dbh_row.find("</tr>").unwrap()];
    assert!(
        dbh_row.contains(">Laporan Syarat Salur DBH<")
            && dbh_row.contains(">5<")
            && dbh_row.contains(">50,0%<"),
        "{dbh_row}"
    );
    // Top regions.
    assert!(
        lapor.contains("data-region=\"12\">Prov. Sumatera Utara <b>3</b>"),
        "{lapor}"
    );
    assert!(lapor.contains("data-region=\"33.01\">Kab. Cilacap <b>2</b>"));
    // Service hours per zone, and routing.
    assert!(
        lapor.contains(
            "<tr data-zone=\"WITA\"><td>WITA</td><td class=\"n\">1</td><td class=\"n\">0</td></tr>"
        ),
        "{lapor}"
    );
    assert_eq!(text_after(lapor, "data-k=\"forwarded\""), "8");
    assert!(lapor.contains("<tr data-delay=\"forward\"><td>sampai diteruskan ke PIC</td><td class=\"n\">4 menit</td><td class=\"n\">15 menit</td>"), "{lapor}");

    // Each category's change from February (8 DBH, nothing else).
    assert_eq!(
        row_cells(lapor, "<tr data-category=\"syarat-salur-dbh\""),
        vec!["Laporan Syarat Salur DBH", "5", "50,0%", "8", "\u{2212}3"]
    );
    assert_eq!(
        row_cells(lapor, "<tr data-category=\"syarat-salur-dau\""),
        vec!["Laporan Syarat Salur DAU", "2", "20,0%", "0", "+2"]
    );
    // The category chart shows long labels whole, on two lines, never cut.
    let label = "Laporan Syarat Salur DAK Non Fisik";
    let chart_label = text_after(lapor, &format!("data-label=\"{label}\"><title"));
    assert_eq!(chart_label, label, "the label's tooltip");
    let at = lapor.find(&format!("data-label=\"{label}\"")).unwrap();
    let text = &lapor[at..at + lapor[at..].find("</text>").unwrap()];
    let shown: Vec<&str> = text
        .split("<tspan")
        .skip(1)
        .map(|t| &t[t.find('>').unwrap() + 1..t.find("</tspan>").unwrap()])
        .collect();
    assert_eq!(shown, vec!["Laporan Syarat Salur DAK", "Non Fisik"]);
    assert!(!lapor.contains('…'), "a label was cut");
    // The 12-month trend: April 2023 to March 2024, February counted by pilah.
    for (month, want) in [
        ("2023-04", "0"),
        ("2024-01", "0"),
        ("2024-02", "8"),
        ("2024-03", "10"),
    ] {
        assert_eq!(
            text_after(lapor, &format!("data-k=\"trend-{month}\"")),
            want,
            "trend {month}"
        );
    }
    assert!(!lapor.contains("data-k=\"trend-2023-03\""), "13 months");
    // Tickets: nine opened, eight forwarded to a unit, three answered by PICs, one of them
    // after the month's end.
    assert_eq!(text_after(lapor, "data-k=\"tickets-opened\""), "9");
    assert_eq!(text_after(lapor, "data-k=\"tickets-escalated\""), "8");
    assert_eq!(text_after(lapor, "data-k=\"tickets-answered\""), "3");
    assert_eq!(text_after(lapor, "data-k=\"tickets-open\""), "6");
    assert_eq!(
        row_cells(lapor, "<tr data-ticket-unit=\"dtu-dbh\""),
        vec!["dtu-dbh", "5", "2", "40,0%", "25,0 jam"]
    );
    // Regions rolled up by province.
    assert_eq!(
        row_cells(lapor, "<tr data-province=\"12\""),
        vec!["Sumatera Utara", "3", "1"]
    );
    assert_eq!(
        row_cells(lapor, "<tr data-province=\"91\""),
        vec!["Papua", "1", "1"]
    );

    let cc = page_of(&dom, "callcenter");
    assert_eq!(text_after(cc, "data-k=\"total\""), "158");
    assert_eq!(
        text_after(cc, "data-k=\"cmp-previous\""),
        "meningkat 21% dibandingkan bulan sebelumnya (131)"
    );
    assert_eq!(text_after(cc, "data-k=\"bar-2024-02\""), "131*");
    assert_eq!(text_after(cc, "data-k=\"trend-2024-02\""), "131*");
    // February was imported as a total only: no change per category.
    assert_eq!(
        row_cells(cc, "<tr data-category=\"surat-masuk\""),
        vec!["Surat Masuk", "60", "38,0%", "\u{2013}", "\u{2013}"]
    );

    // Both mailboxes together, first.
    let both = page_of(&dom, "");
    assert!(dom.find("data-combined").unwrap() < dom.find("data-mailbox=\"lapor\"").unwrap());
    assert_eq!(text_after(both, "data-k=\"total\""), "168");
    assert_eq!(
        text_after(both, "data-k=\"cmp-previous\""),
        "meningkat 21% dibandingkan bulan sebelumnya (139)"
    );
    assert_eq!(
        text_after(both, "data-k=\"cmp-year\""),
        "meningkat 18% dibandingkan Maret 2023 (142)"
    );
    assert_eq!(text_after(both, "data-k=\"trend-2024-02\""), "139*");
    assert_eq!(
        row_cells(both, "<tr data-mailbox-row=\"lapor\""),
        vec!["Lapor", "10", "8", "9", "3", "6"]
    );
    assert_eq!(text_after(both, "data-k=\"tickets-opened\""), "9");

    // Screenshots: the whole report's first two sheets (both mailboxes together, lapor's
    // counts) and callcenter's report alone.
    let shot = dir.join("report-2024-03-lapor.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(
        &bin,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1330,1900".to_string(),
            url,
        ],
    );
    let cc_html = dir.join("report-2024-03-callcenter.html");
    f.report(
        "2024-03",
        &[
            "--format",
            "html",
            "--mailbox",
            "callcenter",
            "--out",
            cc_html.to_str().unwrap(),
        ],
    );
    let cc_shot = dir.join("report-2024-03-callcenter.png");
    let _ = std::fs::remove_file(&cc_shot);
    run_chromium(
        &bin,
        &[
            format!("--screenshot={}", cc_shot.display()),
            "--window-size=1330,1900".to_string(),
            format!("file://{}", cc_html.display()),
        ],
    );
    // Printed: A4 landscape, each sheet on one page (a sheet too long for its page would
    // make more pages): both mailboxes together, then two per mailbox.
    let print = |html: &Path, pdf: &Path| -> (usize, usize) {
        let _ = std::fs::remove_file(pdf);
        run_chromium(
            &bin,
            &[
                format!("--print-to-pdf={}", pdf.display()),
                "--no-pdf-header-footer".to_string(),
                format!("file://{}", html.display()),
            ],
        );
        let pdf = std::fs::read(pdf).expect("pdf");
        let text = String::from_utf8_lossy(&pdf);
        let pages = regex::Regex::new(r"/Type\s*/Page\b[^s]")
            .unwrap()
            .find_iter(&text)
            .count();
        let landscape = regex::Regex::new(r"/MediaBox\s*\[0 0 84[12]\.\d+ 59[45]\.\d+\]")
            .unwrap()
            .find_iter(&text)
            .count();
        (pages, landscape)
    };
    assert_eq!(
        print(&html, &dir.join("report-2024-03.pdf")),
        (5, 5),
        "(pages, of which A4 landscape)"
    );
    assert_eq!(
        print(&cc_html, &dir.join("report-2024-03-callcenter.pdf")),
        (2, 2),
        "(pages, of which A4 landscape)"
    );

    for s in [&shot, &cc_shot] {
        let png = std::fs::read(s).unwrap_or_else(|e| panic!("{}: {e}", s.display()));
        assert_eq!(
            &png[..8],
            b"\x89PNG\r\n\x1a\n",
            "{} is not a PNG",
            s.display()
        );
        // Width and height from the IHDR chunk.
        let w = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
        let h = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
        assert_eq!((w, h), (1330, 1900), "{}", s.display());
        assert!(
            png.len() > 50_000,
            "{} looks empty ({} bytes)",
            s.display(),
            png.len()
        );
    }
}

// ---- one month through the real pipeline ----

#[test]
fn a_month_driven_through_the_pipeline_is_reported() {
    use common::*;
    let t = Scratch::new("");
    let lapor = t.addr("lapor");
    // INTERNALDATE a minute ago: this month, after the start date, so pilah acts on it.
    let when = Utc::now() - chrono::Duration::minutes(1);
    let imap_date = when
        .with_timezone(&chrono_tz::Asia::Jakarta)
        .format("%d-%b-%Y %H:%M:%S +0700")
        .to_string();
    let month = when
        .with_timezone(&chrono_tz::Asia::Jakarta)
        .format("%Y-%m")
        .to_string();
    let dbh = mail(
        &format!(
            "BPKAD Kab. Cilacap <{}>",
            t.ext("bpkad", "cilacapkab.go.id")
        ),
        &lapor,
        "Laporan BA Rekonsiliasi DBH Triwulan I",
        "Dengan hormat, bersama ini kami sampaikan berita acara rekonsiliasi DBH.",
        "",
    );
    let personal = mail(
        &format!("Operator <{}>", t.ext("operator.bpkad", "gmail.com")),
        &lapor,
        "Laporan Realisasi DBH Kota Dumai",
        "Dengan hormat, terlampir laporan realisasi penggunaan DBH.\r\n\r\nSalam,\r\nBPKAD Kota Dumai",
        "",
    );
    let ooo = mail(
        &format!("Kabid <{}>", t.ext("kabid", "brebeskab.go.id")),
        &lapor,
        "Out of office: Laporan DBH",
        "Saya sedang cuti.",
        "Auto-Submitted: auto-replied\r\n",
    );
    rt().block_on(async {
        for m in [&dbh, &personal, &ooo] {
            append(&lapor, "INBOX", m, Some(&imap_date), None).await;
        }
    });
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let out = t.pilah(&[
        "report",
        "--config",
        t.config.to_str().unwrap(),
        "--month",
        &month,
        "--mailbox",
        "lapor",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let l = &j[0];
    assert_eq!(l["total"], 2, "{l}");
    assert_eq!(l["machine"]["total"], 1);
    assert_eq!(l["categories"][0]["id"], "syarat-salur-dbh");
    let names: Vec<&str> = l["regions"]["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Kab. Cilacap", "Kota Dumai"], "{l}");
    assert_eq!(l["senders"][0]["messages"], 2);
    // Both were forwarded to the DBH unit and acknowledged, within minutes of arrival.
    let r = &l["routing"];
    assert_eq!(r["forwarded"], 2, "{r}");
    assert_eq!(r["units"][0]["unit"], "dtu-dbh");
    assert_eq!(r["units"][0]["sent"], 2);
    assert_eq!(r["acknowledged"], 2);
    for k in ["to_forward", "to_acknowledgement"] {
        let p90 = r[k]["p90_seconds"].as_i64().unwrap();
        assert!((0..3600).contains(&p90), "{k}: {r}");
    }
}

// ---- region detection on the rules' fixtures ----

#[test]
fn region_detection_on_the_rules_fixtures() {
    let rules = pilah::classify::rules::RuleSet::load(&repo().join("rules")).expect("rules");
    let regions = &rules.regions;
    let mut files = Vec::new();
    let mut stack = vec![repo().join("tests/fixtures/rules")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("fixtures") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "eml") {
                files.push(p);
            }
        }
    }
    files.sort();
    let (mut detected, mut region_domain, mut right, mut text_found, mut text_right) =
        (0, 0, 0, 0, 0);
    let mut wrong = Vec::new();
    for p in &files {
        let raw = std::fs::read(p).expect("read");
        let Ok(mail) = pilah::parse::parse(&raw) else {
            continue;
        };
        let found = regions.detect(&mail).map(|(r, _)| r.code.clone());
        if found.is_some() {
            detected += 1;
        }
        let Some(by_domain) = mail
            .from_domain()
            .and_then(|d| regions.by_domain(d))
            .map(|r| r.code.clone())
        else {
            continue;
        };
        region_domain += 1;
        if found.as_deref() == Some(by_domain.as_str()) {
            right += 1;
        }
        // The same message as if sent from a personal account: subject, attachments,
        // sender's name and signature only.
        let mut personal = mail.clone();
        personal.from = Some("someone@gmail.com".into());
        if let Some((r, _)) = regions.detect(&personal) {
            text_found += 1;
            if r.code == by_domain {
                text_right += 1;
            } else {
                wrong.push(format!(
                    "{}: domain says {by_domain}, text says {} ({})",
                    p.strip_prefix(repo()).unwrap_or(p).display(),
                    r.code,
                    r.display_name()
                ));
            }
        }
    }
    let n = files.len();
    let pct = |a: usize, b: usize| {
        if b == 0 {
            0.0
        } else {
            a as f64 * 100.0 / b as f64
        }
    };
    eprintln!(
        "region detection on {n} fixtures: detected in {detected} ({:.1}%); \
         {region_domain} from a region's domain, right in {right}; \
         the same without the domain: found in {text_found} ({:.1}%), right in {text_right} \
         ({:.1}% of those found)",
        pct(detected, n),
        pct(text_found, region_domain),
        pct(text_right, text_found)
    );
    for w in &wrong {
        eprintln!("  {w}");
    }
    assert!(n >= 200, "only {n} fixtures");
    assert_eq!(right, region_domain, "a region domain must give its region");
    assert!(pct(detected, n) >= 60.0, "detected in {detected} of {n}");
    assert!(
        pct(text_right, text_found) >= 90.0,
        "text detection wrong too often: {wrong:#?}"
    );
}

#[test]
fn the_shipped_holiday_file_is_valid() {
    let path = repo().join("demo/holidays-2024.txt");
    let text = std::fs::read_to_string(&path).expect("demo/holidays-2024.txt");
    let mut d = pilah::location::Diagnostics::default();
    let days = pilah::hours::parse_holidays(&path, &text, &mut d);
    assert!(!d.has_errors(), "{d}");
    let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    assert!(days[&date("2024-03-11")].contains("Nyepi"));
    // Idul Fitri with its collective leave: 8 to 15 April, weekend aside.
    for d in [
        "2024-04-08",
        "2024-04-09",
        "2024-04-10",
        "2024-04-11",
        "2024-04-12",
        "2024-04-15",
    ] {
        assert!(days.contains_key(&date(d)), "{d}");
    }
    let hours = pilah::hours::ServiceHours {
        holidays: days,
        ..Default::default()
    };
    // Friday 5 April 16:00 WIB to Tuesday 16 April 09:00 WIB: two hours of service.
    assert_eq!(
        hours.business_duration(
            at("2024-04-05T16:00:00+07:00"),
            at("2024-04-16T09:00:00+07:00"),
            pilah::hours::Zone::Wib
        ),
        chrono::Duration::hours(2)
    );
}
