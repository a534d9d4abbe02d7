//! Tickets that live on, against the real mail stack: follow-ups join their ticket, PIC
//! answers are seen, strangers cannot join someone else's ticket, and a message sent to both
//! mailboxes is one ticket.

mod common;

use common::*;

const MARCH: &str = "05-Mar-2024 09:30:00 +0700";

fn kind(f: &Found) -> String {
    f.header("X-Pilah-Kind").unwrap_or_default()
}

#[test]
fn a_conversation_follow_up_pic_answer_and_a_stranger() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let lapor = t.addr("lapor");
    let sender = t.ext("bpkad", "cilacapkab.go.id");
    let colleague = t.ext("akuntansi", "cilacapkab.go.id");
    let stranger = t.ext("orang", "gmail.com");
    let pic = t.addr("pic.dbh");
    let first = mail(
        &format!("BPKAD <{sender}>"),
        &lapor,
        "Laporan BA Rekon DBH Triwulan I",
        "terlampir",
        "",
    );
    rt().block_on(append(&lapor, "INBOX", &first, Some(MARCH), None));
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    let ack = contents(&sender).pop().expect("acknowledgement");
    let ticket = t
        .db()
        .query_row(
            "SELECT ticket FROM messages WHERE relation = 'new'",
            [],
            |r| r.get::<_, String>(0),
        )
        .unwrap();
    assert!(ack.subject().contains(&ticket));
    let forwards: Vec<Found> = contents(&pic)
        .into_iter()
        .filter(|f| kind(f) == "forward")
        .collect();
    assert_eq!(forwards.len(), 1, "the DBH PIC got the forward");
    // The forward shows the mailbox in Cc, so that reply-all reaches it.
    assert!(forwards[0]
        .header("Cc")
        .unwrap_or_default()
        .contains(&lapor));

    // 1. The sender replies to the acknowledgement: a follow-up to the same PIC, no new ack.
    let reply = mail(
        &format!("BPKAD <{sender}>"),
        &lapor,
        &format!("Re: {}", ack.subject()),
        "Mohon maaf, lampiran revisi kami kirim ulang.",
        &format!("In-Reply-To: {}\r\n", ack.header("Message-ID").unwrap()),
    );
    // 2. A colleague from the same domain writes with only the tag in the subject.
    let colleague_mail = mail(
        &format!("Akuntansi <{colleague}>"),
        &lapor,
        &format!("[{ticket}] tambahan lampiran"),
        "terlampir tambahan",
        "",
    );
    // 3. A stranger uses the tag: a new ticket, not a follow-up.
    let stranger_mail = mail(
        &format!("Orang <{stranger}>"),
        &lapor,
        &format!("[{ticket}] Laporan DBH saya"),
        "ini",
        "",
    );
    // 4. The PIC answers the forward (reply-all: to the sender, Cc the mailbox).
    let answer = mail(
        &format!("PIC DBH <{pic}>"),
        &lapor,
        &format!("Re: {}", forwards[0].subject()),
        "Laporan sudah kami terima dan sedang diverifikasi.",
        &format!(
            "In-Reply-To: {}\r\n",
            forwards[0].header("Message-ID").unwrap()
        ),
    );
    // The colleague, the stranger and the PIC are vouched for by the receiving server; the
    // sender's reply is not, and joins because it answers the acknowledgement pilah sent.
    let colleague_mail = vouched(&colleague, colleague_mail);
    let stranger_mail = vouched(&stranger, stranger_mail);
    let answer = vouched(&pic, answer);
    rt().block_on(async {
        append(&lapor, "INBOX", &reply, Some(MARCH), None).await;
        append(&lapor, "INBOX", &colleague_mail, Some(MARCH), None).await;
        append(&lapor, "INBOX", &stranger_mail, Some(MARCH), None).await;
        append(&lapor, "INBOX", &answer, Some(MARCH), None).await;
    });
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));

    assert_eq!(
        contents(&sender).len(),
        1,
        "no second acknowledgement for a follow-up"
    );
    assert!(
        contents(&colleague).is_empty(),
        "the colleague's follow-up is not acknowledged"
    );
    let got = contents(&pic);
    let follow_ups: Vec<&Found> = got
        .iter()
        .filter(|f| kind(f) == "forward" && f.subject().contains("Tindak lanjut"))
        .collect();
    assert_eq!(
        follow_ups.len(),
        2,
        "the reply and the colleague's mail reach the PIC as follow-ups"
    );
    assert!(follow_ups.iter().all(|f| f.subject().contains(&ticket)));
    // The stranger got a ticket of their own.
    let stranger_ack = contents(&stranger);
    assert_eq!(stranger_ack.len(), 1);
    assert!(
        !stranger_ack[0].subject().contains(&ticket),
        "{}",
        stranger_ack[0].subject()
    );
    // The PIC's answer closed the ticket; it was neither forwarded nor acknowledged.
    assert_eq!(
        t.count(&format!(
            "SELECT count(*) FROM tickets WHERE ticket = '{ticket}' AND answered_at IS NOT NULL"
        )),
        1
    );
    assert_eq!(
        t.count("SELECT count(*) FROM messages WHERE relation = 'pic-answer'"),
        1
    );
    assert_eq!(
        t.count("SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message_row WHERE m.relation = 'pic-answer'"),
        0
    );
    assert_eq!(
        t.count(&format!(
            "SELECT count(*) FROM messages WHERE ticket = '{ticket}'"
        )),
        4
    );
    // Everything of the thread is filed with the ticket's category.
    let l = contents(&lapor);
    assert!(
        l.iter().all(|f| f.folder == "Pilah/syarat-salur-dbh"),
        "{:?}",
        l.iter().map(|f| &f.folder).collect::<Vec<_>>()
    );

    // `pilah ticket show` tells the story.
    let out = t.pilah(&[
        "ticket",
        "show",
        "--config",
        t.config.to_str().unwrap(),
        &ticket,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let story = String::from_utf8_lossy(&out.stdout);
    for word in [
        "message",
        "forward",
        "acknowledgement",
        "follow-up",
        "PIC answer",
        "answered",
    ] {
        assert!(story.contains(word), "{word} missing:\n{story}");
    }
    // It is no longer open; the stranger's is.
    let out = t.pilah(&[
        "ticket",
        "list",
        "--open",
        "--config",
        t.config.to_str().unwrap(),
    ]);
    let list = String::from_utf8_lossy(&out.stdout);
    // (The stranger's subject names the ticket: only the first column says which is open.)
    assert!(!list.lines().any(|l| l.starts_with(&ticket)), "{list}");
    assert!(list.contains("1 open ticket"), "{list}");

    // The report counts tickets, not follow-ups, as new mail.
    let out = t.pilah(&[
        "report",
        "--config",
        t.config.to_str().unwrap(),
        "--month",
        "2024-03",
        "--mailbox",
        "lapor",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = r.as_array().map(|a| a[0].clone()).unwrap_or(r);
    assert_eq!(r["total"], 2, "the first message and the stranger's: {r}");
    let tk = &r["tickets"];
    assert_eq!(tk["opened"], 2, "{tk}");
    assert_eq!(tk["escalated"], 2, "{tk}");
    assert_eq!(tk["answered"], 1, "{tk}");
    assert_eq!(tk["follow_ups"], 2, "{tk}");
    assert_eq!(tk["open_at_month_end"], 1, "{tk}");
}

#[test]
fn one_message_to_both_mailboxes_is_one_ticket_and_one_forward() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let lapor = t.addr("lapor");
    let cc = t.addr("callcenter");
    let sender = t.ext("bpkad", "tegalkab.go.id");
    let m = mail(
        &format!("BPKAD <{sender}>"),
        &format!("{lapor}, {cc}"),
        "Laporan Realisasi Penggunaan DBH Sawit",
        "terlampir",
        "",
    );
    rt().block_on(async {
        append(&lapor, "INBOX", &m, Some(MARCH), None).await;
        append(&cc, "INBOX", &m, Some(MARCH), None).await;
    });
    let out = t.run_once();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        t.count("SELECT count(*) FROM messages"),
        2,
        "recorded under both mailboxes"
    );
    assert_eq!(
        t.count("SELECT count(DISTINCT ticket) FROM messages"),
        1,
        "one ticket"
    );
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE kind = 'forward'"),
        1,
        "forwarded once"
    );
    let skipped: Vec<String> = {
        let db = t.db();
        let mut st = db.prepare("SELECT mailbox || ': ' || coalesce(relation, '') || ': ' || coalesce(ack_skipped, '-') FROM messages").unwrap();
        let v: Vec<String> = st
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        v
    };
    assert_eq!(contents(&sender).len(), 1, "acknowledged once: {skipped:?}");
    assert!(contents(&lapor)
        .iter()
        .chain(contents(&cc).iter())
        .all(|f| f.folder != "INBOX"));
}

