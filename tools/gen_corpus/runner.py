"""Scenario registry, the per-category loop and the file writer."""

import email
import email.policy
import os
import random

import build
import compose
import data

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COUNTS = {}  # (area, mailbox, category) -> n


def sc(senders=None, tag=None, regions=None):
    """Decorator: attach sender kinds / region tag to a scenario function."""
    def wrap(fn):
        fn.senders = senders
        fn.tag = tag
        fn.regions = regions
        return fn
    return wrap


def check_parse(raw, where):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    subj, frm = msg["subject"], msg["from"]
    if subj is None or frm is None:
        raise SystemExit("%s: no subject/from after parsing" % where)
    str(subj), str(frm)
    for part in msg.walk():
        if part.get_content_maintype() != "multipart":
            part.get_payload(decode=True)
            part.get_filename()
    return msg


def write(path, raw, expected=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(raw)
    if expected is not None:
        with open(path[:-4] + ".expected.toml", "w", newline="\n") as f:
            f.write("".join('%s = "%s"\n' % kv for kv in expected))


def rules_category(mailbox, category, scenarios, n, seed="fix", regions=data.REGIONS):
    """Generate n fixtures for one mailbox/category, cycling over the scenarios."""
    rng = random.Random("%s:%s:%s" % (seed, mailbox, category))
    outdir = os.path.join(ROOT, "tests", "fixtures", "rules", mailbox, category)
    order = list(scenarios)
    for i in range(n):
        if i % len(order) == 0 and i:
            rng.shuffle(order)
        fn = order[i % len(order)]
        c = new_ctx(rng, mailbox, fn, regions)
        S = fn(c)
        if category not in ("spam", "lainnya"):
            S = maybe_forward(c, S)
        raw = build.build(c, S)
        path = os.path.join(outdir, "%03d.eml" % (i + 1))
        check_parse(raw, path)
        write(path, raw, [("mailbox", mailbox), ("category", category)])
    COUNTS[("rules", mailbox, category)] = COUNTS.get(("rules", mailbox, category), 0) + n


def maybe_forward(c, S, p=0.12):
    """Sometimes the message reaches us forwarded by a colleague, with its attachments."""
    subj = S["subject"]
    if not S.get("body") or S.get("from") or S.get("reply") or c.rng.random() >= p \
            or subj.lower().startswith(("fw", "re")):
        return S
    rng = c.rng
    colleague = "%s %s" % (rng.choice(data.FIRST_F + data.FIRST_M), rng.choice(data.LAST))
    name, addr = c.sender()
    host = addr.rsplit("@", 1)[1]
    if build.client_of(addr) != "gov":  # webmail: the colleague may use the office domain
        host = rng.choice([host, "gmail.com", c.domain if c.sender_kind.startswith("pemda")
                           else host])
    caddr = "%s.%s@%s" % (compose.slug(colleague.split(" ")[0]),
                          compose.slug(colleague.split(" ")[-1]), host)
    note = rng.choice(["Mohon diterima.", "fyi", "", "Diteruskan, terima kasih.",
                       "Dengan hormat, kami teruskan email dari rekan kami di bawah ini.",
                       "Mohon bantuan tindak lanjutnya."])
    S = dict(S)
    S["from"] = (colleague, caddr)  # the colleague forwards what the author sent them
    S["body"] = c.forward(name or c.person, addr, colleague, subj, S["body"], note)
    S["subject"] = rng.choice(["Fwd: ", "FW: ", "Fw: "]) + subj
    return S


def new_ctx(rng, mailbox, fn, regions):
    senders = getattr(fn, "senders", None)
    return compose.Ctx(rng, mailbox, regions=getattr(fn, "regions", None) or regions,
                       sender=rng.choice(senders) if senders else None,
                       tag=getattr(fn, "tag", None))


def one(rng, mailbox, fn, regions=data.REGIONS):
    """Build one message with a scenario; returns raw bytes."""
    c = new_ctx(rng, mailbox, fn, regions)
    return build.build(c, fn(c))


def table():
    lines = ["%-8s %-11s %-22s %5s" % ("area", "mailbox", "category", "n")]
    total = 0
    for (area, mb, cat), n in sorted(COUNTS.items()):
        lines.append("%-8s %-11s %-22s %5d" % (area, mb, cat, n))
        total += n
    lines.append("%-43s %5d" % ("total", total))
    return "\n".join(lines)
