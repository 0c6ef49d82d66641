"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 that keeps every message it accepts.

Use it through the `smtp_server` fixture (tests/conftest.py), or directly:

    with CaptureServer() as server:
        ... send to 127.0.0.1:server.port ...
        server.messages  # email.message.EmailMessage, parsed from the bytes that arrived

`server.refuse("451 try later")` makes it answer DATA with that reply (and keep nothing) until
`server.refuse(None)`. Nothing about the SMTP conversation is mocked: the client talks to a socket.
"""

from __future__ import annotations

import email
import email.policy
import logging
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line at INFO


def free_port() -> int:
    """A port nobody listens on right now (aiosmtpd's Controller cannot take port 0 everywhere)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Envelope:
    mail_from: str
    rcpt_tos: list[str]
    mail_options: list[str]  # e.g. BODY=8BITMIME, which a client must ask for to send raw 8-bit
    raw: bytes  # the message as it came over the wire


@dataclass
class _Handler:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    reply: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply is not None:
            return self.reply
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.envelopes.append(
            Envelope(
                envelope.mail_from, list(envelope.rcpt_tos), list(envelope.mail_options), envelope.original_content
            )
        )
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


class CaptureServer:
    def __init__(self) -> None:
        self._handler = _Handler()
        self.port = free_port()
        self._controller = Controller(self._handler, hostname=HOST, port=self.port)

    @property
    def messages(self) -> list[EmailMessage]:
        return self._handler.messages

    @property
    def envelopes(self) -> list[Envelope]:
        return self._handler.envelopes

    @property
    def url(self) -> str:
        """For a process configured from the environment (EMAIL_URL)."""
        return f"smtp://{HOST}:{self.port}"

    def refuse(self, reply: str | None) -> None:
        self._handler.reply = reply

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def __enter__(self) -> CaptureServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def subject(message: EmailMessage) -> str:
    """The decoded Subject as a mail program shows it.

    Django 5.2 (the legacy email API) folds a long encoded subject right after "Subject:", and
    Python's parser keeps that folding space in front of the value; mail programs drop it.
    """
    return str(message["Subject"]).strip()


def _part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert part is not None, f"no text/{subtype} part"
    return str(part.get_content()).replace("\r\n", "\n")


def text(message: EmailMessage) -> str:
    """The decoded text/plain part, with LF line ends."""
    return _part(message, "plain")


def html(message: EmailMessage) -> str:
    """The decoded text/html part, with LF line ends."""
    return _part(message, "html")
