"""`trackway doctor`: check reachability, auth and a presigned artifact round-trip, with hints.

The report echoes the S3 diagnosis of the seed guide (bucket access, list, write), but through the
presigned protocol the SDK really uses, so it needs no AWS credentials on the client.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trackway.artifacts.paths import artifact_root, join, mpu_path, presigned_path, proxied_path
from trackway.cli.common import EXIT_FAILURE, EXIT_OK, EXIT_UNREACHABLE, client_from
from trackway.cli.doctor_client import mlflow_client_findings
from trackway.cli.doctor_hints import hint_for
from trackway.client import TrackwayClient
from trackway.errors import UnreachableError
from trackway.retry import RetryPolicy

PROBE = "trackway-doctor.bin"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    hint: str = ""
    unreachable: bool = False


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "doctor",
        help="check API reachability, auth, artifact storage and the mlflow client",
        description="Check the tracking API (reachability, auth, a scratch run) and the artifact store "
        "with a presigned round-trip: multipart upload, listing, presigned download, byte comparison. "
        "The scratch run is deleted afterwards unless --keep is given. Then report the mlflow client "
        "installed here: its version, whether trackway's mlflow plugin is active, and whether its large "
        "uploads would fail.",
    )
    parser.add_argument("--experiment", default="trackway-doctor", help="experiment for the scratch run")
    parser.add_argument("--keep", action="store_true", help="keep the scratch run")
    parser.set_defaults(command=doctor)


class Doctor:
    def __init__(self, client: TrackwayClient, experiment: str, keep: bool):
        self.client, self.rest = client, client.rest
        self.experiment, self.keep = experiment, keep
        self.checks: list[Check] = []
        self.rest.retry = RetryPolicy(max_attempts=2, base_delay=0.2)

    def check(self, name: str, step: Callable[[], str]) -> bool:
        try:
            detail = step()
        except Exception as exc:
            hint = hint_for(name, exc, self.client.settings)
            self.checks.append(Check(name, False, f"FAIL: {exc}", hint, isinstance(exc, UnreachableError)))
            return False
        self.checks.append(Check(name, True, f"OK ({detail})" if detail else "OK"))
        return True

    def run(self) -> list[Check]:
        state: dict[str, Any] = {}
        payload = os.urandom(256 * 1024)

        def reachable() -> str:
            started = time.monotonic()
            self.rest.call("GET", "/health")
            return f"GET /health in {(time.monotonic() - started) * 1000:.0f} ms"

        def auth() -> str:
            self.rest.call("GET", "/api/2.0/mlflow/experiments/get", {"experiment_id": "0"})
            return "GET experiments/get accepted"

        def scratch_run() -> str:
            experiment = self.client.get_or_create_experiment(self.experiment)
            state["run"] = self.client.create_run(experiment.experiment_id, "doctor", {"trackway.doctor": "1"})
            info = state["run"].info
            state["dir"] = artifact_root(
                info.artifact_uri or f"mlflow-artifacts:/{info.experiment_id}/{info.run_id}/artifacts"
            )
            return f"run {info.run_id} in experiment {self.experiment!r}"

        def create() -> str:
            body = self.rest.call("POST", mpu_path("create", state["dir"]), {"path": PROBE, "num_parts": 1})
            state["upload_id"], state["part"] = body["upload_id"], body["credentials"][0]
            return f"upload id {str(body['upload_id'])[:16]}…"

        def write() -> str:
            part = state["part"]
            resp = self.rest.raw("PUT", part["url"], data=payload, headers=dict(part.get("headers") or {}))
            state["etag"] = resp.headers.get("ETag", "")
            return f"PUT {len(payload)} bytes to the presigned URL, no credentials sent"

        def complete() -> str:
            self.rest.call(
                "POST",
                mpu_path("complete", state["dir"]),
                {
                    "path": PROBE,
                    "upload_id": state["upload_id"],
                    "parts": [{"part_number": 1, "etag": state["etag"], "url": state["part"]["url"]}],
                },
            )
            return "object assembled"

        def listed() -> str:
            files = self.rest.call("GET", "/api/2.0/mlflow-artifacts/artifacts", {"path": state["dir"]})
            found = [f for f in files.get("files") or [] if str(f.get("path", "")).endswith(PROBE)]
            if not found:
                raise AssertionError(f"{PROBE} missing from the listing of {state['dir']}")
            return f"{len(files.get('files') or [])} object(s) found"

        def read() -> str:
            info = self.rest.call("GET", presigned_path(join(state["dir"], PROBE)))
            data = self.rest.raw("GET", str(info["url"]), headers=dict(info.get("headers") or {})).content
            if data != payload:
                raise AssertionError(f"downloaded {len(data)} bytes that differ from the {len(payload)} uploaded")
            return "presigned GET, bytes identical"

        steps: list[tuple[str, Callable[[], str]]] = [
            ("api_reachable", reachable),
            ("auth", auth),
            ("tracking_write", scratch_run),
            ("mpu_create", create),
            ("write_access", write),
            ("mpu_complete", complete),
            ("list_objects", listed),
            ("read_access", read),
        ]
        for name, step in steps:
            if not self.check(name, step):
                break
        if "run" in state and not self.keep:
            self.check("cleanup", lambda: self._cleanup(state))
        return self.checks

    def _cleanup(self, state: dict[str, Any]) -> str:
        completed = any(c.name == "mpu_complete" and c.ok for c in self.checks)
        if "upload_id" in state and not completed:
            self.rest.call("POST", mpu_path("abort", state["dir"]), {"path": PROBE, "upload_id": state["upload_id"]})
        with contextlib.suppress(Exception):  # presigned-only stores may refuse proxied deletes
            self.rest.call("DELETE", proxied_path(join(state["dir"], PROBE)))
        self.client.delete_run(state["run"].info.run_id)
        return "scratch run deleted"


def _marks() -> tuple[str, str]:
    try:
        "✓✗".encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "+", "x"
    return "✓", "✗"


def doctor(args: argparse.Namespace) -> int:
    client = client_from(args)
    settings = client.settings
    checks = Doctor(client, args.experiment, args.keep).run()
    good, bad = _marks()
    auth = (
        "SigV4 (execute-api)"
        if settings.sigv4
        else "basic"
        if settings.username
        else "bearer token"
        if settings.token
        else "none"
    )
    print(f"=== trackway doctor: {client.tracking_uri} (auth: {auth}) ===")
    for check in checks:
        if check.name == "mpu_create":
            print("\n=== Artifact Store Diagnosis (presigned round-trip, no AWS credentials) ===")
        print(f"  {good if check.ok else bad} {check.name}: {check.detail}")
        if check.hint:
            print(f"      hint: {check.hint}")
    print("\n=== mlflow client (this machine) ===")
    marks = {"ok": good, "warn": "!", "info": "-"}
    for finding in mlflow_client_findings():
        print(f"  {marks[finding.level]} {finding.name}: {finding.detail}")
    if all(c.ok for c in checks):
        return EXIT_OK
    return EXIT_UNREACHABLE if checks[0].unreachable else EXIT_FAILURE
