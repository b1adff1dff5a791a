"""Everything the pages share: session state, the active model and corpus, caches, the sidebar
card, error display and the training-status fragment. Pages are short scripts that call this.

Per-user things (uploaded corpora, trained models, training jobs) live in st.session_state.
The bundled demo model and corpus are shared read-only through st.cache_resource. Derived
results (encodings, maps, generations) are cached by model id + corpus id, which are random
per-session ids for anything a user made, so one user never sees another's results.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import html
import io
import json
import logging
import math
import os
import re
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from streamlit.logger import get_logger

from textvae.presets import DEFAULT_PRESET, PRESETS, preset_by_title

if TYPE_CHECKING:
    import pandas as pd

    from textvae import Corpus, CorpusOptions, DecodeOptions, ModelBundle, TokenizerConfig, TrainConfig, latent
    from textvae.jobs import TrainingJob
    from textvae.limits import Limits

log = get_logger(__name__)  # streamlit's logger: shown in the server console with its format

ROOT = Path(__file__).resolve().parent
ASSETS = ROOT / "assets"


def demo_model_dir() -> Path:
    """The bundled demo model (TEXTVAE_DEMO_MODEL overrides, e.g. for tests)."""
    return Path(os.environ.get("TEXTVAE_DEMO_MODEL") or ASSETS / "demo-model")


def corpora_dir() -> Path:
    """The bundled corpora (TEXTVAE_CORPORA_DIR overrides)."""
    return Path(os.environ.get("TEXTVAE_CORPORA_DIR") or ASSETS / "corpora")


DEMO_CORPUS = "snli-sentences.txt"
MAP_POINT_CAP = 5000
DEMO_ID = "demo"
BUNDLED_MAX_BYTES = 2**30  # the largest bundled corpus read (the upload limit is for uploads)

PAGES = {  # file -> (title, material icon); the one list app.py and the tour read
    "app_pages/home.py": ("Home", ":material/home:"),
    "app_pages/data.py": ("Data", ":material/description:"),
    "app_pages/train.py": ("Train", ":material/model_training:"),
    "app_pages/models.py": ("Models", ":material/deployed_code:"),
    "app_pages/latent_space.py": ("Latent space", ":material/scatter_plot:"),
    "app_pages/interpolate.py": ("Interpolate", ":material/linear_scale:"),
    "app_pages/sample.py": ("Sample", ":material/casino:"),
    "app_pages/reconstruct.py": ("Reconstruct", ":material/autorenew:"),
}
SECTIONS = {
    "Start": ["app_pages/home.py", "app_pages/data.py"],
    "Model": ["app_pages/train.py", "app_pages/models.py"],
    "Explore": [
        "app_pages/latent_space.py",
        "app_pages/interpolate.py",
        "app_pages/sample.py",
        "app_pages/reconstruct.py",
    ],
}

# Widgets whose key starts with this keep their value when the user visits another page.
KEEP = "keep."


# ---------------------------------------------------------------- the library, loaded after the first page

# The library (and torch, ~2 s to import) is imported inside the functions that need it, so the
# first page appears fast; warm_up() imports it in the background once that page is shown.

_library_lock = threading.Lock()
_library_ready = False
_warm_started = threading.Event()


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


def warm_up() -> None:
    """Once per server: import the library and scikit-learn in the background after the first page."""
    if _warm_started.is_set():
        return
    _warm_started.set()

    def work() -> None:
        try:
            ensure_library()
            import sklearn.cluster
            import sklearn.decomposition  # noqa: F401

            # The demo model's map of the demo corpus is what most visitors open first: compute it
            # now (shared, read-only, cached like any other) instead of on their first click.
            bundle, found = demo_bundle(), demo_corpus()
            if bundle is not None and found is not None:
                corpus, corpus_id = found
                model_id = demo_model_id()
                data = _encode(model_id, corpus_id, MAP_POINT_CAP, bundle, corpus)
                _projection(model_id, corpus_id, MAP_POINT_CAP, "pca", 2, data.z, None)
                clusters(model_id, corpus_id, MAP_POINT_CAP, 8, data.z)
        except Exception:  # never let a warm-up problem reach a user; the pages compute on demand
            log.warning("warm-up failed", exc_info=True)

    # Cached functions show spinners; with no page to show them on, Streamlit warns once per call. Expected here.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: record.threadName != "textvae-warm-up"
    )
    thread = threading.Thread(target=work, name="textvae-warm-up", daemon=True)
    thread.start()
    atexit.register(thread.join, 30)  # a daemon thread killed inside torch at exit aborts the process


def server_limits() -> Limits:
    """The server's limits (textvae.limits: environment variables)."""
    from textvae.limits import get_limits

    return get_limits()


# ---------------------------------------------------------------- session state


def init_state() -> None:
    """Per-session defaults (setdefault: never overwrite what the user did), or after a reload what the session had."""
    ss = st.session_state
    _session_token()
    ss.setdefault("model", None)  # a ModelBundle the user trained/uploaded/loaded; None means the demo model
    ss.setdefault("model_id", DEMO_ID)
    ss.setdefault("model_origin", "bundled demo")
    ss.setdefault("corpus", None)  # the Corpus chosen on the Data page; None means the demo corpus
    ss.setdefault("corpus_id", None)
    ss.setdefault("job", None)  # the session's TrainingJob
    ss.setdefault("job_collected", True)  # whether the finished job's model was made active
    ss.setdefault("notice", None)  # a one-off message shown at the top of the next page run
    _keep_widget_state()
    if ss.job is not None and ss.job.active:
        _session_jobs().watch(ss.job)
    _remember()


# ---------------------------------------------------------------- surviving a reload

# A browser reload starts a new Streamlit session with an empty session state. So that a reload
# loses neither the corpus, the model nor a running training, every session gets an unguessable
# token in the URL (?s=..., 128 random bits) and the server keeps those few things under it.
# A token brings them back only to the browser that got it (bound to the per-browser secret of
# Streamlit's XSRF cookie), only when no open tab holds it (a duplicated tab starts afresh), and
# only for TEXTVAE_RESUME_S seconds (default 600) after its last tab closed. An unknown, expired
# or foreign token is replaced by a new one: a copied link never opens someone else's session.

SESSION_PARAM = "s"
RESUMABLE = ("corpus", "corpus_id", "model", "model_id", "model_origin", "job", "job_collected")
MAX_RESUMABLE = 256  # closed sessions kept at most (the oldest go first)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(16)


@dataclass
class _Resumable:
    browser: str | None  # _browser_id() of the browser it belongs to
    values: dict
    live: int = 0  # open sessions holding the token
    left_at: float = 0.0  # time.monotonic() when the last one closed


_resume_lock = threading.Lock()
_resumable: dict[str, _Resumable] = {}
_live_holders: set = set()  # the _SessionJobs of open sessions


def _resume_seconds() -> float:
    return float(os.environ.get("TEXTVAE_RESUME_S", "600"))


def _browser_id() -> str | None:
    """A hash of the random secret in Streamlit's XSRF cookie ("2|mask|masked secret|time", re-masked on
    every response): the same across reloads and tabs of one browser, different in another. None without it."""
    try:
        raw = st.context.cookies.get("_streamlit_xsrf")
    except Exception:  # no cookies outside a browser session (AppTest, bare mode)
        return None
    if not isinstance(raw, str) or not raw.strip("\"'"):
        return None
    raw = raw.strip("\"'")
    parts = raw.split("|")
    try:
        if len(parts) == 4 and parts[0] == "2":
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
            secret = bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked))
        else:
            secret = raw.encode()
    except ValueError:
        secret = raw.encode()
    return hashlib.sha256(secret).hexdigest()


def _expire_resumable(now: float) -> None:
    """Forget closed sessions older than TEXTVAE_RESUME_S, and the oldest beyond MAX_RESUMABLE. Under _resume_lock."""
    closed = sorted((rec.left_at, token) for token, rec in _resumable.items() if rec.live <= 0)
    limit = _resume_seconds()
    for i, (left_at, token) in enumerate(closed):
        if now - left_at > limit or len(closed) - i > MAX_RESUMABLE:
            del _resumable[token]


