"""Two requests resolved at once, on two threads of one process, each see their own event throughout.

Powertools keeps the current event on the router class; the resolver every function uses keeps it per
thread, so a handler that reads the event after an I/O call still reads its own request.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from trackway_backend.handlers.http import build_resolver, json_body, query
from trackway_backend.local.gateway import LocalContext, build_event


def test_two_requests_handled_at_once_each_see_their_own_event() -> None:
    app = build_resolver()
    both_inside = threading.Barrier(2, timeout=10)

    @app.post("/echo/<name>")
    def echo(name: str) -> dict[str, Any]:
        before = json_body(app)["value"]
        app.append_context(request=name)
        both_inside.wait()  # an I/O call: the other request is now inside its handler too
        return {
            "path": name,
            "before": before,
            "after": json_body(app)["value"],
            "query": query(app).get("q"),
            "context": app.context["request"],
        }

    def call(index: int) -> dict[str, Any]:
        headers = {"host": "localhost", "content-type": "application/json"}
        body = json.dumps({"value": index}).encode()
        event = build_event("POST", f"/echo/n{index}?q=q{index}", headers, body, "127.0.0.1")
        response = app.resolve(event, LocalContext("test", str(index)))
        assert response["statusCode"] == 200, response
        answer: dict[str, Any] = json.loads(response["body"])
        return answer

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(call, [1, 2]))
    for index, answer in zip([1, 2], answers, strict=True):
        assert answer["path"] == f"n{index}"
        assert answer["before"] == answer["after"] == index
        assert answer["query"] == f"q{index}"
        assert answer["context"] == f"n{index}"


def test_a_missing_route_names_the_request_it_belongs_to() -> None:
    app = build_resolver()
    event = build_event("GET", "/nowhere", {"host": "localhost"}, b"", "127.0.0.1")
    response = app.resolve(event, LocalContext("test", "1"))
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["message"] == "No route for GET /nowhere"
