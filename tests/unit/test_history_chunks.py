from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from trackway_backend.adapters.dynamo import history_chunks
from trackway_backend.domain import Metric

points = st.lists(
    st.tuples(
        st.integers(-(2**63), 2**63 - 1),
        st.integers(0, 2**62),
        st.floats(allow_nan=False),
    ),
    min_size=1,
    max_size=50,
)


@given(points)
def test_pack_round_trips_sorted_unique_points(values: list[tuple[int, int, float]]) -> None:
    assert history_chunks.unpack(history_chunks.pack(values)) == sorted(set(values))


@given(points)
def test_the_same_points_always_get_the_same_sort_key(values: list[tuple[int, int, float]]) -> None:
    assert history_chunks.sort_key(history_chunks.pack(values)) == history_chunks.sort_key(
        history_chunks.pack(list(reversed(values)))
    )


def test_sort_keys_order_by_first_step_including_negative_steps() -> None:
    keys = [history_chunks.sort_key(history_chunks.pack([(step, 0, 1.0)])) for step in (-5, 0, 7, 10**12)]
    assert keys == sorted(keys)


def test_special_values_survive_packing() -> None:
    ((_, _, value),) = history_chunks.unpack(history_chunks.pack([(0, 0, math.inf)]))
    assert value == math.inf


def _metrics(keys: int, per_key: int, start: int = 0) -> list[Metric]:
    return [
        Metric(f"k{k}", float(s), 1_700_000_000_000 + s, s) for k in range(keys) for s in range(start, start + per_key)
    ]


def test_keys_with_few_points_share_one_item_and_keys_with_many_keep_their_own() -> None:
    few = _metrics(50, 1)
    many = [Metric("loss", float(s), s, s) for s in range(history_chunks.SHARED_BELOW_POINTS)]
    layout = history_chunks.layout(few + many)
    assert list(layout.own) == [("loss", None, None, None)]
    assert len(layout.shared) == 1
    stored = history_chunks.compress(layout.shared[0])
    assert history_chunks.shared_points(stored, "k7") == [(("k7", None, None, None), [(0, 1_700_000_000_000, 0.0)])]
    assert history_chunks.shared_points(stored, "loss") == []


def test_a_lone_small_group_keeps_its_own_chunk() -> None:
    layout = history_chunks.layout(_metrics(1, 1) + _metrics(0, 0))
    assert list(layout.own) == [("k0", None, None, None)] and layout.shared == []


def test_sharing_can_be_switched_off() -> None:
    layout = history_chunks.layout(_metrics(50, 1), shared_below=1)
    assert len(layout.own) == 50 and layout.shared == []


_REQUEST = [*_metrics(30, 3), Metric("k1", 2.0, 5, 1, "m-1", "train", "d1"), *_metrics(2, 40, start=10)]


@given(st.permutations(_REQUEST))
def test_the_same_request_in_any_order_gives_the_same_items(metrics: list[Metric]) -> None:
    reference = history_chunks.layout(_REQUEST)
    layout = history_chunks.layout(metrics)
    assert layout == reference
    assert [history_chunks.shared_sort_key(p) for p in layout.shared] == [
        history_chunks.shared_sort_key(p) for p in reference.shared
    ]


def test_groups_of_one_key_keep_their_model_and_dataset() -> None:
    metrics = [Metric("acc", 0.5, 1, 1, "m-1", "train", "d1"), Metric("acc", 0.6, 2, 2), Metric("f1", 0.1, 1, 1)]
    (payload,) = history_chunks.layout(metrics).shared
    assert history_chunks.shared_points(history_chunks.compress(payload), "acc") == [
        (("acc", None, None, None), [(2, 2, 0.6)]),
        (("acc", "m-1", "train", "d1"), [(1, 1, 0.5)]),
    ]


def test_shared_payloads_split_before_the_item_size_limit() -> None:
    long_keys = [Metric("x" * 250 + str(k), 1.0, k, k) for k in range(1000)]
    layout = history_chunks.layout(long_keys)
    assert len(layout.shared) >= 2
    assert all(len(p) <= history_chunks.SHARED_MAX_BYTES for p in layout.shared)
    stored = [history_chunks.compress(p) for p in layout.shared]
    found = [
        points for s in stored for metric in long_keys[:3] for _, points in history_chunks.shared_points(s, metric.key)
    ]
    assert found == [[(0, 0, 1.0)], [(1, 1, 1.0)], [(2, 2, 1.0)]]


def test_a_shared_sort_key_starts_at_its_first_point() -> None:
    (payload,) = history_chunks.layout([Metric("a", 1.0, 9, 7), Metric("b", 1.0, 3, -2)]).shared
    assert history_chunks.shared_sort_key(payload).startswith(
        history_chunks.sort_key(history_chunks.pack([(-2, 3, 1.0)]))[:36]
    )
