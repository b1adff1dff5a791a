"""The map's cached work never replays UI drawn outside it (issue: a t-SNE computed once broke the page for
everyone with CacheReplayClosureError until the cache expired)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.apptest import assert_ok, open_page, upload
from tests.helpers import make_sentences

CORPUS = ("\n".join(make_sentences(120, seed=5)) + "\n").encode()


def map_of_upload() -> AppTest:
    at = open_page("app_pages/data.py")
    upload(at, "sentences.txt", CORPUS)
    return at.switch_page("app_pages/latent_space.py").run()


def show(at: AppTest, **state) -> AppTest:
    for key, value in state.items():
        at.session_state[f"keep.map.{key}"] = value
    at.run(timeout=300)
    assert_ok(at)
    return at


def test_two_sessions_compute_tsne_on_the_same_model_and_corpus_one_after_the_other(app_env):
    first = show(map_of_upload(), method="tsne")
    second = show(map_of_upload(), method="tsne")
    assert first.get("plotly_chart") and second.get("plotly_chart")


def test_one_session_goes_tsne_3d_length_2d_and_reloads(app_env):
    at = map_of_upload()
    for state in ({"method": "tsne"}, {"dims": 3}, {"color": "length"}, {"dims": 2}, {"method": "pca"}):
        show(at, **state)
    show(map_of_upload(), method="tsne")  # a reload: a new session, the same corpus, the stored t-SNE map


def test_a_cached_function_never_gets_a_progress_callback():
    """The class of the bug: no st.cache_* function in studio/ takes a UI callback to draw with."""
    import inspect

    from studio import cached, corpora, maps, models

    checked = []
    for module in (cached, corpora, maps, models):
        for name, fn in vars(module).items():
            if hasattr(fn, "clear") and callable(fn) and hasattr(fn, "__wrapped__"):
                params = inspect.signature(fn.__wrapped__).parameters
                assert not {"progress", "_progress", "bar", "_bar"} & set(params), f"{module.__name__}.{name}"
                checked.append(name)
    assert len(checked) >= 10  # the cached functions were found (the check cannot pass on nothing)


def wait_for(condition, seconds: float = 120) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)


def pca_note(at: AppTest) -> bool:
    return any("PCA axes explain" in c.value for c in at.caption)


def test_tsne_runs_in_the_background_and_the_map_shows_pca_until_it_is_ready(app_env):
    from studio import maps, projections

    at = show(map_of_upload(), method="pca")
    corpus_id = at.session_state["corpus_id"]
    wait_for(lambda: maps.tsne_progress(corpus_id, 2) is None)  # the tests above may have started this map
    projections.PROJECTIONS.clear()  # ...and stored it: this test starts from a server that never computed it
    at = show(at, method="tsne")  # returns at once: no t-SNE in the page run
    assert pca_note(at) and at.get("plotly_chart")
    assert maps.tsne_progress(corpus_id, 2) is not None or projections.PROJECTIONS.get(
        (at.session_state["model_id"], corpus_id, projections.MAP_POINT_CAP, "tsne", 2)
    )
    wait_for(lambda: maps.tsne_progress(corpus_id, 2) is None)
    at.run()
    assert_ok(at)
    assert not pca_note(at)  # the t-SNE map now


def test_a_model_made_active_gets_its_corpus_region_in_the_background(app_env, trained):
    from studio import cached
    from textvae.bundle import bundle_to_zip

    at = open_page("app_pages/data.py")
    upload(at, "sentences.txt", CORPUS)
    at.switch_page("app_pages/models.py").run()
    at.file_uploader(key="models.upload").set_value(("tiny.zip", bundle_to_zip(trained[1]), "application/zip")).run()
    assert_ok(at)
    key = (at.session_state["model_id"], at.session_state["corpus_id"])
    wait_for(lambda: cached.REGIONS.get(key) is not None)  # without anyone opening the Sample page
    assert cached.REGIONS.get(key).sentences == len(at.session_state["corpus"].sentences)  # the uploaded corpus's


def test_a_model_made_active_gets_its_tsne_map_in_the_background(app_env, monkeypatch, trained):
    from studio import projections
    from textvae.bundle import bundle_to_zip

    monkeypatch.setenv("TEXTVAE_BACKGROUND_TSNE", "1")
    at = open_page("app_pages/data.py")
    upload(at, "sentences.txt", CORPUS)
    at.switch_page("app_pages/models.py").run()
    data = ("tiny.zip", bundle_to_zip(trained[1]), "application/zip")
    at.file_uploader(key="models.upload").set_value(data).run()
    assert_ok(at)
    key = (at.session_state["model_id"], at.session_state["corpus_id"], projections.MAP_POINT_CAP, "tsne", 2)
    wait_for(lambda: projections.PROJECTIONS.get(key) is not None)  # without anyone opening the map
    show(at.switch_page("app_pages/latent_space.py"), method="tsne")
    assert not pca_note(at)
