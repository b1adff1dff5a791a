"""Every control clicked twice, in two browser sessions at once: what a person does to a web app before showing it.

    python -m benchmarks.click_everything [--out DIR]

Starts the app (the bundled demo model and corpus) and opens it in two Chromium sessions. On every page, each
button, radio, segmented button, tab, checkbox, toggle and expander of the main area is clicked twice, in both
sessions together (the server answers both at once); after each click both pages are checked for an exception box
or an error message, with a screenshot of each problem. Skipped: what starts minutes of work or deletes something
(Start training, Train both, Stop, Delete) and downloads. Prints the pages, the clicks and the problems (as JSON);
exits 1 if there is any problem.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.app_server import IDLE, app_server, chromium

PAGES = (
    *("Home", "Data", "Train", "Models", "AE vs VAE"),
    *("Latent space", "Interpolate", "Sample", "Steer", "Reconstruct"),
)
SKIP = ("Start training", "Train both", "Stop", "Delete", "Download", "Browse files")
MAIN = '[data-testid="stMainBlockContainer"]'
# Streamlit draws a radio option, a checkbox and a toggle as a label around a hidden input: the label is what a
# person clicks (an input or a role="radio" / "checkbox" / "switch" selector finds nothing visible)
RADIO, CHECKBOX_OR_TOGGLE = '[data-testid="stRadioOption"]', '[data-testid="stCheckbox"] label'
CONTROLS = ", ".join(
    f"{MAIN} {kind}:visible" for kind in ("button", RADIO, '[role="tab"]', CHECKBOX_OR_TOGGLE, "summary")
)
MAX_CONTROLS = 40  # per page


def wait_idle(page, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not page.evaluate(f"() => document.querySelector('{IDLE}') !== null"):
        time.sleep(0.1)


def name_of(control) -> str:
    try:
        return " ".join((control.get_attribute("aria-label") or control.inner_text() or "").split())[:40]
    except Exception:  # it went away with a rerun
        return ""


class Checker:
    """Collects exception boxes and error messages, each with a screenshot."""

    def __init__(self, out: Path):
        self.out, self.problems = out, []

    def look(self, page, where: str) -> None:
        exceptions = page.locator('[data-testid="stException"]').count()
        errors = [e.inner_text()[:200] for e in page.locator('[data-testid="stAlertContentError"]').all()]
        if exceptions or errors:
            shot = self.out / f"problem-{len(self.problems) + 1}.png"
            page.screenshot(path=str(shot))
            self.problems.append({"where": where, "exceptions": exceptions, "errors": errors, "screenshot": str(shot)})


def click_page(pages: list, title: str, checker: Checker) -> int:
    """Every control of one page twice, in all sessions together; returns the clicks made."""
    clicks, i = 0, 0
    while i < MAX_CONTROLS:
        controls = [page.locator(CONTROLS) for page in pages]
        if i >= min(c.count() for c in controls):
            break
        name = name_of(controls[0].nth(i))
        if name and not any(skip.lower() in name.lower() for skip in SKIP):
            for repeat in (1, 2):
                for found in controls:
                    control = found.nth(i)
                    try:
                        if control.is_enabled(timeout=2000):
                            control.click(timeout=3000)
                            clicks += 1
                    except Exception:  # gone or covered after the other session's rerun: a person would miss too
                        pass
                for k, page in enumerate(pages, 1):
                    time.sleep(0.3)
                    wait_idle(page)
                    checker.look(page, f"{title}: {name!r}, click {repeat}, session {k}")
            for page in pages:
                page.keyboard.press("Escape")  # closes a popover or a dialog
        i += 1
    return clicks


def run(out: Path) -> dict:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    checker, per_page = Checker(out), {}
    with (
        tempfile.TemporaryDirectory() as models,
        app_server({"TEXTVAE_MODELS_DIR": models}) as (url, _),
        sync_playwright() as p,
    ):
        browser = chromium(p)
        pages = []
        for _ in range(2):
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(url, timeout=180_000)
            wait_idle(page)
            pages.append(page)
        for title in PAGES:
            for page in pages:
                page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).first.click()
            for page in pages:
                time.sleep(1)
                wait_idle(page)
                checker.look(page, f"{title}: open")
            per_page[title] = click_page(pages, title, checker)
            for k, page in enumerate(pages, 1):
                page.screenshot(path=str(out / f"{title.replace(' ', '_')}-{k}.png"))
            print(f"{title}: {per_page[title]} clicks, {len(checker.problems)} problems so far", file=sys.stderr)
        browser.close()
    return {"clicks": per_page, "total_clicks": sum(per_page.values()), "problems": checker.problems}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.click_everything", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots/click-everything"))
    args = parser.parse_args(argv)
    result = run(args.out)
    print(json.dumps(result, indent=1))
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