#[test]
fn an_unanswered_ticket_gets_one_reminder_then_one_escalation_counted_in_service_hours() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let (pics, supervisor) = dbh_unit_reminds_after_8_escalates_after_16(&t);
    // The admin's own escalation text is used; a rules directory without a reminder
    // template gets pilah's built-in one.
    let tdir = t.rules.join("templates");
    std::fs::remove_file(tdir.join("notice-reminder.txt")).unwrap();
    std::fs::write(
        tdir.join("notice-escalation.txt"),
        "Subject: [{ticket}] ESKALASI KHUSUS {unit}\n\nMohon perhatian: {ticket} menunggu {waited_hours} jam.\n",
    )
    .unwrap();

    let lapor = t.addr("lapor");
    let sender = t.ext("bpkad", "kudus.go.id");
    let m = mail(
        &format!("BPKAD <{sender}>"),
        &lapor,
        "Laporan BA Rekon DBH",
        "terlampir",
        "",
    );
    // Monday 4 March 2024, 09:00 WIB.
    rt().block_on(append(
        &lapor,
        "INBOX",
        &m,
        Some("04-Mar-2024 09:00:00 +0700"),
        None,
    ));
    let kinds = |who: &str| -> Vec<String> { contents(who).iter().map(kind).collect() };
    let count = |who: &str, k: &str| kinds(who).iter().filter(|x| *x == k).count();

    // Monday 15:00: 6 service hours, nothing yet.
    let out = t.run_once_at("2024-03-04T15:00:00+07:00");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(count(&pics[0], "reminder"), 0);
    // Saturday: the service is closed, nothing is sent even though the time has passed.
    let out = t.run_once_at("2024-03-09T10:00:00+07:00");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        count(&pics[0], "reminder"),
        0,
        "nothing outside service hours"
    );
    // Tuesday 10:00: 8 + 2 = 10 service hours: one reminder to every PIC, no escalation.
    let out = t.run_once_at("2024-03-05T10:00:00+07:00");
    assert!(out.status.success(), "{}", text(&out));
    for p in &pics {
        assert_eq!(count(p, "reminder"), 1, "{p}: {:?}", kinds(p));
    }
    assert_eq!(count(&supervisor, "escalation"), 0);
    // Tuesday 11:00 again: still exactly one reminder.
    let out = t.run_once_at("2024-03-05T11:00:00+07:00");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(count(&pics[0], "reminder"), 1);
    // Wednesday 10:00: 18 service hours: one escalation to the supervisor.
    let out = t.run_once_at("2024-03-06T10:00:00+07:00");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(count(&supervisor, "escalation"), 1);
    let reminder = contents(&pics[0])
        .into_iter()
        .find(|f| kind(f) == "reminder")
        .unwrap();
    assert!(
        reminder.subject().contains("Pengingat: belum dijawab"),
        "the built-in reminder: {}",
        reminder.subject()
    );
    let escalation = contents(&supervisor)
        .into_iter()
        .find(|f| kind(f) == "escalation")
        .unwrap();
    assert!(
        escalation.subject().contains("ESKALASI KHUSUS"),
        "the admin's escalation template: {}",
        escalation.subject()
    );
    assert!(
        escalation.subject().starts_with(&format!("[{}-", "LPR")),
        "{}",
        escalation.subject()
    );
    let out = t.run_once_at("2024-03-07T10:00:00+07:00");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        count(&supervisor, "escalation"),
        1,
        "exactly one escalation"
    );
    assert_eq!(count(&pics[0], "reminder"), 1, "exactly one reminder");
}

