"""Query strings and URL paths encoded the way AWS SigV4 canonicalises them.

The mlflow client lets `requests` encode GET parameters (a space becomes `+`, keys keep insertion order)
and its SigV4 signer collapses repeated keys, so a signed GET with a filter or `run_ids=a&run_ids=b` fails
at API Gateway. Here the query string we *send* is already canonical: pairs sorted by encoded key then
value, every byte outside `A-Za-z0-9-_.~` percent-encoded (space is `%20`). The canonical query string of
such a URL is the URL's own query, so the signature and the request always agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import quote

QueryValue = str | int | float | bool | None
QueryParams = Mapping[str, QueryValue | Iterable[QueryValue]]

_UNRESERVED = "-_.~"


def _scalar(value: QueryValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def query_pairs(params: QueryParams) -> list[tuple[str, str]]:
    """Flatten a params mapping: lists become repeated keys, None values are dropped."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, str | int | float | bool):
            pairs.append((key, _scalar(value)))
        else:
            pairs.extend((key, _scalar(item)) for item in value if item is not None)
    return pairs


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    """The SigV4 canonical query string of `pairs`: each side %-encoded, sorted by key then value."""
    encoded = sorted((quote(key, safe=_UNRESERVED), quote(value, safe=_UNRESERVED)) for key, value in pairs)
    return "&".join(f"{key}={value}" for key, value in encoded)


def encode_path(path: str) -> str:
    """Percent-encode each segment of a URL path once, keeping the slashes."""
    return quote(path, safe="/" + _UNRESERVED)


def build_url(base: str, path: str, params: QueryParams | None = None) -> str:
    """`base` + encoded `path` + canonical query; `base` may carry a path prefix (`…/prod`)."""
    url = base.rstrip("/") + encode_path(path if path.startswith("/") else "/" + path)
    if params:
        query = canonical_query(query_pairs(params))
        if query:
            url += "?" + query
    return url
