"""The Interpolate page's path over the grey corpus map, as a Vega-Lite chart.

Not plotly: Streamlit gives a plotly chart an identity derived from its figure, so every new path remounted the
chart and the browser drew it from scratch (a third of an answer's time, benchmarks/README.md "Answers in the
browser"). A Vega-Lite chart whose spec stays the same keeps its view, and only its data changes. So the spec is a
constant and everything that varies (the dots, the path, the sentences) is in the data. Imports no streamlit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .figures import UNUSED

START, END = "#E4572E", "#4F46E5"  # the path runs from the first sentence (red) to the second (blue)
HEIGHT = 460

_AXIS = {"type": "quantitative", "axis": None, "scale": {"zero": False, "nice": False}}


def _only(kind: str) -> list[dict]:
    return [{"filter": {"field": "kind", "equal": kind}}]


SPEC: dict = {
    "height": HEIGHT,
    "encoding": {"x": {"field": "x", **_AXIS}, "y": {"field": "y", **_AXIS}},
    "layer": [
        {
            "transform": _only("corpus"),
            "mark": {"type": "circle", "size": 18, "color": UNUSED, "opacity": 0.45},
            "encoding": {"tooltip": [{"field": "sentence", "title": "corpus"}]},
        },
        {
            "transform": _only("path"),
            "mark": {"type": "line", "color": START, "strokeWidth": 3},
            "encoding": {"order": {"field": "step", "type": "quantitative"}},
        },
        {
            "transform": _only("path"),
            "mark": {"type": "circle", "size": 130, "opacity": 1, "stroke": "white", "strokeWidth": 1},
            "encoding": {
                "color": {
                    "field": "step",
                    "type": "quantitative",
                    "scale": {"range": [START, END]},
                    "legend": None,
                },
                "tooltip": [{"field": "step", "title": "step"}, {"field": "sentence", "title": "sentence"}],
            },
        },
    ],
    "config": {"view": {"stroke": None}},
}


def grey_dots(coords: np.ndarray, sentences: list[str]) -> pd.DataFrame:
    """The corpus rows of the chart's data (built once per model and corpus)."""
    return pd.DataFrame({"x": coords[:, 0], "y": coords[:, 1], "kind": "corpus", "step": 0, "sentence": sentences})


def path_data(grey: pd.DataFrame, path: np.ndarray, sentences: list[str]) -> pd.DataFrame:
    """The chart's data: the grey corpus dots, then the path (2D coordinates, one row per decoded sentence)."""
    steps = np.arange(1, len(path) + 1)
    rows = pd.DataFrame({"x": path[:, 0], "y": path[:, 1], "kind": "path", "step": steps, "sentence": sentences})
    return pd.concat([grey, rows], ignore_index=True)
