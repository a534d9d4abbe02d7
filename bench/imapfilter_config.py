#!/usr/bin/env python3
"""Turns pilah's rules into an imapfilter config that files mail the same way, for the peer run.

  python3 bench/imapfilter_config.py --rules rules --out config.lua [--host H --port P --password PW]

What is translated: every deciding rule of each mailbox whose condition is made only of
`keywords` matchers on `subject` and `attachment.name` (and `all`/`any`/`not` of those): the
first pass of 40-lapor.toml and 50-callcenter.toml, which decides most mail. Each keyword
becomes one server-side search, `contain_subject` (IMAP SEARCH SUBJECT). Rules are applied in
pilah's order, first match wins: each rule's hits are taken out of what is left before the
next rule and moved to the category's folder; what is left at the end goes to the mailbox's
fallback folder.

Attachment names: Dovecot's SEARCH BODY does not see MIME part headers; only SEARCH TEXT
(whole message) does. With --attachment-search, the attachment-name keywords are also
searched with `contain_message` (SEARCH TEXT); off by default, because it reads every
message once per keyword, which no one would configure for 10,000 messages.

Fidelity: SEARCH SUBJECT is a substring match (pilah matches whole words, ignoring
separators and accents), the body pass, spam and non-DJPK rules are not translated, and
nothing is stored or answered: imapfilter does less than pilah --no-send does. The work it
does per message (one SEARCH per keyword over the mailbox, one MOVE per folder) is what a
real imapfilter setup for these rules does.
Python 3.11+ (tomllib).
"""

import argparse
import glob
import itertools
import os
import re
import tomllib


def expand(entry):
    parts = re.split(r"(\{[^{}]*\})", entry)
    choices = [p[1:-1].split("|") if p.startswith("{") else [p] for p in parts]
    return ["".join(c).strip() for c in itertools.product(*choices)]


def keywords(raw, lists):
    out = []
    for k in raw:
        if k.startswith("@"):
            out.extend(keywords(lists[k[1:]], lists))
        else:
            out.extend(expand(k))
    seen = set()
    return [k for k in out if not (k in seen or seen.add(k))]


SUPPORTED_FIELDS = {"subject"}
IGNORED_FIELDS = {"attachment.name"}  # searched only with --attachment-search


def lua_str(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Translator:
    def __init__(self, lists, attachments):
        self.lists = lists
        self.attachments = attachments
        self.searches = 0

    def cond(self, c, base):
        """A Lua expression for the messages of `base` (a Lua variable) matching c, or None."""
        if "all" in c:
            subs = [self.cond(x, base) for x in c["all"]]
            if any(s is None for s in subs):
                return None
            return "(" + " * ".join(subs) + ")"
        if "any" in c:
            subs = [self.cond(x, base) for x in c["any"]]
            if any(s is None for s in subs):
                return None
            return "(" + " + ".join(subs) + ")"
        if "not" in c:
            sub = self.cond(c["not"], base)
            return None if sub is None else "(%s - %s)" % (base, sub)
        fields = c.get("field")
        fields = [fields] if isinstance(fields, str) else (fields or [])
        if "keywords" not in c or not fields:
            return None
        if not all(f in SUPPORTED_FIELDS | IGNORED_FIELDS for f in fields):
            return None
        if not any(f in SUPPORTED_FIELDS for f in fields):
            return None
        kws = keywords(c["keywords"], self.lists)
        terms = ["%s:contain_subject(%s)" % (base, lua_str(k)) for k in kws]
        if self.attachments and "attachment.name" in fields:
            terms += ["%s:contain_message(%s)" % (base, lua_str(k)) for k in kws]
        self.searches += len(terms)
        return "(" + " + ".join(terms) + ")"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", default="rules")
    ap.add_argument("--out", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=int(os.environ.get("PILAH_IMAP_PORT", "12143")))
    ap.add_argument("--password", default=os.environ.get("PILAH_TEST_PASSWORD", "pilah-test"))
    ap.add_argument("--mailboxes", default="lapor,callcenter",
                    help="comma-separated NAME or NAME=IMAP_USER (default user NAME@djpk.test)")
    ap.add_argument("--attachment-search", action="store_true")
    a = ap.parse_args()

    with open(os.path.join(a.rules, "lists.toml"), "rb") as f:
        lists = tomllib.load(f)["lists"]
    with open(os.path.join(a.rules, "categories.toml"), "rb") as f:
        cats = tomllib.load(f)
    rules = []
    for path in sorted(glob.glob(os.path.join(a.rules, "*.toml"))):
        with open(path, "rb") as f:
            rules.extend(tomllib.load(f).get("rule", []))

    def category(mb, cid):
        for c in cats.get("category", []):
            if c["id"] == cid and mb in c.get("mailboxes", []):
                return c
        return None

    lua = [
        "-- Generated by bench/imapfilter_config.py from pilah's rules: do not edit.",
        "options.timeout = 120",
        "options.create = true",
        "options.subscribe = false",
        "options.starttls = false",
        "options.info = false",
        "",
    ]
    t = Translator(lists, a.attachment_search)
    summary = []
    for spec in a.mailboxes.split(","):
        mb, _, user = spec.partition("=")
        user = user or mb + "@djpk.test"
        lua.append("do")
        lua.append("  local account = IMAP { server = %s, port = %d, username = %s, password = %s }"
                   % (lua_str(a.host), a.port, lua_str(user), lua_str(a.password)))
        lua.append("  local inbox = account.INBOX")
        lua.append("  local left = inbox:select_all()")
        body = []
        folders = []
        used = 0
        for r in rules:
            if r.get("continue"):
                continue
            cid = r.get("category")
            cat = category(mb, cid) if cid else None
            rule_mbs = r.get("mailboxes") or ([mb] if cat else [])
            if mb not in rule_mbs or cat is None:
                continue
            expr = t.cond(r["when"], "left")
            if expr is None:
                continue
            folder = cat.get("folder", "Pilah/" + cid)
            folders.append(folder)
            body.append("  do -- %s" % r["id"])
            body.append("    local hits = %s" % expr)
            body.append("    left = left - hits")
            body.append("    hits:move_messages(account[%s])" % lua_str(folder))
            body.append("  end")
            used += 1
        fb = cats.get("fallback", {}).get(mb, "lainnya")
        fcat = category(mb, fb) or {}
        folders.append(fcat.get("folder", "Pilah/" + fb))
        body.append("  left:move_messages(account[%s])" % lua_str(folders[-1]))
        # imapfilter does not create a missing destination on MOVE: create them first.
        for f in sorted(set(folders)):
            lua.append("  account:create_mailbox(%s)" % lua_str(f))
        lua.extend(body)
        lua.append("end")
        summary.append("%s: %d rules" % (mb, used))
    with open(a.out, "w") as f:
        f.write("\n".join(lua) + "\n")
    print("imapfilter_config: %s; %d keyword searches in all" % (", ".join(summary), t.searches))


if __name__ == "__main__":
    main()
