from __future__ import annotations

import random

import pytest

from trackway_backend.concurrency import RetryPolicy
from trackway_backend.errors import Conflict, InvalidParameter, Throttled, Unavailable


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def policy(time: FakeTime, **overrides: object) -> RetryPolicy:
    settings: dict[str, object] = {"sleep": time.sleep, "clock": time.clock, "rng": random.Random(7)}
    return RetryPolicy(**(settings | overrides))  # type: ignore[arg-type]


def failing(times: int, error: Exception) -> tuple[list[int], object]:
    calls: list[int] = []

    def attempt() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise error
        return "done"

    return calls, attempt


def test_a_lost_race_is_retried_until_it_wins() -> None:
    time = FakeTime()
    calls, attempt = failing(5, Conflict("raced"))
    assert policy(time).run(attempt) == "done"  # type: ignore[arg-type]
    assert len(calls) == 6
    assert len(time.waits) == 5


def test_throttling_is_retried_under_the_same_policy() -> None:
    time = FakeTime()
    calls, attempt = failing(3, Throttled("slow down"))
    assert policy(time).request(attempt) == "done"  # type: ignore[arg-type]
    assert len(calls) == 4


def test_a_plain_request_does_not_retry_a_failed_condition() -> None:
    calls, attempt = failing(1, Conflict("condition"))
    with pytest.raises(Conflict):
        policy(FakeTime()).request(attempt)  # type: ignore[arg-type]
    assert len(calls) == 1


def test_other_errors_are_not_retried() -> None:
    calls, attempt = failing(1, InvalidParameter("bad"))
    with pytest.raises(InvalidParameter):
        policy(FakeTime()).run(attempt)  # type: ignore[arg-type]
    assert len(calls) == 1


def test_backoff_grows_exponentially_with_full_jitter_under_a_cap() -> None:
    time = FakeTime()
    retry = policy(time, base_delay=0.01, max_delay=0.5, max_attempts=200, max_seconds=1e9)
    caps = [min(0.5, 0.01 * 2**n) for n in range(12)]
    samples = [[retry.delay(n) for _ in range(400)] for n in range(12)]
    for cap, waits in zip(caps, samples, strict=True):
        assert all(0 <= wait <= cap for wait in waits)
        assert max(waits) > 0.8 * cap  # jitter spans the window
        assert min(waits) < 0.2 * cap
    assert len({round(wait, 9) for wait in samples[5]}) > 300  # jittered, not a fixed schedule


def test_attempts_are_bounded_then_503_with_retry_after() -> None:
    time = FakeTime()
    calls, attempt = failing(10_000, Conflict("raced"))
    with pytest.raises(Unavailable) as raised:
        policy(time, max_attempts=7, max_seconds=1e9).run(attempt)  # type: ignore[arg-type]
    assert len(calls) == 7
    assert raised.value.http_status == 503
    assert raised.value.code.value == "TEMPORARILY_UNAVAILABLE"
    assert raised.value.retry_after is not None and raised.value.retry_after >= 1
    assert isinstance(raised.value.__cause__, Conflict)


def test_total_time_is_bounded() -> None:
    time = FakeTime()
    calls, attempt = failing(10_000, Throttled("slow down"))
    with pytest.raises(Unavailable):
        policy(time, max_attempts=10_000, max_seconds=3.0, max_delay=0.5).run(attempt)  # type: ignore[arg-type]
    assert time.now <= 3.0 + 1e-9
    assert 6 < len(calls) < 10_000


def test_nested_retries_share_the_outer_deadline() -> None:
    time = FakeTime()
    outer = policy(time, max_attempts=10_000, max_seconds=2.0)
    inner_calls, inner_attempt = failing(10_000, Throttled("slow down"))

    def attempt() -> None:
        # an inner request that never stops being throttled, inside a read-modify-write
        policy(time, max_attempts=10_000, max_seconds=60.0).request(inner_attempt)  # type: ignore[arg-type]

    with pytest.raises(Unavailable):
        outer.run(attempt)
    assert time.now <= 2.0 + 1e-9
    assert inner_calls


def test_delays_generator_stops_when_the_budget_is_spent() -> None:
    time = FakeTime()
    retry = policy(time, max_attempts=5, max_seconds=1e9)
    assert len(list(retry.delays())) == 4


def test_writers_of_one_entity_in_one_process_take_turns() -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    inside: list[int] = []
    overlaps: list[int] = []
    guard = threading.Lock()

    def attempt() -> None:
        with guard:
            inside.append(1)
            if len(inside) > 1:
                overlaps.append(1)
        threading.Event().wait(0.005)
        with guard:
            inside.pop()

    retry = RetryPolicy()
    with ThreadPoolExecutor(8) as pool:
        for future in [pool.submit(retry.run, attempt, serialize="run:r") for _ in range(40)]:
            future.result()
    assert overlaps == []
    with ThreadPoolExecutor(8) as pool:  # different entities do not wait for each other
        for future in [pool.submit(retry.run, attempt, serialize=f"run:{n}") for n in range(40)]:
            future.result()
    assert overlaps


def test_a_writer_that_cannot_get_its_turn_in_time_gets_503() -> None:
    import threading

    release = threading.Event()
    holder = threading.Thread(target=RetryPolicy().run, args=(release.wait,), kwargs={"serialize": "run:x"})
    holder.start()
    try:
        threading.Event().wait(0.05)
        with pytest.raises(Unavailable):
            RetryPolicy(max_wait_seconds=0.1).run(lambda: None, serialize="run:x")
    finally:
        release.set()
        holder.join()
