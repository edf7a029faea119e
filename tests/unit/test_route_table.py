"""The route table is the one declaration of routes: every function's resolver serves exactly its share."""

from __future__ import annotations

import importlib

import pytest

from trackway_backend import settings
from trackway_backend.routes import ROUTES, Function, match, routes_for

SETTINGS = {
    Function.TRACKING: settings.TrackingSettings,
    Function.ARTIFACTS: settings.ArtifactSettings,
    Function.REGISTRY: settings.RegistrySettings,
}


def served_routes(function: Function) -> set[tuple[str, str]]:
    module = importlib.import_module(f"trackway_backend.handlers.{function.value}")
    app = module.build_app(SETTINGS[function]())
    return {(route.method, route.path) for route in app._static_routes + app._dynamic_routes}


@pytest.mark.parametrize("function", sorted(SETTINGS))
def test_each_resolver_serves_exactly_its_routes_from_the_table(function: Function) -> None:
    expected = {(route.method, route.resolver_path) for route in routes_for(function)}
    assert served_routes(function) == expected


def test_every_route_has_exactly_one_access_rule() -> None:
    from trackway_backend.route_access import RULES

    assert set(RULES) == {route.route_key for route in ROUTES}


def test_only_liveness_and_version_are_public() -> None:
    from trackway_backend.route_access import RULES

    assert {key for key, rule in RULES.items() if rule.public} == {"GET /health", "GET /version"}


def test_every_route_key_is_unique() -> None:
    keys = [route.route_key for route in ROUTES]
    assert len(keys) == len(set(keys))


def test_matching_prefers_literal_segments_and_supports_greedy_paths() -> None:
    route, params = match("POST", "/api/2.0/mlflow/logged-models/search") or (None, None)
    assert route is not None and route.path.endswith("/logged-models/search") and params == {}
    route, params = match("GET", "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/a/b.txt") or (None, None)
    assert route is not None and params == {"path": "1/abc/artifacts/a/b.txt"}
    assert match("GET", "/api/2.0/mlflow/nothing-here") is None
