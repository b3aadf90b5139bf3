#!/usr/bin/env python3
"""The bare page loop tandem's sync is measured against: the very requests a run sent
(read from the simulated portal's journal, `GET /_sim/requests`), sent again one after the
other over one keep-alive connection, each answer read whole and parsed as JSON. Nothing is
mapped or kept. Prints the seconds it took and the request count.

usage: replay.py BASE_URL TOKEN JOURNAL.json
"""
import http.client
import json
import sys
import time
import urllib.parse


def main() -> None:
    base, token, journal = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(journal, encoding="utf-8") as f:
        entries = json.load(f)
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    start = time.monotonic()
    for e in entries:
        path = e["path"] + ("?" + e["query"] if e["query"] else "")
        body = None if e["body"] is None else json.dumps(e["body"])
        conn.request(e["method"], path, body=body, headers=headers)
        answer = conn.getresponse().read()
        json.loads(answer or b"null")
    print(f"{time.monotonic() - start:.2f} {len(entries)}")


if __name__ == "__main__":
    main()
