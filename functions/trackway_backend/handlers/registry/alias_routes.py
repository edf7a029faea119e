"""Alias routes: one path, three methods."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from trackway_backend.handlers.http import json_body, request_data
from trackway_backend.handlers.identity import actor
from trackway_backend.logic.registry import aliases
from trackway_backend.ports import RegistryStore
from trackway_backend.wire import registry_requests as rq
from trackway_backend.wire import registry_responses as view
from trackway_backend.wire.parsing import parse

_PATH = "/api/2.0/mlflow/registered-models/alias"


def register(app: APIGatewayHttpResolver, store: RegistryStore) -> None:
    @app.post(_PATH)
    def set_alias() -> dict[str, Any]:
        request = parse(rq.SetAlias, json_body(app))
        aliases.set_alias(store, request.name, request.alias, request.version, actor(app))
        return {}

    @app.delete(_PATH)
    def delete_alias() -> dict[str, Any]:
        request = parse(rq.AliasRequest, json_body(app))
        aliases.delete_alias(store, request.name, request.alias, actor(app))
        return {}

    @app.get(_PATH)
    def get_by_alias() -> dict[str, Any]:
        request = parse(rq.AliasRequest, request_data(app))
        return {"model_version": view.model_version(aliases.get_by_alias(store, request.name, request.alias))}
