"""What a process that routes requests sets once, at its start (docs/matching.md, "How fast a decision is"):
its C heap and its garbage collector. Process-wide, so called by what starts such a process (`matching.apps`
for every process of the product, the benchmarks), never by a decision.

- **The heap.** A decision over 100,000 profiles allocates a few dozen arrays of one value per eligible partner
  (0.7 to 2.4 MB each) and frees them when it ends. With glibc's defaults an array that large is mapped from the
  kernel and unmapped when freed, or the heap is trimmed once 128 KiB lie free at its top; either way the next
  decision gets new pages, zeroed and faulted in one by one. Arrays below MMAP_THRESHOLD now come from the heap,
  which keeps up to TRIM_THRESHOLD free for the next decision. An operator's own MALLOC_MMAP_THRESHOLD_ or
  MALLOC_TRIM_THRESHOLD_ wins.
- **The collector.** A decision makes many small objects (the explanation's labels and contributions, lookups),
  and at CPython's default of a young collection every 700 of them, the collections after the partners changed
  each traverse the caller's new sequence of 100,000 partners and the index's new chunks. A young collection every
  YOUNG_COLLECTION objects instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os

MMAP_THRESHOLD = 32 << 20  # above every per-decision array; the 200 MB embedding matrix is still mapped apart
TRIM_THRESHOLD = 64 << 20  # a decision's peak of freed arrays, kept for the next one
# mallopt's parameter numbers (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
OPERATOR_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
YOUNG_COLLECTION = 10_000  # objects made between two young collections (CPython's default: 700)
OLDER_COLLECTIONS = (20, 20)  # young collections per middle one, middle ones per full one (default: 10, 10)


def prepare() -> None:
    """Set this process's heap and collector for routing (inherited by the processes it forks)."""
    keep_decision_arrays()
    collect_less_often()


def keep_decision_arrays() -> bool:
    """Set this process's malloc thresholds. False when it did not: the operator set them, or the C library is
    not glibc."""
    if any(name in os.environ for name in OPERATOR_SETTINGS):
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def collect_less_often() -> None:
    """Young collections every YOUNG_COLLECTION objects; never more often than this process already has them."""
    young, middle, full = gc.get_threshold()
    if young:  # 0: the collector is off, and stays off
        older = (max(middle, OLDER_COLLECTIONS[0]), max(full, OLDER_COLLECTIONS[1]))
        gc.set_threshold(max(young, YOUNG_COLLECTION), *older)
