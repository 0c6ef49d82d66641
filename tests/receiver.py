"""An independent webhook receiver on loopback, verifying signatures the way our docs tell integrators to."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The snippet from docs/webhooks.md, kept word for word."""
    items = [item.split("=", 1) for item in header.split(",")]
    timestamp = int(dict(items)["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    signed = any(hmac.compare_digest(expected, value) for key, value in items if key == "v1")
    return signed and abs(time.time() - timestamp) <= tolerance


class Receiver:
    def __init__(
        self,
        secret: str,
        fail_first: int = 0,
        status: int = 200,
        delay: float = 0,
        on_request: Callable[[], None] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        """`delay`: seconds to wait before answering (a slow receiver); `on_request` runs as each POST arrives."""
        self.secret = secret
        self.fail_first = fail_first
        self.status = status
        self.delay = delay
        self.on_request = on_request
        self.received: list[dict[str, Any]] = []
        self.verified: list[bool] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if owner.on_request is not None:
                    owner.on_request()
                owner.verified.append(verify(owner.secret, self.headers["Leadshare-Signature"], body, tolerance=10**9))
                owner.received.append({"headers": dict(self.headers), "body": json.loads(body), "raw": body})
                failing = len(owner.received) <= owner.fail_first
                time.sleep(owner.delay)
                self.send_response(500 if failing else owner.status)
                self.end_headers()
                self.wfile.write(b"nope" if failing else b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.handle_error = lambda *args: None  # type: ignore[method-assign]  # a client that gave up
        self.port = int(self.server.server_address[1])
        self.url = f"http://{host}:{self.port}/hooks/leadshare"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
