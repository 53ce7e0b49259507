#!/usr/bin/python3
"""A real SMTP server for tests: accepts mail and records it, never relays.

Every accepted message is appended as one JSON line to OUT/mails.jsonl:
  {"mail_from": ..., "rcpt_tos": [...], "data": ..., "received_unix_nanos": ...}
The line is written and flushed before the client gets its 250, so a mail the client saw
accepted is always in the file. A transaction that ends without the final "." (the client
dropped the connection) is never recorded, just as a real relay discards it.

Run with Debian's python3 (python3-aiosmtpd):
  /usr/bin/python3 smtp_sink.py --port 0 --out DIR --ready-file DIR/ready
The ready file holds the bound port and appears only once the server is listening.
"""

import argparse
import asyncio
import json
import logging
import os
import signal
import ssl
import sys
import time
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, out_path, fail_first, reject_rcpt_domain):
        # Line-buffered text would flush per line anyway; flushing explicitly makes the
        # "recorded before 250" promise visible in the code.
        self._out = open(out_path, "a", encoding="utf-8")
        self._fail_left = fail_first
        self._reject_domain = reject_rcpt_domain.lower() if reject_rcpt_domain else None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self._reject_domain and address.lower().endswith("@" + self._reject_domain):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self._fail_left > 0:
            self._fail_left -= 1
            return "451 4.3.0 try again"
        content = envelope.original_content or b""
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "data": content.decode("utf-8", errors="replace"),
            "received_unix_nanos": time.time_ns(),
        }
        self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._out.flush()
        return "250 2.0.0 OK: queued"

    def close(self):
        self._out.close()


def make_authenticator(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        # handled=False lets aiosmtpd answer a failure itself (535 5.7.8).
        return AuthResult(success=ok, handled=False)
    return authenticate


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--out", required=True, help="directory for mails.jsonl")
    p.add_argument("--ready-file", help="written with the port once listening")
    p.add_argument("--starttls-cert", help="PEM certificate; with --starttls-key requires STARTTLS")
    p.add_argument("--starttls-key", help="PEM private key for --starttls-cert")
    p.add_argument("--auth-user", help="require AUTH (PLAIN or LOGIN) with this user")
    p.add_argument("--auth-pass", default="", help="the password for --auth-user")
    p.add_argument("--fail-first", type=int, default=0,
                   help='reply "451 4.3.0 try again" to the first N messages')
    p.add_argument("--reject-rcpt-domain",
                   help="reply 550 to RCPT TO for addresses in this domain")
    args = p.parse_args(argv)
    if bool(args.starttls_cert) != bool(args.starttls_key):
        p.error("--starttls-cert and --starttls-key go together")
    return args


def main(argv):
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # aiosmtpd warns about its own deprecated Session.login_data on every successful AUTH.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    # aiosmtpd warns about AUTH without TLS; that is this sink's documented plain-AUTH mode.
    warnings.filterwarnings("ignore")

    tls_context = None
    if args.starttls_cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.starttls_cert, args.starttls_key)

    os.makedirs(args.out, exist_ok=True)
    sink = Sink(os.path.join(args.out, "mails.jsonl"), args.fail_first, args.reject_rcpt_domain)
    auth = {}
    if args.auth_user:
        auth = dict(authenticator=make_authenticator(args.auth_user, args.auth_pass),
                    auth_required=True, auth_require_tls=tls_context is not None)
    else:
        auth = dict(auth_require_tls=tls_context is not None)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory():
        return SMTP(sink, hostname="smtp-sink.test", ident="advocacy smtp_sink",
                    tls_context=tls_context, require_starttls=tls_context is not None,
                    timeout=60, loop=loop, **auth)

    server = loop.run_until_complete(
        loop.create_server(factory, host=args.host, port=args.port, reuse_address=True))
    port = server.sockets[0].getsockname()[1]
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, args.ready_file)  # readers never see a half-written file

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    try:
        loop.run_forever()
    finally:
        server.close()
        sink.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