def _claim_session(holder: _SessionJobs) -> None:
    """This session's token: the one in the URL when this browser may resume it (its state is restored), else a new one."""
    import secrets

    ss = st.session_state
    wanted, browser = st.query_params.get(SESSION_PARAM), _browser_id()
    deadline = time.monotonic() + 2.0  # on a reload the old tab's session may take a moment to close
    while isinstance(wanted, str) and _TOKEN.fullmatch(wanted):
        with _resume_lock:
            _expire_resumable(time.monotonic())
            rec = _resumable.get(wanted)
            if rec is None or rec.browser != browser:
                break
            if rec.live <= 0:
                rec.live += 1
                holder.token = ss.session_token = wanted
                for key, value in rec.values.items():
                    ss[key] = value
                log.info("A reload resumed its session (job: %s).", getattr(rec.values.get("job"), "status", "none"))
                return
        if time.monotonic() > deadline:
            break  # another open tab holds it: this one starts afresh
        time.sleep(0.05)
    token = secrets.token_urlsafe(16)
    with _resume_lock:
        _expire_resumable(time.monotonic())
        _resumable[token] = _Resumable(browser, {}, live=1)
    holder.token = ss.session_token = token


def _session_token() -> None:
    """Give the session its token (claiming the URL's on the first run) and keep it in the URL."""
    ss = st.session_state
    holder = _session_jobs()
    if ss.get("session_token") is None:
        _claim_session(holder)
    elif holder.token != ss.session_token:  # a reconnect after a network loss: a new holder, the same session
        with _resume_lock:
            rec = _resumable.setdefault(ss.session_token, _Resumable(_browser_id(), {}))
            rec.live += 1
        holder.token = ss.session_token
    if st.query_params.get(SESSION_PARAM) != ss.session_token:
        st.query_params[SESSION_PARAM] = ss.session_token


def _remember() -> None:
    """Note the session's corpus, model and job under its token, for a reload."""
    token = st.session_state.get("session_token")
    if token is None:
        return
    values = {key: st.session_state.get(key) for key in RESUMABLE}
    with _resume_lock:
        rec = _resumable.get(token)
        if rec is not None:
            rec.values = values


def _keep_widget_state() -> None:
    """Streamlit drops a widget's value when its page is not shown; re-assigning keeps it."""
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(KEEP):
            st.session_state[key] = st.session_state[key]


@contextlib.contextmanager
def timed(what: str):
    """Log how long a page run took (set TEXTVAE_LOG_TIMING=1 to see it at INFO level)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        level = logging.INFO if os.environ.get("TEXTVAE_LOG_TIMING") else logging.DEBUG
        log.log(level, "page %s ran in %.0f ms", what, (time.perf_counter() - start) * 1000)


def keep(key: str, default) -> str:
    """A widget key whose value survives page changes, starting at ``default``."""
    full = KEEP + key
    st.session_state.setdefault(full, default)
    return full


def notice(message: str, kind: str = "success") -> None:
    st.session_state.notice = (kind, message)


def show_notice() -> None:
    if st.session_state.get("notice"):
        kind, message = st.session_state.notice
        st.session_state.notice = None
        getattr(st, kind)(message, icon=":material/check_circle:" if kind == "success" else None)


# ---------------------------------------------------------------- text safety

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md_escape(text: str) -> str:
    """User text inside a markdown string: every markdown/HTML/LaTeX character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def show_error(error: Exception | str, prefix: str = "") -> None:
    """A user-facing error: the library's message, never a traceback. Its text may quote user input."""
    from textvae import TextVAEError

    message = str(error)
    if not isinstance(error, (TextVAEError, str)):
        log.exception("unexpected error", exc_info=error)
        message = f"Something went wrong ({type(error).__name__}). {message}"
    if prefix.strip(": ") and message.startswith(prefix.strip(": ")):
        prefix = ""  # the message names the file already: "a.txt is empty", not "a.txt: a.txt is empty"
    st.error(md_escape(prefix + message), icon=":material/error:")


def check_typed(bundle: ModelBundle, sentences: dict[str, str]) -> bool:
    """Say what is wrong with sentences a person typed ({field label: text}) before they are encoded.

    An empty one is an error (False: nothing to encode). A sentence longer than the model reads,
    or made of words the model does not know, gets a warning: the result then says little about it.
    """
    ok = True
    for label, text in sentences.items():
        if not text.strip():
            st.error(f"**{label}** is empty: type a sentence to encode.", icon=":material/error:")
            ok = False
    if not ok:
        return False
    tokenizer, max_length = bundle.tokenizer, bundle.config.max_length
    for label, text in sentences.items():
        ids = tokenizer.encode(text)
        if len(ids) > max_length:
            st.warning(
                f"**{label}** has {len(ids):,} tokens; this model reads only the first {max_length}, the rest is ignored.",
                icon=":material/warning:",
            )
        unknown = sum(1 for i in ids if i == tokenizer.unk_id) / max(1, len(ids))
        if unknown == 1.0:
            st.warning(
                f"None of the words in **{label}** are in this model's vocabulary: it reads each one as `<unk>`, "
                "so the result says nothing about your sentence. Use everyday words, or a model trained on text like it.",
                icon=":material/warning:",
            )
        elif unknown >= 0.5:
            st.warning(
                f"{unknown:.0%} of the words in **{label}** are not in this model's vocabulary (it reads them as `<unk>`); "
                "expect a vague result.",
                icon=":material/warning:",
            )
    return True


# ---------------------------------------------------------------- models


@st.cache_resource(show_spinner="Loading the demo model…")
def _demo_bundle(path: str, mtime: float) -> ModelBundle | None:
    """The bundled demo model, loaded once per server and shared read-only (eval mode, no_grad use)."""
    from textvae import TextVAEError, load_bundle

    try:
        return load_bundle(path)
    except TextVAEError as exc:
        log.warning("Demo model not available: %s", exc)
        return None


def demo_bundle() -> ModelBundle | None:
    path = demo_model_dir()
    weights = path / "model.safetensors"
    if not weights.exists():
        return None
    ensure_library()
    return _demo_bundle(str(path), weights.stat().st_mtime)


def _safetensors_parameters(path: Path) -> int:
    """Parameter count from a safetensors header (8-byte length, then JSON with each tensor's shape)."""
    with open(path, "rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        if not 0 < size < 100 * 2**20:
            raise ValueError("not a safetensors header")
        header = json.loads(handle.read(size))
    return sum(math.prod(v["shape"]) for k, v in header.items() if k != "__metadata__")


@st.cache_data(show_spinner=False, max_entries=4)
def _demo_info(path: str, mtime: float) -> dict | None:
    folder = Path(path)
    try:
        model = json.loads((folder / "config.json").read_text())["model"]
        metrics = json.loads((folder / "metrics.json").read_text())
        parameters = _safetensors_parameters(folder / "model.safetensors")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("Cannot read the demo model's description: %s", exc)
        return None
    valid, corpus = metrics.get("valid") or {}, metrics.get("corpus") or {}
    return {
        "name": metrics.get("name") or folder.name,
        "corpus": corpus.get("name", "?"),
        "train_sentences": corpus.get("train_sentences"),
        "parameters": parameters,
        "latent_dim": model.get("latent_dim"),
        "vocab": model.get("vocab_size"),
        "kl": valid.get("kl"),
        "elbo": valid.get("elbo"),
        "recon": valid.get("recon"),
        "au": valid.get("au"),
    }


def active_model_info() -> dict | None:
    """The sidebar's description of the active model, without loading the demo model (or torch)."""
    bundle = st.session_state.get("model")
    if bundle is not None:
        return model_summary(bundle)
    weights = demo_model_dir() / "model.safetensors"
    return _demo_info(str(weights.parent), weights.stat().st_mtime) if weights.exists() else None


def active_bundle() -> ModelBundle | None:
    return st.session_state.get("model") or demo_bundle()


def active_model_id() -> str:
    """The cache key of the active model: a random id per user model, the files' identity for the demo."""
    return st.session_state.get("model_id", DEMO_ID) if st.session_state.get("model") is not None else demo_model_id()


def demo_model_id() -> str:
    weights = demo_model_dir() / "model.safetensors"
    return f"{DEMO_ID}:{weights}:{weights.stat().st_mtime_ns if weights.exists() else 0}"


def set_active_model(bundle: ModelBundle, origin: str) -> None:
    bundle.model.eval()
    st.session_state.model = bundle
    st.session_state.model_id = uuid.uuid4().hex
    st.session_state.model_origin = origin
    _remember()


def use_demo_model() -> None:
    st.session_state.model = None
    st.session_state.model_id = DEMO_ID
    st.session_state.model_origin = "bundled demo"
    _remember()


def require_model() -> ModelBundle:
    """The active model, or stop the page with a pointer to where to get one."""
    bundle = active_bundle()
    if bundle is None:
        st.warning(
            "No model is loaded yet. Train one on the **Train** page, or upload a bundle on the **Models** page.",
            icon=":material/info:",
        )
        st.page_link("app_pages/train.py", label="Train a model", icon=":material/model_training:")
        st.stop()
    return bundle


def model_summary(bundle: ModelBundle) -> dict:
    valid = bundle.metrics.get("valid") or {}
    corpus = bundle.metrics.get("corpus") or {}
    return {
        "name": bundle.name,
        "corpus": corpus.get("name", "?"),
        "train_sentences": corpus.get("train_sentences"),
        "parameters": sum(p.numel() for p in bundle.model.parameters()),
        "latent_dim": bundle.config.latent_dim,
        "vocab": bundle.tokenizer.vocab_size,
        "kl": valid.get("kl"),
        "elbo": valid.get("elbo"),
        "recon": valid.get("recon"),
        "au": valid.get("au"),
    }


def models_dir() -> Path:
    return server_limits().models_dir


def session_models_dir() -> Path:
    """This session's own folder: finished trainings are saved here and listed to this session only.
    Named by a hash of the session token, so the folder name cannot be used to claim the session."""
    token = st.session_state.get("session_token") or "no-session"
    return models_dir() / ".sessions" / hashlib.sha256(token.encode()).hexdigest()[:24]


def saved_models(folder: Path | None = None) -> list[Path]:
    """Bundle folders in ``folder`` (default: the server's shared models folder), newest first."""
    folder = models_dir() if folder is None else folder
    if not folder.is_dir():
        return []
    found = [
        p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / "model.safetensors").exists()
    ]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def load_saved_model(path: Path) -> None:
    from textvae import load_bundle

    ensure_library()
    set_active_model(load_bundle(path), f"saved: {path.name}")


