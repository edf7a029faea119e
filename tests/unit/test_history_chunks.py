from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from trackway_backend.adapters.dynamo import history_chunks

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
