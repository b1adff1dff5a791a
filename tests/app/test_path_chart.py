import json

import numpy as np

from studio import path_chart


def test_the_path_follows_the_grey_dots_in_one_table():
    grey = path_chart.grey_dots(np.arange(20.0).reshape(10, 2), [f"s{i}" for i in range(10)])
    data = path_chart.path_data(grey, np.ones((4, 2)), ["a", "<b>", "c", "d"])
    assert data["kind"].tolist() == ["corpus"] * 10 + ["path"] * 4
    assert data["step"].tolist()[-4:] == [1, 2, 3, 4] and data["sentence"].tolist()[-3] == "<b>"
    assert len(grey) == 10  # the cached grey rows are not changed


def test_the_spec_holds_no_data_and_draws_each_kind_of_row():
    # what varies is in the data: Streamlit then keeps the chart's view and only swaps its data between answers
    spec = json.dumps(path_chart.SPEC)
    assert '"data"' not in spec and '"datasets"' not in spec and '"values"' not in spec
    kinds = [layer["transform"][0]["filter"]["equal"] for layer in path_chart.SPEC["layer"]]
    assert kinds == ["corpus", "path", "path"]