def upload_model(data: bytes) -> ModelBundle:
    """An uploaded bundle zip becomes the active model (TextVAEError if it is not a valid bundle)."""
    from textvae import load_bundle_zip

    ensure_library()
    bundle = load_bundle_zip(data)
    set_active_model(bundle, "uploaded")
    return bundle


def save_active_model(name: str) -> Path:
    from textvae import TextVAEError, save_bundle
    from textvae.jobs import safe_folder_name

    bundle = st.session_state.get("model")
    if bundle is None:
        raise TextVAEError("The demo model is already bundled with the app; train or upload a model to save your own.")

    target = models_dir() / f"{safe_folder_name(name)}-{time.strftime('%Y%m%d-%H%M%S')}"
    bundle.metrics["name"] = name
    return save_bundle(bundle, target)


def bundle_zip_bytes(bundle: ModelBundle) -> bytes:
    """The bundle as one zip (for st.download_button's deferred data: no Streamlit calls in here)."""
    from textvae import bundle_to_zip, save_bundle

    if bundle.path is not None and (Path(bundle.path) / "model.safetensors").exists():
        return bundle_to_zip(bundle.path)
    with tempfile.TemporaryDirectory() as tmp:
        path = bundle.path
        save_bundle(bundle, Path(tmp) / "bundle")
        bundle.path = path  # saving to a temporary folder must not change where the model lives
        return bundle_to_zip(Path(tmp) / "bundle")


# ---------------------------------------------------------------- corpora


def corpus_fingerprint(corpus: Corpus) -> str:
    h = hashlib.sha1()
    for s in corpus.sentences:
        h.update(s.encode("utf-8", "replace") + b"\n")
    for label in corpus.labels or []:
        h.update(label.encode("utf-8", "replace") + b"\t")
    return h.hexdigest()[:16]


def bundled_corpora() -> list[Path]:
    folder = corpora_dir()
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in (".txt", ".csv", ".tsv", ".md")
        and p.is_file()
        and not p.stem.upper().endswith("SOURCE")
        and p.stem.upper() not in ("README", "LICENSE")
    )  # attribution files are not corpora


@st.cache_resource(show_spinner="Reading the bundled corpus…", max_entries=8)
def _bundled_corpus(path: str, mtime: float, options_key: tuple) -> tuple[Corpus, str]:
    from textvae import CorpusOptions, load_corpus

    # The server's own files: TEXTVAE_MAX_UPLOAD_MB limits what people upload, not these.
    corpus = load_corpus(path, options=CorpusOptions(**dict(options_key)), max_bytes=BUNDLED_MAX_BYTES)
    return corpus, "bundled:" + corpus_fingerprint(corpus)


def bundled_corpus(path: Path, options: CorpusOptions | None = None) -> tuple[Corpus, str]:
    """A bundled corpus, read once per server, with its id. Shared read-only."""
    from textvae import CorpusOptions

    ensure_library()
    options = options or CorpusOptions()
    return _bundled_corpus(str(path), path.stat().st_mtime, tuple(sorted(asdict(options).items())))


def demo_corpus() -> tuple[Corpus, str] | None:
    """The bundled demo corpus, or None when there is none (or it cannot be read: the pages then ask for one)."""
    from textvae import TextVAEError

    path = corpora_dir() / DEMO_CORPUS
    corpora = bundled_corpora()
    if not path.exists():
        if not corpora:
            return None
        path = corpora[0]
    try:
        return bundled_corpus(path)
    except TextVAEError as exc:
        log.warning("The demo corpus %s cannot be used: %s", path, exc)
        return None


def active_corpus() -> tuple[Corpus, str] | None:
    """(corpus, id): the one chosen on the Data page, else the demo corpus."""
    if st.session_state.get("corpus") is not None:
        return st.session_state.corpus, st.session_state.corpus_id
    return demo_corpus()


def set_active_corpus(corpus: Corpus, corpus_id: str | None = None) -> None:
    st.session_state.corpus = corpus
    st.session_state.corpus_id = corpus_id or "upload:" + corpus_fingerprint(corpus)
    _remember()


@dataclass
class TableColumns:
    columns: list[str]
    text_column: str
    label_column: str | None


def table_columns(data: bytes, suffix: str) -> TableColumns:
    """Header and the likeliest text/label columns of an uploaded CSV/TSV (TextVAEError if unreadable)."""
    import csv

    from textvae import TextVAEError
    from textvae.corpus import choose_text_column, decode_bytes

    text, _, _ = decode_bytes(data)
    rows = list(csv.reader(io.StringIO(text[:2_000_000]), delimiter="\t" if suffix == ".tsv" else ","))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise TextVAEError("The table needs a header row and at least one row of data.")
    header = [h.strip() for h in rows[0]]
    if len(set(header)) < len(header) or not all(header):
        raise TextVAEError("Every column needs a distinct, non-empty name in the header row.")
    body = [r for r in rows[1:1001] if len(r) == len(header)]
    columns = {name: [r[i] for r in body] for i, name in enumerate(header)}
    text_col = choose_text_column(columns, None)
    label = next(
        (
            h
            for h in header
            if h != text_col and h.lower() in ("label", "labels", "class", "category", "sentiment", "target")
        ),
        None,
    )
    return TableColumns(header, text_col, label)


@st.cache_data(max_entries=16, ttl=3600, show_spinner="Reading the file…")
def _parse_upload(name: str, data: bytes, options_key: tuple) -> Corpus:
    from textvae import CorpusOptions, load_corpus

    return load_corpus(data, name=name, options=CorpusOptions(**dict(options_key)))


def load_uploaded_corpus(name: str, data: bytes, options: CorpusOptions) -> Corpus:
    """Uploaded bytes -> Corpus (cached by content and options). Raises TextVAEError for bad input."""
    ensure_library()
    return _parse_upload(name, data, tuple(sorted(asdict(options).items())))


@st.cache_data(max_entries=32, ttl=3600, show_spinner="Counting…")
def _stats(corpus_id: str, model_id: str, _sentences: list[str], _tokenizer):
    from textvae import corpus_stats

    return corpus_stats(_sentences, _tokenizer)


def stats_for(corpus: Corpus, corpus_id: str, bundle: ModelBundle | None, model_id: str):
    return _stats(
        corpus_id,
        model_id if bundle is not None else "none",
        corpus.sentences,
        bundle.tokenizer if bundle is not None else None,
    )


# ---------------------------------------------------------------- latent maps


@dataclass
class MapData:
    indices: np.ndarray  # positions of the mapped sentences in the corpus
    sentences: list[str]
    labels: list[str] | None
    z: np.ndarray  # posterior means, one row per mapped sentence
    capped: bool


