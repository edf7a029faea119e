"""Page tokens that are cursors: the sort values of the last row a page returned, under the order they
belong to. The next page starts strictly after that position, so a page never depends on how many rows
came before it (docs/adr/011-search.md)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Sequence
from typing import Any

from trackway_backend.errors import InvalidParameter
from trackway_backend.logic.search.grammar import OrderKey

_VERSION = 1
Position = list[Any]


class _Descending:
    """A value that sorts in reverse; equal values stay equal, so tuples of them compare key by key."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return bool(other.value < self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and bool(self.value == other.value)

    __hash__ = None  # type: ignore[assignment]


def sort_key(order: Sequence[OrderKey], values: Sequence[Any]) -> tuple[Any, ...]:
    """The key that sorts rows with these order values as MLflow does: each order key in its direction,
    missing values (None) last whatever the direction, NaN above every number."""
    parts: list[Any] = []
    for key, value in zip(order, values, strict=True):
        if value is None:
            parts.append((1, 0))
            continue
        sortable = math.inf if isinstance(value, float) and math.isnan(value) else value
        parts.append((0, sortable if key.ascending else _Descending(sortable)))
    return tuple(parts)


def _fingerprint(order: Sequence[OrderKey]) -> str:
    text = "|".join(f"{key.entity}.{key.key}.{'a' if key.ascending else 'd'}" for key in order)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def encode_cursor(order: Sequence[OrderKey], position: Position) -> str:
    body = json.dumps({"v": _VERSION, "o": _fingerprint(order), "a": position}, separators=(",", ":"))
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def decode_cursor(token: str | None, order: Sequence[OrderKey]) -> Position | None:
    """The position a token holds, or None for the first page. A token that is not one of ours, or was
    issued for another order_by, is a 400 INVALID_PARAMETER_VALUE."""
    if not token:
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidParameter(f"Invalid page token, could not decode: '{token}'") from None
    if not isinstance(body, dict) or body.get("v") != _VERSION or not isinstance(body.get("a"), list):
        raise InvalidParameter(f"Invalid page token: '{token}'")
    position: Position = body["a"]
    if body.get("o") != _fingerprint(order) or len(position) != len(order):
        raise InvalidParameter("Invalid page token: it belongs to a search with another order_by")
    if not all(
        value is None or (isinstance(value, int | float | str) and value is not True and value is not False)
        for value in position
    ):
        raise InvalidParameter(f"Invalid page token: '{token}'")
    return position
