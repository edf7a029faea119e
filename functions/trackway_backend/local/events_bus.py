"""The local EventBridge bus: the EventBus port in process. It turns each put into a full EventBridge event,
logs it, and delivers it to the targets of every matching rule in events/rules.json (the rules the CDK
stack builds), as EventBridge would, asynchronously and with retries.

The local stack delivers to a pool of worker processes (`target_processes`): each process handles one
event at a time, as a Lambda execution environment does, so a target never shares its process, its
resolvers or its logger context with another event."""

from __future__ import annotations

import importlib
import json
import logging
import multiprocessing
import signal
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from trackway_backend.events import DomainEvent
from trackway_backend.local.event_log import EventLog
from trackway_backend.local.event_patterns import matches
from trackway_backend.ports import EventBus

log = logging.getLogger("trackway.local")
Target = Callable[[dict[str, Any]], Any]
RULES_FILE = Path(__file__).resolve().parents[3] / "events" / "rules.json"
LOCAL_ACCOUNT = "000000000000"
TARGET_ATTEMPTS = 3


def load_rules(path: Path = RULES_FILE) -> dict[str, dict[str, Any]]:
    if not path.exists():
        log.warning("no event rules at %s: events are logged but go to no target", path)
        return {}
    rules: dict[str, dict[str, Any]] = json.loads(path.read_text())
    return rules


def eventbridge_event(event: DomainEvent, region: str) -> dict[str, Any]:
    """What EventBridge delivers for a PutEvents entry: its own `id`, `time` to the second, our `detail`."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": event.detail_type,
        "source": event.source,
        "account": LOCAL_ACCOUNT,
        "time": event.timestamp[:19] + "Z",
        "region": region,
        "resources": [],
        "detail": event.detail,
    }


def lambda_targets(names: Sequence[str]) -> dict[str, Target]:
    """Each rule target whose handler module exists (`trackway_backend.handlers.<name>`), invoked the way
    EventBridge invokes a Lambda function. Missing ones are left out, and their events skipped."""
    targets: dict[str, Target] = {}
    for name in sorted(set(names)):
        try:
            module = importlib.import_module(f"trackway_backend.handlers.{name}")
        except ImportError:
            continue
        if callable(getattr(module, "handler", None)):
            targets[name] = LambdaTarget(name)
    return targets


class LambdaTarget:
    """A function's handler by name: picklable, so a worker process imports and runs it itself."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, event: dict[str, Any]) -> Any:
        from trackway_backend.local.gateway import LocalContext

        handler = importlib.import_module(f"trackway_backend.handlers.{self.name}").handler
        return handler(event, LocalContext.of(self.name, uuid.uuid4().hex))


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group; the supervisor stops the workers in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def target_processes(processes: int) -> Executor:
    """Worker processes for event targets, each handling one event at a time."""
    return ProcessPoolExecutor(
        max_workers=processes, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_interrupts
    )


class LocalEventBus(EventBus):
    def __init__(
        self,
        rules: Mapping[str, Mapping[str, Any]],
        targets: Mapping[str, Target],
        event_log: EventLog,
        region: str = "us-east-1",
        executor: Callable[[], Executor] | None = None,
    ) -> None:
        self._rules = rules
        self._targets = dict(targets)
        self.log = event_log
        self._region = region
        self._new_pool = executor or (lambda: ThreadPoolExecutor(max_workers=4, thread_name_prefix="trackway-bus"))
        self._pool = self._new_pool()

    def put(self, events: Sequence[DomainEvent]) -> list[str | None]:
        for event in events:
            delivered = eventbridge_event(event, self._region)
            self.log.append(delivered)
            for name, rule in self._rules.items():
                if matches(rule["pattern"], delivered):
                    self._deliver(name, rule["target"], delivered)
        return [None] * len(events)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)

    def _deliver(self, rule: str, target: str, event: dict[str, Any]) -> None:
        function = self._targets.get(target)
        if function is None:
            log.info("rule %s matched %s, but target '%s' is not available locally", rule, event["id"], target)
            return
        try:
            self._pool.submit(_invoke, function, rule, target, event)
        except BrokenProcessPool:  # a worker died (killed, out of memory): start a new pool, deliver again
            log.error("event target workers died; starting new ones")
            self._pool = self._new_pool()
            self._pool.submit(_invoke, function, rule, target, event)


def _invoke(function: Target, rule: str, target: str, event: dict[str, Any]) -> None:
    for attempt in range(TARGET_ATTEMPTS):
        try:
            function(event)
            return
        except Exception:
            log.exception("target %s of rule %s failed on %s (attempt %d)", target, rule, event["id"], attempt + 1)
            time.sleep(0.2 * 2**attempt)
    log.error("target %s of rule %s gave up on event %s", target, rule, event["id"])