def map_sample(n: int, cap: int, seed: int = 0) -> np.ndarray:
    if n <= cap:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, cap, replace=False))


@st.cache_data(max_entries=16, ttl=3600, show_spinner="Encoding sentences…")
def _encode(model_id: str, corpus_id: str, cap: int, _bundle: ModelBundle, _corpus: Corpus) -> MapData:
    from textvae import latent

    idx = map_sample(len(_corpus), cap)
    sentences = [_corpus.sentences[i] for i in idx]
    labels = [_corpus.labels[i] for i in idx] if _corpus.labels is not None else None
    z = latent.encode_corpus(_bundle.model, _bundle.tokenizer, sentences)
    return MapData(idx, sentences, labels, z, len(_corpus) > cap)


def encoded(bundle: ModelBundle, corpus: Corpus, corpus_id: str, cap: int = MAP_POINT_CAP) -> MapData:
    return _encode(active_model_id(), corpus_id, cap, bundle, corpus)


@st.cache_resource(max_entries=12, ttl=3600, show_spinner=False)
def _projection(
    model_id: str, corpus_id: str, cap: int, method: str, dims: int, _z: np.ndarray, _progress=None
) -> latent.Projection:
    # cache_resource, not cache_data: a fitted t-SNE is large and read-only, no need to copy it each rerun
    from textvae import latent

    return latent.project(_z, method, dims, seed=0, progress=_progress)


def projection(data: MapData, corpus_id: str, method: str, dims: int, cap: int = MAP_POINT_CAP) -> latent.Projection:
    """PCA or t-SNE of the encoded corpus; t-SNE shows a progress bar the first time."""
    bar = st.empty()

    def progress(fraction: float) -> None:
        bar.progress(fraction, text=f"t-SNE: {fraction:.0%} (only the first time for this model and corpus)")

    try:
        return _projection(
            active_model_id(), corpus_id, cap, method, dims, data.z, progress if method == "tsne" else None
        )
    finally:
        bar.empty()


@st.cache_data(max_entries=32, ttl=3600, show_spinner="Clustering…")
def clusters(model_id: str, corpus_id: str, cap: int, k: int, _z: np.ndarray) -> latent.ClusterSummary:
    from textvae import latent

    return latent.cluster_summary(_z, k, seed=0)


def hover_text(sentences: list[str], width: int = 80) -> list[str]:
    """HTML-escaped, wrapped sentences for plotly hover labels (which render HTML)."""
    out = []
    for s in sentences:
        lines, line = [], ""
        for word in s.split():
            if line and len(line) + len(word) + 1 > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
        out.append("<br>".join(html.escape(x, quote=False) for x in lines[:6]))
    return out


QUALITATIVE = [
    "#4F46E5",
    "#E4572E",
    "#17BEBB",
    "#F2A541",
    "#76B041",
    "#C65BCF",
    "#2E86AB",
    "#A23B72",
    "#6C757D",
    "#D1495B",
    "#00A896",
    "#8D6A9F",
    "#F18F01",
    "#3D5A80",
    "#9BC53D",
    "#E07A5F",
]


def latent_figure(
    coords: np.ndarray,
    sentences: list[str],
    color: np.ndarray | list,
    color_kind: str,
    color_title: str,
    highlight: np.ndarray | None = None,
    extra: list[dict] | None = None,
    height: int = 560,
) -> go.Figure:
    """Scatter (WebGL in 2D) of the map. customdata holds (corpus row, escaped sentence) for hover and selection."""
    import pandas as pd

    dims = coords.shape[1]
    n = len(coords)
    escaped = hover_text(sentences)
    custom = np.empty((n, 2), dtype=object)
    custom[:, 0] = np.arange(n)
    custom[:, 1] = escaped
    template = "%{customdata[1]}<extra>%{fullData.name}</extra>"
    fig = go.Figure()
    size = 5 if n > 2000 else 7

    def scatter(mask: np.ndarray, name: str, marker: dict, showlegend: bool = True):
        xyz = {"x": coords[mask, 0], "y": coords[mask, 1]}
        if dims == 3:
            xyz["z"] = coords[mask, 2]
            trace = go.Scatter3d(
                mode="markers",
                name=name,
                customdata=custom[mask],
                hovertemplate=template,
                marker={**marker, "size": max(2, marker.get("size", size) - 3)},
                showlegend=showlegend,
                **xyz,
            )
        else:
            trace = go.Scattergl(
                mode="markers",
                name=name,
                customdata=custom[mask],
                hovertemplate=template,
                marker=marker,
                showlegend=showlegend,
                **xyz,
            )
        fig.add_trace(trace)

    dim_others = highlight is not None and highlight.any()
    if color_kind == "category":
        values = np.asarray([str(c) for c in color], dtype=object)
        counts = pd.Series(values).value_counts()
        if len(counts) > len(QUALITATIVE):  # too many labels to tell apart: keep the commonest, group the rest
            values = np.where(np.isin(values, counts.index[: len(QUALITATIVE) - 1]), values, "(other labels)")
        categories = sorted(
            pd.unique(values), key=lambda v: (v == "(other labels)", len(v), v)
        )  # "cluster 2" before "cluster 10"
        for i, cat in enumerate(categories):
            mask = values == cat
            # Labels come from user files; plotly renders legend text as HTML, so escape it.
            scatter(
                mask,
                html.escape(str(cat)),
                {"size": size, "color": QUALITATIVE[i % len(QUALITATIVE)], "opacity": 0.25 if dim_others else 0.75},
            )
    else:
        scatter(
            np.ones(n, dtype=bool),
            color_title,
            {
                "size": size,
                "color": np.asarray(color, dtype=float),
                "colorscale": "Viridis",
                "opacity": 0.25 if dim_others else 0.8,
                "colorbar": {"title": {"text": color_title}, "thickness": 12},
            },
            showlegend=False,
        )
    if dim_others:
        scatter(
            highlight,
            "search match",
            {"size": size + 6, "color": "#FF2D55", "line": {"width": 1, "color": "white"}, "symbol": "diamond"},
        )
    for item in extra or []:
        xyz = {"x": item["coords"][:, 0], "y": item["coords"][:, 1]}
        text = hover_text(item["text"])
        common = dict(
            mode=item.get("mode", "markers"),
            name=item["name"],
            customdata=np.stack([np.full(len(text), -1, dtype=object), np.asarray(text, dtype=object)], 1),
            hovertemplate=template,
            marker=item.get("marker", {"size": 14, "color": "#FF2D55", "symbol": "star"}),
            line=item.get("line"),
        )
        if dims == 3:
            xyz["z"] = item["coords"][:, 2]
            common["marker"] = {**common["marker"], "size": 7}
            fig.add_trace(go.Scatter3d(**{k: v for k, v in common.items() if v is not None}, **xyz))
        else:
            fig.add_trace(go.Scattergl(**{k: v for k, v in common.items() if v is not None}, **xyz))
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        legend=dict(itemsizing="constant", orientation="v"),
        dragmode="lasso" if dims == 2 else "orbit",
        hoverlabel=dict(align="left"),
    )
    if dims == 2:
        fig.update_xaxes(showticklabels=False, title=None, zeroline=False)
        fig.update_yaxes(showticklabels=False, title=None, zeroline=False, scaleanchor="x", scaleratio=1)
    else:
        fig.update_layout(
            scene=dict(
                xaxis=dict(showticklabels=False, title=""),
                yaxis=dict(showticklabels=False, title=""),
                zaxis=dict(showticklabels=False, title=""),
            )
        )
    return fig


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _grey_map(model_id: str, corpus_id: str, _data: MapData, _proj: latent.Projection, points: int = 2000) -> dict:
    """The corpus as grey dots, built once per model and corpus (plotly figures are slow to build)."""
    shown = map_sample(len(_data.sentences), points)
    fig = latent_figure(
        _proj.coords[shown], [_data.sentences[i] for i in shown], ["corpus"] * len(shown), "category", "", height=460
    )
    fig.update_traces(marker_color="#B8BCCB", marker_opacity=0.35, marker_size=4, selector={"name": "corpus"})
    return fig.to_dict()


