"""Local principals: `TRACKWAY_LOCAL_USERS` names a JSON file of bearer tokens, so the local stack can
authenticate and enforce access control as a deployed stack does, without AWS.

    {"tokens": {"<token>": {"principal": "alice", "admin": true, "groups": ["ml-team"]}}}

The gateway answers 401 to a request without a known token (every path but `/health`), and hands the
handlers the principal where API Gateway's JWT authorizer puts it: `requestContext.authorizer.jwt.claims`.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_VAR = "TRACKWAY_LOCAL_USERS"
OPEN_PATHS = ("/health",)


@dataclass(frozen=True)
class LocalUser:
    principal: str
    admin: bool = False
    groups: tuple[str, ...] = ()

    def claims(self) -> dict[str, str]:
        """The claims as API Gateway's JWT authorizer passes them: strings, a list flattened to `[a b]`."""
        claims = {"sub": self.principal}
        if self.groups:
            claims["groups"] = "[" + " ".join(self.groups) + "]"
        return claims


@dataclass(frozen=True)
class LocalUsers:
    tokens: Mapping[str, LocalUser]

    @classmethod
    def load(cls, path: str | Path) -> LocalUsers:
        data: Any = json.loads(Path(path).read_text())
        entries = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(entries, dict) or not entries:
            raise ValueError(f'{path}: expected {{"tokens": {{"<token>": {{"principal": ...}}}}}}')
        tokens: dict[str, LocalUser] = {}
        for token, entry in entries.items():
            if not token or not isinstance(entry, dict) or not str(entry.get("principal") or "").strip():
                raise ValueError(f"{path}: every token needs a non-empty principal")
            groups = entry.get("groups") or []
            tokens[token] = LocalUser(
                str(entry["principal"]).strip(), bool(entry.get("admin")), tuple(map(str, groups))
            )
        return cls(tokens)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> LocalUsers | None:
        path = environ.get(ENV_VAR)
        return cls.load(path) if path else None

    @property
    def admins(self) -> tuple[str, ...]:
        return tuple(sorted({user.principal for user in self.tokens.values() if user.admin}))

    def authenticate(self, authorization: str | None) -> LocalUser | None:
        """The user whose token the `Authorization: Bearer <token>` header carries, or None."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        token = token.strip()
        # Compare every token in constant time: which prefix matched must not leak through timing.
        found = [user for known, user in self.tokens.items() if hmac.compare_digest(known.encode(), token.encode())]
        return found[0] if found else None

    def environment(self) -> dict[str, str]:
        """What the handlers read: access control on, and the file's admins."""
        return {"TRACKWAY_AUTH_REQUIRED": "true", "TRACKWAY_ADMINS": ",".join(self.admins)}
