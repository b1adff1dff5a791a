"""The Latent space page's 2D map, as a Vega-Lite chart.

Not plotly: Streamlit derives a plotly chart's identity from its figure, so placing a sentence, searching or any
other change remounted the map, and a browser without a GPU drew its 5,000 points from scratch with a new WebGL
context, twice (0.6-0.8 s of a 0.9-s answer; benchmarks/README.md "Answers in the browser"). A keyed Vega-Lite chart
keeps its view while its data changes. So the spec holds only what the colouring decides and the map's extent, and
everything else (the dots, their opacity, the search matches, your sentence) is data. The 3D map stays plotly.
Imports no streamlit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .figures import QUALITATIVE, category_values

HIGHLIGHT = "#FF2D55"  # search matches and your sentence
STAR = (  # a five-pointed star in Vega's unit square
    "M0,-1L0.2245,-0.309L0.9511,-0.309L0.3633,0.118L0.5878,0.809L0,0.382L-0.5878,0.809L-0.3633,0.118"
    "L-0.9511,-0.309L-0.2245,-0.309Z"
)
SELECTIONS = ("box", "pick")  # drag a box, or click dots (shift-click adds): the selections the page lists
HEIGHT = 560
# An empty dataset's place: one row Vega leaves out (no position). A dataset that was empty when the chart was drawn
# and then gets rows makes the browser draw the chart anew (the first typed sentence did); one that changes is swapped.
NOTHING = pd.DataFrame({"x": [np.nan], "y": [np.nan], "sentence": [""]})


def position(domain: tuple[list[float], list[float]] | None) -> dict:
    """The x and y channels, no axes drawn. Over ``domain`` (extent()) with equal scales: as many pixels a unit across
    as up, whatever the chart's width (plotly's scaleanchor), so a map is not stretched to its box; the ranges are
    Vega expressions of the chart's size, centred on the extent. Without a domain, the data's ranges."""
    scale = {"zero": False, "nice": False, "padding": 8}
    if domain is None:
        return {c: {"field": c, "type": "quantitative", "axis": None, "scale": scale} for c in ("x", "y")}
    (x0, x1), (y0, y1) = domain
    per_pixel = f"max({max(x1 - x0, 1e-9)!r} / width, {max(y1 - y0, 1e-9)!r} / height)"
    ranges = {
        "x": f"[{(x0 + x1) / 2!r} - {per_pixel} * width / 2, {(x0 + x1) / 2!r} + {per_pixel} * width / 2]",
        "y": f"[{(y0 + y1) / 2!r} - {per_pixel} * height / 2, {(y0 + y1) / 2!r} + {per_pixel} * height / 2]",
    }
    return {
        c: {"field": c, "type": "quantitative", "axis": None, "scale": scale | {"domain": {"expr": ranges[c]}}}
        for c in ("x", "y")
    }


def extent(coords: np.ndarray, more: np.ndarray | None = None) -> tuple[list[float], list[float]]:
    """The x and y ranges of the map's points and of ``more`` (your sentence, a path): fixed in the spec, so that a
    new point inside them changes no scale and Vega redraws only what is new."""
    points = coords[:, :2] if more is None else np.vstack([coords[:, :2], np.atleast_2d(more)[:, :2]])
    low, high = points.min(0), points.max(0)
    return [float(low[0]), float(high[0])], [float(low[1]), float(high[1])]


_PLAIN_DRAG = "[pointerdown[!event.shiftKey], window:pointerup] > window:pointermove!"
_SHIFT_DRAG = "[pointerdown[event.shiftKey], window:pointerup] > window:pointermove!"


def spec(
    color_kind: str,
    categories: list[str],
    title: str,
    points: int,
    domain: tuple[list[float], list[float]] | None = None,
    large: bool = False,
) -> dict:
    """The chart for a colouring: by ``categories`` (``color_kind`` "category") or by a number. ``points``: how many
    dots (many are drawn smaller); ``domain``: the x and y ranges (extent()), else the data's; ``large``:
    presentation mode's bigger legend."""
    if color_kind == "category":
        colours = [QUALITATIVE[i % len(QUALITATIVE)] for i in range(len(categories))]
        color = {
            "field": "group",
            "type": "nominal",
            "scale": {"domain": categories, "range": colours},
        }
    else:
        color = {"field": "group", "type": "quantitative", "scale": {"scheme": "viridis"}}
    # above the map, two columns: a legend on the right took 30% of a phone's width
    color["legend"] = {"title": title, "orient": "top", "columns": 2, "labelLimit": 260, "symbolOpacity": 1}
    font = 17 if large else 12
    return {
        "height": HEIGHT,
        "encoding": position(domain),
        "layer": [
            {
                "data": {"name": "corpus"},
                "mark": {"type": "circle", "size": 22 if points > 2000 else 45},
                "encoding": {
                    "color": color,
                    "opacity": {"field": "alpha", "type": "quantitative", "scale": None, "legend": None},
                    "tooltip": [{"field": "sentence", "title": "sentence"}, {"field": "group", "title": title}],
                },
                "params": [
                    {"name": "box", "select": {"type": "interval", "on": _PLAIN_DRAG}},
                    {"name": "pick", "select": {"type": "point", "fields": ["row"], "on": "click"}},
                    {
                        "name": "zoom",
                        "select": {"type": "interval", "zoom": "wheel!", "translate": _SHIFT_DRAG},
                        "bind": "scales",
                    },
                ],
            },
            {
                "data": {"name": "match"},
                "mark": {
                    "type": "point",
                    "shape": "diamond",
                    "filled": True,
                    "size": 90,
                    "color": HIGHLIGHT,
                    "stroke": "white",
                    "strokeWidth": 0.8,
                    "opacity": 1,
                },
                "encoding": {"tooltip": [{"field": "sentence", "title": "search match"}]},
            },
            {
                "data": {"name": "typed"},
                "mark": {
                    "type": "point",
                    "shape": STAR,
                    "filled": True,
                    "size": 560,
                    "color": HIGHLIGHT,
                    "stroke": "white",
                    "strokeWidth": 1,
                    "opacity": 1,
                },
                "encoding": {"tooltip": [{"field": "sentence", "title": "your sentence"}]},
            },
        ],
        "config": {"view": {"stroke": None}, "legend": {"labelFontSize": font, "titleFontSize": font}},
    }


