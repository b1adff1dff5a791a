"""The app in a real browser: every page, an upload, a Quick-demo training, interpolation, sampling
and a model download, with no exception box anywhere. Screenshots go to screenshots/.

The tests share one browser session and run in file order (a user's walk through the app).
Run with:  .venv/bin/python -m pytest tests/e2e -m e2e -s
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from tests.e2e.browser import (
    IDLE,
    WATCH_RUNS,
    app_colours,
    assert_no_exception,
    choose,
    go,
    luminance,
    run_and_wait,
    screenshot,
    sentences,
)

pytestmark = pytest.mark.e2e

PAGES = [
    ("Home", "TextVAE Studio"),
    ("Data", "Data"),
    ("Train", "Train"),
    ("Models", "Models"),
    ("Latent space", "Latent space"),
    ("Interpolate", "Interpolate"),
    ("Sample", "Sample"),
    ("Reconstruct", "Reconstruct"),
]


@pytest.fixture(scope="module")
def page(server, browser, timings):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    t0 = time.perf_counter()
    page.goto(server["url"])
    page.wait_for_selector("h1:has-text('TextVAE Studio')", timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    timings["first page (browser)"] = time.perf_counter() - t0
    timings["cold start (server + page)"] = time.perf_counter() - server["started"]
    page.evaluate(WATCH_RUNS)
    yield page
    context.close()


def test_every_page_loads_without_exception(page, timings):
    screenshot(page, "01-home")
    for i, (title, heading) in enumerate(PAGES[1:], start=2):
        seconds = go(page, title, heading)
        timings[f"open {title}"] = seconds
        screenshot(page, f"{i:02d}-{title.lower().replace(' ', '-')}")
    switch = go(page, "Home", "TextVAE Studio")
    timings["page switch (warm, to Home)"] = switch
    assert switch < 3


def test_latent_map_shows_5000_sentences(page, timings):
    timings["latent map 5000, warm (switch)"] = go(page, "Latent space", "Latent space")
    assert page.get_by_text("5,000 sentences").count() > 0
    plot = page.locator('[data-testid="stVegaLiteChart"] .marks').first
    plot.scroll_into_view_if_needed()
    box = plot.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    page.mouse.move(cx - 60, cy - 60)  # drag a box over the middle of the map
    page.mouse.down()
    page.mouse.move(cx + 60, cy + 60, steps=8)
    timings["box selection (release to list)"] = run_and_wait(page, page.mouse.up)
    page.wait_for_selector("h3:has-text('Selected:')", timeout=30_000)
    assert_no_exception(page)
    # Placing a sentence updates the map in place: the same drawing, not a new chart drawn from scratch.
    page.evaluate("() => { window.__map = document.querySelector('[data-testid=\"stVegaLiteChart\"] .marks'); }")
    typed = page.get_by_role("textbox", name="Place a sentence on the map")
    typed.fill("A dog runs on the beach.")
    timings["place a sentence on the map"] = run_and_wait(page, lambda: typed.press("Enter"))
    assert_no_exception(page)
    assert page.evaluate("() => document.querySelector('[data-testid=\"stVegaLiteChart\"] .marks') === window.__map")
    screenshot(page, "05a-latent-space-selection")
    run_and_wait(page, lambda: choose(page, "3D"))
    assert_no_exception(page)
    screenshot(page, "05b-latent-space-3d")
    run_and_wait(page, lambda: choose(page, "2D"))


def test_interpolation_answers_quickly(page, timings):
    go(page, "Interpolate", "Interpolate")
    page.get_by_role("textbox", name="From", exact=True).fill("A woman is riding a bike down the street.")
    seconds = run_and_wait(page, lambda: page.get_by_role("button", name="Interpolate").click())
    timings["interpolate (click to result)"] = seconds
    assert_no_exception(page)
    assert page.locator('[data-testid="stTable"]').count() >= 1
    # A new path updates the chart in place: the same drawing, not a new chart drawn from scratch.
    chart = '[data-testid="stVegaLiteChart"] svg'
    page.wait_for_selector(chart)
    page.evaluate(f"() => {{ window.__pathChart = document.querySelector('{chart}'); }}")
    page.get_by_role("textbox", name="To", exact=True).fill("Two dogs play in the snow.")
    run_and_wait(page, lambda: page.get_by_role("button", name="Interpolate").click())
    assert_no_exception(page)
    assert page.evaluate(f"() => document.querySelector('{chart}') === window.__pathChart")


def test_sampling_answers_quickly(page, timings):
    go(page, "Sample", "Sample")
    page.get_by_role("spinbutton", name="Seed", exact=True).first.fill("7")
    seconds = run_and_wait(page, lambda: page.get_by_role("button", name="Sample", exact=True).click())
    timings["sample 10 (click to result)"] = seconds
    assert_no_exception(page)


def test_uploaded_text_file_becomes_the_active_corpus(page, tmp_path):
    path = tmp_path / "e2e-sentences.txt"
    path.write_text("\n".join(sentences(300)) + "\n", encoding="utf-8")
    go(page, "Data", "Data")
    run_and_wait(page, lambda: page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path)))
    page.wait_for_selector("text=Active corpus:", timeout=30_000)
    page.wait_for_selector(IDLE)
    assert "e2e-sentences.txt" in page.locator('[data-testid="stAlertContentSuccess"]').first.inner_text()
    assert_no_exception(page)
    screenshot(page, "02b-data-uploaded")


def test_bad_upload_shows_an_error_not_a_traceback(page, tmp_path):
    path = tmp_path / "picture.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    run_and_wait(page, lambda: page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path)))
    page.wait_for_selector('[data-testid="stAlertContentError"]', timeout=30_000)
    assert "not text" in page.locator('[data-testid="stAlertContentError"]').first.inner_text()
    assert_no_exception(page)


def test_quick_demo_trains_to_completion_and_becomes_active(page, timings):
    go(page, "Train", "Train")
    page.get_by_role("textbox", name="Model name", exact=True).fill("e2e-quick")
    page.get_by_role("textbox", name="Model name", exact=True).press("Enter")
    page.wait_for_selector(IDLE)
    t0 = time.perf_counter()
    page.get_by_role("button", name="Start training").click()
    page.wait_for_selector("text=tokens/s", timeout=60_000)  # live progress appears
    page.wait_for_timeout(1500)
    screenshot(page, "03b-train-running")
    page.wait_for_selector("text=is the active model now", timeout=240_000)
    timings["quick demo training (click to done)"] = time.perf_counter() - t0
    page.wait_for_selector(IDLE)
    assert_no_exception(page)
    assert page.locator('[data-testid="stSidebar"]').get_by_text("e2e-quick").count() >= 1
    screenshot(page, "03c-train-done")


def test_trained_model_interpolates_and_samples(page):
    go(page, "Interpolate", "Interpolate")
    run_and_wait(page, lambda: page.get_by_role("button", name="Interpolate").click())
    assert_no_exception(page)
    go(page, "Sample", "Sample")
    run_and_wait(page, lambda: page.get_by_role("button", name="Sample", exact=True).click())
    assert_no_exception(page)
    go(page, "Reconstruct", "Reconstruct")
    go(page, "Latent space", "Latent space")
    screenshot(page, "05c-latent-space-trained")


def test_model_downloads_as_a_loadable_zip(page, tmp_path):
    from textvae import load_bundle_zip

    go(page, "Models", "Models")
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download .zip").click()
    target = tmp_path / "model.zip"
    info.value.save_as(target)
    data = Path(target).read_bytes()
    assert zipfile.is_zipfile(io.BytesIO(data))
    assert load_bundle_zip(data).name == "e2e-quick"
    assert_no_exception(page)
    screenshot(page, "04b-models")


def test_dark_mode_renders_the_same_pages_in_the_dark_theme(page, server, browser):
    light_background, light_text = app_colours(page)  # the module's browser: light mode
    assert luminance(light_background) > 0.8 and luminance(light_text) < 0.3
    context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme="dark")
    dark = context.new_page()
    try:
        dark.goto(server["url"])
        dark.wait_for_selector("h1:has-text('TextVAE Studio')", timeout=60_000)
        dark.wait_for_selector(IDLE, timeout=60_000)
        dark.evaluate(WATCH_RUNS)
        screenshot(dark, "09-dark-home")
        for title in ("Home", "Latent space", "Reconstruct"):
            if title != "Home":
                go(dark, title, title)
                screenshot(dark, f"09-dark-{title.lower().replace(' ', '-')}")
            background, text = app_colours(dark)
            # .streamlit/config.toml's [theme.dark]: a dark background, light text, not the light theme's colours
            assert luminance(background) < 0.15 and luminance(text) > 0.7, (title, background, text)
            assert background != light_background
        assert background == (15, 18, 32)  # backgroundColor = "#0F1220"
    finally:
        context.close()


def test_the_app_asks_nothing_of_the_internet(server, browser):
    """Offline out of the box: every request a page makes (favicon and icon fonts included) goes to the app."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    elsewhere: list[str] = []
    page.on("request", lambda request: None if request.url.startswith(server["url"]) else elsewhere.append(request.url))
    try:
        page.goto(server["url"])
        page.wait_for_selector("h1:has-text('TextVAE Studio')", timeout=60_000)
        page.wait_for_selector(IDLE, timeout=60_000)
        for title, heading in PAGES[1:3]:
            go(page, title, heading)
        icons = page.evaluate("() => [...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
        assert icons and all(href.startswith(server["url"]) for href in icons), icons
        assert not [url for url in elsewhere if not url.startswith(("data:", "blob:"))], elsewhere
    finally:
        context.close()
