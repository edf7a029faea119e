from __future__ import annotations

import math

import pytest

from trackway_backend.domain import Metric
from trackway_backend.errors import InvalidParameter
from trackway_backend.logic import validation


@pytest.mark.parametrize("key", ["acc", "train/loss", "val loss", "a.b-c_d", "x:y"])
def test_valid_keys(key: str) -> None:
    assert validation.validate_key("metric", key) == key


@pytest.mark.parametrize("key", ["../x", "/abs", "a//b", "a/./b", "bad!", "é" * 0 + "tab\t", "x" * 251, "."])
def test_invalid_keys(key: str) -> None:
    with pytest.raises(InvalidParameter):
        validation.validate_key("metric", key)


def test_special_doubles_and_numbers() -> None:
    assert math.isnan(validation.metric_value("NaN", "k"))
    assert validation.metric_value("Infinity", "k") == math.inf
    assert validation.metric_value("-Infinity", "k") == -math.inf
    assert validation.metric_value(3, "k") == 3.0
    assert validation.metric_value("0.5", "k") == 0.5
    for bad in (None, True, "abc", [1]):
        with pytest.raises(InvalidParameter):
            validation.metric_value(bad, "k")


def test_timestamps_must_be_non_negative_integers() -> None:
    assert validation.timestamp("17", "k") == 17
    for bad in (-1, "x", 1.5):
        with pytest.raises(InvalidParameter):
            validation.timestamp(bad, "k")


def test_long_values_are_truncated_not_rejected() -> None:
    assert validation.truncate("x" * 6001, validation.MAX_PARAM_VALUE_LENGTH) == "x" * 6000


def test_batch_limits() -> None:
    validation.batch_limits(1000, 0, 0)
    validation.batch_limits(800, 100, 100)
    for counts in ((1001, 0, 0), (0, 101, 0), (0, 0, 101), (900, 100, 1)):
        with pytest.raises(InvalidParameter):
            validation.batch_limits(*counts)


def test_latest_metric_order_is_step_then_timestamp_then_value_with_nan_lowest() -> None:
    older = Metric("k", 9.0, timestamp=5, step=1)
    newer = Metric("k", 1.0, timestamp=1, step=2)
    nan = Metric("k", math.nan, timestamp=1, step=2)
    assert newer.order > older.order
    assert newer.order > nan.order
