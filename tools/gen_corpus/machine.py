"""tests/fixtures/machine: auto-replies, bounces, list mail, system notifications, and
look-alikes that are human mail (machine = "none")."""

import os
import random

import build
import compose
import mime
import runner

OUT = os.path.join(runner.ROOT, "tests", "fixtures", "machine")
ACK_SUBJ = {"lapor": "Tanda Terima Laporan [#LPR-2024-03-%04d]",
            "callcenter": "Tanda Terima Pertanyaan Anda [#CC-2024-03-%04d]"}


def plain(c, headers, body, ctype="text/plain; charset=utf-8", cte="8bit"):
    return mime.message(headers + ["MIME-Version: 1.0"],
                        ["Content-Type: " + ctype, "Content-Transfer-Encoding: " + cte],
                        body.replace("\n", "\r\n").encode("utf-8"))


def base(c, frm, subject, extra=(), to=None, reply=False):
    h = ["Return-Path: <%s>" % frm[1]] if frm[1] else ["Return-Path: <>"]
    h += ["From: " + mime.addr(frm[0], frm[1] or "MAILER-DAEMON@mx.djpk.test"),
          "To: " + (to or compose.MAILBOX_ADDR[c.mailbox]),
          mime.subject_header(subject), "Date: " + c.date_header(),
          "Message-ID: " + build.make_msgid(c, frm[1] or "x@mx.djpk.test")]
    if reply:
        rid = "<%032x@djpk.test>" % c.rng.getrandbits(128)
        h += ["In-Reply-To: " + rid, "References: " + rid]
    return h + list(extra)


def ack(c):
    return ACK_SUBJ[c.mailbox] % c.rng.randint(1, 999)


def oof_text(c):
    return ("Terima kasih atas email Anda.\n\nSaya sedang %s sampai dengan tanggal %d Maret 2024 "
            "dengan akses email terbatas. Untuk keperluan mendesak silakan hubungi %s.\n\n"
            "Salam,\n%s" % (c.pick("cuti", "dinas luar", "mengikuti diklat"),
                            c.rng.randint(20, 31), c.pick("Bidang Anggaran (0282) 533xxx",
                                                         "staf kami di nomor kantor"),
                            c.person))


def oof_auto_submitted(c):
    name, addr = c.sender()
    return "auto-reply", plain(c, base(c, (name, addr), "Balasan Otomatis: " + ack(c),
                                       ["Auto-Submitted: auto-replied"], reply=True), oof_text(c))


def oof_x_autoreply(c):
    name, addr = c.sender()
    return "auto-reply", plain(c, base(c, (name, addr), "Re: " + ack(c),
                                       ["X-Autoreply: yes"], reply=True),
                               "Email Anda sudah kami terima dan akan segera kami proses.\n\n"
                               "Pesan ini dikirim otomatis.\n%s" % c.agency_reg())


def oof_precedence(c):
    name, addr = c.sender()
    return "auto-reply", plain(c, base(c, (name, addr), "Auto: " + ack(c),
                                       ["Precedence: auto_reply"], reply=True), oof_text(c))


def oof_exchange(c):
    name = c.person
    addr = "%s@%s" % (compose.slug(name.split(" ")[0]), c.domain)
    a = ack(c)
    h = base(c, (name, addr), "Automatic reply: " + a,
             ["Thread-Topic: " + a, "Thread-Index: AQHadX%08xk2w==" % c.rng.getrandbits(32),
              "X-MS-Has-Attach:", "X-MS-TNEF-Correlator:", "X-Auto-Response-Suppress: All",
              "Content-Language: id-ID"], reply=True)
    h[5] = "Message-ID: " + build.make_msgid(c, "x@outlook.com")
    html = mime.to_html(oof_text(c), "outlook")
    ct, body = mime.text_part(html, "html", "utf-8", "quoted-printable", quote=True)
    return "auto-reply", mime.message(h + ["MIME-Version: 1.0"], ct, body)


