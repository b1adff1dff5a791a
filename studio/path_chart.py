"""The Interpolate page's path over the grey corpus map, as a Vega-Lite chart.

Not plotly: Streamlit gives a plotly chart an identity derived from its figure, so every new path remounted the
chart and the browser drew it from scratch (a third of an answer's time, benchmarks/README.md "Answers in the
browser"). A keyed Vega-Lite chart keeps its view while its data changes. So the spec holds only the map's extent
(fixed: a new path inside it changes no scale), and two named datasets hold the rest, the grey dots and the path:
the browser replaces only the one whose bytes changed, the path. Imports no streamlit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .figures import UNUSED
from .map_chart import extent, position

START, END = "#E4572E", "#4F46E5"  # the path runs from the first sentence (red) to the second (blue)
HEIGHT = 460


def spec(domain: tuple[list[float], list[float]] | None = None) -> dict:
    """The chart: grey dots, then the path as a line and numbered dots; ``domain``: the x and y ranges
    (map_chart.extent()), else the data's."""
    return {
        "height": HEIGHT,
        "encoding": position(domain),
        "layer": [
            {
                "data": {"name": "grey"},
                "mark": {"type": "circle", "size": 18, "color": UNUSED, "opacity": 0.45},
                "encoding": {"tooltip": [{"field": "sentence", "title": "corpus"}]},
            },
            {
                "data": {"name": "path"},
                "mark": {"type": "line", "color": START, "strokeWidth": 3},
                "encoding": {"order": {"field": "step", "type": "quantitative"}},
            },
            {
                "data": {"name": "path"},
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
    """The grey dots' dataset (built once per model and corpus)."""
    return pd.DataFrame({"x": coords[:, 0], "y": coords[:, 1], "sentence": sentences})


def datasets(grey: pd.DataFrame, path: np.ndarray, sentences: list[str]) -> dict[str, pd.DataFrame]:
    """The chart's named datasets, always in this order (the browser matches them by position): the grey dots, and
    the path (2D coordinates, one row per decoded sentence, numbered from 1)."""
    steps = np.arange(1, len(path) + 1)
    rows = pd.DataFrame({"x": path[:, 0], "y": path[:, 1], "step": steps, "sentence": sentences})
    return {"grey": grey, "path": rows}


def chart(grey: pd.DataFrame, path: np.ndarray, sentences: list[str]) -> dict:
    """The whole Vega-Lite spec for ``st.vega_lite_chart``: ``spec`` over the extent of the dots and the path, with
    ``datasets``."""
    domain = extent(grey[["x", "y"]].to_numpy(), path)
    return spec(domain) | {"datasets": datasets(grey, path, sentences)}
