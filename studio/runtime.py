"""The server process: the library imported lazily (torch after the first page), the background warm-up,
the server's limits, the log and page timing."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
import threading
import time
from typing import TYPE_CHECKING

from streamlit.logger import get_logger

if TYPE_CHECKING:
    from textvae.limits import Limits

log = get_logger("studio")  # streamlit's logger: shown in the server console with its format

# The library (and torch, ~2 s to import) is imported inside the functions that need it, so the
# first page appears fast; warm_up() imports it in the background once that page is shown.

_library_lock = threading.Lock()
_library_ready = False
_warm_started = threading.Event()
WARM_UP_THREAD = "textvae-warm-up"


def ensure_library() -> None:
    """Import textvae once, with torch on one intra-op thread.

    Small recurrent nets gain little from more threads, and on a shared 2-core machine torch's
    default pool made training ~10x slower (67 vs 704 steps a minute, measured) while starving the
    web server. Each training job and each page run still gets a core of its own.
    """
    global _library_ready
    if _library_ready:
        return
    with _library_lock:
        if not _library_ready:
            import torch

            import textvae  # noqa: F401

            torch.set_num_threads(max(1, int(os.environ.get("TEXTVAE_TORCH_THREADS", "1"))))
            _library_ready = True


BACKGROUND_NICE = 10  # background threads' nice value: a person's click gets the CPU first


def background_priority() -> None:
    """Lower the calling thread's CPU priority (Linux gives each thread its own nice value): the warm-up and
    background maps then leave the cores to the page runs that answer a click. Elsewhere it does nothing."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)


def warm_up() -> None:
    """Once per server: import the library and scikit-learn in the background after the first page, and tidy
    the models folder (textvae.housekeeping)."""
    if _warm_started.is_set():
        return
    _warm_started.set()

    def work() -> None:
        background_priority()
        started = time.perf_counter()
        try:
            ensure_library()
            import sklearn.cluster
            import sklearn.decomposition  # noqa: F401

            from studio import cached, corpora, maps, models, steering
            from studio.examples import DEMO
            from textvae.housekeeping import remove_old_session_folders

            removed = remove_old_session_folders(models.models_dir())  # unreachable leftovers only
            if removed:
                log.info("Housekeeping: removed %d abandoned model folders from %s", removed, models.models_dir())

            # The demo model's map of the demo corpus is what most visitors open first: compute it
            # now (shared, read-only, cached like any other) instead of on their first click.
            bundle, found = models.demo_bundle(), corpora.demo_corpus()
            if bundle is not None and found is not None:
                corpus, corpus_id = found
                maps.warm_map(models.demo_model_id(), corpus_id, bundle, corpus)
                cached.warm_region(models.demo_model_id(), corpus_id, bundle, corpus)
            if bundle is not None:
                steering.warm(models.demo_model_id(), bundle)
                cached.warm_reconstruction(models.demo_model_id(), bundle, DEMO["recon.sentence"])
            log.info("Warm-up done in %.0f s", time.perf_counter() - started)
        except Exception:  # never let a warm-up problem reach a user; the pages compute on demand
            log.warning("warm-up failed", exc_info=True)

    # Cached functions show spinners; with no page to show them on, Streamlit warns once per call. Expected here.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: record.threadName != WARM_UP_THREAD
    )
    thread = threading.Thread(target=work, name=WARM_UP_THREAD, daemon=True)
    thread.start()
    atexit.register(thread.join, 30)  # a daemon thread killed inside torch at exit aborts the process


def server_limits() -> Limits:
    """The server's limits (textvae.limits: environment variables)."""
    from textvae.limits import get_limits

    return get_limits()


@contextlib.contextmanager
def timed(what: str):
    """Log how long a page run took (set TEXTVAE_LOG_TIMING=1 to see it at INFO level)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        level = logging.INFO if os.environ.get("TEXTVAE_LOG_TIMING") else logging.DEBUG
        log.log(level, "page %s ran in %.0f ms", what, (time.perf_counter() - start) * 1000)
