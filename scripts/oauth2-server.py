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
  POST /devicecode  client_id, scope -> {"device_code", "user_code", "verification_uri",
                    "expires_in", "interval"} (RFC 8628); /token then takes
                    grant_type=urn:ietf:params:oauth:grant-type:device_code
  GET  /authorize   response_type=code, client_id, redirect_uri, state, code_challenge (S256)
                    -> 302 to redirect_uri?code=..&state=.. for the user set by
                    /admin/consent (a browser sign-in that consents at once); /token then takes
                    grant_type=authorization_code with the PKCE code_verifier
  POST /introspect  token=...  -> {"active": true, "username": ...} or {"active": false}
  POST /admin/grant JSON {"client_id", "user", "lifetime"?, "client_secret"?}
                    -> {"refresh_token"}: a user's consent, for the refresh-token grant
  POST /admin/app   JSON {"client_id", "client_secret", "user", "lifetime"?}: an app allowed
                    into one mailbox, for the client-credentials grant
  POST /admin/approve JSON {"user_code", "user", "lifetime"?}: the person entered the device code
  POST /admin/consent JSON {"client_id", "user", "lifetime"?}: who signs in at /authorize
  POST /admin/revoke JSON {"client_id"}: every grant and token of that client stops working
  GET  /admin/stats -> per client id: {"tokens": {client: n}, "rejected": {...},
                       "introspected": {...}, "expired_seen": {...}} (expired_seen: a token
                       presented after its expiry, i.e. not renewed in time)

Usage: oauth2-server.py PORT PIDFILE   (binds 127.0.0.1 only)
"""

import base64
import hashlib
import json
import os
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

LOCK = threading.Lock()
REFRESH = {}   # refresh token -> {"client_id", "user", "lifetime", "client_secret"}
APPS = {}      # client_id -> {"client_secret", "user", "lifetime"}
ACCESS = {}    # access token -> {"client_id", "user", "expires"}
REVOKED = set()
DEVICE = {}    # device code -> {"client_id", "user_code", "user", "lifetime", "expires"}
CONSENT = {}   # client_id -> {"user", "lifetime"}: who signs in at /authorize
CODES = {}     # authorization code -> {"client_id", "user", "lifetime", "redirect_uri", "challenge"}
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


def with_refresh(client_id, user, lifetime):
    token = "rt-" + secrets.token_urlsafe(24)
    REFRESH[token] = {"client_id": client_id, "user": user, "lifetime": lifetime,
                      "client_secret": None}
    answer = issue(client_id, user, lifetime)
    answer["refresh_token"] = token
    return 200, answer


def device_grant(form):
    client_id = form.get("client_id", "")
    d = DEVICE.get(form.get("device_code", ""))
    if d is None or d["client_id"] != client_id:
        return refused(client_id, "invalid_grant", "unknown device code")
    if d["expires"] <= time.time():
        return refused(client_id, "expired_token", "the device code expired")
    if d["user"] is None:
        return 400, {"error": "authorization_pending"}
    del DEVICE[form["device_code"]]
    return with_refresh(client_id, d["user"], d["lifetime"])


def code_grant(form):
    client_id = form.get("client_id", "")
    c = CODES.pop(form.get("code", ""), None)
    if c is None or c["client_id"] != client_id or c["redirect_uri"] != form.get("redirect_uri"):
        return refused(client_id, "invalid_grant", "unknown code or another redirect_uri")
    digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
    if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != c["challenge"]:
        return refused(client_id, "invalid_grant", "PKCE verification failed")
    return with_refresh(client_id, c["user"], c["lifetime"])


def device_code(form):
    code = "dc-" + secrets.token_urlsafe(24)
    user_code = secrets.token_hex(4).upper()
    DEVICE[code] = {"client_id": form.get("client_id", ""), "user_code": user_code,
                    "user": None, "lifetime": 3600, "expires": time.time() + 600}
    return 200, {"device_code": code, "user_code": user_code,
                 "verification_uri": "http://127.0.0.1/device", "expires_in": 600,
                 "interval": 1}


def authorize(query):
    q = {k: v[0] for k, v in parse_qs(query).items()}
    consent = CONSENT.get(q.get("client_id", ""))
    if consent is None or q.get("code_challenge_method") != "S256":
        return None
    code = "ac-" + secrets.token_urlsafe(24)
    CODES[code] = {"client_id": q["client_id"], "user": consent["user"],
                   "lifetime": consent["lifetime"], "redirect_uri": q.get("redirect_uri"),
                   "challenge": q.get("code_challenge")}
    return q.get("redirect_uri", "") + "?" + urlencode({"code": code, "state": q.get("state", "")})


def token_grant(form):
    grant = form.get("grant_type", "")
    client_id = form.get("client_id", "")
    if grant == "urn:ietf:params:oauth:grant-type:device_code":
        return device_grant(form)
    if grant == "authorization_code":
        return code_grant(form)
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
    if path == "/admin/approve":
        for d in DEVICE.values():
            if d["user_code"] == body["user_code"]:
                d["user"] = body["user"]
                d["lifetime"] = int(body.get("lifetime", 3600))
                return 200, {}
        return 404, {"error": "unknown user_code"}
    if path == "/admin/consent":
        CONSENT[body["client_id"]] = {"user": body["user"],
                                      "lifetime": int(body.get("lifetime", 3600))}
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
            url = urlsplit(self.path)
            if url.path == "/authorize":
                target = authorize(url.query)
                if target is None:
                    return self.reply(400, {"error": "access_denied"})
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
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
            if self.path == "/devicecode":
                return self.reply(*device_code(form))
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
