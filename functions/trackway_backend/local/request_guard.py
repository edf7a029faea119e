"""What keeps web pages away from the local stack: Host and Origin allow-lists and JSON-only bodies.

A page the user visits can send requests to 127.0.0.1 (a cross-site "simple" request needs no preflight),
and a hostile DNS name can be made to resolve to 127.0.0.1 (DNS rebinding). The local API has no
authentication, so the gateway refuses, before any handler runs:
- a `Host` that is not this machine's loopback name or one the user configured (DNS rebinding);
- an `Origin` whose host is not allowed (a cross-site request from a browser);
- a body on a JSON route that is not declared `application/json`: the content types a page may send without
  a CORS preflight (`text/plain`, forms) never reach a handler.
The mlflow client, the trackway SDK and `curl -H 'Content-Type: application/json'` send none of these.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# What a browser sends cross-site without asking first (the CORS-safelisted request content types).
_SIMPLE_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")
_ARTIFACT_FILES = "/api/2.0/mlflow-artifacts/artifacts/"  # proxied uploads: any bytes, any type
_SERVING = "/serving/"  # the scoring protocol takes JSON or CSV


@dataclass(frozen=True)
class Refusal:
    status: int
    error_code: str
    message: str


def host_name(value: str) -> str:
    """`Host`/`Origin` host without port or brackets, lower-cased: `[::1]:5000` → `::1`."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


@dataclass(frozen=True)
class RequestGuard:
    allowed_hosts: frozenset[str] = LOOPBACK_HOSTS
    allowed_origins: frozenset[str] = frozenset()  # whole origins, e.g. "https://notebook.example.com"

    @classmethod
    def build(cls, hosts: list[str] | tuple[str, ...] = (), origins: list[str] | tuple[str, ...] = ()) -> RequestGuard:
        extra = {host_name(host) for host in hosts if host.strip()}
        return cls(
            LOOPBACK_HOSTS | extra, frozenset(origin.strip().rstrip("/").lower() for origin in origins if origin)
        )

    def refusal(self, method: str, path: str, headers: dict[str, str]) -> Refusal | None:
        """Why this request is refused, or None. `headers` have lower-case names."""
        host = headers.get("host")
        if host is None or host_name(host) not in self.allowed_hosts:
            return Refusal(
                403,
                "PERMISSION_DENIED",
                f"Host {host!r} is not allowed (possible DNS rebinding). Allowed: "
                f"{', '.join(sorted(self.allowed_hosts))}; add names with --allowed-hosts or TRACKWAY_ALLOWED_HOSTS.",
            )
        origin = headers.get("origin")
        if origin is not None and not self._origin_allowed(origin):
            return Refusal(
                403,
                "PERMISSION_DENIED",
                f"Cross-origin request from {origin!r} refused; allow it with --allowed-origins or "
                "TRACKWAY_ALLOWED_ORIGINS.",
            )
        if method in _BODY_METHODS and not path.startswith(_ARTIFACT_FILES):
            content_type = headers.get("content-type", "").split(";")[0].strip().lower()
            has_body = headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers
            if path.startswith(_SERVING):
                if content_type.startswith(_SIMPLE_TYPES):
                    return Refusal(415, "BAD_REQUEST", f"Content-Type {content_type!r} is not accepted here.")
            elif (has_body or content_type) and not _is_json(content_type):
                return Refusal(
                    415,
                    "BAD_REQUEST",
                    f"{method} {path} takes a JSON body: send 'Content-Type: application/json' "
                    f"(got {content_type or 'none'!r}).",
                )
        return None

    def _origin_allowed(self, origin: str) -> bool:
        normalized = origin.strip().rstrip("/").lower()
        if normalized in self.allowed_origins:
            return True
        parts = urlsplit(normalized)
        return parts.scheme in ("http", "https") and host_name(parts.netloc) in self.allowed_hosts


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )
