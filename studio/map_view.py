"""The Latent space page's widgets: the map's controls, the selected sentences, nearest neighbours, cluster summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from studio.components import csv_download, sentence_table
from studio.maps import TYPED, TYPED_SENTENCE, MapData, neighbour_choices, neighbour_query
from studio.projections import MAP_POINT_CAP
from studio.state import keep, keep_choice

if TYPE_CHECKING:
    from textvae.latent import ClusterSummary


@dataclass
class MapControls:
    method: str  # pca | tsne | axis
    dims: int  # 2 | 3
    color_by: str  # cluster | length | label
    k: int  # clusters
    cap: int  # most sentences mapped
    axis: tuple[str, str] | None = None  # method "axis": x runs from the first label's mean code to the second's


def map_controls(has_labels: bool, axis_labels: list[str]) -> MapControls:
    """The row of controls above the map; ``axis_labels`` (two or more) offer a label axis as the projection."""
    # Two rows: the three button groups need their width (one row clipped "Colour by" at 1400 px).
    c = st.columns([3, 1.2, 3]) + st.columns([1, 1, 2.4])[:2]
    methods = ["pca", "tsne"] + (["axis"] if len(axis_labels) >= 2 else [])
    method = (
        c[0].segmented_control(
            "Projection",
            methods,
            format_func={"pca": "PCA", "tsne": "t-SNE", "axis": "Label axis"}.get,
            key=keep_choice("map.method", methods, "pca"),
            help="PCA: instant, linear, distances keep their meaning. "
            "t-SNE: slower, keeps neighbourhoods, clusters look crisper. "
            "Label axis: x runs from one label's average code to another's (the Steer page's direction).",
        )
        or "pca"
    )
    dims = c[1].segmented_control("View", [2, 3], format_func=lambda d: f"{d}D", key=keep("map.dims", 2)) or 2
    color_options = ["cluster", "length"] + (["label"] if has_labels else [])
    color_by = (
        c[2].segmented_control(
            "Colour by",
            color_options,
            format_func=str.capitalize,
            key=keep_choice("map.color", color_options, "cluster"),
        )
        or "cluster"
    )
    k = c[3].number_input(
        "Clusters",
        2,
        30,
        key=keep("map.k", 8),
        help="k-means clusters on the codes, for colours and the summary below.",
    )
    cap = c[4].number_input(
        "Max points",
        500,
        20_000,
        step=500,
        key=keep("map.cap", MAP_POINT_CAP),
        help="A random sample of this many sentences is mapped.",
    )
    axis = axis_choice(axis_labels) if method == "axis" else None
    return MapControls(method, int(dims), color_by, int(k), int(cap), axis)


def axis_choice(labels: list[str]) -> tuple[str, str]:
    """The two labels of the label axis, shared with the Steer page (the same widget keys)."""
    from studio.steering import default_pair

    first, second = default_pair(labels)
    c1, c2, _ = st.columns([1, 1, 2])
    source = c1.selectbox("Axis from (x = 0)", labels, key=keep_choice("steer.from", labels, first))
    targets = [label for label in labels if label != source]
    fallback = second if second in targets else targets[0]
    return source, c2.selectbox("to (x = 1)", targets, key=keep_choice("steer.to", targets, fallback))


def selection_table(data: MapData, summary: ClusterSummary, rows: list[int]) -> None:
    """The sentences selected on the map (a box or clicked dots), with a CSV download; a tip when there are none."""
    if not rows:
        st.caption(
            "Tip: drag a box on the map to list the sentences in it, or click a dot (shift-click adds more). "
            "Scroll to zoom, shift-drag to pan, double-click to start again."
        )
        return
    st.subheader(f"Selected: {len(rows):,} sentence{'' if len(rows) == 1 else 's'}")
    frame = pd.DataFrame(
        {"sentence": [data.sentences[i] for i in rows], "cluster": [int(summary.labels[i]) + 1 for i in rows]}
    )
    if data.labels is not None:
        frame["label"] = [data.labels[i] for i in rows]
    st.dataframe(
        frame,
        width="stretch",
        hide_index=True,
        height=min(400, 38 + 35 * len(frame)),
        column_config={
            "sentence": st.column_config.TextColumn(width="large"),
            "cluster": st.column_config.NumberColumn(width="small"),
        },
    )
    csv_download(frame, "selection.csv", label="Download selection (CSV)")


def neighbours(data: MapData, summary: ClusterSummary, typed_z: np.ndarray | None) -> None:
    """A sentence picker (starting at the biggest cluster's most central sentence) and its nearest neighbours in z."""
    from textvae.latent import nearest_neighbors

    by_size = sorted(range(len(summary.sizes)), key=lambda c: -summary.sizes[c])
    options = neighbour_choices(len(data.sentences), [summary.representatives[c] for c in by_size], typed_z is not None)
    c1, c2 = st.columns([3, 1])
    choice = c1.selectbox(
        "Sentence",
        options,
        format_func=lambda row: TYPED_SENTENCE if row == TYPED else data.sentences[row][:150],
        key="map.nn.choice",
        help="The one you typed above; the most central sentence of each cluster, the biggest cluster first; any of "
        "the first 2,000 mapped sentences.",
    )
    n_neigh = c2.slider("How many", 3, 30, 10, key=keep("map.nn.k", 10))
    query, exclude = neighbour_query(choice, data.z, typed_z)
    hits = nearest_neighbors(data.z, query, int(n_neigh), exclude=exclude)
    sentence_table(
        pd.DataFrame({"distance": [f"{d:.3f}" for _, d in hits], "sentence": [data.sentences[i] for i, _ in hits]})
    )
    st.caption("Euclidean distance between posterior means: 0 is the same code.")


def cluster_table(data: MapData, summary: ClusterSummary, k: int, words: list[list[str]]) -> None:
    """The k-means clusters, biggest first, each with its most distinctive words and its most central sentence."""
    st.caption(
        f"{k} clusters of codes (k-means), each shown by the words that set it apart from the others (class-based "
        "TF-IDF: common in this cluster, rare in the rest) and by its most central sentence."
    )
    frame = pd.DataFrame(
        {
            "cluster": np.arange(1, len(summary.sizes) + 1),
            "sentences": summary.sizes,
            "top words": [", ".join(w) for w in words],
            "most central sentence": [data.sentences[i] for i in summary.representatives],
        }
    ).sort_values("sentences", ascending=False)
    sentence_table(frame)
