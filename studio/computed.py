"""Results shared by every session, computed in a page run but outside any ``st.cache_*`` function.

A cached function must not draw into elements made outside it: Streamlit replays what it drew, and a
progress bar that belonged to the first caller breaks that replay for everyone after
(CacheReplayClosureError). Long work that shows its progress (t-SNE) therefore runs here: the caller
draws the progress, the result is kept under its key (which names the model and corpus, so a user's
own model never leaks to another session), and a second session asking for the same key while it is
computed waits for it instead of computing it twice.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedResults(Generic[T]):
    """A bounded, thread-safe store: the least recently used result goes first."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._computing: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable) -> T | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def busy(self, key: Hashable) -> bool:
        """Whether another caller is computing ``key`` right now."""
        with self._lock:
            lock = self._computing.get(key)
        return lock is not None and lock.locked()

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The stored result, or ``compute()``'s (once, even when several sessions ask at the same time)."""
        found = self.get(key)
        if found is not None:
            return found
        with self._lock:
            lock = self._computing.setdefault(key, threading.Lock())
        with lock:
            found = self.get(key)
            if found is not None:
                return found
            value = compute()  # an exception leaves nothing stored: the next call tries again
            with self._lock:
                self._items[key] = value
                while len(self._items) > self._max:
                    self._items.popitem(last=False)
                self._computing.pop(key, None)
            return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
