"""An independent webhook receiver on loopback, verifying signatures the way our docs tell integrators to."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The snippet from docs/webhooks.md, kept word for word."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp, signature = int(parts["t"]), parts["v1"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature) and abs(time.time() - timestamp) <= tolerance


class Receiver:
    def __init__(self, secret: str, fail_first: int = 0, status: int = 200) -> None:
        self.secret = secret
        self.fail_first = fail_first
        self.status = status
        self.received: list[dict[str, Any]] = []
        self.verified: list[bool] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.verified.append(verify(owner.secret, self.headers["Leadshare-Signature"], body, tolerance=10**9))
                owner.received.append({"headers": dict(self.headers), "body": json.loads(body)})
                failing = len(owner.received) <= owner.fail_first
                self.send_response(500 if failing else owner.status)
                self.end_headers()
                self.wfile.write(b"nope" if failing else b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/leadshare"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
