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
