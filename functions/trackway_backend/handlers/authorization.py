"""Enforcing route_access.RULES: one middleware on every API function's resolver.

Before a route runs, it finds the caller (identity.py), refuses a request without one where a principal is
required (401), and checks the level the route's rule needs on every resource the request names (403).
After a route succeeded, it filters search results down to what the caller may read and keeps grants in
step with what the route did. Without a principal and without `auth_required` (only the open local stack)
nothing is enforced, as before access control existed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from trackway_backend.access_domain import Level, Principal, Resource, ResourceKind
from trackway_backend.access_ports import GrantStore
from trackway_backend.errors import InternalError, NotFound, Unauthenticated
from trackway_backend.handlers.http import json_body, query
from trackway_backend.handlers.identity import principal
from trackway_backend.logic.access import Checker, grant_creator
from trackway_backend.ports import TrackingStore
from trackway_backend.route_access import RULES, Call, Locator, ResultFilter
from trackway_backend.routes import match
from trackway_backend.settings import AccessSettings
from trackway_backend.wire.parsing import parse

_LISTS = ("run_ids", "experiment_ids", "order_by", "stages")
_CACHED_OWNERS = 10_000


class TrackingLocator:
    """Finds experiments in the tracking store. A run or logged model never changes experiment, so which
    experiment owns one is remembered for the container's life; names can move, so they are read each time."""

    def __init__(self, store: TrackingStore) -> None:
        self._store = store
        self._owners: dict[str, str] = {}

    def _owner(self, entity_id: str, read: Callable[[str], str]) -> str:
        if entity_id not in self._owners:
            if len(self._owners) >= _CACHED_OWNERS:
                self._owners.clear()
            self._owners[entity_id] = read(entity_id)
        return self._owners[entity_id]

    def experiment_of_run(self, run_id: str) -> str:
        return self._owner(run_id, lambda found: self._store.get_run_summary(found).experiment_id)

    def experiment_of_logged_model(self, model_id: str) -> str:
        return self._owner(model_id, lambda found: self._store.get_logged_model(found).experiment_id)

    def experiment_named(self, name: str) -> str:
        found = self._store.find_experiment_id(name)
        if found is None:
            raise NotFound(f"Could not find experiment with name '{name}'")
        return found


class NoTracking:
    """The locator of a function whose rules name registered models only."""

    def _refuse(self, entity_id: str) -> str:
        raise InternalError(f"This function cannot locate the experiment of {entity_id}")

    experiment_of_run = experiment_of_logged_model = experiment_named = _refuse


def _data(app: APIGatewayHttpResolver) -> dict[str, Any]:
    return query(app, _LISTS) if app.current_event.http_method == "GET" else json_body(app)


def _body(response: Response[Any]) -> dict[str, Any]:
    body = response.body
    if isinstance(body, dict):
        return body
    try:
        decoded = json.loads(body or "{}")
    except (TypeError, ValueError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _experiment_created(call: Call, response: dict[str, Any], grants: GrantStore, who: Principal) -> None:
    grant_creator(grants, Resource(ResourceKind.EXPERIMENT, str(response["experiment_id"])), who)


def _model_created(call: Call, response: dict[str, Any], grants: GrantStore, who: Principal) -> None:
    from trackway_backend.wire import registry_requests as registry_rq  # registry routes only

    grant_creator(grants, Resource(ResourceKind.REGISTERED_MODEL, parse(registry_rq.ModelRequest, call.data).name), who)


def _model_renamed(call: Call, response: dict[str, Any], grants: GrantStore, who: Principal) -> None:
    from trackway_backend.wire import registry_requests as registry_rq  # registry routes only

    request = parse(registry_rq.RenameRegisteredModel, call.data)
    if request.new_name and request.new_name != request.name:
        kind = ResourceKind.REGISTERED_MODEL
        grants.move(Resource(kind, request.name), Resource(kind, request.new_name))


def _model_deleted(call: Call, response: dict[str, Any], grants: GrantStore, who: Principal) -> None:
    from trackway_backend.wire import registry_requests as registry_rq  # registry routes only

    grants.forget(Resource(ResourceKind.REGISTERED_MODEL, parse(registry_rq.ModelRequest, call.data).name))


FOLLOWERS: dict[str, Callable[[Call, dict[str, Any], GrantStore, Principal], None]] = {
    "experiment_created": _experiment_created,
    "model_created": _model_created,
    "model_renamed": _model_renamed,
    "model_deleted": _model_deleted,
}


class Guard:
    """The access-control middleware of one function's resolver."""

    def __init__(self, settings: AccessSettings, grants: GrantStore, locate: Locator, *, auth_required: bool) -> None:
        self._settings, self._grants, self._locate = settings, grants, locate
        self._default = Level[settings.default_permission]
        self._auth_required = auth_required

    def install(self, app: APIGatewayHttpResolver) -> None:
        app.use(middlewares=[self._enforce])

    def _enforce(self, app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        event = app.current_event
        found = match(event.http_method, event.path)
        if found is None:
            # Powertools runs middlewares on its not-found handler too: let that 404 through, and refuse a
            # served route the table does not know (tests/unit/test_route_table.py keeps them equal).
            if app.context.get("_route") in (*app._static_routes, *app._dynamic_routes):
                raise InternalError(f"{event.http_method} {event.path} has no access rule")
            return next_middleware(app)
        route, raw_params = found
        rule = RULES[route.route_key]
        if rule.public:
            return next_middleware(app)
        who = principal(app, self._settings.admins)
        if who is None:
            if self._auth_required:
                raise Unauthenticated("Authentication required: the request carries no verified principal")
            return next_middleware(app)
        checker = Checker(self._grants, who, self._default)
        call = Call(lambda: _data(app), {name: unquote(value) for name, value in raw_params.items()})
        if rule.admin:
            checker.require_admin()
        if rule.find is not None and rule.level is not None:
            for resource in rule.find(call, self._locate):
                checker.require(resource, rule.level)
        response = next_middleware(app)
        if response.status_code != 200:
            return response
        if rule.results is not None:
            response.body = _filtered(_body(response), rule.results, checker)
        if rule.follow is not None:
            FOLLOWERS[rule.follow](call, _body(response), self._grants, who)
        return response


def _filtered(body: dict[str, Any], results: ResultFilter, checker: Checker) -> dict[str, Any]:
    items = body.get(results.key) or []
    kept = [item for item in items if checker.readable(Resource(results.kind, str(item.get(results.field))))]
    return {**body, results.key: kept}
