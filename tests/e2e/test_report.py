"""The stakeholder report in a real browser: opened from a file with the network cut off, on a projector-sized
and a phone-sized screen; and the app's Download report button. Screenshots go to screenshots/.

Run with:  .venv/bin/python -m pytest tests/e2e/test_report.py -m e2e -s
"""

from __future__ import annotations

import pytest

from tests.e2e.browser import IDLE, SCREENSHOTS, go
from tests.helpers import VERBS
from textvae import Corpus
from textvae.report import build_report

pytestmark = pytest.mark.e2e

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def report_file(trained, tmp_path_factory):
    """The tiny model's report on its corpus, labelled, a script tag in every other sentence."""
    bundle, _, corpus = trained
    texts = [f"{SCRIPT} {s}" if i % 2 else s for i, s in enumerate(corpus.sentences[:200])]
    labels = ["night" if "night" in s else "day" for s in texts]
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(build_report(bundle, Corpus(texts, labels, name="labelled.csv")), encoding="utf-8")
    return path


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (400, 800)])
def test_the_report_opens_offline_and_fits_the_screen(browser, report_file, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    elsewhere: list[str] = []

    def only_files(route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_files)
    page = context.new_page()
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    try:
        page.goto(report_file.as_uri())
        page.wait_for_selector("#latent-map .main-svg", timeout=30_000)
        assert page.locator("#latent-map .point").count() == 200  # every sentence drawn, in any browser
        assert not elsewhere and not alerts  # nothing fetched; the script tags in the text stayed text
        assert SCRIPT in page.locator("main").inner_text()
        page.locator("#latent-map .point").first.hover(force=True)
        hover = page.locator("#latent-map .hovertext")
        hover.wait_for(timeout=10_000)
        assert any(verb in (hover.text_content() or "") for verb in VERBS)  # a sentence of the corpus
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow} px at {width} px"
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"report-{width}.png"))
        page.screenshot(path=str(SCREENSHOTS / f"report-{width}-full.png"), full_page=True)
    finally:
        context.close()


def test_download_report_gives_the_active_models_report(server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(server["url"])
        page.wait_for_selector(IDLE, timeout=60_000)
        go(page, "Models", "Models")
        with page.expect_download(timeout=180_000) as info:
            page.get_by_role("button", name="Download report").click()
        target = tmp_path / "report.html"
        info.value.save_as(target)
        assert info.value.suggested_filename.endswith("-report.html")
        text = target.read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>") and 'id="latent-map"' in text and "<h2>Model card</h2>" in text
    finally:
        context.close()
