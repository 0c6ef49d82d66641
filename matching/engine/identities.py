"""Which items of a list or tuple are other objects than the ones held: the seam of a CPython-only speedup.

`PartnerIndex.sync` must find the few partners a caller replaced among 100,000 (decision 87). Comparing the
sequences in Python, or copying them into tuples that compare in C, takes a reference to every item: a write to
each partner's reference count, so one cache line of memory per partner, about 2 ms per decision. CPython keeps
a list's or a tuple's items as one array of object addresses; read as a numpy array, the two sequences compare
in one pass over 800 kB that touches no partner (0.1 ms).

An address names an object only while it lives: the caller of `addresses` must hold a reference to every object
whose address it keeps, so no other object can take that address (the index's rows do). Elsewhere than on
CPython, or if the layout checked at import differs, `addresses` answers None and the index compares objects.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Sequence

import numpy as np

_HEADER = ctypes.sizeof(ctypes.c_ssize_t) * 2 + ctypes.sizeof(ctypes.c_void_p)  # PyObject_VAR_HEAD


def _list_items(items: list[object]) -> int:
    return ctypes.c_void_p.from_address(id(items) + _HEADER).value or 0  # PyListObject.ob_item


def _tuple_items(items: tuple[object, ...]) -> int:
    return id(items) + _HEADER  # PyTupleObject.ob_item, inline


def _read(items: Sequence[object]) -> np.ndarray | None:
    n = len(items)
    if type(items) is list:
        start = _list_items(items) if n else 0
    elif type(items) is tuple:
        start = _tuple_items(items)
    else:
        return None
    found = np.empty(n, dtype=np.uintp)
    if n:  # copied with memmove: a ctypes array type per length would stay cached for the process's life
        ctypes.memmove(found.ctypes.data, start, n * found.itemsize)
    return found


def _layout_is_known() -> bool:
    if sys.implementation.name != "cpython":
        return False
    probe = [object() for _ in range(3)]
    expected = np.array([id(x) for x in probe], dtype=np.uintp)
    listed, tupled = _read(probe), _read(tuple(probe))
    return listed is not None and tupled is not None and (listed == expected).all() and (tupled == expected).all()


AVAILABLE = _layout_is_known()


def addresses(items: Sequence[object]) -> np.ndarray | None:
    """The address of each item of a list or a tuple (a copy: the list may change after), or None where they
    cannot be read (another type of sequence, or not CPython)."""
    return _read(items) if AVAILABLE else None
