#!/usr/bin/env python3
"""A JWKS endpoint for the auth tests: a real HTTPS (or, with --plain, HTTP) server on a free
loopback port, serving <dir>/jwks.json at any path.

The test steers it through files in <dir>, read on every request:
  control.json  {"status": 200, "cache_control": "max-age=60", "pad_bytes": 0} (all optional):
                the HTTP status, the Cache-Control header (omitted when absent or empty), and
                that many spaces appended to the body (to exceed a size bound).
  server.pem, server.key   the certificate chain and key (HTTPS only).
It appends one line per request ("<unix time> <path>") to <dir>/requests.log, and writes the
port it bound to <dir>/port (atomically) once it accepts connections.
"""

import argparse
import http.server
import json
import os
import ssl
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--plain", action="store_true")
    args = parser.parse_args()
    directory = args.dir

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (the name http.server calls)
            with open(os.path.join(directory, "requests.log"), "a", encoding="utf-8") as log:
                log.write(f"{time.time():.3f} {self.path}\n")
            control = {}
            try:
                with open(os.path.join(directory, "control.json"), encoding="utf-8") as f:
                    control = json.load(f)
            except FileNotFoundError:
                pass
            try:
                with open(os.path.join(directory, "jwks.json"), "rb") as f:
                    body = f.read()
            except FileNotFoundError:
                body = b"{}"
            body += b" " * int(control.get("pad_bytes", 0))
            self.send_response(int(control.get("status", 200)))
            self.send_header("Content-Type", "application/jwk-set+json")
            if control.get("cache_control"):
                self.send_header("Cache-Control", control["cache_control"])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *unused):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if not args.plain:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(directory, "server.pem"),
                                os.path.join(directory, "server.key"))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    port_file = os.path.join(directory, "port")
    with open(port_file + ".tmp", "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
