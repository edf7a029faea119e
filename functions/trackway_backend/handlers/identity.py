"""Who made a request, as API Gateway's authorizer saw it (IAM or JWT); None when unauthenticated (local)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from trackway_backend.access_domain import Principal, is_admin

_JWT_CLAIMS = ("username", "cognito:username", "email", "sub")
_GROUP_CLAIMS = ("cognito:groups", "groups")


def _authorizer(app: APIGatewayHttpResolver) -> dict[str, Any]:
    context: dict[str, Any] = app.current_event.raw_event.get("requestContext") or {}
    return context.get("authorizer") or {}


def _claims(authorizer: dict[str, Any]) -> dict[str, Any]:
    return (authorizer.get("jwt") or {}).get("claims") or {}


def actor(app: APIGatewayHttpResolver) -> str | None:
    authorizer = _authorizer(app)
    iam = authorizer.get("iam") or {}
    if iam.get("userArn"):
        return str(iam["userArn"])
    claims = _claims(authorizer)
    return next((str(claims[name]) for name in _JWT_CLAIMS if claims.get(name)), None)


def _groups(value: Any) -> tuple[str, ...]:
    """A groups claim: a list, or the string API Gateway's JWT authorizer makes of one (`[a b]`)."""
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    text = str(value or "").strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return tuple(item.strip('"') for item in text.replace(",", " ").split() if item.strip('"'))


def principal(app: APIGatewayHttpResolver, admins: tuple[str, ...]) -> Principal | None:
    name = actor(app)
    if name is None:
        return None
    claims = _claims(_authorizer(app))
    groups = tuple(group for claim in _GROUP_CLAIMS for group in _groups(claims.get(claim)))
    return Principal(name, groups, is_admin(name, admins))
