"""The `trackway` CLI: tables, compare (with PNG), sync, events tail, doctor, local; exit codes."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

import pytest

from tests.sdk.fake_mlflow import FakeMlflow
from trackway.cli.main import main
from trackway.config import Settings
from trackway.session import Session
from trackway.spool import Spool, SpooledRequest


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _two_runs(session: Session) -> list[str]:
    ids = []
    for lr in (0.1, 0.01):
        with session.start_run(run_name=f"lr-{lr}") as run:
            session.log_param("lr", lr)
            for step in range(5):
                session.log_metric("loss", lr * (5 - step), step=step)
        ids.append(run.info.run_id)
    return ids


def test_runs_list_show_compare(
    session: Session, fake: FakeMlflow, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    first, second = _two_runs(session)
    code, out, _ = _cli(capsys, "--tracking-uri", fake.url, "runs", "list")
    assert code == 0 and "RUN ID" in out and first in out and "lr-0.01" in out and "loss=" in out
    code, out, _ = _cli(capsys, "--tracking-uri", fake.url, "runs", "show", first)
    assert code == 0 and "FINISHED" in out and "lr" in out and "PARAM" in out
    png = tmp_path / "curves.png"
    code, out, _ = _cli(capsys, "--tracking-uri", fake.url, "runs", "compare", first, second, "--png", str(png))
    assert code == 0 and "* param.lr" in out and png.read_bytes()[:4] == b"\x89PNG"


def test_unknown_experiment_and_unknown_run_fail_with_1(fake: FakeMlflow, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(capsys, "--tracking-uri", fake.url, "runs", "list", "-e", "nope")[0] == 1
    code, _, err = _cli(capsys, "--tracking-uri", fake.url, "runs", "show", "nope")
    assert code == 1 and "RESOURCE_DOES_NOT_EXIST" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["runs", "frobnicate"])
    assert info.value.code == 2
    assert _cli(capsys, "runs", "list")[0] == 2  # no tracking URI configured


def test_unreachable_exits_3(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKWAY_MAX_ATTEMPTS", "1")
    code, _, err = _cli(capsys, "--tracking-uri", "http://127.0.0.1:9", "runs", "list")
    assert code == 3 and "unreachable" in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["runs"],
        ["runs", "list"],
        ["runs", "show"],
        ["runs", "compare"],
        ["sync"],
        ["events"],
        ["events", "tail"],
        ["doctor"],
    ],
)
def test_help_everywhere(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*argv, "--help"])
    assert info.value.code == 0 and "usage: trackway" in capsys.readouterr().out


def test_sync_replays_what_a_crashed_job_left(
    fake: FakeMlflow, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path / "spool")
    rid = fake.add_run()
    for i in range(3):
        spool.write(
            SpooledRequest(
                fake.url,
                "POST",
                "/api/2.0/mlflow/runs/log-batch",
                {"run_id": rid, "metrics": [{"key": "m", "value": i, "timestamp": i, "step": i}]},
            )
        )
    monkeypatch.setenv("TRACKWAY_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("TRACKWAY_MAX_ATTEMPTS", "1")
    fake.down_status = 503
    code, out, _ = _cli(capsys, "sync")
    assert code == 3 and "3 left" in out
    fake.down_status = None
    code, out, _ = _cli(capsys, "sync")
    assert code == 0 and "3 sent" in out and spool.pending() == []
    assert len(fake.stored_points(rid)) == 3
    spool.write(SpooledRequest(fake.url, "POST", "/api/2.0/mlflow/runs/log-batch", {"run_id": "gone"}))
    code, out, _ = _cli(capsys, "sync")
    assert code == 1 and "rejected" in out


def test_sync_reports_set_aside_files_and_requeues_them(
    fake: FakeMlflow, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path / "spool")
    rid = fake.add_run()
    rule = fake.fail_batch(lambda body: body["metrics"][0]["key"] == "poison", 500)
    monkeypatch.setenv("TRACKWAY_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("TRACKWAY_MAX_ATTEMPTS", "1")

    def batch(key: str) -> SpooledRequest:
        metrics = [{"key": key, "value": 1.0, "timestamp": 1, "step": 1}]
        return SpooledRequest(fake.url, "POST", "/api/2.0/mlflow/runs/log-batch", {"run_id": rid, "metrics": metrics})

    spool.write(batch("poison"))
    for key in ("a", "b", "c"):
        spool.write(batch(key))
        code, out, _ = _cli(capsys, "sync")
    assert code == 1 and "1 sent, 0 rejected, 1 quarantined, 0 left" in out and "quarantined in" in out
    rule.times = 0
    code, out, _ = _cli(capsys, "sync", "--requeue-dead")
    assert code == 0 and "1 quarantined request(s) put back" in out and "1 sent" in out
    assert len(fake.stored_points(rid)) == 4 and spool.pending() == [] and spool.dead_files() == []
    spool.write(SpooledRequest(fake.url, "POST", "/api/2.0/mlflow/runs/log-batch", {"run_id": "not-yet"}))
    code, out, _ = _cli(capsys, "sync")
    assert code == 1 and "1 rejected" in out and len(spool.rejected_files()) == 1
    fake.runs["not-yet"] = fake.runs[rid] | {"run_id": "not-yet"}  # the cause is fixed on the server
    fake.params["not-yet"], fake.tags["not-yet"], fake.metrics["not-yet"] = {}, {}, {}
    code, out, _ = _cli(capsys, "sync", "--requeue-rejected")
    assert code == 0 and "1 rejected request(s) put back" in out and "1 sent" in out
    assert spool.rejected_files() == [] and spool.pending() == []


def test_events_tail_once_and_from_a_cursor(fake: FakeMlflow, capsys: pytest.CaptureFixture[str]) -> None:
    fake.events += [{"type": "a", "n": 1}, {"type": "b", "n": 2}]
    code, out, _ = _cli(capsys, "--tracking-uri", fake.url, "events", "tail", "--once")
    assert code == 0 and [json.loads(line)["type"] for line in out.splitlines()] == ["a", "b"]
    code, out, _ = _cli(capsys, "--tracking-uri", fake.url, "events", "tail", "--once", "--after", "1")
    assert [json.loads(line)["type"] for line in out.splitlines()] == ["b"]


def test_doctor_all_green_and_cleans_up(fake: FakeMlflow, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "--tracking-uri", fake.url, "doctor")
    assert code == 0, out
    assert "Artifact Store Diagnosis" in out and "✗" not in out
    for name in ("api_reachable", "auth", "tracking_write", "write_access", "list_objects", "read_access", "cleanup"):
        assert f"✓ {name}: OK" in out
    assert all(r["lifecycle_stage"] == "deleted" for r in fake.runs.values())


def test_doctor_explains_a_refused_presigned_put(fake: FakeMlflow, capsys: pytest.CaptureFixture[str]) -> None:
    fake.fail("/_s3/part/", 403, times=5)
    code, out, _ = _cli(capsys, "--tracking-uri", fake.url, "doctor")
    assert code == 1 and "✗ write_access" in out and "s3:PutObject" in out and "✓ cleanup" in out
    assert fake.uploads == {}  # aborted


def test_doctor_explains_auth_and_reachability(
    fake: FakeMlflow, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.token = "needed"
    code, out, _ = _cli(capsys, "--tracking-uri", fake.url, "doctor")
    assert code == 1 and "✗ api_reachable" in out and "TRACKWAY_TRACKING_TOKEN" in out
    monkeypatch.setenv("TRACKWAY_TRACKING_TOKEN", "needed")
    assert _cli(capsys, "--tracking-uri", fake.url, "doctor")[0] == 0
    code, out, _ = _cli(capsys, "--tracking-uri", "http://127.0.0.1:9", "doctor")
    assert code == 3 and "trackway local" in out


def test_local_without_the_backend_says_how_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_backend(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("trackway_backend"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_backend)
    monkeypatch.delitem(__import__("sys").modules, "trackway_backend.local.server", raising=False)
    code, _, err = _cli(capsys, "local", "--port", "5001")
    assert code == 1 and "pip install 'trackway[local]'" in err


def test_local_passes_arguments_through(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    seen: list[list[str]] = []
    module = types.ModuleType("trackway_backend.local.server")
    module.main = lambda argv: seen.append(argv) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "trackway_backend.local.server", module)
    assert _cli(capsys, "local", "--port", "5001", "--data-dir", "x")[0] == 0
    assert seen == [["--port", "5001", "--data-dir", "x"]]


def test_settings_are_not_read_at_import() -> None:
    assert Settings().tracking_uri is None


def test_events_tail_follows_until_interrupted(
    fake: FakeMlflow, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.events += [{"type": "a"}]

    def interrupt(_: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("trackway.cli.events.time.sleep", interrupt)
    code, out, _ = _cli(capsys, "--tracking-uri", fake.url, "events", "tail", "--interval", "0.5", "--since", "start")
    assert code == 0 and [json.loads(line)["type"] for line in out.splitlines()] == ["a"]
    polls = [p for _, p, _ in fake.requests if p.startswith("/_local/events")]
    assert polls == ["/_local/events?after=0&wait=0.5", "/_local/events?after=1&wait=0.5"]
