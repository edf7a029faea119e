"""The CLI's rough edges: `events tail --since`, which experiment `runs list` shows, one-point charts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.sdk.fake_mlflow import FakeMlflow
from trackway.cli import plot
from trackway.cli.event_since import Since, parse_since
from trackway.cli.main import main
from trackway.entities import Metric
from trackway.errors import ConfigurationError
from trackway.session import Session

CLOCK = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _types(out: str) -> list[str]:
    return [json.loads(line)["type"] for line in out.splitlines()]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, Since(now=True)),
        ("now", Since(now=True)),
        ("start", Since(cursor="0")),
        ("42", Since(cursor="42")),
        ("10m", Since(moment=CLOCK - timedelta(minutes=10))),
        ("2h", Since(moment=CLOCK - timedelta(hours=2))),
        ("2026-11-25T20:30:00Z", Since(moment=datetime(2026, 11, 25, 20, 30, tzinfo=UTC))),
        ("2026-11-25T20:30:00", Since(moment=datetime(2026, 11, 25, 20, 30, tzinfo=UTC))),
    ],
)
def test_since_forms(raw: str | None, expected: Since) -> None:
    assert parse_since(raw, clock=CLOCK) == expected


def test_a_bad_since_is_a_usage_error(fake: FakeMlflow, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigurationError):
        parse_since("yesterday")
    code, _, err = _cli(capsys, "--tracking-uri", fake.url, "events", "tail", "--since", "yesterday")
    assert code == 2 and "--since" in err


def test_tail_starts_at_now_by_default(
    fake: FakeMlflow, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.events += [{"type": "old-1"}, {"type": "old-2"}]
    sleeps: list[float] = []

    def next_poll(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 1:
            fake.events.append({"type": "new"})
            return
        raise KeyboardInterrupt

    monkeypatch.setattr("trackway.cli.events.time.sleep", next_poll)
    code, out, _ = _cli(capsys, "--tracking-uri", fake.url, "events", "tail", "--interval", "0.5")
    assert code == 0 and _types(out) == ["new"]


def test_tail_since_a_duration_skips_older_events(fake: FakeMlflow, capsys: pytest.CaptureFixture[str]) -> None:
    recent = datetime.now(UTC) - timedelta(minutes=2)
    fake.events += [
        {"type": "old", "detail": {"timestamp": "2020-01-01T00:00:00.000Z"}},
        {"type": "recent", "detail": {"timestamp": recent.isoformat(timespec="milliseconds")}},
        {"type": "envelope-only", "time": recent.strftime("%Y-%m-%dT%H:%M:%SZ")},
    ]
    code, out, _ = _cli(capsys, "--tracking-uri", fake.url, "events", "tail", "--once", "--since", "10m")
    assert code == 0 and _types(out) == ["recent", "envelope-only"]
    code, out, _ = _cli(capsys, "--tracking-uri", fake.url, "events", "tail", "--once", "--since", "1")
    assert _types(out) == ["recent", "envelope-only"]
    code, out, _ = _cli(capsys, "--tracking-uri", fake.url, "events", "tail", "--once", "--since", "now")
    assert code == 0 and out == ""


def test_runs_list_names_the_experiment_it_shows(
    session: Session, fake: FakeMlflow, capsys: pytest.CaptureFixture[str]
) -> None:
    session.set_experiment("fraud-model")
    with session.start_run(run_name="baseline"):
        session.log_metric("auc", 0.9)
    code, out, _ = _cli(capsys, "--tracking-uri", fake.url, "runs", "list")
    heading = out.splitlines()[0]
    assert code == 0 and "'fraud-model'" in heading and "most recent run" in heading and "baseline" in out
    code, out, _ = _cli(capsys, "--tracking-uri", fake.url, "runs", "list", "--experiment-id", "0")
    assert out.splitlines()[0] == "Experiment 'Default' (id 0)" and "baseline" not in out


def test_runs_list_on_an_empty_server_says_it_shows_default(
    fake: FakeMlflow, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _cli(capsys, "--tracking-uri", fake.url, "runs", "list")
    assert code == 0 and out.splitlines()[0].startswith("Experiment 'Default' (id 0): no experiment has runs yet")


class _Capture:
    """matplotlib.pyplot, keeping the figure that plot_histories closes."""

    def __init__(self) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        self.plt, self.figure = plt, None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.plt, name)

    def close(self, figure: Any) -> None:
        self.figure = figure


def _m(value: float, step: int = 0) -> Metric:
    return Metric("k", value, 1_700_000_000_000 + step, step)


def test_one_point_metrics_are_bars_naming_only_runs_with_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    capture = _Capture()
    monkeypatch.setattr(plot, "_pyplot", lambda: capture)
    histories = {
        "accuracy": {"rf (aaaa)": [_m(0.93)], "lr (bbbb)": [_m(0.87)], "none (cccc)": []},
        "loss": {"rf (aaaa)": [_m(0.5, 0), _m(0.3, 1)], "lr (bbbb)": [_m(0.4)], "none (cccc)": []},
        "f1": {"none (cccc)": []},
    }
    out = tmp_path / "compare.png"
    plot.plot_histories(histories, str(out))
    assert out.read_bytes()[:4] == b"\x89PNG"
    accuracy, loss, f1 = capture.figure.axes[:3]  # type: ignore[attr-defined]
    assert [p.get_height() for p in accuracy.patches] == pytest.approx([0.93, 0.87])
    assert [t.get_text() for t in accuracy.get_xticklabels()] == ["rf (aaaa)", "lr (bbbb)"]
    assert accuracy.get_ylim()[0] == 0 and accuracy.get_ylim()[1] > 0.93
    assert [t.get_text() for t in loss.get_legend().get_texts()] == ["rf (aaaa)", "lr (bbbb)"]
    single = [line for line in loss.get_lines() if len(line.get_xdata()) == 1]
    assert single and single[0].get_marker() == "o"
    assert [t.get_text() for t in f1.texts] == ["no data"]
