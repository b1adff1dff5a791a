"""Every plotly figure the app draws, built from plain data. Imports plotly, never streamlit (unit-tested)."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas  # noqa: F401 (plotly uses a pandas it finds in sys.modules: this waits for one the warm-up is importing)
import plotly.graph_objects as go

QUALITATIVE = [
    "#4F46E5",
    "#E4572E",
    "#17BEBB",
    "#F2A541",
    "#76B041",
    "#C65BCF",
    "#2E86AB",
    "#A23B72",
    "#6C757D",
    "#D1495B",
    "#00A896",
    "#8D6A9F",
    "#F18F01",
    "#3D5A80",
    "#9BC53D",
    "#E07A5F",
]
OTHER_LABELS = "(other labels)"
COLLAPSED_KL = 0.05  # nats: a latent dimension below this carries (almost) no information
UNUSED, USED = "#B8BCCB", "#4F46E5"  # bar colours of collapsed and used dimensions


def natural_key(text: str) -> list:
    """Sort key that puts "2: dog, park" before "10: food, waiter" (numbers compared as numbers)."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part]


def category_values(color: np.ndarray | list) -> tuple[np.ndarray, list[str]]:
    """(each point's category as text, the categories in legend order). More categories than colours to tell apart:
    the commonest keep theirs and the rest are grouped as OTHER_LABELS, last."""
    import pandas as pd

    values = np.asarray([str(c) for c in color], dtype=object)
    counts = pd.Series(values).value_counts()
    if len(counts) > len(QUALITATIVE):
        values = np.where(np.isin(values, counts.index[: len(QUALITATIVE) - 1]), values, OTHER_LABELS)
    categories = sorted(pd.unique(values), key=lambda v: (v == OTHER_LABELS, natural_key(v)))
    return values, [str(c) for c in categories]


def hover_text(sentences: list[str], width: int = 80) -> list[str]:
    """HTML-escaped, wrapped sentences for plotly hover labels (which render HTML)."""
    out = []
    for s in sentences:
        lines, line = [], ""
        for word in s.split():
            if line and len(line) + len(word) + 1 > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
        out.append("<br>".join(html.escape(x, quote=False) for x in lines[:6]))
    return out


def latent_figure(
    coords: np.ndarray,
    sentences: list[str],
    color: np.ndarray | list,
    color_kind: str,
    color_title: str,
    highlight: np.ndarray | None = None,
    extra: list[dict] | None = None,
    height: int = 560,
) -> go.Figure:
    """Scatter of the map: 3D (the Latent space page; its 2D map is Vega-Lite, studio/map_chart.py), or 2D in SVG
    (the grey background of AE vs VAE). customdata holds (corpus row, escaped sentence) for hover and selection."""
    dims = coords.shape[1]
    n = len(coords)
    escaped = hover_text(sentences)
    custom = np.empty((n, 2), dtype=object)
    custom[:, 0] = np.arange(n)
    custom[:, 1] = escaped
    template = "%{customdata[1]}<extra>%{fullData.name}</extra>"
    fig = go.Figure()
    size = 5 if n > 2000 else 7

    def scatter(mask: np.ndarray, name: str, marker: dict, showlegend: bool = True):
        xyz = {"x": coords[mask, 0], "y": coords[mask, 1]}
        common = dict(mode="markers", name=name, customdata=custom[mask], hovertemplate=template, showlegend=showlegend)
        if dims == 3:
            xyz["z"] = coords[mask, 2]
            marker = {**marker, "size": max(2, marker.get("size", size) - 3)}
            fig.add_trace(go.Scatter3d(marker=marker, **common, **xyz))
        else:
            fig.add_trace(go.Scatter(marker=marker, **common, **xyz))

    dim_others = highlight is not None and highlight.any()
    if color_kind == "category":
        values, categories = category_values(color)
        for i, cat in enumerate(categories):
            mask = values == cat
            # Labels come from user files; plotly renders legend text as HTML, so escape it.
            scatter(
                mask,
                html.escape(str(cat)),
                {"size": size, "color": QUALITATIVE[i % len(QUALITATIVE)], "opacity": 0.25 if dim_others else 0.75},
            )
    else:
        scatter(
            np.ones(n, dtype=bool),
            color_title,
            {
                "size": size,
                "color": np.asarray(color, dtype=float),
                "colorscale": "Viridis",
                "opacity": 0.25 if dim_others else 0.8,
                "colorbar": {"title": {"text": color_title}, "thickness": 12},
            },
            showlegend=False,
        )
    if dim_others:
        scatter(
            highlight,
            "search match",
            {"size": size + 6, "color": "#FF2D55", "line": {"width": 1, "color": "white"}, "symbol": "diamond"},
        )
    for item in extra or []:
        xyz = {"x": item["coords"][:, 0], "y": item["coords"][:, 1]}
        text = hover_text(item["text"])
        common = dict(
            mode=item.get("mode", "markers"),
            name=item["name"],
            customdata=np.stack([np.full(len(text), -1, dtype=object), np.asarray(text, dtype=object)], 1),
            hovertemplate=template,
            marker=item.get("marker", {"size": 14, "color": "#FF2D55", "symbol": "star"}),
            line=item.get("line"),
        )
        if dims == 3:
            xyz["z"] = item["coords"][:, 2]
            # 3D markers have no star: a diamond (a typed sentence and then the 3D view raised a ValueError)
            symbol = common["marker"].get("symbol")
            common["marker"] = {**common["marker"], "size": 7} | ({"symbol": "diamond"} if symbol == "star" else {})
            fig.add_trace(go.Scatter3d(**{k: v for k, v in common.items() if v is not None}, **xyz))
        else:
            fig.add_trace(go.Scatter(**{k: v for k, v in common.items() if v is not None}, **xyz))
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        # above the map, wrapping: a legend on the right took 30% of a phone's width
        legend=dict(itemsizing="constant", orientation="h", yanchor="bottom", y=1.01, xanchor="left", x=0),
        dragmode="lasso" if dims == 2 else "orbit",
        hoverlabel=dict(align="left"),
    )
    if dims == 2:
        fig.update_xaxes(showticklabels=False, title=None, zeroline=False)
        fig.update_yaxes(showticklabels=False, title=None, zeroline=False, scaleanchor="x", scaleratio=1)
    else:
        hidden = dict(showticklabels=False, title="")
        fig.update_layout(scene=dict(xaxis=hidden, yaxis=hidden, zaxis=hidden))
    return fig