def path_figure(
    model_id: str, corpus_id: str, data: MapData, proj: latent.Projection, path: np.ndarray, sentences: list[str]
) -> go.Figure:
    """An interpolation path drawn over the grey corpus map."""
    fig = go.Figure(_grey_map(model_id, corpus_id, data, proj), skip_invalid=True)
    labels = hover_text([f"{i + 1}. {s}" for i, s in enumerate(sentences)])
    # WebGL like the corpus dots: plotly draws WebGL traces above SVG ones, which would hide the path.
    fig.add_trace(
        go.Scattergl(
            x=path[:, 0],
            y=path[:, 1],
            mode="lines+markers",
            name="path",
            text=labels,
            hovertemplate="%{text}<extra></extra>",
            line={"color": "#E4572E", "width": 3},
            marker={
                "size": 11,
                "color": np.linspace(0, 1, len(path)),
                "colorscale": [[0, "#E4572E"], [1, "#4F46E5"]],
                "line": {"width": 1, "color": "white"},
            },
        )
    )
    return fig


# ---------------------------------------------------------------- generation (cached: the same inputs give the same text)


def decode_controls(prefix: str, default: str = "greedy", container=None) -> DecodeOptions:
    """Decoding strategy widgets (use inside a form). Returns DecodeOptions."""
    from textvae import DecodeOptions

    c = container or st
    labels = {"greedy": "Greedy", "sample": "Sample", "beam": "Beam search"}
    method = c.radio(
        "Decoding",
        list(labels),
        format_func=labels.get,
        horizontal=True,
        key=keep(f"{prefix}.method", default),
        help="Greedy: always the likeliest next word. Sample: draw words at random (temperature, top-k, top-p). Beam: keep the best few partial sentences.",
    )
    with c.expander("Sampling and beam settings"):
        cols = st.columns(4)
        temperature = cols[0].slider(
            "Temperature",
            0.1,
            2.0,
            1.0,
            0.05,
            key=keep(f"{prefix}.temperature", 1.0),
            help="Sampling only. Below 1: safer, more repetitive; above 1: more surprising.",
        )
        top_k = cols[1].number_input(
            "Top-k",
            0,
            1000,
            0,
            key=keep(f"{prefix}.top_k", 0),
            help="Sampling only. Draw from the k likeliest words (0: no limit).",
        )
        top_p = cols[2].slider(
            "Top-p",
            0.05,
            1.0,
            1.0,
            0.05,
            key=keep(f"{prefix}.top_p", 1.0),
            help="Sampling only. Draw from the smallest set of words holding this much probability.",
        )
        beam = cols[3].number_input(
            "Beam width",
            1,
            16,
            4,
            key=keep(f"{prefix}.beam", 4),
            help="Beam search only. More beams: slower, often more fluent.",
        )
    return DecodeOptions(
        method=method, temperature=float(temperature), top_k=int(top_k), top_p=float(top_p), beam_width=int(beam)
    )


def _options_key(options: DecodeOptions) -> tuple:
    return tuple(sorted(asdict(options).items()))


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def cached_interpolate(
    model_id: str, a: str, b: str, steps: int, method: str, options_key: tuple, _bundle: ModelBundle
):
    from textvae import DecodeOptions, generation

    result = generation.interpolate(
        _bundle.model, _bundle.tokenizer, a, b, steps, method, DecodeOptions(**dict(options_key))
    )
    return result.sentences, result.z.numpy(), result.t


def interpolate(bundle: ModelBundle, a: str, b: str, steps: int, method: str, options: DecodeOptions):
    return cached_interpolate(active_model_id(), a, b, steps, method, _options_key(options), bundle)


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def _sample(model_id: str, n: int, seed: int, options_key: tuple, _bundle: ModelBundle):
    from textvae import DecodeOptions, generation

    sentences, z = generation.sample_prior(
        _bundle.model, _bundle.tokenizer, n, DecodeOptions(**dict(options_key)), seed
    )
    return sentences, z.cpu().numpy()


def sample(bundle: ModelBundle, n: int, seed: int, options: DecodeOptions):
    return _sample(active_model_id(), n, seed, _options_key(options), bundle)


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def _variations(
    model_id: str, sentence: str, n: int, radius: float, seed: int, options_key: tuple, _bundle: ModelBundle
) -> list[str]:
    from textvae import DecodeOptions, generation

    return generation.variations(
        _bundle.model, _bundle.tokenizer, sentence, n, radius, DecodeOptions(**dict(options_key)), seed
    )


def variations(
    bundle: ModelBundle, sentence: str, n: int, radius: float, seed: int, options: DecodeOptions
) -> list[str]:
    return _variations(active_model_id(), sentence, n, radius, seed, _options_key(options), bundle)


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def _arithmetic(model_id: str, a: str, b: str, c: str, options_key: tuple, _bundle: ModelBundle) -> str:
    from textvae import DecodeOptions, generation

    return generation.latent_arithmetic(_bundle.model, _bundle.tokenizer, a, b, c, DecodeOptions(**dict(options_key)))


def arithmetic(bundle: ModelBundle, a: str, b: str, c: str, options: DecodeOptions) -> str:
    return _arithmetic(active_model_id(), a, b, c, _options_key(options), bundle)


def posterior(bundle: ModelBundle, sentences: list[str]) -> tuple[np.ndarray, np.ndarray]:
    from textvae import generation

    mu, logvar = generation.posterior(bundle.model, bundle.tokenizer, sentences)
    return mu.cpu().numpy(), logvar.cpu().numpy()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


# ---------------------------------------------------------------- training jobs


class _SessionJobs:
    """The jobs one browser session started. Streamlit releases it when the session disconnects."""

    def __init__(self) -> None:
        self.jobs: list[TrainingJob] = []
        self.token: str | None = None  # the session's token (see _claim_session)

    def watch(self, job: TrainingJob) -> None:
        job.adopt()  # after a reconnect: the session is back, keep training
        if job not in self.jobs:
            self.jobs.append(job)


def _release_session_jobs(holder: _SessionJobs) -> None:
    # Called by Streamlit on a non-script thread when the session disconnects or shuts down.
    # A short grace period lets a reconnecting or reloaded browser adopt its job again.
    grace = float(os.environ.get("TEXTVAE_ORPHAN_GRACE_S", "120"))
    with _resume_lock:
        _live_holders.discard(holder)
        rec = _resumable.get(holder.token) if holder.token else None
        if rec is not None:
            rec.live, rec.left_at = max(0, rec.live - 1), time.monotonic()
        held_elsewhere = {id(job) for other in _live_holders for job in other.jobs}  # a reload that got here first
    for job in holder.jobs:
        if job.active and id(job) not in held_elsewhere:
            log.info("A session ended: its training %r stops in %.0f s unless the browser reconnects.", job.name, grace)
            job.orphan(grace_s=grace)


@st.cache_resource(scope="session", on_release=_release_session_jobs, show_spinner=False)
def _session_jobs() -> _SessionJobs:
    holder = _SessionJobs()
    with _resume_lock:
        _live_holders.add(holder)
    return holder


def start_training(
    corpus: Corpus, model: dict, training: TrainConfig, tokenizer: TokenizerConfig, name: str
) -> TrainingJob:
    """Start a background job for this session; a job it replaces is stopped first."""
    from textvae import TextVAEError
    from textvae.jobs import TrainingJob

    ensure_library()
    problem = too_small_to_train(corpus)
    if problem:
        raise TextVAEError(problem)
    old = st.session_state.get("job")
    if old is not None and old.active:
        old.stop("replaced by a new training")
    job = TrainingJob(
        corpus, model=model, training=training, tokenizer=tokenizer, name=name, save_dir=session_models_dir()
    )
    st.session_state.job = job
    st.session_state.job_collected = False
    _session_jobs().watch(job)
    _remember()
    return job.start()


def collect_finished_job() -> bool:
    """If the session's job has finished with a model, make it the active model (once). True if it did."""
    job = st.session_state.get("job")
    if job is None or not job.finished or st.session_state.get("job_collected", True):
        return False
    st.session_state.job_collected = True
    _remember()
    if job.result is not None:
        set_active_model(job.result, "trained here")
        where = f" and saved as {job.saved_path.name}" if job.saved_path else ""
        notice(f"Training {job.status}: the new model is now active{md_escape(where)}.")
        return True
    return False


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "–"
    s = int(round(s))
    return f"{s // 60}:{s % 60:02d}"


