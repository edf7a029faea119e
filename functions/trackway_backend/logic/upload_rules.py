"""S3's multipart rules, checked before S3 is asked, so a client learns what is wrong at create time.

Every part but the last must be at least 5 MiB, no part may exceed 5 GiB, an upload has at most 10,000
parts, and an object at most 5 TiB.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from trackway_backend.errors import InvalidParameter
from trackway_backend.object_store import Part

MIB = 1024 * 1024
MIN_PART_BYTES = 5 * MIB
MAX_PART_BYTES = 5 * 1024 * MIB
MAX_PARTS = 10_000
MAX_OBJECT_BYTES = 5 * 1024 * 1024 * MIB


def part_count(num_parts: int, file_size: int | None) -> int:
    """The number of part URLs to hand out. MLflow 3.17 asks for 0 parts for an empty file; 3.18 for 1."""
    count = max(1, num_parts)
    if num_parts < 0 or count > MAX_PARTS:
        raise InvalidParameter(f"num_parts must be between 1 and {MAX_PARTS}, got {num_parts}")
    if file_size is None:
        return count
    if file_size < 0 or file_size > MAX_OBJECT_BYTES:
        raise InvalidParameter(f"file_size must be between 0 and {MAX_OBJECT_BYTES} bytes (5 TiB), got {file_size}")
    if file_size > count * MAX_PART_BYTES:
        raise InvalidParameter(
            f"{count} parts cannot carry {file_size} bytes: a part holds at most 5 GiB; "
            f"use at least {math.ceil(file_size / MAX_PART_BYTES)} parts"
        )
    if count > 1 and file_size < (count - 1) * MIN_PART_BYTES:
        raise InvalidParameter(
            f"{count} parts are too many for {file_size} bytes: every part but the last must be at least "
            f"5 MiB; use at most {max(1, file_size // MIN_PART_BYTES)} parts"
        )
    return count


def completed_parts(parts: Iterable[Part]) -> list[Part]:
    """The parts of a complete request, in order; numbers must be unique and in 1..10,000."""
    ordered = sorted(parts, key=lambda part: part.number)
    if not ordered:
        raise InvalidParameter("A multipart upload is completed with at least one part")
    numbers = [part.number for part in ordered]
    if len(set(numbers)) != len(numbers):
        raise InvalidParameter("Each part number may appear only once when completing an upload")
    if numbers[0] < 1 or numbers[-1] > MAX_PARTS:
        raise InvalidParameter(f"Part numbers must be between 1 and {MAX_PARTS}")
    if any(not part.etag.strip('"') for part in ordered):
        raise InvalidParameter("Every part needs the ETag that S3 returned for it")
    return ordered
