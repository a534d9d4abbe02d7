#!/usr/bin/env python3
"""A small OAuth2 authorisation server on loopback, for pilah's tests and demo only.

It plays the provider's part (Microsoft 365, Google Workspace) for the local Dovecot: pilah gets
access tokens at /token (RFC 6749: the refresh-token and client-credentials grants), and
Dovecot's oauth2 passdb checks each token pilah presents at /introspect (RFC 7662). State is in
memory only. Python 3 standard library only.

Endpoints:
  POST /token       grant_type=refresh_token (client_id, refresh_token[, client_secret])
                    grant_type=client_credentials (client_id, client_secret)
                    -> {"access_token", "token_type", "expires_in"[, "refresh_token"]}
                    Every refresh rotates the refresh token (the old one stops working), as
                    Microsoft's and some Google grants do.
  POST /introspect  token=...  -> {"active": true, "username": ...} or {"active": false}
  POST /admin/grant JSON {"client_id", "user", "lifetime"?, "client_secret"?}
                    -> {"refresh_token"}: a user's consent, for the refresh-token grant
  POST /admin/app   JSON {"client_id", "client_secret", "user", "lifetime"?}: an app allowed
                    into one mailbox, for the client-credentials grant
  POST /admin/revoke JSON {"client_id"}: every grant and token of that client stops working
  GET  /admin/stats -> per client id: {"tokens": {client: n}, "rejected": {...},
                       "introspected": {...}, "expired_seen": {...}} (expired_seen: a token
                       presented after its expiry, i.e. not renewed in time)

Usage: oauth2-server.py PORT PIDFILE   (binds 127.0.0.1 only)
"""

import json
import os
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

LOCK = threading.Lock()
REFRESH = {}   # refresh token -> {"client_id", "user", "lifetime", "client_secret"}
APPS = {}      # client_id -> {"client_secret", "user", "lifetime"}
ACCESS = {}    # access token -> {"client_id", "user", "expires"}
REVOKED = set()
STATS = {"tokens": {}, "rejected": {}, "introspected": {}, "expired_seen": {}}


def count(kind, client):
    STATS[kind][client] = STATS[kind].get(client, 0) + 1


def issue(client_id, user, lifetime):
    token = "at-" + secrets.token_urlsafe(24)
    ACCESS[token] = {"client_id": client_id, "user": user, "expires": time.time() + lifetime}
    count("tokens", client_id)
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}


def refused(client_id, error, description):
    count("rejected", client_id or "-")
    return 400, {"error": error, "error_description": description}


def token_grant(form):
    grant = form.get("grant_type", "")
    client_id = form.get("client_id", "")
    if client_id in REVOKED:
        return refused(client_id, "invalid_grant", "the grant was revoked")
    if grant == "refresh_token":
        old = form.get("refresh_token", "")
        g = REFRESH.get(old)
        if g is None or g["client_id"] != client_id:
            return refused(client_id, "invalid_grant", "refresh token unknown, expired or rotated")
        if g.get("client_secret") and form.get("client_secret") != g["client_secret"]:
            return refused(client_id, "invalid_client", "wrong client secret")
        del REFRESH[old]
        new = "rt-" + secrets.token_urlsafe(24)
        REFRESH[new] = g
        answer = issue(client_id, g["user"], g["lifetime"])
        answer["refresh_token"] = new
        return 200, answer
    if grant == "client_credentials":
        app = APPS.get(client_id)
        if app is None or form.get("client_secret") != app["client_secret"]:
            return refused(client_id, "invalid_client", "unknown client or wrong secret")
        return 200, issue(client_id, app["user"], app["lifetime"])
    return refused(client_id, "unsupported_grant_type", grant)


def introspect(form):
    a = ACCESS.get(form.get("token", ""))
    count("introspected", a["client_id"] if a else "-")
    if a is None or a["client_id"] in REVOKED:
        return 200, {"active": False}
    if a["expires"] <= time.time():
        count("expired_seen", a["client_id"])
        return 200, {"active": False}
    return 200, {"active": True, "username": a["user"], "client_id": a["client_id"]}


def admin(path, body):
    if path == "/admin/grant":
        token = "rt-" + secrets.token_urlsafe(24)
        REFRESH[token] = {
            "client_id": body["client_id"],
            "user": body["user"],
            "lifetime": int(body.get("lifetime", 3600)),
            "client_secret": body.get("client_secret"),
        }
        REVOKED.discard(body["client_id"])
        return 200, {"refresh_token": token}
    if path == "/admin/app":
        APPS[body["client_id"]] = {
            "client_secret": body["client_secret"],
            "user": body["user"],
            "lifetime": int(body.get("lifetime", 3600)),
        }
        REVOKED.discard(body["client_id"])
        return 200, {}
    if path == "/admin/revoke":
        REVOKED.add(body["client_id"])
        return 200, {}
    return 404, {"error": "not_found"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with LOCK:
            if self.path == "/admin/stats":
                return self.reply(200, STATS)
        self.reply(404, {"error": "not_found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace")
        with LOCK:
            if self.path.startswith("/admin/"):
                try:
                    status, obj = admin(self.path, json.loads(raw or "{}"))
                except (ValueError, KeyError) as e:
                    status, obj = 400, {"error": "bad_request", "error_description": str(e)}
                return self.reply(status, obj)
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            if self.path == "/token":
                return self.reply(*token_grant(form))
            if self.path == "/introspect":
                return self.reply(*introspect(form))
        self.reply(404, {"error": "not_found"})

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))


def main():
    port = int(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as f:
            f.write("%d\n" % os.getpid())
    server.serve_forever()


if __name__ == "__main__":
    main()