def job_status_line(job: TrainingJob) -> str:
    if job.status == "queued":
        ahead = job.queue_ahead
        return (
            f"Queued: {job.slots.running} of {job.slots.capacity} training slots on this server are busy — "
            f"{ahead} ahead of you. It starts by itself."
        )
    if job.status == "running":
        step = job.last("step")
        if step is None:
            return "Preparing: tokenising and building the model…"
        return f"Training: {step['progress']:.0%} · ETA {fmt_seconds(step['eta_s'])} · {step['tokens_per_s']:,.0f} tokens/s"
    if job.status == "failed":
        return "Failed: " + md_escape(job.error or "unknown error")
    end = job.last("end") or {}
    return f"{'Finished' if job.status == 'done' else 'Stopped'} after {fmt_seconds(end.get('elapsed_s'))}" + (
        f" ({md_escape(job.stop_reason)})" if job.status == "stopped" and job.stop_reason else ""
    )


# ---------------------------------------------------------------- sidebar


def _fmt_params(n: int) -> str:
    return f"{n / 1e6:.1f} M" if n >= 1e6 else f"{n / 1e3:.0f} k"


def sidebar_card() -> None:
    """The active model and training status, on every page. Polls while a job runs."""
    job = st.session_state.get("job")
    interval = 2.0 if job is not None and (job.active or not st.session_state.get("job_collected", True)) else None

    @st.fragment(run_every=interval)
    def card() -> None:
        if collect_finished_job():
            st.rerun()  # the whole page: the active model changed
        info = active_model_info()
        with st.container(border=True):
            st.caption("ACTIVE MODEL")
            if info is None:
                st.markdown("**No model loaded**")
                st.caption("Train one or upload a bundle.")
            else:
                st.markdown(f"**{md_escape(info['name'])}**")
                kl = f"{info['kl']:.2f} nats" if info["kl"] is not None else "–"
                au = f"{info['au']}/{info['latent_dim']}" if info["au"] is not None else "–"
                st.caption(
                    f"{md_escape(st.session_state.get('model_origin', ''))} · trained on {md_escape(info['corpus'])}  \n"
                    f"{_fmt_params(info['parameters'])} parameters · {info['latent_dim']} latent dims  \n"
                    f"KL {kl} · active units {au}",
                    help="KL: average KL(q(z|x) || p(z)) per validation sentence; near 0 means posterior collapse. "
                    "Active units: latent dimensions the encoder actually uses (Burda et al. 2016).",
                )
            running = st.session_state.get("job")
            if running is not None:
                st.divider()
                st.caption("TRAINING")
                st.markdown(job_status_line(running))
                step = running.last("step")
                if running.status == "running" and step is not None:
                    st.progress(min(1.0, step["progress"]))

    with st.sidebar:
        card()


def page_header(title: str, intro: str | None = None) -> None:
    st.title(title)
    if intro:
        st.caption(intro)
    show_notice()


# ---------------------------------------------------------------- training settings


@dataclass(frozen=True)
class Setting:
    group: str  # model | training | tokenizer
    name: str  # the VAEConfig / TrainConfig / TokenizerConfig field
    label: str
    kind: str  # int | float | choice | bool
    help: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple = ()


SETTINGS = [
    Setting(
        "model",
        "embed_dim",
        "Embedding size",
        "int",
        "Numbers per word vector. Bigger: richer words, slower.",
        16,
        1024,
        16,
    ),
    Setting(
        "model",
        "hidden_dim",
        "Hidden size",
        "int",
        "Size of the encoder and decoder GRU/LSTM state. The main knob for capacity and speed.",
        32,
        2048,
        32,
    ),
    Setting(
        "model",
        "latent_dim",
        "Latent dimensions",
        "int",
        "Length of the code z. 16–32 is typical; unused dimensions collapse to the prior.",
        2,
        256,
        1,
    ),
    Setting(
        "model",
        "rnn",
        "Recurrent cell",
        "choice",
        "GRU is faster; LSTM sometimes fits long sentences better.",
        choices=("gru", "lstm"),
    ),
    Setting("model", "num_layers", "Layers", "int", "Stacked recurrent layers in encoder and decoder.", 1, 4, 1),
    Setting(
        "model",
        "word_dropout",
        "Word dropout",
        "float",
        "Share of decoder input words hidden as <unk> so the decoder must rely on z (Bowman et al. 2016).",
        0.0,
        0.9,
        0.05,
    ),
    Setting(
        "model",
        "embed_dropout",
        "Embedding dropout",
        "float",
        "Dropout on word vectors (regularisation).",
        0.0,
        0.9,
        0.05,
    ),
    Setting(
        "model",
        "output_dropout",
        "Output dropout",
        "float",
        "Dropout before the output layer (regularisation).",
        0.0,
        0.9,
        0.05,
    ),
    Setting(
        "model",
        "bn_vae",
        "BN-VAE",
        "bool",
        "Batch-normalise the posterior means so the KL can never reach zero: prevents posterior collapse (Zhu et al. 2020).",
    ),
    Setting(
        "model",
        "bn_gamma",
        "BN-VAE gamma",
        "float",
        "BN-VAE scale: higher keeps more KL (more information in z).",
        0.1,
        3.0,
        0.1,
    ),
    Setting(
        "model",
        "max_length",
        "Max tokens per sentence",
        "int",
        "Longer sentences are cut when training; also the longest generated sentence.",
        8,
        256,
        8,
    ),
    Setting(
        "training",
        "epochs",
        "Epochs",
        "int",
        "Passes over the training sentences (the time limit may stop earlier).",
        1,
        1000,
        1,
    ),
    Setting(
        "training",
        "max_minutes",
        "Time limit (minutes)",
        "float",
        "Stop after this long and keep the best model; 0 means no limit. The KL schedule follows the clock.",
        0.0,
        600.0,
        0.5,
    ),
    Setting(
        "training",
        "batch_size",
        "Batch size",
        "int",
        "Sentences per update. Smaller: more updates per minute; larger: smoother gradients.",
        4,
        1024,
        4,
    ),
    Setting(
        "training",
        "lr",
        "Learning rate",
        "float",
        "Adam step size. Too high diverges, too low crawls.",
        1e-5,
        1e-1,
        1e-4,
    ),
    Setting(
        "training",
        "lr_schedule",
        "Learning-rate schedule",
        "choice",
        "cosine: the step size falls to 5% of the learning rate by the end (or by the time limit), "
        "so the last minutes settle into a better model; constant keeps it.",
        choices=("cosine", "constant"),
    ),
    Setting(
        "training",
        "kl_schedule",
        "KL schedule",
        "choice",
        "How the KL weight beta grows: cyclical (Fu et al. 2019) re-warms several times; linear/logistic once; constant never.",
        choices=("cyclical", "linear", "logistic", "constant"),
    ),
    Setting("training", "kl_cycles", "KL cycles", "int", "Cyclical schedule only: how many warm-up cycles.", 1, 20, 1),
    Setting(
        "training",
        "kl_ratio",
        "KL ramp share",
        "float",
        "Cyclical schedule only: share of each cycle spent increasing beta.",
        0.05,
        1.0,
        0.05,
    ),
    Setting(
        "training",
        "kl_warmup",
        "KL warm-up share",
        "float",
        "Linear/logistic only: share of training spent increasing beta.",
        0.0,
        1.0,
        0.05,
    ),
    Setting(
        "training",
        "beta_max",
        "Max beta",
        "float",
        "The KL weight at the end of warm-up. 1 is the true ELBO; below 1 keeps more information in z.",
        0.0,
        5.0,
        0.05,
    ),
    Setting(
        "training",
        "free_bits",
        "Free bits (nats/dim)",
        "float",
        "KL below this per dimension is not penalised, so z keeps some information (Kingma et al. 2016). 0 disables.",
        0.0,
        5.0,
        0.05,
    ),
    Setting(
        "training",
        "pretrain_epochs",
        "Autoencoder pretraining",
        "int",
        "Epochs as a plain autoencoder first, then the decoder is reset (Li et al. 2019). Helps against collapse.",
        0,
        20,
        1,
    ),
    Setting(
        "training",
        "grad_clip",
        "Gradient clipping",
        "float",
        "Largest gradient norm; stabilises recurrent nets. 0 disables.",
        0.0,
        50.0,
        0.5,
    ),
    Setting(
        "training",
        "patience",
        "Early-stopping patience",
        "int",
        "Stop after this many validations without improvement; 0 never stops early.",
        0,
        100,
        1,
    ),
    Setting(
        "training",
        "valid_every",
        "Validate every (steps)",
        "int",
        "Steps between validations (the best model is kept); 0 means once per epoch.",
        0,
        100_000,
        10,
    ),
    Setting(
        "tokenizer",
        "kind",
        "Tokenizer",
        "choice",
        "word: one token per word (rare words become <unk>); bpe: sub-word pieces, no unknown words.",
        choices=("word", "bpe"),
    ),
    Setting(
        "tokenizer",
        "vocab_size",
        "Vocabulary size",
        "int",
        "How many tokens the model knows. The output layer grows with it (speed!).",
        100,
        100_000,
        500,
    ),
    Setting(
        "tokenizer",
        "min_frequency",
        "Min word frequency",
        "int",
        "Words seen fewer times are left out of the vocabulary.",
        1,
        100,
        1,
    ),
    Setting("tokenizer", "lowercase", "Lowercase", "bool", "Treat 'The' and 'the' as one word."),
]

PRESET_TITLES = [p.title for p in PRESETS.values()]  # the preset picker's options


def preset(title: str) -> dict:
    """A preset's values as the settings widgets hold them (textvae.presets is the one source)."""
    values = {k: 0 if v is None else v for k, v in preset_by_title(title).values().items()}  # widgets: 0 means "none"
    if title == PRESETS[DEFAULT_PRESET].title and os.environ.get("TEXTVAE_QUICK_MINUTES"):
        values["max_minutes"] = float(os.environ["TEXTVAE_QUICK_MINUTES"])  # tests and demos can shorten it
    return values


def apply_preset() -> None:
    """on_change of the preset picker: copy the preset's values into the settings widgets."""
    name = st.session_state.get(KEEP + "train.preset") or PRESETS[DEFAULT_PRESET].title
    for key, value in preset(name).items():
        st.session_state[KEEP + "train." + key] = value
    st.session_state[KEEP + "train.max_minutes"] = min(
        st.session_state[KEEP + "train.max_minutes"], server_limits().max_train_minutes
    )


def settings_widgets(group: str) -> None:
    """The widgets for one group of settings, each with a one-line explanation (help)."""
    items = [s for s in SETTINGS if s.group == group]
    limits = server_limits()
    cols = st.columns(3)
    for i, s in enumerate(items):
        key = KEEP + "train." + s.name
        col = cols[i % 3]
        if s.kind == "int":
            high = min(int(s.high), limits.max_vocab) if s.name == "vocab_size" else int(s.high)
            col.number_input(s.label, int(s.low), high, step=int(s.step), key=key, help=s.help)
        elif s.kind == "float":
            high = min(float(s.high), limits.max_train_minutes) if s.name == "max_minutes" else float(s.high)
            col.number_input(s.label, float(s.low), high, step=float(s.step), key=key, help=s.help, format="%.4g")
        elif s.kind == "choice":
            col.selectbox(s.label, list(s.choices), key=key, help=s.help)
        else:
            col.toggle(s.label, key=key, help=s.help)


def settings_summary() -> str:
    """One line with the settings that matter most, so nobody has to open the expanders to see them."""
    v = {s.name: st.session_state[KEEP + "train." + s.name] for s in SETTINGS}
    limit = f"≤ {v['max_minutes']:g} min" if v["max_minutes"] else "no time limit"
    kl = (
        f"{v['kl_schedule']} KL schedule"
        + (f", free bits {v['free_bits']:g}" if v["free_bits"] else "")
        + (", BN-VAE" if v["bn_vae"] else "")
    )
    return (
        f"{v['rnn'].upper()} {v['embed_dim']}/{v['hidden_dim']}, latent {v['latent_dim']} · {v['epochs']} epochs, {limit}, "
        f"batch {v['batch_size']}, lr {v['lr']:g}{' (cosine decay)' if v['lr_schedule'] == 'cosine' else ''} · {kl} · {v['kind']} vocabulary ≤ {v['vocab_size']:,}"
    )


def init_train_settings() -> None:
    """Defaults for the settings widgets; a value outside its range is brought back into it, with a warning."""
    st.session_state.setdefault(KEEP + "train.preset", PRESETS[DEFAULT_PRESET].title)
    for key, value in preset(PRESETS[DEFAULT_PRESET].title).items():
        st.session_state.setdefault(KEEP + "train." + key, value)
    st.session_state.setdefault(KEEP + "train.seed", 0)
    for message in clamp_train_settings():
        st.warning(message, icon=":material/warning:")


def setting_bounds(s: Setting, limits: Limits) -> tuple[float, float]:
    """The range a setting's widget allows: its own, narrowed by the server's limits."""
    high = float(s.high)
    if s.name == "vocab_size":
        high = min(high, limits.max_vocab)
    elif s.name == "max_minutes":
        high = min(high, limits.max_train_minutes)
    return float(s.low), high


def clamp_train_settings() -> list[str]:
    """Bring numeric settings outside their widget's range (a preset over this server's limits, a stale
    value) back into it, and say so: Streamlit would otherwise reset such a widget to its minimum, silently."""
    limits, messages = server_limits(), []
    for s in SETTINGS:
        if s.kind not in ("int", "float"):
            continue
        key = KEEP + "train." + s.name
        value = st.session_state.get(key)
        low, high = setting_bounds(s, limits)
        number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if number and low <= value <= high:
            continue
        new = min(max(value, low), high) if number else preset(PRESETS[DEFAULT_PRESET].title)[s.name]
        new = int(new) if s.kind == "int" else float(new)
        st.session_state[key] = new
        limit = " (this server's limit)" if number and value > high and high < float(s.high) else ""
        shown = f"{value:,g}" if number else repr(value)
        messages.append(
            f"{s.label}: {shown} is outside the allowed range {low:,g} to {high:,g}{limit}; it is set to {new:,g}."
        )
    return messages


def too_small_to_train(corpus: Corpus) -> str | None:
    """Why a corpus cannot be trained on (too few sentences), or None."""
    from textvae.training import MIN_SENTENCES, VALID_FRACTION, min_corpus_sentences

    needed = min_corpus_sentences()
    if len(corpus) >= needed:
        return None
    return (
        f"This corpus has {len(corpus):,} sentence{'s' if len(corpus) != 1 else ''}; training needs at least {needed}: "
        f"{MIN_SENTENCES} to learn from, plus {VALID_FRACTION:.0%} held out to validate. Add sentences or choose a bigger corpus."
    )


def train_settings() -> tuple[dict, TrainConfig, TokenizerConfig]:
    """The settings widgets' values as library configs (TextVAEError if a combination is invalid)."""
    from textvae import TextVAEError, TokenizerConfig, TrainConfig, VAEConfig

    value = {s.name: st.session_state[KEEP + "train." + s.name] for s in SETTINGS}
    model = {s.name: value[s.name] for s in SETTINGS if s.group == "model"}
    model = {
        k: (
            int(v)
            if isinstance(v, (int, float))
            and not isinstance(v, bool)
            and k not in ("word_dropout", "embed_dropout", "output_dropout", "bn_gamma")
            else v
        )
        for k, v in model.items()
    }
    training = {s.name: value[s.name] for s in SETTINGS if s.group == "training"}
    limits = server_limits()
    # The server's limit applies to every run; "no limit" means "as long as the server allows".
    training["max_minutes"] = min(float(training["max_minutes"]) or limits.max_train_minutes, limits.max_train_minutes)
    training["patience"] = int(training["patience"]) or None
    training["valid_every"] = int(training["valid_every"]) or None
    training["seed"] = int(st.session_state[KEEP + "train.seed"])
    for k in ("epochs", "batch_size", "kl_cycles", "pretrain_epochs"):
        training[k] = int(training[k])
    tokenizer = TokenizerConfig(**{s.name: value[s.name] for s in SETTINGS if s.group == "tokenizer"})
    tokenizer.vocab_size, tokenizer.min_frequency = int(tokenizer.vocab_size), int(tokenizer.min_frequency)
    config = VAEConfig(vocab_size=tokenizer.vocab_size, **model)
    if (
        config.num_parameters() > limits.max_parameters
    ):  # before validate(): its limit is the library's, higher than the server's
        raise TextVAEError(
            f"This model would have up to {config.num_parameters():,} parameters; this server allows {limits.max_parameters:,}. "
            "Lower the hidden size, embedding size or vocabulary."
        )
    config.validate()  # refuse impossible settings now, not in the worker
    return model, TrainConfig(**training), tokenizer


# ---------------------------------------------------------------- live training panel


