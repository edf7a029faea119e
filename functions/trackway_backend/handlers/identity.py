"""Who made a request, as API Gateway's authorizer saw it (IAM or JWT); None when unauthenticated (local)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

_JWT_CLAIMS = ("username", "cognito:username", "email", "sub")


def actor(app: APIGatewayHttpResolver) -> str | None:
    context: dict[str, Any] = app.current_event.raw_event.get("requestContext") or {}
    authorizer: dict[str, Any] = context.get("authorizer") or {}
    iam = authorizer.get("iam") or {}
    if iam.get("userArn"):
        return str(iam["userArn"])
    claims = (authorizer.get("jwt") or {}).get("claims") or {}
    return next((str(claims[name]) for name in _JWT_CLAIMS if claims.get(name)), None)
