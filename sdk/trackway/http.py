"""The one place that speaks HTTP: JSON calls to the MLflow REST API and raw calls to presigned URLs.

Both retry connection errors and 408/409/429/5xx with the client's RetryPolicy, honouring Retry-After;
MLflow writes are idempotent on trackway (a replayed log-batch adds no duplicate points), so every call may
be retried. A retry sends the very same bytes.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any, cast

import requests
from requests.adapters import HTTPAdapter

from trackway._version import __version__
from trackway.auth import Auth
from trackway.errors import PresignedURLError, RestError, UnreachableError
from trackway.query import QueryParams, build_url
from trackway.retry import RetryPolicy

_NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
JSON = dict[str, Any]


def _parse_error(resp: requests.Response, method: str, path: str) -> RestError:
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "error_code" in body:
        return RestError(
            resp.status_code, str(body["error_code"]), str(body.get("message", "")), method=method, path=path
        )
    return RestError(resp.status_code, None, resp.text[:500], method=method, path=path)


def _retry_after(resp: requests.Response) -> float:
    value = resp.headers.get("Retry-After", "").strip()
    return float(value) if value.replace(".", "", 1).isdigit() else 0.0  # an HTTP date counts as none


class RestClient:
    """A thin, thread-safe client for one tracking server: `call()` for JSON, `raw()` for presigned URLs."""

    def __init__(
        self,
        base_uri: str,
        *,
        auth: Auth | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        verify: bool = True,
        pool_size: int = 16,
    ):
        self.base_uri = base_uri.rstrip("/")
        self.auth = auth
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.retried: Counter[int] = Counter()  # retries made, by HTTP status (0: connection error)
        self._retried_lock = threading.Lock()
        self._session = requests.Session()
        self._session.verify = verify
        self._session.headers["User-Agent"] = f"trackway-python/{__version__}"
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def url(self, path: str, params: QueryParams | None = None) -> str:
        return build_url(self.base_uri, path, params)

    def call(
        self,
        method: str,
        path: str,
        body: JSON | None = None,
        *,
        retry: RetryPolicy | None = None,
        deadline: float | None = None,
    ) -> JSON:
        """Send one MLflow REST call and return its JSON object. For GET, `body` becomes the query string.

        Raises RestError for an error answer (after retries if retryable) and UnreachableError when the
        server could not be reached at all.
        """
        method = method.upper()
        if method == "GET":
            url, data = self.url(path, body), None
        else:
            url, data = self.url(path), json.dumps(body or {}, allow_nan=False).encode()
        resp = self._send(method, url, data, path=path, retry=retry, deadline=deadline, signed=True)
        if not resp.content or resp.content.strip() in (b"200 OK", b""):
            return {}
        try:
            parsed = resp.json()
        except ValueError as exc:
            if not path.startswith("/api/"):  # /health answers plain "OK"
                return {}
            raise RestError(
                resp.status_code,
                "BAD_RESPONSE",
                f"non-JSON answer: {resp.text[:200]}",
                method=method,
                path=path,
            ) from exc
        return cast(JSON, parsed) if isinstance(parsed, dict) else {}

    def raw(
        self,
        method: str,
        url: str,
        *,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        signed: bool = False,
        retry: RetryPolicy | None = None,
    ) -> requests.Response:
        """A request to an absolute URL (a presigned S3 URL: no auth header unless `signed`)."""
        return self._send(
            method.upper(),
            url,
            data,
            path=url.split("?", 1)[0],
            retry=retry,
            headers=headers,
            stream=stream,
            signed=signed,
            presigned=not signed,
        )

    def _send(
        self,
        method: str,
        url: str,
        data: bytes | None,
        *,
        path: str,
        retry: RetryPolicy | None,
        deadline: float | None = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        signed: bool,
        presigned: bool = False,
    ) -> requests.Response:
        policy = retry or self.retry
        delays = policy.delays(deadline)
        while True:
            send_headers = dict(headers or {})
            if data is not None and not presigned:
                send_headers["Content-Type"] = "application/json"
            if signed and self.auth is not None:
                send_headers.update(self.auth.headers(method, url, data))
            wait, status = 0.0, 0
            try:
                resp = self._session.request(
                    method, url, data=data, headers=send_headers, timeout=self.timeout, stream=stream
                )
            except _NETWORK_ERRORS as exc:
                error: Exception = UnreachableError(f"{method} {path}: {type(exc).__name__}: {exc}")
                retryable = policy.network
            else:
                if resp.status_code < 400:
                    return resp
                status = resp.status_code
                if presigned:
                    presigned_error = PresignedURLError(resp.status_code, url, resp.text)
                    error, retryable = presigned_error, presigned_error.retryable
                else:
                    error = _parse_error(resp, method, path)
                    retryable = policy.retries(error)
                wait = _retry_after(resp)
            if not retryable:
                raise error
            delay = next(delays, None)
            if delay is None:
                raise error
            pause = policy.pause(delay, wait)
            if deadline is not None and time.monotonic() + pause > deadline:
                raise error
            with self._retried_lock:
                self.retried[status] += 1
            time.sleep(pause)

    def close(self) -> None:
        self._session.close()