def _curves(steps: list[dict], valids: list[dict]) -> tuple[go.Figure, go.Figure]:
    x = [e["step"] for e in steps]
    loss = go.Figure()
    loss.add_trace(go.Scatter(x=x, y=[e["recon"] for e in steps], name="reconstruction", line=dict(color="#4F46E5")))
    loss.add_trace(
        go.Scatter(x=x, y=[e["recon"] + e["kl"] for e in steps], name="−ELBO (train)", line=dict(color="#17BEBB"))
    )
    if valids:
        loss.add_trace(
            go.Scatter(
                x=[e["step"] for e in valids],
                y=[e["elbo"] for e in valids],
                name="−ELBO (validation)",
                mode="lines+markers",
                line=dict(color="#E4572E", dash="dot"),
            )
        )
    loss.update_layout(
        title=dict(text="Loss per sentence (nats)", font=dict(size=14)),
        height=300,
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", y=-0.25),
        xaxis_title="step",
    )
    kl = go.Figure()
    kl.add_trace(go.Scatter(x=x, y=[e["kl"] for e in steps], name="KL (nats)", line=dict(color="#F2A541")))
    kl.add_trace(
        go.Scatter(
            x=x, y=[e["beta"] for e in steps], name="β (KL weight)", yaxis="y2", line=dict(color="#6C757D", dash="dash")
        )
    )
    kl.update_layout(
        title=dict(text="KL and its weight β", font=dict(size=14)),
        height=300,
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", y=-0.25),
        xaxis_title="step",
        yaxis=dict(title="KL (nats)"),
        yaxis2=dict(
            title="β",
            overlaying="y",
            side="right",
            range=[0, max([1.0] + [e["beta"] for e in steps]) * 1.05],
            showgrid=False,
            tickmode="linear",
            tick0=0,
            dtick=0.25,
            tickformat=".2f",
        ),
    )
    return loss, kl


def kl_per_dim_figure(kl_per_dim: list[float], title: str = "KL per latent dimension (validation)") -> go.Figure:
    values = np.asarray(kl_per_dim, dtype=float)
    colors = np.where(values < 0.05, "#B8BCCB", "#4F46E5")
    fig = go.Figure(
        go.Bar(
            x=np.arange(1, len(values) + 1),
            y=values,
            marker_color=colors,
            hovertemplate="dimension %{x}: %{y:.3f} nats<extra></extra>",
        )
    )
    fig.add_hline(
        y=0.05,
        line_dash="dot",
        line_color="#E4572E",
        annotation_text="collapse threshold",
        annotation_position="top right",
        annotation_font=dict(size=11, color="#E4572E"),
    )
    fig.update_layout(
        title=dict(text=title, font=dict(size=14)),
        height=280,
        margin=dict(l=10, r=10, t=40, b=10),
        xaxis_title="dimension",
        yaxis_title="nats",
        bargap=0.15,
    )
    return fig


def training_panel() -> None:
    """Live view of the session's job; polls once a second while it runs (the worker never calls st.*)."""
    job = st.session_state.get("job")
    active = job is not None and (job.active or not st.session_state.get("job_collected", True))

    @st.fragment(run_every=1.0 if active else None)
    def panel() -> None:
        job = st.session_state.get("job")
        if job is None:
            return
        if collect_finished_job():
            st.rerun()
        events = job.snapshot()
        start = next((e for e in events if e["type"] == "start"), None)
        steps = [e for e in events if e["type"] == "step"]
        valids = [e for e in events if e["type"] == "valid" and e.get("phase") != "pretrain"]
        if job.status == "queued":
            st.info(job_status_line(job), icon=":material/hourglass_top:")
            return
        if job.status == "failed":
            show_error(job.error or "Training failed.")
            return
        last = steps[-1] if steps else None
        if job.status == "running":
            if last is None:
                st.progress(0.0, text="Preparing: building the vocabulary and the model…")
            else:
                total = start["total_steps"] if start else None
                st.progress(
                    min(1.0, last["progress"]),
                    text=f"Step {last['step']:,}{f' of {total:,}' if total else ''} · epoch {last['epoch']} · "
                    f"ETA {fmt_seconds(last['eta_s'])} · {last['tokens_per_s']:,.0f} tokens/s",
                )
        else:
            end = job.last("end") or {}
            st.success(
                f"{job_status_line(job)} — {end.get('steps', 0):,} steps. The best model (by validation ELBO) is the active model now.",
                icon=":material/check_circle:",
            )
        if start:
            st.caption(
                f"{start['n_train']:,} training and {start['n_valid']:,} validation sentences · {start['parameters']:,} parameters · "
                f"{start['device']} with {start['threads']} thread{'s' if start['threads'] != 1 else ''} · seed {start['seed']}"
            )
        if last is not None:
            best = next((e for e in reversed(valids) if e.get("best")), None)
            m = st.columns(5)
            m[0].metric(
                "Reconstruction",
                f"{last['recon']:.2f}",
                help="−log p(x|z) per sentence, nats (training batch average).",
            )
            m[1].metric(
                "KL",
                f"{last['kl']:.2f}",
                help="KL(q(z|x) || p(z)) per sentence, nats. Near 0 means the code carries no information.",
            )
            m[2].metric("β", f"{last['beta']:.2f}", help="The KL weight from the schedule.")
            m[3].metric(
                "Best valid −ELBO",
                f"{best['elbo']:.2f}" if best else "–",
                help="The model with the lowest validation −ELBO is kept.",
            )
            m[4].metric(
                "Active units",
                f"{valids[-1]['au']}" if valids and "au" in valids[-1] else "–",
                help="Latent dimensions in use on validation data.",
            )
            loss_fig, kl_fig = _curves(steps, valids)
            c1, c2 = st.columns(2)
            c1.plotly_chart(loss_fig, width="stretch", key="train.loss")
            c2.plotly_chart(kl_fig, width="stretch", key="train.kl")
        if valids and valids[-1].get("kl_per_dim"):
            st.plotly_chart(kl_per_dim_figure(valids[-1]["kl_per_dim"]), width="stretch", key="train.kldim")
            st.caption(
                "Grey bars: dimensions the encoder no longer uses (posterior collapse). Free bits, KL annealing and BN-VAE keep them alive."
            )
        elif job.status == "running":
            st.caption("The KL per dimension appears after the first validation.")

    panel()


# ---------------------------------------------------------------- reconstruction

NOISE_LEVELS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)


@dataclass
class Reconstruction:
    tokens: list[str]  # the input as the model's tokens
    mu: np.ndarray
    sigma: np.ndarray
    kl_per_dim: np.ndarray  # nats
    table: pd.DataFrame  # noise level -> decoded sentence, token accuracy, distance moved


def token_accuracy(reference: list[int], decoded: list[int], eos: int) -> float:
    """Position-wise share of the input's tokens (end of sentence included) that the decoder got right."""
    ref, hyp = reference + [eos], decoded + [eos]
    return sum(1 for i, t in enumerate(ref) if i < len(hyp) and hyp[i] == t) / len(ref)


@st.cache_data(max_entries=128, ttl=3600, show_spinner=False)
def _reconstruct(
    model_id: str, sentence: str, levels: tuple, seed: int, options_key: tuple, _bundle: ModelBundle
) -> Reconstruction:
    import pandas as pd
    import torch

    from textvae import DecodeOptions, generation
    from textvae.data import encode_sentences
    from textvae.objective import gaussian_kl

    model, tok = _bundle.model, _bundle.tokenizer
    mu, logvar = generation.posterior(model, tok, [sentence])
    reference = encode_sentences(tok, [sentence], model.config.max_length)[0]
    eps = torch.randn((len(levels), mu.size(1)), generator=torch.Generator().manual_seed(seed)).to(mu.device)
    z = mu + torch.tensor(levels, dtype=mu.dtype, device=mu.device).unsqueeze(1) * eps
    options = DecodeOptions(**dict(options_key))
    options.max_length = max(options.max_length, len(reference) + 5)
    decoded = generation.decode_latent(model, z, options)
    table = pd.DataFrame(
        {
            "noise σ": list(levels),
            "decoded": tok.decode_batch(decoded),
            "token accuracy": [token_accuracy(reference, ids, tok.eos_id) for ids in decoded],
            "distance moved": (z - mu).norm(dim=1).cpu().numpy().round(2),
        }
    )
    return Reconstruction(
        [tok.token_text(i) for i in reference],
        mu[0].cpu().numpy(),
        torch.exp(0.5 * logvar[0]).cpu().numpy(),
        gaussian_kl(mu, logvar)[0].cpu().numpy(),
        table,
    )


def reconstruct(bundle: ModelBundle, sentence: str, levels: tuple, seed: int, options: DecodeOptions) -> Reconstruction:
    return _reconstruct(
        active_model_id(), sentence, tuple(float(x) for x in levels), seed, _options_key(options), bundle
    )
