"""How the UI server reaches the trackway API: one small interface and its HTTP implementation.

A `Transport` carries one request for a trackway `/api/...` route (method, path, raw query string,
headers, body) and returns a `Reply` (status, headers, body). `HttpTransport` sends it over HTTP, signed
like the SDK signs (SigV4 or a bearer token); the local stack plugs in a transport that calls its handlers
in process. A transport must not call back into the server that hosts the UI over HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Protocol

import requests
from requests.adapters import HTTPAdapter

from trackway._version import __version__
from trackway.auth import Auth
from trackway.query import encode_path


class Reply(NamedTuple):
    """One answer of the API: a status, header pairs and the whole body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


class Transport(Protocol):
    """Sends one request to a trackway `/api/...` route. `path` is decoded; `query` is the raw query
    string (without `?`); `headers` hold only what the API needs (Content-Type, Accept). It must not follow
    redirects: a 302 comes back as a Reply."""

    def __call__(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> Reply: ...


class HttpTransport:
    """A Transport over HTTP to `base_url` (which may carry a stage prefix), signing with `auth`."""

    def __init__(self, base_url: str, auth: Auth | None = None, *, timeout: float = 60.0, verify: bool = True):
        self.base_url = base_url.rstrip("/")
        self._auth = auth
        self._timeout = timeout
        self._session = requests.Session()
        self._session.verify = verify
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def __call__(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> Reply:
        # The query string is sent as received: trackway.ui builds it canonical (see trackway.query), so a
        # SigV4 signature over this exact URL is the one API Gateway recomputes.
        url = self.base_url + encode_path(path) + (f"?{query}" if query else "")
        send = {"User-Agent": f"trackway-ui/{__version__}", **headers}
        if self._auth is not None:
            send.update(self._auth.headers(method, url, body or None))
        resp = self._session.request(
            method, url, data=body or None, headers=send, timeout=self._timeout, allow_redirects=False
        )
        return Reply(resp.status_code, list(resp.headers.items()), resp.content)

    def close(self) -> None:
        self._session.close()