def oof_gmail(c):
    name, addr = c.person, "%s%d@gmail.com" % (compose.slug(c.person), c.rng.randint(1, 99))
    h = base(c, (name, addr), ack(c), ["Auto-Submitted: auto-replied"], reply=True)
    return "auto-reply", plain(c, h, "Mohon maaf, saat ini saya sedang cuti melahirkan. Pesan "
                                     "Anda akan saya baca setelah kembali bertugas.\n" + name)


def dsn(c, reporting, recipient, status, diag, frm_name="Mail Delivery System",
        frm="MAILER-DAEMON@%s", subject="Undelivered Mail Returned to Sender", human=None):
    b = "%s.%d/%s" % ("".join(c.rng.choice("0123456789ABCDEF") for _ in range(10)),
                      c.rng.randint(10 ** 9, 2 * 10 ** 9), reporting)
    human = human or ("This is the mail system at host %s.\n\nI'm sorry to have to inform you "
                      "that your message could not\nbe delivered to one or more recipients. "
                      "It's attached below.\n\n<%s>: host %s said: %s\n"
                      % (reporting, recipient, reporting, diag))
    p1 = mime.join_part(["Content-Description: Notification",
                         "Content-Type: text/plain; charset=us-ascii"],
                        human.replace("\n", "\r\n").encode())
    ds = ("Reporting-MTA: dns; %s\nX-Postfix-Queue-ID: %s\nArrival-Date: %s\n\n"
          "Final-Recipient: rfc822; %s\nOriginal-Recipient: rfc822;%s\nAction: failed\n"
          "Status: %s\nRemote-MTA: dns; %s\nDiagnostic-Code: smtp; %s\n"
          % (reporting, b[:10], c.date_header(), recipient, recipient, status, reporting, diag))
    p2 = mime.join_part(["Content-Description: Delivery report",
                         "Content-Type: message/delivery-status"], ds.replace("\n", "\r\n").encode())
    orig = ("Return-Path: <%s>\nFrom: %s\nTo: %s\nSubject: %s\nDate: %s\nMessage-ID: <%032x@djpk.test>\n"
            % (compose.MAILBOX_ADDR[c.mailbox], compose.MAILBOX_ADDR[c.mailbox], recipient, ack(c),
               c.date_header(c.earlier(0)), c.rng.getrandbits(128)))
    p3 = mime.join_part(["Content-Description: Undelivered Message Headers",
                         "Content-Type: text/rfc822-headers"], orig.replace("\n", "\r\n").encode())
    ct, body = mime.multipart("report; report-type=delivery-status", [p1, p2, p3], b)
    h = base(c, (frm_name, ""), subject)
    h[1] = "From: " + mime.addr(frm_name, frm % reporting if "%s" in frm else frm)
    return mime.message(h + ["MIME-Version: 1.0"], ct, body)


def bounce_postfix(c):
    rcpt = "%s@%s" % (c.pick("bpkad", "keuangan", "anggaran"), c.domain)
    return "bounce", dsn(c, "mail." + c.domain, rcpt, "5.1.1",
                         "550 5.1.1 <%s>: Recipient address rejected: User unknown in virtual "
                         "mailbox table" % rcpt)


def bounce_gmail(c):
    rcpt = "%s%d@gmail.com" % (compose.slug(c.person), c.rng.randint(1, 99))
    human = ("** Alamat tidak ditemukan **\n\nPesan Anda tidak terkirim ke %s karena alamat "
             "tidak ditemukan, atau tidak dapat menerima email.\n" % rcpt)
    return "bounce", dsn(c, "mx.google.com", rcpt, "5.1.1",
                         "550-5.1.1 The email account that you tried to reach does not exist.",
                         "Mail Delivery Subsystem", "mailer-daemon@googlemail.com",
                         "Delivery Status Notification (Failure)", human)


