"""Tag keys that only the approval and deployment functions write.

Approval decides a version's `approval_status` and `approval_report`; deployment serves only approved
versions of gated models. If an API caller could write those keys it could approve its own version, or
forge a report whose trigger revision makes approval skip the version for good. So every API path that
writes registry tags (create, set, delete; versions and models) refuses them with 403, and the functions
write them through their own change (`logic/approval/approve.py`), never through these use cases.
"""

from __future__ import annotations

from collections.abc import Iterable

from trackway_backend.errors import PermissionDenied

APPROVAL_STATUS = "approval_status"
APPROVAL_REPORT = "approval_report"
RESERVED_KEYS = frozenset({APPROVAL_STATUS, APPROVAL_REPORT})
# Room for the functions' future keys without another breaking change for callers.
RESERVED_PREFIXES = ("trackway.approval.", "trackway.deployment.")


def is_reserved(key: str) -> bool:
    return key in RESERVED_KEYS or key.startswith(RESERVED_PREFIXES)


def writable(keys: Iterable[str]) -> None:
    """Raise 403 PERMISSION_DENIED when an API caller tries to write (or delete) a reserved key."""
    for key in keys:
        if is_reserved(key):
            raise PermissionDenied(
                f"Tag '{key}' is reserved: only trackway's approval and deployment functions write it"
            )