/// Sets the DBH unit's timings (remind after 8 service hours, escalate after 16; the other
/// units none) and returns its PICs and supervisor.
fn dbh_unit_reminds_after_8_escalates_after_16(t: &Scratch) -> (Vec<String>, String) {
    // The DBH unit: remind after 8 service hours, escalate after 16.
    let units_path = t.rules.join("units.toml");
    let units = std::fs::read_to_string(&units_path).unwrap();
    let cats: toml::Value =
        toml::from_str(&std::fs::read_to_string(t.rules.join("categories.toml")).unwrap()).unwrap();
    let unit = cats["category"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"].as_str() == Some("syarat-salur-dbh"))
        .and_then(|c| c["unit"].as_str())
        .unwrap()
        .to_string();
    let marker = format!("id = \"{unit}\"\n");
    assert!(units.contains(&marker), "{units}");
    // Replace the default timings of every unit by these, for this unit only.
    let units: String = units
        .lines()
        .filter(|l| !l.starts_with("remind_after_hours") && !l.starts_with("escalate_after_hours"))
        .map(|l| format!("{l}\n"))
        .collect();
    let units = units.replace(
        &marker,
        &format!("{marker}remind_after_hours = 8\nescalate_after_hours = 16\n"),
    );
    std::fs::write(&units_path, units).unwrap();
    let u: toml::Value = toml::from_str(&std::fs::read_to_string(&units_path).unwrap()).unwrap();
    let u = u["unit"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"].as_str() == Some(unit.as_str()))
        .unwrap()
        .clone();
    let pics: Vec<String> = u["pics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    let supervisor = u["supervisor"]
        .as_str()
        .expect("the DBH unit has a supervisor")
        .to_string();
    (pics, supervisor)
}

#[test]
fn a_forward_clock_jump_sends_the_reminder_first_and_the_escalation_only_after_its_gap() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let (pics, supervisor) = dbh_unit_reminds_after_8_escalates_after_16(&t);
    let lapor = t.addr("lapor");
    let sender = t.ext("bpkad", "kudus.go.id");
    let m = mail(
        &format!("BPKAD <{sender}>"),
        &lapor,
        "Laporan BA Rekon DBH",
        "terlampir",
        "",
    );
    // Monday 4 March 2024, 09:00 WIB; handled the same hour.
    rt().block_on(append(
        &lapor,
        "INBOX",
        &m,
        Some("04-Mar-2024 09:00:00 +0700"),
        None,
    ));
    let out = t.run_once_at("2024-03-04T09:30:00+07:00");
    assert!(out.status.success(), "{}", text(&out));
    let count = |who: &str, k: &str| contents(who).iter().filter(|f| kind(f) == k).count();
    // The clock jumps to Friday 10:00: 33 service hours later, past both limits. The
    // reminder goes out, the escalation does not come with it.
    let out = t.run_once_at("2024-03-08T10:00:00+07:00");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(count(&pics[0], "reminder"), 1);
    assert_eq!(count(&supervisor, "escalation"), 0, "not in the same pass");
    // The next pass, an hour later: the reminder has been out 1 of its 8 hours.
    let out = t.run_once_at("2024-03-08T11:00:00+07:00");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        count(&supervisor, "escalation"),
        0,
        "the reminder needs its time"
    );
    // The clock goes back a day: the reminder "from the future" has not been out at all.
    let out = t.run_once_at("2024-03-07T15:00:00+07:00");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(count(&supervisor, "escalation"), 0);
    // Monday 11 March 10:00: the reminder has been out 8 service hours: now the escalation.
    let out = t.run_once_at("2024-03-11T10:00:00+07:00");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(count(&supervisor, "escalation"), 1);
    assert_eq!(count(&pics[0], "reminder"), 1, "exactly one reminder");
}

#[test]
fn a_malformed_pilah_now_is_an_error() {
    let t = Scratch::new("start_date = \"2024-03-01\"");
    let out = t.run_once_at("next tuesday");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("PILAH_NOW") && err.contains("next tuesday"),
        "{}",
        text(&out)
    );
    assert!(!t.state().join("pilah.sqlite").exists(), "nothing was done");
}
