"""studio.figures: the plotly figures, built from plain data (no Streamlit, no model)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import plotly.graph_objects as go

from studio import figures
from tests.app.apptest import ROOT


def coords(n: int, dims: int = 2) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(n, dims))


def test_figures_never_imports_streamlit():
    code = "import sys, studio.figures; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_hover_text_escapes_html():
    assert figures.hover_text(["<b>bold</b> & more"]) == ["&lt;b&gt;bold&lt;/b&gt; &amp; more"]


def test_hover_text_wraps_long_sentences_and_keeps_six_lines():
    [text] = figures.hover_text([" ".join(["word"] * 200)], width=20)
    lines = text.split("<br>")
    assert len(lines) == 6 and all(len(line) <= 20 for line in lines)


def test_the_latent_map_escapes_sentences_and_labels():
    fig = figures.latent_figure(coords(3), ["<i>a</i>", "b", "c"], ["<x>", "y", "y"], "category", "label")
    assert {trace.name for trace in fig.data} == {"&lt;x&gt;", "y"}
    hover = [row[1] for trace in fig.data for row in trace.customdata]
    assert "&lt;i&gt;a&lt;/i&gt;" in hover and "<i>a</i>" not in hover
    assert all(isinstance(trace, go.Scatter) for trace in fig.data)  # SVG: a few hundred dots paint faster
    assert fig.layout.dragmode == "lasso"


def test_customdata_holds_the_map_row_for_selection():
    fig = figures.latent_figure(coords(4), list("abcd"), ["x", "y", "x", "y"], "category", "label")
    rows = sorted(int(row[0]) for trace in fig.data for row in trace.customdata)
    assert rows == [0, 1, 2, 3]


def test_too_many_labels_are_capped_with_other_labels():
    n = 40
    labels = [f"label {i}" for i in range(n)]  # 40 distinct labels, more than there are colours
    fig = figures.latent_figure(coords(n), [f"s{i}" for i in range(n)], labels, "category", "label")
    names = [trace.name for trace in fig.data]
    assert len(names) == len(figures.QUALITATIVE)
    assert names[-1] == figures.OTHER_LABELS  # the group of the rest comes last


def test_clusters_are_ordered_by_number():
    labels = [f"cluster {i}" for i in (10, 2, 1, 2)]
    fig = figures.latent_figure(coords(4), list("abcd"), labels, "category", "cluster")
    assert [trace.name for trace in fig.data] == ["cluster 1", "cluster 2", "cluster 10"]
    named = ["10: food, waiter", "2: dog, park", "9: a much longer name, here", "2: dog, park"]
    fig = figures.latent_figure(coords(4), list("abcd"), named, "category", "cluster")
    assert [trace.name for trace in fig.data] == ["2: dog, park", "9: a much longer name, here", "10: food, waiter"]


def test_a_3d_map_has_3d_traces_and_orbits():
    fig = figures.latent_figure(coords(5, 3), list("abcde"), [1, 2, 3, 4, 5], "number", "words")
    assert len(fig.data) == 1 and isinstance(fig.data[0], go.Scatter3d)
    assert fig.layout.dragmode == "orbit"


def test_search_matches_are_highlighted_and_the_rest_dimmed():
    highlight = np.array([True, False, False, True])
    fig = figures.latent_figure(coords(4), list("abcd"), [1, 2, 3, 4], "number", "words", highlight=highlight)
    match = next(trace for trace in fig.data if trace.name == "search match")
    assert len(match.x) == 2
    assert fig.data[0].marker.opacity == 0.25


def test_no_highlight_trace_without_a_match():
    fig = figures.latent_figure(coords(3), list("abc"), [1, 2, 3], "number", "words", highlight=np.zeros(3, bool))
    assert [trace.name for trace in fig.data] == ["words"] and fig.data[0].marker.opacity == 0.8


def test_an_extra_point_is_drawn_with_its_escaped_text_and_no_map_row():
    extra = [{"coords": coords(1), "text": ["<b>typed</b>"], "name": "your sentence"}]
    fig = figures.latent_figure(coords(3), list("abc"), [1, 2, 3], "number", "words", extra=extra)
    typed = fig.data[-1]
    assert typed.name == "your sentence" and int(typed.customdata[0][0]) == -1
    assert typed.customdata[0][1] == "&lt;b&gt;typed&lt;/b&gt;"
    in_3d = [{"coords": coords(1, 3), "text": ["typed"], "name": "your sentence"}]
    fig = figures.latent_figure(coords(3, 3), list("abc"), [1, 2, 3], "number", "words", extra=in_3d)
    assert fig.data[-1].marker.symbol == "diamond"  # 3D has no star


def test_the_grey_map_is_svg_grey_dots():
    base = figures.grey_map_figure(coords(10), [f"s{i}" for i in range(10)])
    assert base.data[0].name == "corpus" and base.data[0].marker.color == figures.UNUSED
    assert all(type(trace) is go.Scatter for trace in base.data)  # SVG: a WebGL trace would hide what is drawn over it


def test_loss_figures_show_validation_and_beta_on_its_own_axis():
    steps = [{"step": i, "recon": 5.0 - i, "kl": 0.1 * i, "beta": 0.5 * i} for i in range(4)]
    valids = [{"step": 3, "elbo": 3.0}]
    loss, kl = figures.loss_figures(steps, valids)
    assert [t.name for t in loss.data] == ["reconstruction", "−ELBO (train)", "−ELBO (validation)"]
    assert np.allclose(loss.data[1].y, [5.0, 4.1, 3.2, 2.3])
    assert kl.data[1].yaxis == "y2" and kl.layout.yaxis2.range[1] == 1.5 * 1.05
    assert len(figures.loss_figures(steps, [])[0].data) == 2


def test_kl_per_dimension_greys_collapsed_dimensions():
    fig = figures.kl_per_dim_figure([0.0, 0.3, 0.01, 2.0])
    assert list(fig.data[0].marker.color) == [figures.UNUSED, figures.USED, figures.UNUSED, figures.USED]
    assert list(fig.data[0].x) == [1, 2, 3, 4]
    assert fig.layout.shapes[0].y0 == figures.COLLAPSED_KL


def test_length_histogram_and_code_figure():
    hist = figures.length_histogram({3: 10, 5: 2})
    assert list(hist.data[0].x) == [3, 5] and list(hist.data[0].y) == [10, 2]
    code = figures.code_figure(np.array([0.5, -1.0]), np.array([0.9, 0.2]), np.array([0.01, 1.5]))
    bar = code.data[0]
    assert list(bar.error_y.array) == [0.9, 0.2]
    assert list(bar.marker.color) == [figures.UNUSED, figures.USED]


def test_the_live_map_animates_every_frame_on_fixed_axes_with_play_pause_and_a_scrubber():
    frames = np.random.default_rng(0).normal(size=(5, 40, 2)) * np.arange(1, 6)[:, None, None]
    steps = [0, 25, 50, 75, 80]
    fig = figures.latent_frames_figure(steps, frames, [f"s{i}" for i in range(40)], np.arange(40) % 3, animate=True)
    assert [f.name for f in fig.frames] == ["0", "25", "50", "75", "80"]
    np.testing.assert_allclose(fig.frames[2].data[0].x, frames[2, :, 0])
    reach = np.abs(frames).max() * 1.1
    assert tuple(fig.layout.xaxis.range) == (-reach, reach)  # still axes: the points move, not the frame
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["▶ Play", "❚❚ Pause"]
    assert [s.label for s in fig.layout.sliders[0].steps] == ["0", "25", "50", "75", "80"]
    live = figures.latent_frames_figure(steps, frames, [f"s{i}" for i in range(40)], np.zeros(40), animate=False)
    assert not live.frames and not live.layout.sliders
    np.testing.assert_allclose(live.data[0].x, frames[-1, :, 0])  # while training: the newest frame


def test_prior_points_are_numbered_stars_over_the_grey_corpus():
    coords = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]])
    fig = figures.prior_points_figure(coords, ["a", "b", "c"], np.array([[5.0, 5.0], [-5.0, 4.0]]))
    stars = fig.data[-1]
    assert list(stars.text) == ["1", "2"] and stars.marker.symbol == "star" and list(stars.x) == [5.0, -5.0]
    assert sum(len(t.x) for t in fig.data[:-1]) == 3
