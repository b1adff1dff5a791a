import json

import numpy as np
import pytest

from studio import map_chart
from studio.figures import OTHER_LABELS, QUALITATIVE


def coords(n: int) -> np.ndarray:
    return np.arange(2.0 * n).reshape(n, 2)


def test_three_datasets_in_a_fixed_order_with_the_matches_and_your_sentence_apart():
    highlight = np.array([False, True, False, True])
    named, categories = map_chart.datasets(
        coords(4), ["a", "<b>b</b>", "c", "d"], [2, 10, 2, 1], "category", highlight, (np.array([9.0, 8.0]), "typed")
    )
    assert list(named) == ["corpus", "match", "typed"]  # the browser matches datasets by position
    corpus = named["corpus"]
    assert corpus["row"].tolist() == [0, 1, 2, 3] and corpus["sentence"][1] == "<b>b</b>"  # text, not HTML
    assert categories == ["1", "2", "10"]  # legend order: numbers as numbers
    assert set(corpus["alpha"]) == {0.25}  # the others dimmed under a search
    assert named["match"]["sentence"].tolist() == ["<b>b</b>", "d"]
    assert named["match"][["x", "y"]].values.tolist() == [[2.0, 3.0], [6.0, 7.0]]
    assert named["typed"].to_dict("records") == [{"x": 9.0, "y": 8.0, "sentence": "typed"}]


def test_without_a_search_or_a_sentence_those_datasets_hold_one_row_with_no_position():
    named, categories = map_chart.datasets(coords(3), list("abc"), [5, 7, 9], "number")
    for name in ("match", "typed"):  # never empty: a dataset that fills later would redraw the whole chart
        assert len(named[name]) == 1 and named[name][["x", "y"]].isna().all(axis=None)
    assert categories == [] and named["corpus"]["group"].tolist() == [5.0, 7.0, 9.0]
    assert set(named["corpus"]["alpha"]) == {0.75}
    no_match = map_chart.datasets(coords(3), list("abc"), [5, 7, 9], "number", np.zeros(3, bool))[0]["match"]
    assert no_match["x"].isna().all()


def test_too_many_labels_keep_the_commonest_colours_and_group_the_rest_last():
    labels = [f"label {i}" for i in range(40)] + ["label 0"] * 5
    named, categories = map_chart.datasets(coords(45), ["s"] * 45, labels, "category")
    assert len(categories) == len(QUALITATIVE) and categories[-1] == OTHER_LABELS
    assert categories[0] == "label 0" and set(named["corpus"]["group"]) == set(categories)


def test_the_spec_names_its_datasets_and_holds_none_of_their_rows():
    # what varies is in the datasets: Streamlit keeps the chart's view and replaces only a dataset that changed
    spec = map_chart.spec("category", ["1: dog", "2: cat"], "cluster", points=5000)
    text = json.dumps(spec)
    assert '"values"' not in text and '"datasets"' not in text
    assert [layer["data"]["name"] for layer in spec["layer"]] == ["corpus", "match", "typed"]
    assert spec == map_chart.spec("category", ["1: dog", "2: cat"], "cluster", points=5000)
    scale = spec["layer"][0]["encoding"]["color"]["scale"]
    assert scale["domain"] == ["1: dog", "2: cat"] and scale["range"] == QUALITATIVE[:2]
    names = {p["name"] for p in spec["layer"][0]["params"]}
    assert set(map_chart.SELECTIONS) < names  # the box and the clicks, and the zoom bound to the scales
    by_number = map_chart.spec("number", [], "words", points=300, large=True)
    assert by_number["layer"][0]["encoding"]["color"]["type"] == "quantitative"
    assert by_number["config"]["legend"]["labelFontSize"] > spec["config"]["legend"]["labelFontSize"]


def test_selected_rows_join_the_box_and_the_clicks_sorted_once_each():
    xy = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 0.0]])
    box = {"x": [2.5, 0.5], "y": [0.5, 2.5]}  # a box drawn from right to left
    assert map_chart.selected_rows({"box": box}, xy) == [1, 2]
    picks = [{"row": 3}, {"row": 1}, {"row": -1}, {"row": 99}, {"other": 1}, "junk"]  # -1: your sentence
    assert map_chart.selected_rows({"box": box, "pick": picks}, xy) == [1, 2, 3]
    assert map_chart.selected_rows({"box": {}, "pick": []}, xy) == []
    assert map_chart.selected_rows({}, xy) == []


def test_the_extent_is_the_maps_and_grows_only_for_a_sentence_outside_it():
    xy = np.array([[0.0, -1.0], [2.0, 3.0], [1.0, 0.0]])
    assert map_chart.extent(xy) == ([0.0, 2.0], [-1.0, 3.0])
    assert map_chart.extent(xy, np.array([1.5, 0.5])) == map_chart.extent(xy)  # inside: the same spec
    assert map_chart.extent(xy, np.array([5.0, -2.0])) == ([0.0, 5.0], [-2.0, 3.0])


def ranges(encoding: dict, width: int, height: int) -> tuple[list[float], list[float]]:
    """The x and y ranges a browser computes from the channels' expressions for a chart of this size."""
    size = {"max": max, "width": width, "height": height, "__builtins__": {}}  # our expressions: these names only
    return tuple(eval(encoding[c]["scale"]["domain"]["expr"], size) for c in ("x", "y"))


def test_the_scales_are_equal_and_show_the_whole_extent_whatever_the_chart_width():
    encoding = map_chart.spec("number", [], "words", 3, ([0.0, 4.0], [-1.0, 1.0]))["encoding"]
    for width, height in ((820, 560), (360, 560), (1100, 560)):
        (x0, x1), (y0, y1) = ranges(encoding, width, height)
        assert (x1 - x0) / width == pytest.approx((y1 - y0) / height)  # a unit as many pixels across as up
        assert x0 <= 0.0 and x1 >= 4.0 and y0 <= -1.0 and y1 >= 1.0  # nothing cut off
        assert (x0 + x1) / 2 == pytest.approx(2.0) and (y0 + y1) / 2 == pytest.approx(0.0)
        assert min(x1 - x0 - 4.0, y1 - y0 - 2.0) == pytest.approx(0.0, abs=1e-9)  # one range fits exactly
    assert "domain" not in map_chart.spec("number", [], "words", 3)["encoding"]["y"]["scale"]  # the data's
