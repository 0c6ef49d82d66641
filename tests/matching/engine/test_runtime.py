"""A routing process keeps its decisions' arrays in its heap (unless the operator set malloc's thresholds) and
collects young objects less often."""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Iterator

import pytest

from matching.engine import runtime


class RecordingLibc:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

        def mallopt(parameter: int, value: int) -> int:
            self.calls.append((parameter, value))
            return 1

        self.mallopt = mallopt


@pytest.fixture
def libc(monkeypatch: pytest.MonkeyPatch) -> RecordingLibc:
    recording = RecordingLibc()
    monkeypatch.setattr(ctypes, "CDLL", lambda name: recording)
    for name in runtime.OPERATOR_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return recording


def test_a_routing_process_raises_the_mmap_and_the_trim_thresholds(libc: RecordingLibc) -> None:
    assert runtime.keep_decision_arrays() is True
    assert libc.calls == [(-3, 32 * 2**20), (-1, 64 * 2**20)]


@pytest.mark.parametrize("setting", runtime.OPERATOR_SETTINGS)
def test_an_operators_own_malloc_setting_wins(
    libc: RecordingLibc, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    monkeypatch.setenv(setting, "131072")

    assert runtime.keep_decision_arrays() is False
    assert libc.calls == []


def test_a_c_library_without_mallopt_leaves_the_process_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in runtime.OPERATOR_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(ctypes, "CDLL", lambda name: object())

    assert runtime.keep_decision_arrays() is False


@pytest.fixture
def thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_the_collector_waits_for_ten_thousand_young_objects(thresholds: None) -> None:
    gc.set_threshold(700, 10, 10)

    runtime.collect_less_often()

    assert gc.get_threshold() == (10_000, 20, 20)


def test_the_collector_never_collects_more_often_than_the_process_already_did(thresholds: None) -> None:
    gc.set_threshold(50_000, 10, 100)

    runtime.collect_less_often()

    assert gc.get_threshold() == (50_000, 20, 100)


def test_a_collector_turned_off_stays_off(thresholds: None) -> None:
    gc.set_threshold(0, 10, 10)

    runtime.collect_less_often()

    assert gc.get_threshold() == (0, 10, 10)