def datasets(
    coords: np.ndarray,
    sentences: list[str],
    color: np.ndarray | list,
    color_kind: str,
    highlight: np.ndarray | None = None,
    typed: tuple[np.ndarray, str] | None = None,
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """(the chart's named datasets, the categories in legend order): "corpus", one row per map sentence (row = its
    map row); "match", the search matches drawn over it; "typed", your sentence at ``typed``'s 2D point. Three
    datasets, always in this order and never empty (NOTHING), because the browser replaces only a dataset whose bytes
    changed: a new typed sentence redraws one star, not 5,000 dots. Sentences stay plain text: Vega draws legends
    and tooltips as text, never HTML."""
    if color_kind == "category":
        group, categories = category_values(color)
    else:
        group, categories = np.asarray(color, dtype=float), []
    dimmed = highlight is not None and bool(highlight.any())
    corpus = pd.DataFrame({"x": coords[:, 0], "y": coords[:, 1], "row": np.arange(len(coords)), "group": group})
    corpus["alpha"] = 0.25 if dimmed else 0.75
    corpus["sentence"] = sentences
    matches = corpus.iloc[np.flatnonzero(highlight)][["x", "y", "sentence"]] if dimmed else NOTHING
    you = pd.DataFrame({"x": [typed[0][0]], "y": [typed[0][1]], "sentence": [typed[1]]}) if typed else NOTHING
    return {"corpus": corpus, "match": matches.reset_index(drop=True), "typed": you}, categories


def selected_rows(selection: dict, coords: np.ndarray) -> list[int]:
    """The map rows of the page's selection, sorted, once each: the dots inside the dragged box (its x and y
    ranges) and the clicked ones. Your sentence (row -1) is not a map row."""
    chosen: set[int] = set()
    box = selection.get("box") or {}
    if "x" in box and "y" in box:
        (x0, x1), (y0, y1) = sorted(box["x"]), sorted(box["y"])
        inside = (coords[:, 0] >= x0) & (coords[:, 0] <= x1) & (coords[:, 1] >= y0) & (coords[:, 1] <= y1)
        chosen.update(np.flatnonzero(inside).tolist())
    for point in selection.get("pick") or []:
        row = point.get("row") if isinstance(point, dict) else None
        if isinstance(row, (int, float)) and 0 <= int(row) < len(coords):
            chosen.add(int(row))
    return sorted(chosen)
