"""`trackway events redrive --function`: invokes the deployed redrive function and reports its answer."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
import pytest

from trackway.cli.main import main


class FakeLambda:
    """A Lambda client that answers with `answer`, or as a function that raised."""

    def __init__(self, answer: dict[str, Any], error: bool = False) -> None:
        self.answer, self.error = answer, error
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        response: dict[str, Any] = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(self.answer).encode())}
        if self.error:
            response["FunctionError"] = "Unhandled"
        return response


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fake: FakeLambda, *argv: str):
    monkeypatch.setattr(boto3, "client", lambda service, region_name=None: fake)
    code = main(["events", "redrive", "--function", "trackway-redrive", *argv])
    return code, capsys.readouterr().out


def test_the_overrides_go_to_the_function_and_its_report_is_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeLambda({"pending": 3, "republished": 3, "not_accepted": 0})
    code, out = run(monkeypatch, capsys, fake, "--older-than", "0", "--limit", "100")
    assert code == 0 and json.loads(out)["republished"] == 3
    [call] = fake.calls
    assert call["FunctionName"] == "trackway-redrive" and call["InvocationType"] == "RequestResponse"
    assert json.loads(call["Payload"]) == {"older_than_seconds": 0, "limit": 100}


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"pending": 5, "republished": 2, "not_accepted": 3}, False),  # the bus is still refusing some
        ({"errorMessage": "Task timed out"}, True),
        ({"error_code": "INVALID_PARAMETER_VALUE", "message": "limit: too big"}, False),
    ],
)
def test_a_run_that_left_events_pending_or_failed_exits_non_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], answer: dict[str, Any], error: bool
) -> None:
    code, out = run(monkeypatch, capsys, FakeLambda(answer, error))
    assert code == 1 and out