def grey_map_figure(coords: np.ndarray, sentences: list[str]) -> go.Figure:
    """The corpus as small grey dots: the background of points drawn over the map. SVG, not WebGL: for the few
    hundred dots of a background a browser without a GPU paints it in about half the time (benchmarks/README.md,
    "Answers in the browser")."""
    fig = latent_figure(coords, sentences, ["corpus"] * len(sentences), "category", "", height=460)
    fig.update_traces(marker_color=UNUSED, marker_opacity=0.35, marker_size=4, selector={"name": "corpus"})
    return fig


def prior_points_figure(coords: np.ndarray, sentences: list[str], prior_coords: np.ndarray) -> go.Figure:
    """The corpus in grey and random points of the prior N(0, I) as numbered stars (AE vs VAE): where they fall."""
    fig = grey_map_figure(coords, sentences)
    fig.add_scatter(
        x=prior_coords[:, 0],
        y=prior_coords[:, 1],
        mode="markers+text",
        text=[str(i + 1) for i in range(len(prior_coords))],
        textposition="top center",
        marker=dict(size=13, color="#E4572E", symbol="star"),
        name="random points z ~ N(0, I)",
        hoverinfo="skip",
    )
    return fig


def _small_layout(fig: go.Figure, title: str, height: int, **layout) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, font=dict(size=14)), height=height, margin=dict(l=10, r=10, t=40, b=10), **layout
    )
    return fig


def loss_figures(steps: list[dict], valids: list[dict]) -> tuple[go.Figure, go.Figure]:
    """The live training curves from Trainer events: (losses per step with validation −ELBO, KL with its weight β)."""
    x = [e["step"] for e in steps]
    loss = go.Figure()
    loss.add_trace(go.Scatter(x=x, y=[e["recon"] for e in steps], name="reconstruction", line=dict(color="#4F46E5")))
    loss.add_trace(
        go.Scatter(x=x, y=[e["recon"] + e["kl"] for e in steps], name="−ELBO (train)", line=dict(color="#17BEBB"))
    )
    if valids:
        loss.add_trace(
            go.Scatter(
                x=[e["step"] for e in valids],
                y=[e["elbo"] for e in valids],
                name="−ELBO (validation)",
                mode="lines+markers",
                line=dict(color="#E4572E", dash="dot"),
            )
        )
    legend = dict(orientation="h", y=-0.25)
    _small_layout(loss, "Loss per sentence (nats)", 300, legend=legend, xaxis_title="step")
    kl = go.Figure()
    kl.add_trace(go.Scatter(x=x, y=[e["kl"] for e in steps], name="KL (nats)", line=dict(color="#F2A541")))
    beta_line = dict(color="#6C757D", dash="dash")
    kl.add_trace(go.Scatter(x=x, y=[e["beta"] for e in steps], name="β (KL weight)", yaxis="y2", line=beta_line))
    beta_axis = dict(
        title="β",
        overlaying="y",
        side="right",
        range=[0, max([1.0] + [e["beta"] for e in steps]) * 1.05],
        showgrid=False,
        tickmode="linear",
        tick0=0,
        dtick=0.25,
        tickformat=".2f",
    )
    _small_layout(
        kl,
        "KL and its weight β",
        300,
        legend=legend,
        xaxis_title="step",
        yaxis=dict(title="KL (nats)"),
        yaxis2=beta_axis,
    )
    return loss, kl


