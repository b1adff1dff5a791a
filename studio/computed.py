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
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

from studio.runtime import background_priority, log

T = TypeVar("T")
# Background work (t-SNE maps) runs one at a time per server, at a lower priority than page runs: a class opening
# maps at once queues, not thrashes.
_BACKGROUND = ThreadPoolExecutor(
    max_workers=1, thread_name_prefix="textvae-background", initializer=background_priority
)


class SharedResults(Generic[T]):
    """A bounded, thread-safe store: the least recently used result goes first."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._progress: dict[Hashable, float] = {}  # background computations: queued or running
        self._failed: dict[Hashable, str] = {}  # background computations that raised: not started again

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
            self._store(key, value)
            with self._lock:
                self._computing.pop(key, None)
            return value

    def _store(self, key: Hashable, value: T) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def start(self, key: Hashable, compute: Callable[[Callable[[float], None]], T]) -> None:
        """Compute ``key`` in the background (unless stored or under way); ``compute`` gets a progress callback.

        Nothing is drawn there: a page asks ``progress(key)`` and shows it itself.
        """
        with self._lock:
            if key in self._items or key in self._progress or key in self._failed:
                return
            self._progress[key] = 0.0

        def report(fraction: float) -> None:
            with self._lock:
                self._progress[key] = fraction

        def run() -> None:
            try:
                self._store(key, compute(report))
            except Exception as exc:
                log.warning("background computation of %s failed", key, exc_info=True)
                with self._lock:
                    self._failed[key] = f"{exc.__class__.__name__}: {exc}"
            finally:
                with self._lock:
                    self._progress.pop(key, None)

        _BACKGROUND.submit(run)

    def failure(self, key: Hashable) -> str | None:
        """Why the background computation of ``key`` failed, or None."""
        with self._lock:
            return self._failed.get(key)

    def progress(self, key: Hashable) -> float | None:
        """How far a background computation of ``key`` is (0 while queued), or None when none is under way."""
        with self._lock:
            return self._progress.get(key)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
