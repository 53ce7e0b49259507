#!/usr/bin/python3
"""Signs a demo user in at the local OpenID provider the way a browser does, and prints an
access token: authorization code with PKCE (S256) for the public client advocacy-web, through
the provider's login and consent pages (its development interactions). deploy/local/run.sh uses
it for the demo employee's tokens; it is also how to try the browser app's flow by hand.

  login.py --issuer URL --ca-file PEM --user kari.nordmann --resource urn:advocacy:consent

Prints the access token (a JWT whose aud is that resource's audience) on stdout; errors name the
step that failed and never print a token or code. Standard library only; TLS verified against
--ca-file; every request bounded by --timeout.
"""

import argparse
import base64
import hashlib
import http.cookiejar
import json
import re
import secrets
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

MAX_STEPS = 12  # redirects and pages of one sign-in; a loop is an error, not a hang


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--ca-file", required=True)
    ap.add_argument("--client-id", default="advocacy-web")
    ap.add_argument("--client-secret-file", help="the client's secret (a confidential client)")
    ap.add_argument("--redirect-uri", default="https://advocacy.localhost/callback")
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", default="demo")
    ap.add_argument("--resource", required=True)
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()

    tls = ssl.create_default_context(cafile=args.ca_file)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=tls),
        urllib.request.HTTPCookieProcessor(jar),
        NoRedirect,
    )

    def request(url, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with opener.open(urllib.request.Request(url, data=body), timeout=args.timeout) as r:
                return r.status, r.headers, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:  # 3xx (redirects are not followed) and errors
            return e.code, e.headers, e.read().decode("utf-8", "replace")

    verifier = b64url(secrets.token_bytes(32))
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    state = b64url(secrets.token_bytes(16))
    url = args.issuer + "/auth?" + urllib.parse.urlencode({
        "client_id": args.client_id, "response_type": "code", "redirect_uri": args.redirect_uri,
        "scope": "openid", "resource": args.resource, "state": state,
        "nonce": b64url(secrets.token_bytes(16)), "code_challenge": challenge,
        "code_challenge_method": "S256",
    })
    code = None
    for _ in range(MAX_STEPS):
        status, headers, body = request(url)
        if status in (302, 303):
            url = urllib.parse.urljoin(url, headers["Location"])
            if url.startswith(args.redirect_uri):
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
                if query.get("state") != [state]:
                    sys.exit("login.py: the provider answered with another state")
                if "code" not in query:
                    sys.exit("login.py: the provider refused: %s" % query.get("error", ["?"])[0])
                code = query["code"][0]
                break
            continue
        if status != 200:
            sys.exit("login.py: %s answered %d" % (urllib.parse.urlsplit(url).path, status))
        form = re.search(r'action="([^"]+)"', body)
        prompt = re.search(r'name="prompt" value="(\w+)"', body)
        if not form or not prompt:
            sys.exit("login.py: the page at %s has no sign-in or consent form" %
                     urllib.parse.urlsplit(url).path)
        fields = {"prompt": prompt.group(1)}
        if prompt.group(1) == "login":
            fields.update(login=args.user, password=args.password)
        status, headers, body = request(urllib.parse.urljoin(url, form.group(1)), fields)
        if status not in (302, 303):
            sys.exit("login.py: submitting the %s form answered %d" % (fields["prompt"], status))
        url = urllib.parse.urljoin(url, headers["Location"])
    if code is None:
        sys.exit("login.py: no authorization code after %d steps (is '%s' a demo user?)" %
                 (MAX_STEPS, args.user))

    fields = {
        "grant_type": "authorization_code", "code": code, "redirect_uri": args.redirect_uri,
        "code_verifier": verifier, "resource": args.resource,
    }
    if args.client_secret_file:
        with open(args.client_secret_file, encoding="utf-8") as f:
            secret = f.readline().strip()
        basic = base64.b64encode(("%s:%s" % (urllib.parse.quote(args.client_id, safe=""),
                                             urllib.parse.quote(secret, safe=""))).encode())
        opener.addheaders = [("Authorization", "Basic " + basic.decode())]
    else:
        fields["client_id"] = args.client_id
    status, _, body = request(args.issuer + "/token", fields)
    if status != 200:
        sys.exit("login.py: the token endpoint answered %d: %s" % (status, body[:300]))
    print(json.loads(body)["access_token"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