def kl_per_dim_figure(kl_per_dim: list[float], title: str = "KL per latent dimension (validation)") -> go.Figure:
    """Bars of the KL per latent dimension; collapsed dimensions grey, under a dotted threshold line."""
    values = np.asarray(kl_per_dim, dtype=float)
    fig = go.Figure(
        go.Bar(
            x=np.arange(1, len(values) + 1),
            y=values,
            marker_color=np.where(values < COLLAPSED_KL, UNUSED, USED),
            hovertemplate="dimension %{x}: %{y:.3f} nats<extra></extra>",
        )
    )
    fig.add_hline(
        y=COLLAPSED_KL,
        line_dash="dot",
        line_color="#E4572E",
        annotation_text="collapse threshold",
        annotation_position="top right",
        annotation_font=dict(size=11, color="#E4572E"),
    )
    return _small_layout(fig, title, 280, xaxis_title="dimension", yaxis_title="nats", bargap=0.15)


def length_histogram(histogram: dict[int, int]) -> go.Figure:
    """Sentences per length in tokens (corpus_stats' length_histogram)."""
    fig = go.Figure(
        go.Bar(
            x=list(histogram),
            y=list(histogram.values()),
            marker_color=USED,
            hovertemplate="%{x} tokens: %{y} sentences<extra></extra>",
        )
    )
    fig.update_layout(
        height=320,
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis_title="tokens per sentence",
        yaxis_title="sentences",
        bargap=0.05,
    )
    return fig


def code_figure(mu: np.ndarray, sigma: np.ndarray, kl_per_dim: np.ndarray) -> go.Figure:
    """One sentence's code z: the posterior mean per dimension with ±σ error bars, collapsed dimensions grey."""
    fig = go.Figure(
        go.Bar(
            x=np.arange(1, len(mu) + 1),
            y=mu,
            error_y=dict(type="data", array=sigma, color="#9AA0B4", thickness=1),
            marker_color=np.where(kl_per_dim < COLLAPSED_KL, UNUSED, USED),
            customdata=np.stack([sigma, kl_per_dim], 1),
            hovertemplate="dimension %{x}<br>μ = %{y:.3f}<br>σ = %{customdata[0]:.3f}<br>"
            "KL = %{customdata[1]:.3f} nats<extra></extra>",
        )
    )
    fig.update_layout(
        height=280, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="dimension", yaxis_title="μ  (bars: ±σ)"
    )
    return fig


def latent_frames_figure(
    steps: list[int], coords: np.ndarray, sentences: list[str], clusters: np.ndarray, animate: bool, height: int = 430
) -> go.Figure:
    """The live map: probe sentences at each snapshot (``coords``: snapshots x sentences x 2), on fixed axes.

    ``animate``: every frame, with play / pause and a scrubber over training steps; else the last frame only
    (while training: the fragment redraws it as new frames arrive).
    """
    reach = float(np.abs(coords).max()) * 1.1 or 1.0
    colours = [QUALITATIVE[int(c) % len(QUALITATIVE)] for c in clusters]
    hover = hover_text(sentences)

    def points(i: int) -> go.Scatter:
        return go.Scatter(
            x=coords[i, :, 0],
            y=coords[i, :, 1],
            mode="markers",
            marker=dict(size=6, color=colours, opacity=0.75),
            text=hover,
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        )

    origin = go.Scatter(
        x=[0], y=[0], mode="markers", marker=dict(symbol="x-thin", size=14, line=dict(width=2, color="#6C757D"))
    )
    origin.update(hoverinfo="skip", showlegend=False)
    last = len(steps) - 1
    fig = go.Figure([points(last), origin])
    axis = dict(range=[-reach, reach], showticklabels=False, zeroline=False, title=None)
    fig.update_layout(xaxis=axis, yaxis={**axis, "scaleanchor": "x", "scaleratio": 1})
    title = f"Held-out sentences in z, step {steps[last]:,}"
    if animate and len(steps) > 1:
        fig.frames = [go.Frame(data=[points(i)], traces=[0], name=str(s)) for i, s in enumerate(steps)]
        play = dict(frame=dict(duration=180, redraw=False), transition=dict(duration=120), fromcurrent=True)
        pause = dict(frame=dict(duration=0, redraw=False), mode="immediate", transition=dict(duration=0))
        fig.update_layout(
            updatemenus=[
                dict(
                    type="buttons",
                    direction="left",
                    x=0,
                    y=-0.06,
                    xanchor="left",
                    yanchor="top",
                    buttons=[
                        dict(label="▶ Play", method="animate", args=[None, play]),
                        dict(label="❚❚ Pause", method="animate", args=[[None], pause]),
                    ],
                )
            ],
            sliders=[
                dict(
                    active=last,
                    x=0.3,
                    len=0.7,
                    y=-0.02,
                    currentvalue=dict(prefix="step ", font=dict(size=12)),
                    steps=[
                        dict(label=f"{s:,}", method="animate", args=[[str(s)], {**pause, "mode": "immediate"}])
                        for s in steps
                    ],
                )
            ],
        )
        title = "Held-out sentences in z during training (press Play)"
    _small_layout(fig, title, height + (70 if animate else 0))
    return fig.update_layout(margin=dict(l=10, r=10, t=40, b=80 if animate else 10))
