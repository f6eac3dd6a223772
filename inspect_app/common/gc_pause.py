"""Pausing the cyclic garbage collector while very many plain rows are built (measured cheaper)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a province's rows are built and shaped.

    Tens of thousands of new rows trigger full collections that walk every live object
    (a large share of a cold dashboard load) and find nothing: these rows hold no reference
    cycles. Overlapping pauses (threads) are counted; the collector resumes, if it was on,
    when the last one ends.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()
