import json

import numpy as np

from studio import map_chart, path_chart


def test_the_path_is_its_own_dataset_after_the_grey_dots():
    grey = path_chart.grey_dots(np.arange(20.0).reshape(10, 2), [f"s{i}" for i in range(10)])
    named = path_chart.datasets(grey, np.ones((4, 2)), ["a", "<b>", "c", "d"])
    assert list(named) == ["grey", "path"]  # the browser matches datasets by position
    assert named["grey"] is grey  # the cached dots, unchanged: the browser keeps them
    assert named["path"]["step"].tolist() == [1, 2, 3, 4] and named["path"]["sentence"][1] == "<b>"


def test_the_spec_names_its_datasets_and_holds_none_of_their_rows():
    # what varies is in the datasets: Streamlit keeps the chart's view and replaces only the path between answers
    domain = map_chart.extent(np.arange(20.0).reshape(10, 2))
    spec = path_chart.spec(domain)
    text = json.dumps(spec)
    assert '"values"' not in text and '"datasets"' not in text
    assert [layer["data"]["name"] for layer in spec["layer"]] == ["grey", "path", "path"]
    assert spec["encoding"] == map_chart.position(domain) and spec == path_chart.spec(domain)  # the map's scales