def bounce_exim_only_header(c):
    rcpt = "%s@%s" % (c.pick("sekretariat", "bkad"), c.domain)
    h = base(c, ("Mail Delivery System", "mail@" + c.domain), "Mail delivery failed",
             ["X-Failed-Recipients: " + rcpt])
    body = ("This message was created automatically by mail delivery software.\n\nA message that "
            "you sent could not be delivered to one or more of its\nrecipients. This is a "
            "permanent error. The following address(es) failed:\n\n  %s\n    mailbox is full: "
            "retry timeout exceeded\n\n------ This is a copy of the message, including all the "
            "headers. ------\n\nSubject: %s\nFrom: %s\n" % (rcpt, ack(c),
                                                            compose.MAILBOX_ADDR[c.mailbox]))
    return "bounce", plain(c, h, body, "text/plain; charset=us-ascii", "7bit")


def bounce_exchange(c):
    rcpt = "%s@%s" % (compose.slug(c.person.split(" ")[0]), c.domain)
    human = ("Pengiriman pesan ke penerima berikut gagal secara permanen:\n\n    %s\n\n"
             "Remote Server returned '550 5.4.1 Recipient address rejected: Access denied'\n"
             % rcpt)
    return "bounce", dsn(c, "mail." + c.domain, rcpt, "5.4.1",
                         "550 5.4.1 Recipient address rejected: Access denied",
                         "Microsoft Outlook", "postmaster@" + c.domain,
                         "Undeliverable: " + ack(c), human)


def list_newsletter(c):
    host = c.pick("infoanggaran.id", "buletin-keuda.com", "warta-fiskal.id")
    h = base(c, ("Buletin Keuangan Daerah", "newsletter@" + host),
             c.pick("Buletin Mingguan: Realisasi TKD dan Isu DAU Terkini",
                    "Edisi Maret 2024 - Update Regulasi DBH & DAK"),
             ["List-Id: Buletin Keuangan Daerah <buletin.%s>" % host,
              "List-Unsubscribe: <https://%s/unsubscribe?u=%08x>, <mailto:unsubscribe@%s>"
              % (host, c.rng.getrandbits(32), host),
              "List-Unsubscribe-Post: List-Unsubscribe=One-Click"],
             to="%s <%s>" % ("Pelanggan", compose.MAILBOX_ADDR[c.mailbox]))
    text = ("Edisi minggu ini:\n- Realisasi penyaluran TKD sampai Februari 2024\n- Tanya jawab "
            "DAU yang ditentukan penggunaannya\n- Jadwal pelatihan pengelolaan DBH CHT\n\n"
            "Baca selengkapnya di https://%s/edisi/2024-03\n\nBerhenti berlangganan: "
            "https://%s/unsubscribe" % (host, host))
    ct, body = build.text_tree(c, {"shape": ("alt", "quoted-printable", "utf-8", "gmail")},
                               "newsletter@" + host, text)
    return "list", mime.message(h + ["MIME-Version: 1.0"], ct, body)


def list_bulk(c):
    host = c.pick("hotelgrandkarya.co.id", "event-nusantara.com")
    h = base(c, ("Sales Marketing", "sales@" + host), "Promo Paket Meeting Fullboard Maret 2024",
             ["Precedence: bulk"])
    return "list", plain(c, h, "Bapak/Ibu Yth.,\n\nDapatkan harga spesial paket meeting fullboard "
                               "untuk instansi pemerintah mulai Rp 450.000/pax.\n\nSales Marketing")


def list_mailman(c):
    h = base(c, ("Forum Pengelola Keuangan Daerah", "forum-keuda@lists.%s" % c.pick("apkasi.or.id",
                                                                                "apeksi.or.id")),
             "[forum-keuda] Diskusi: laporan syarat salur DBH tahap I",
             ["List-Id: Forum Pengelola Keuangan Daerah <forum-keuda.lists.apkasi.or.id>",
              "List-Post: <mailto:forum-keuda@lists.apkasi.or.id>", "Precedence: list",
              "Sender: forum-keuda-bounces@lists.apkasi.or.id"])
    return "list", plain(c, h, "Rekan-rekan, apakah ada yang sudah menerima konfirmasi laporan DBH "
                               "tahap I?\n\n_______________________________________________\n"
                               "forum-keuda mailing list\n")


