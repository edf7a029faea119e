"""Batches respect the server's log-batch limits and never put one param key twice in a request."""

from __future__ import annotations

import json

from trackway.batching import MAX_BODY_BYTES, build_bodies, halves, metric_entry


def _metrics(n: int, key: str = "m") -> list[dict[str, object]]:
    return [metric_entry(key, float(i), 1000 + i, i) for i in range(n)]


def test_metrics_split_at_1000_per_request() -> None:
    bodies = build_bodies("r", _metrics(2500), [], [])
    assert [len(b["metrics"]) for b in bodies] == [1000, 1000, 500]
    assert all(b["params"] == [] and b["tags"] == [] and b["run_id"] == "r" for b in bodies)


def test_params_and_tags_travel_apart_from_metrics_within_limits() -> None:
    params = [{"key": f"p{i}", "value": "v"} for i in range(250)]
    tags = [{"key": f"t{i}", "value": "v"} for i in range(150)]
    bodies = build_bodies("r", _metrics(10), params, tags)
    shapes = [(len(b["params"]), len(b["tags"]), len(b["metrics"])) for b in bodies]
    assert shapes == [(100, 0, 0), (100, 0, 0), (50, 0, 0), (0, 100, 0), (0, 50, 0), (0, 0, 10)]


def test_duplicate_param_keys_never_share_a_request_and_exact_repeats_drop() -> None:
    params = [
        {"key": "a", "value": "1"},
        {"key": "a", "value": "1"},
        {"key": "a", "value": "2"},
        {"key": "b", "value": "1"},
    ]
    bodies = build_bodies("r", [], params, [])
    assert [b["params"] for b in bodies] == [
        [{"key": "a", "value": "1"}, {"key": "b", "value": "1"}],
        [{"key": "a", "value": "2"}],
    ]


def test_last_tag_value_wins() -> None:
    tags = [{"key": "a", "value": "1"}, {"key": "b", "value": "x"}, {"key": "a", "value": "2"}]
    assert build_bodies("r", [], [], tags)[0]["tags"] == [{"key": "a", "value": "2"}, {"key": "b", "value": "x"}]


def test_large_values_split_by_body_size() -> None:
    params = [{"key": f"p{i}", "value": "é" * 6000} for i in range(100)]  # ~3.6 MB once \\u-escaped
    bodies = build_bodies("r", [], params, [])
    assert sum(len(b["params"]) for b in bodies) == 100
    assert all(len(json.dumps(b)) < MAX_BODY_BYTES for b in bodies)
    assert len(bodies) > 1


def test_non_finite_values_use_mlflow_strings() -> None:
    values = [metric_entry("m", v, 0, 0)["value"] for v in (float("nan"), float("inf"), float("-inf"), 1.5)]
    assert values == ["NaN", "Infinity", "-Infinity", 1.5]


def test_halves_isolate_entries() -> None:
    body = build_bodies("r", _metrics(3), [], [])[0]
    left, right = halves(body)
    assert (len(left["metrics"]), len(right["metrics"])) == (1, 2)
    assert halves(left) == []
