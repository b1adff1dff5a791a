"""The app and a browser, for the browser benchmarks and the browser tests (``tests/e2e`` imports them from here):
`streamlit run app.py` on a free local port, Debian's Chromium driven by Playwright (never `playwright install`),
the app's script runs as the browser sees them, and the server's memory."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("TEXTVAE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A page has finished running its script (Streamlit marks the app while a script runs).
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
WATCH_RUNS = """() => {
  // Counts finished script runs: attribute changes whose old value was "running" (records keep every change,
  // even when running -> notRunning happens before the observer callback gets to look).
  const app = document.querySelector('[data-testid="stApp"]');
  if (window.__runs === undefined) {
    window.__runs = 0;
    new MutationObserver(records => { for (const r of records) if (r.oldValue === 'running') window.__runs++; })
      .observe(app, {attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state']});
  }
  return window.__runs;
}"""


# The page's own view of its websocket: the close code says who ended it (1005: the page itself, as Streamlit's
# frontend does after an error such as "Bad delta path index", and it then stays disconnected; 1011 "keepalive ping
# timeout": the server heard no pong for 30 s; 1006: the connection dropped with no close frame).
REPORT_WEBSOCKET_CLOSES = """(() => {
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('open', () => console.log('websocket opened'));
      this.addEventListener('close', e => console.log(`websocket closed: code ${e.code} ${e.reason}`));
    }
  };
})();"""


class Drops:
    """What went wrong in the browsers, as each page saw it: websocket closes, console errors and renderer crashes,
    with the session and when (s from the start). A closed websocket is a session the server counts as gone."""

    def __init__(self) -> None:
        self.started, self.seen, self.watched = time.perf_counter(), [], 0

    def watch(self, page, session: str | None = None) -> None:
        """Record ``page``'s problems under ``session`` (default: "session N", N counting the pages watched)."""
        self.watched += 1
        session = session or f"session {self.watched}"

        def note(what: str) -> None:
            self.seen.append({"session": session, "what": what, "at_s": round(time.perf_counter() - self.started, 1)})

        page.add_init_script(REPORT_WEBSOCKET_CLOSES)
        page.on(
            "console", lambda msg: (msg.text.startswith("websocket ") or msg.type == "error") and note(msg.text[:300])
        )
        page.on("crash", lambda _page: note("page crashed"))

    def problems(self) -> list[dict]:
        """Everything seen but websockets opening."""
        return [e for e in self.seen if e["what"] != "websocket opened"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def app_server(env: dict[str, str], log: Path | None = None, start_timeout_s: float = 90) -> Iterator[tuple[str, int]]:
    """The app on 127.0.0.1 with ``env`` added to this environment, once it answers its health check; yields (its
    URL, its process id) and stops it on exit. Its output goes to ``log`` (whose tail a failed start shows)."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--browser.gatherUsageStats", "false", "--server.address", "127.0.0.1", "--server.port", str(port)]
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + start_timeout_s
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.time() > deadline:
                tail = ""
                if log:
                    out.flush()
                    tail = ":\n" + log.read_text()[-3000:]
                raise RuntimeError("streamlit did not start" + tail)
            time.sleep(0.2)
        yield url, server.pid
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if log:
            out.close()


def chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its children (the training workers), in MB."""
    import psutil

    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += child.memory_info().rss
    return total / 2**20