def gen_sipd(c):
    h = base(c, ("SIPD Kemendagri", "noreply@sipd.kemendagri.go.id"),
             "Notifikasi SIPD: Pengiriman Data APBD %s Berhasil" % c.reg("abbr"),
             ["Auto-Submitted: auto-generated"])
    return "auto-generated", plain(c, h, "Data APBD TA 2024 %s telah berhasil dikirim pada %s.\n\n"
                                         "Email ini dibuat otomatis, mohon tidak dibalas."
                                         % (c.reg("full"), c.date_header()))


def gen_ticket(c):
    h = base(c, ("Helpdesk " + c.agency_reg(), "noreply@helpdesk." + c.domain),
             "[Tiket #%d] Permintaan Anda telah diterima" % c.rng.randint(1000, 9999),
             ["Auto-Submitted: auto-generated", "X-Mailer: osTicket"], reply=True)
    return "auto-generated", plain(c, h, "Permintaan Anda telah tercatat di sistem helpdesk kami "
                                         "dan akan ditindaklanjuti.\n\nJangan membalas email ini.")


def gen_lpse(c):
    h = base(c, ("LPSE " + c.reg("abbr"), "noreply@lpse." + c.domain),
             "Pengumuman Tender Pekerjaan Rehabilitasi Jalan (DAK Fisik 2024)",
             ["Auto-Submitted: auto-generated"])
    return "auto-generated", plain(c, h, "Telah diumumkan tender baru di LPSE %s. Silakan login "
                                         "untuk melihat dokumen pemilihan.\n" % c.reg("abbr"))


def none_auto_no(c):
    name, addr = c.sender()
    h = base(c, (name, addr), "Pertanyaan penyaluran DBH CHT tahap I", ["Auto-Submitted: no"])
    return "none", plain(c, h, "%s\nkapan DBH CHT tahap I 2024 disalurkan ya? trims\n%s"
                         % (c.salam(False), c.sig("name")))


def none_re_oof(c):
    name, addr = c.sender()
    h = base(c, (name, addr), "Re: Out of office: Tanda Terima Laporan", reply=True)
    return "none", plain(c, h, "Mohon maaf, balasan otomatis sebelumnya dari akun kami. Laporan "
                               "DBH kami sudah kami kirim ulang lewat email terpisah, mohon dicek.\n\n%s" % c.sig())


def none_precedence_normal(c):
    name, addr = c.sender()
    h = base(c, (name, addr), "Permohonan Data Realisasi DAU 2023", ["Precedence: normal"])
    return "none", plain(c, h, "%s\n\nMohon bantuan data realisasi DAU 2023 %s.\n\n%s\n\n%s"
                         % (c.salam(), c.reg("full"), c.tutup(), c.sig()))


KINDS = [("lapor", oof_auto_submitted), ("callcenter", oof_x_autoreply),
         ("lapor", oof_precedence), ("callcenter", oof_exchange), ("callcenter", oof_gmail),
         ("lapor", bounce_postfix), ("callcenter", bounce_gmail),
         ("lapor", bounce_exim_only_header), ("callcenter", bounce_exchange),
         ("callcenter", list_newsletter), ("lapor", list_bulk), ("lapor", list_mailman),
         ("lapor", gen_sipd), ("callcenter", gen_ticket), ("callcenter", gen_lpse),
         ("lapor", none_auto_no), ("lapor", none_re_oof), ("callcenter", none_precedence_normal)]


def generate():
    rng = random.Random("machine")
    for i, (mailbox, fn) in enumerate(KINDS):
        c = compose.Ctx(rng, mailbox, sender=rng.choice(["pemda", "pemda-gmail", "personal"]))
        kind, raw = fn(c)
        path = os.path.join(OUT, "%03d.eml" % (i + 1))
        runner.check_parse(raw, path)
        runner.write(path, raw, [("mailbox", mailbox), ("machine", kind)])
        key = ("machine", mailbox, kind)
        runner.COUNTS[key] = runner.COUNTS.get(key, 0) + 1
