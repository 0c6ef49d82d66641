from __future__ import annotations

import socket
from collections import Counter

import pytest


class Dns:
    """Names the test answers for: each look-up takes the next answer, the last one repeating."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.asked: Counter[str] = Counter()

    def answer(self, host: str, *rounds: list[str]) -> None:
        self.answers[host] = list(rounds)

    def look_up(self, host: str, port: int) -> list[tuple]:  # type: ignore[type-arg]
        self.asked[host] += 1
        rounds = self.answers[host]
        addresses = rounds.pop(0) if len(rounds) > 1 else rounds[0]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]


@pytest.fixture
def dns(monkeypatch):  # type: ignore[no-untyped-def]
    """socket.getaddrinfo answers the test's names from the test; any other name from the real resolver."""
    fake = Dns()
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        return fake.look_up(host, port) if host in fake.answers else real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return fake
