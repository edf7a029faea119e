"""An in-process fake of the MLflow REST API as trackway serves it, with fault injection.

Just enough of MLFLOW_WIRE.md for the SDK: experiments, runs, idempotent log-batch, metric history,
registry, the presigned artifact protocol (mpu + presigned GET with Range) and the local stack's event
tail. "S3" lives under `/_s3/…` on the same server. HTTP/1.0, so stopping the server really cuts clients.
Misbehaviour on demand (fake_faults.py): `fail()` answers 409/429/503/… to the next N requests or a
fraction of them, `fail_batch()` refuses one specific batch forever, `stale_reads()` serves reads from a
replica that lags behind the writes.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.sdk.fake_faults import FaultRule, Faults, Reply, StaleReads

API = "/api/2.0/mlflow"
ART = "/api/2.0/mlflow-artifacts"
LOG_BATCH = f"{API}/runs/log-batch"
_POST_READS = {f"{API}/runs/search", f"{API}/experiments/search"}
_STATE = ("experiments", "runs", "metrics", "params", "tags", "versions", "aliases")


class FakeMlflow:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.experiments: dict[str, dict[str, Any]] = {"0": {"experiment_id": "0", "name": "Default"}}
        self.runs: dict[str, dict[str, Any]] = {}
        self.metrics: dict[str, dict[tuple[Any, ...], None]] = {}  # run -> ordered set (deduped)
        self.metric_receipts = 0  # every metric entry of every accepted log-batch, duplicates included
        self.log_batch_calls = 0
        self.params: dict[str, dict[str, str]] = {}
        self.tags: dict[str, dict[str, str]] = {}
        self.versions: dict[str, list[dict[str, Any]]] = {}
        self.aliases: dict[str, dict[str, str]] = {}
        self.objects: dict[str, bytes] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.down_status: int | None = None  # answer every /api call with this status
        self.faults = Faults()
        self.fail_rules = self.faults.rules
        self.stale = StaleReads()
        self.batch_bodies: list[bytes] = []  # the raw body of every log-batch request received, failed ones too
        self.answers: Counter[tuple[str, int]] = Counter()  # (path, status) of every API answer
        self.ignore_range = False
        self.token: str | None = None
        self.server: ThreadingHTTPServer | None = None
        self.port = 0

    # ---- lifecycle -------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeMlflow:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def fail(
        self,
        pattern: str,
        status: int,
        times: int | None = 1,
        *,
        fraction: float = 1.0,
        retry_after: float | None = None,
        code: str | None = None,
    ) -> FaultRule:
        """Answer `status` to the next `times` requests whose path matches (None: no limit), or a fraction."""
        rule = FaultRule(re.compile(pattern), status, times, fraction, retry_after, code=code)
        self.fail_rules.append(rule)
        return rule

    def fail_batch(self, predicate: Callable[[dict[str, Any]], bool], status: int = 500) -> FaultRule:
        """Refuse every log-batch whose body `predicate` accepts, forever."""
        rule = FaultRule(re.compile(re.escape(LOG_BATCH)), status, None, batch=predicate)
        self.fail_rules.append(rule)
        return rule

    def stale_reads(self, lag: int) -> None:
        """From now on, after each write the next `lag` reads see the state from before it."""
        self.stale = StaleReads(lag)

    def _snapshot(self) -> FakeMlflow:
        replica = copy.copy(self)
        for name in _STATE:
            setattr(replica, name, copy.deepcopy(getattr(self, name)))
        return replica

    # ---- helpers for tests -----------------------------------------------------------------------------
    def bodies_by_point(self) -> dict[tuple[Any, ...], set[bytes]]:
        """For each (key, step, timestamp, value) point, the distinct log-batch bodies that carried it."""
        index: dict[tuple[Any, ...], set[bytes]] = {}
        with self.lock:
            bodies = set(self.batch_bodies)
        for raw in bodies:
            for m in json.loads(raw).get("metrics") or []:
                index.setdefault((m["key"], m["step"], m["timestamp"], m["value"]), set()).add(raw)
        return index

    def stored_points(self, run_id: str, key: str | None = None) -> list[tuple[Any, ...]]:
        with self.lock:
            return [m for m in self.metrics.get(run_id, {}) if key is None or m[0] == key]

    def add_run(self, experiment_id: str = "0", name: str = "r") -> str:
        return self.dispatch("POST", f"{API}/runs/create", {}, {"experiment_id": experiment_id, "run_name": name})[
            "run"
        ]["info"]["run_id"]

    # ---- the API ---------------------------------------------------------------------------------------
    def dispatch(self, method: str, path: str, query: dict[str, list[str]], body: dict[str, Any]) -> dict[str, Any]:
        q = {k: v[0] for k, v in query.items()}
        route = ROUTES.get((method, path))
        if route is not None:
            return route(self, q | body, query)
        for (m, prefix), handler in PREFIX_ROUTES.items():
            if m == method and path.startswith(prefix):
                return handler(self, unquote(path[len(prefix) :]), q | body)
        raise Reply(404, "ENDPOINT_NOT_FOUND", path)

    def run_json(self, run_id: str) -> dict[str, Any]:
        info = self.runs[run_id]
        latest: dict[str, dict[str, Any]] = {}
        for key, step, ts, value in self.metrics.get(run_id, {}):
            if key not in latest or (step, ts) >= (latest[key]["step"], latest[key]["timestamp"]):
                latest[key] = {"key": key, "value": value, "step": step, "timestamp": ts}
        kv = lambda d: [{"key": k, "value": v} for k, v in d.items()]  # noqa: E731
        return {
            "info": info,
            "data": {
                "metrics": list(latest.values()),
                "params": kv(self.params[run_id]),
                "tags": kv(self.tags[run_id]),
            },
        }


def _exp_by_name(f: FakeMlflow, b: dict[str, Any], _: Any) -> dict[str, Any]:
    for exp in f.experiments.values():
        if exp["name"] == b["experiment_name"]:
            return {"experiment": exp}
    raise Reply(404, "RESOURCE_DOES_NOT_EXIST", "no experiment")


def _exp_get(f: FakeMlflow, b: dict[str, Any], _: Any) -> dict[str, Any]:
    if b["experiment_id"] not in f.experiments:
        raise Reply(404, "RESOURCE_DOES_NOT_EXIST", f"No Experiment with id={b['experiment_id']} exists")
    return {"experiment": f.experiments[b["experiment_id"]]}


def _exp_create(f: FakeMlflow, b: dict[str, Any], _: Any) -> dict[str, Any]:
    if any(e["name"] == b["name"] for e in f.experiments.values()):
        raise Reply(400, "RESOURCE_ALREADY_EXISTS", "exists")
    exp_id = str(len(f.experiments))
    f.experiments[exp_id] = {
        "experiment_id": exp_id,
        "name": b["name"],
        "artifact_location": f"mlflow-artifacts:/{exp_id}",
    }
    return {"experiment_id": exp_id}


def _run_create(f: FakeMlflow, b: dict[str, Any], _: Any) -> dict[str, Any]:
    run_id = uuid.uuid4().hex
    exp = str(b.get("experiment_id") or "0")
    f.runs[run_id] = {
        "run_id": run_id,
        "run_uuid": run_id,
        "experiment_id": exp,
        "status": "RUNNING",
        "run_name": b.get("run_name") or "fake-run",
        "start_time": b.get("start_time", 0),
        "artifact_uri": f"mlflow-artifacts:/{exp}/{run_id}/artifacts",
        "lifecycle_stage": "active",
    }
    f.params[run_id], f.metrics[run_id] = {}, {}
    f.tags[run_id] = {t["key"]: t["value"] for t in b.get("tags", [])}
    return {"run": f.run_json(run_id)}


def _run(f: FakeMlflow, b: dict[str, Any]) -> str:
    if b.get("run_id") not in f.runs:
        raise Reply(404, "RESOURCE_DOES_NOT_EXIST", f"Run with id={b.get('run_id')} not found")
    return str(b["run_id"])


def _run_update(f: FakeMlflow, b: dict[str, Any], _: Any) -> dict[str, Any]:
    run_id = _run(f, b)
    f.runs[run_id].update({k: b[k] for k in ("status", "end_time") if k in b})
    return {"run_info": f.runs[run_id]}


def _run_delete(f: FakeMlflow, b: dict[str, Any], _: Any) -> dict[str, Any]:
    f.runs[_run(f, b)]["lifecycle_stage"] = "deleted"
    return {}


def _log_batch(f: FakeMlflow, b: dict[str, Any], _: Any) -> dict[str, Any]:
    run_id = _run(f, b)
    if f.runs[run_id]["lifecycle_stage"] != "active":
        raise Reply(400, "INVALID_PARAMETER_VALUE", f"The run {run_id} must be in the 'active' state.")
    metrics, params, tags = b.get("metrics", []), b.get("params", []), b.get("tags", [])
    if len(metrics) > 1000 or len(params) > 100 or len(tags) > 100 or len(metrics) + len(params) + len(tags) > 1000:
        raise Reply(400, "INVALID_PARAMETER_VALUE", "batch too large")
    keys = [p["key"] for p in params]
    if len(keys) != len(set(keys)):
        raise Reply(400, "INVALID_PARAMETER_VALUE", "duplicate param keys")
    for p in params:
        if f.params[run_id].get(p["key"], p["value"]) != p["value"] or p["key"].startswith("bad"):
            raise Reply(400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed")
    for m in metrics:
        if not re.fullmatch(r"[/\w.\- :]*", m["key"]):
            raise Reply(400, "INVALID_PARAMETER_VALUE", f"Invalid metric name {m['key']!r}")
    f.params[run_id].update({p["key"]: p["value"] for p in params})
    f.tags[run_id].update({t["key"]: t["value"] for t in tags})
    for m in metrics:
        f.metrics[run_id][(m["key"], m["step"], m["timestamp"], m["value"])] = None
    f.metric_receipts += len(metrics)
    f.log_batch_calls += 1
    return {}


def _history(f: FakeMlflow, b: dict[str, Any], _: Any) -> dict[str, Any]:
    pts = f.stored_points(_run(f, b), b["metric_key"])
    return {"metrics": [{"key": k, "step": s, "timestamp": t, "value": v} for k, s, t, v in pts]}


def _search(f: FakeMlflow, b: dict[str, Any], _: Any) -> dict[str, Any]:
    ids = b.get("experiment_ids") or []
    runs = [f.run_json(r) for r, info in f.runs.items() if info["experiment_id"] in ids]
    return {"runs": sorted(runs, key=lambda r: -int(r["info"]["start_time"] or 0))}


def _rm_create(f: FakeMlflow, b: dict[str, Any], _: Any) -> dict[str, Any]:
    if b["name"] in f.versions:
        raise Reply(400, "RESOURCE_ALREADY_EXISTS", "Registered Model already exists")
    f.versions[b["name"]], f.aliases[b["name"]] = [], {}
    return {"registered_model": {"name": b["name"]}}


def _mv_create(f: FakeMlflow, b: dict[str, Any], _: Any) -> dict[str, Any]:
    versions = f.versions[b["name"]]
    mv = {
        "name": b["name"],
        "version": str(len(versions) + 1),
        "source": b["source"],
        "run_id": b.get("run_id", ""),
        "status": "READY",
    }
    versions.append(mv)
    return {"model_version": mv}


def _mv(f: FakeMlflow, b: dict[str, Any]) -> dict[str, Any]:
    try:
        return f.versions[b["name"]][int(b["version"]) - 1]
    except (KeyError, IndexError) as exc:
        raise Reply(404, "RESOURCE_DOES_NOT_EXIST", "no version") from exc


def _alias(f: FakeMlflow, b: dict[str, Any], _: Any) -> dict[str, Any]:
    if b["alias"] not in f.aliases.get(b["name"], {}):
        raise Reply(400, "INVALID_PARAMETER_VALUE", "alias not found")
    return {"model_version": _mv(f, {"name": b["name"], "version": f.aliases[b["name"]][b["alias"]]})}


def _set_alias(f: FakeMlflow, b: dict[str, Any], _: Any) -> dict[str, Any]:
    _mv(f, b)
    f.aliases[b["name"]][b["alias"]] = b["version"]
    return {}


def _mpu_create(f: FakeMlflow, directory: str, b: dict[str, Any]) -> dict[str, Any]:
    upload_id = uuid.uuid4().hex
    f.uploads[upload_id] = {"key": f"{directory}/{b['path']}", "parts": {}}
    creds = [
        {"part_number": n, "url": f"{f.url}/_s3/part/{upload_id}/{n}?X-Amz-Signature=x", "headers": {}}
        for n in range(1, int(b["num_parts"]) + 1)
    ]
    return {"upload_id": upload_id, "credentials": creds}


def _mpu_complete(f: FakeMlflow, directory: str, b: dict[str, Any]) -> dict[str, Any]:
    upload = f.uploads.get(b["upload_id"])
    if upload is None:
        raise Reply(400, "INVALID_PARAMETER_VALUE", "NoSuchUpload")
    parts = upload["parts"]
    for p in b["parts"]:
        if parts.get(p["part_number"], (None, ""))[1] != p["etag"]:
            raise Reply(400, "INVALID_PARAMETER_VALUE", f"InvalidPart {p['part_number']}")
    f.objects[upload["key"]] = b"".join(parts[n][0] for n in sorted(parts))
    del f.uploads[b["upload_id"]]
    f.events.append({"type": "artifact.uploaded", "path": upload["key"]})
    return {}


def _mpu_abort(f: FakeMlflow, directory: str, b: dict[str, Any]) -> dict[str, Any]:
    f.uploads.pop(b["upload_id"], None)
    return {}


def _presigned(f: FakeMlflow, path: str, _: dict[str, Any]) -> dict[str, Any]:
    if path not in f.objects:
        raise Reply(404, "RESOURCE_DOES_NOT_EXIST", path)
    return {"url": f"{f.url}/_s3/obj/{path}?X-Amz-Signature=y", "headers": {}, "file_size": len(f.objects[path])}


def _listing(f: FakeMlflow, b: dict[str, Any], _: Any) -> dict[str, Any]:
    prefix = b.get("path", "").strip("/") + "/"
    children: dict[str, dict[str, Any]] = {}
    for key, data in f.objects.items():
        if key.startswith(prefix):
            name, _, rest = key[len(prefix) :].partition("/")
            children[name] = {"path": name, "is_dir": bool(rest)} | ({} if rest else {"file_size": len(data)})
    return {"files": list(children.values())}


def _events(f: FakeMlflow, b: dict[str, Any], _: Any) -> dict[str, Any]:
    after = int(b.get("after") or 0)
    page = f.events[after:][: int(b.get("limit") or 500)]
    return {"events": page, "cursor": str(after + len(page))}


def _exp_search(f: FakeMlflow, b: dict[str, Any], _: Any) -> dict[str, Any]:
    return {"experiments": list(f.experiments.values())}


Route = Callable[[FakeMlflow, dict[str, Any], Any], dict[str, Any]]
ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/health"): lambda f, b, q: {},
    ("GET", f"{API}/experiments/get-by-name"): _exp_by_name,
    ("POST", f"{API}/experiments/create"): _exp_create,
    ("GET", f"{API}/experiments/get"): _exp_get,
    ("POST", f"{API}/runs/create"): _run_create,
    ("GET", f"{API}/runs/get"): lambda f, b, q: {"run": f.run_json(_run(f, b))},
    ("POST", f"{API}/runs/update"): _run_update,
    ("POST", f"{API}/runs/delete"): _run_delete,
    ("POST", f"{API}/runs/log-batch"): _log_batch,
    ("POST", f"{API}/runs/search"): _search,
    ("POST", f"{API}/experiments/search"): _exp_search,
    ("GET", f"{API}/metrics/get-history"): _history,
    ("POST", f"{API}/registered-models/create"): _rm_create,
    ("POST", f"{API}/model-versions/create"): _mv_create,
    ("GET", f"{API}/model-versions/get"): lambda f, b, q: {"model_version": _mv(f, b)},
    ("GET", f"{API}/model-versions/get-download-uri"): lambda f, b, q: {"artifact_uri": _mv(f, b)["source"]},
    ("GET", f"{API}/registered-models/alias"): _alias,
    ("POST", f"{API}/registered-models/alias"): _set_alias,
    ("DELETE", f"{API}/registered-models/alias"): lambda f, b, q: f.aliases[b["name"]].pop(b["alias"]) and {},
    ("GET", f"{ART}/artifacts"): _listing,
    ("GET", "/_local/events"): _events,
}
PREFIX_ROUTES: dict[tuple[str, str], Callable[[FakeMlflow, str, dict[str, Any]], dict[str, Any]]] = {
    ("POST", f"{ART}/mpu/create/"): _mpu_create,
    ("POST", f"{ART}/mpu/complete/"): _mpu_complete,
    ("POST", f"{ART}/mpu/abort/"): _mpu_abort,
    ("GET", f"{ART}/presigned/"): _presigned,
}


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeMlflow
    protocol_version = "HTTP/1.0"

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        f = self.server_fake
        parts = urlsplit(self.path)
        path, query = unquote(parts.path), parse_qs(parts.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        with f.lock:
            f.requests.append((self.command, self.path, dict(self.headers.items())))
        if path.startswith("/_s3/"):
            try:
                self._s3(path, raw)
            except Reply as exc:
                self._send(exc.status, f"<Error><Code>{exc.code}</Code></Error>".encode())
            return
        status = 200
        try:
            with f.lock:
                body = json.loads(raw) if raw else {}
                if path == LOG_BATCH:
                    f.batch_bodies.append(raw)
                self._check_faults(path, body)
                is_read = self.command == "GET" or path in _POST_READS
                if not is_read and path.startswith("/api"):
                    f.stale.before_write(f._snapshot)
                target = f.stale.view(f) if is_read else f
                result = target.dispatch(self.command, path, query, body)
            self._send(200, json.dumps(result).encode(), {"Content-Type": "application/json"})
        except Reply as exc:
            status = exc.status
            payload = json.dumps({"error_code": exc.code, "message": exc.message}).encode()
            self._send(exc.status, payload, {"Content-Type": "application/json", **exc.headers})
        with f.lock:
            f.answers[(path, status)] += 1

    def _check_faults(self, path: str, body: dict[str, Any] | None = None) -> None:
        f = self.server_fake
        is_api = not path.startswith("/_s3/")  # "S3" checks its URL signature, never our token
        if is_api and f.token is not None and self.headers.get("Authorization") != f"Bearer {f.token}":
            raise Reply(401, "UNAUTHENTICATED", "bad token")
        if f.down_status is not None and path.startswith("/api"):
            raise Reply(f.down_status, "TEMPORARILY_UNAVAILABLE", "down")
        f.faults.check(path, body)

    def _s3(self, path: str, raw: bytes) -> None:
        f = self.server_fake
        if self.command == "PUT" and path.startswith("/_s3/part/"):
            upload_id, number = path.split("/")[3:5]
            with f.lock:
                self._check_faults(path)
                if upload_id not in f.uploads:
                    self._send(404, b"<Error><Code>NoSuchUpload</Code></Error>")
                    return
                etag = '"' + hashlib.md5(raw).hexdigest() + '"'
                f.uploads[upload_id]["parts"][int(number)] = (raw, etag)
            self._send(200, b"", {"ETag": etag})
            return
        data = f.objects.get(path[len("/_s3/obj/") :])
        if data is None:
            self._send(404, b"<Error><Code>NoSuchKey</Code></Error>")
            return
        match = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
        if match and not f.ignore_range:
            start, end = int(match[1]), min(int(match[2]), len(data) - 1)
            self._send(206, data[start : end + 1], {"Content-Range": f"bytes {start}-{end}/{len(data)}"})
        else:
            self._send(200, data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
