"""S3's multipart rules, checked at create and complete time."""

from __future__ import annotations

import pytest

from trackway_backend.errors import InvalidParameter
from trackway_backend.logic.upload_rules import MAX_PARTS, MIB, completed_parts, part_count
from trackway_backend.object_store import Part

GIB = 1024 * MIB


@pytest.mark.parametrize(
    ("num_parts", "file_size", "expected"),
    [
        (0, None, 1),  # mlflow 3.17 asks for 0 parts for an empty file
        (0, 0, 1),
        (1, 0, 1),
        (1, 5 * GIB, 1),
        (20, 200 * MIB, 20),
        (2, 5 * MIB + 1, 2),
        (MAX_PARTS, None, MAX_PARTS),
        (MAX_PARTS, 5 * 1024 * GIB, MAX_PARTS),
    ],
)
def test_plans_within_s3_rules_are_accepted(num_parts: int, file_size: int | None, expected: int) -> None:
    assert part_count(num_parts, file_size) == expected


@pytest.mark.parametrize(
    ("num_parts", "file_size", "reason"),
    [
        (-1, None, "between 1 and 10000"),
        (MAX_PARTS + 1, None, "between 1 and 10000"),
        (1, 5 * GIB + 1, "at most 5 GiB"),
        (3, 10 * MIB - 1, "at least 5 MiB"),  # two non-final parts of 5 MiB need 10 MiB
        (2, 1, "at least 5 MiB"),
        (1, -1, "file_size"),
        (MAX_PARTS, 5 * 1024 * GIB + 1, "file_size"),
    ],
)
def test_plans_s3_would_refuse_are_invalid_parameter(num_parts: int, file_size: int | None, reason: str) -> None:
    with pytest.raises(InvalidParameter, match=reason):
        part_count(num_parts, file_size)


def test_completed_parts_come_back_in_order() -> None:
    assert completed_parts([Part(2, '"b"'), Part(1, "a")]) == [Part(1, "a"), Part(2, '"b"')]


@pytest.mark.parametrize(
    "parts",
    [[], [Part(1, "a"), Part(1, "b")], [Part(0, "a")], [Part(MAX_PARTS + 1, "a")], [Part(1, "")], [Part(1, '""')]],
)
def test_bad_part_lists_are_refused(parts: list[Part]) -> None:
    with pytest.raises(InvalidParameter):
        completed_parts(parts)
