"""The approval use case: evaluate a version's gates, then write its status and report tags, move `staging`
when it passes, and record the outcome event, all in one conditional registry transaction.

Idempotency: the report records the revision of the registry event that triggered it. An event whose
revision is not newer than that (a redelivery, or an older event arriving late) changes nothing. Two
deliveries racing each other are serialised by the model's revision: the loser re-reads, sees the
winner's report and stops.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from trackway_backend.errors import NotFound
from trackway_backend.logic.approval import events
from trackway_backend.logic.approval.gates import Champion, evaluate, parse_gates
from trackway_backend.logic.deploy_alias import deploy_alias
from trackway_backend.logic.registry import events as registry_events
from trackway_backend.logic.registry import reserved
from trackway_backend.logic.registry.changes import modify
from trackway_backend.ports import RegistryChange, RegistryStore, TrackingStore
from trackway_backend.registry_domain import ModelVersion, RegisteredModel

STATUS_TAG = reserved.APPROVAL_STATUS
REPORT_TAG = reserved.APPROVAL_REPORT
STAGING_ALIAS = "staging"
APPROVED, REJECTED = "approved", "rejected"


@dataclass(frozen=True)
class Trigger:
    """The registry event that asks for an approval."""

    name: str
    version: int
    event_id: str
    detail_type: str
    revision: int


@dataclass(frozen=True)
class Outcome:
    status: str | None  # None: nothing written (not gated, already decided, or the version is gone)
    report: dict[str, Any] | None = None
    note: str = ""


@dataclass(frozen=True)
class _Metrics:
    values: Mapping[str, float] | None
    reason: str = ""


def approve(
    registry: RegistryStore, tracking: TrackingStore, trigger: Trigger, clock: Callable[[], datetime] | None = None
) -> Outcome:
    runs: dict[str | None, _Metrics] = {}
    sources: dict[int, str | None] = {}

    def metrics_of(version: ModelVersion) -> _Metrics:
        run_id = sources[version.version] = source_run_id(tracking, version)
        if run_id not in runs:
            runs[run_id] = _read_metrics(tracking, run_id)
        return runs[run_id]

    skipped: list[str] = []
    report: dict[str, Any] = {}

    def change(model: RegisteredModel) -> RegistryChange | None:
        gates = parse_gates(model.tags)
        if not gates:
            skipped.append("the model has no trackway.gate.* tags")
            return None
        version = registry.get_version(model, trigger.version)
        if (decided := decided_revision(version.tags)) is not None and decided >= trigger.revision:
            skipped.append(f"already decided at revision {decided}")
            return None
        source = metrics_of(version)
        results = evaluate(gates, source.values, _champion(registry, model, metrics_of), version.version, source.reason)
        approved = all(result.passed for result in results)
        report.clear()
        report.update(
            status=APPROVED if approved else REJECTED,
            run_id=sources.get(version.version),
            gates=[result.as_dict() for result in results],
            trigger={"event_id": trigger.event_id, "detail_type": trigger.detail_type, "revision": trigger.revision},
            evaluated_at=(clock or _now)().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        )
        return _decision(model, version, approved, report)

    try:
        committed = modify(registry, trigger.name, change)
    except NotFound as exc:
        return Outcome(None, note=f"nothing to approve: {exc.message}")
    if not committed.events:
        return Outcome(None, note=skipped[-1] if skipped else "nothing to do")
    return Outcome(str(report["status"]), dict(report))


def decided_revision(tags: Mapping[str, str]) -> int | None:
    """The trigger revision recorded in an approval report tag, or None when there is none to trust."""
    try:
        revision = json.loads(tags[REPORT_TAG])["trigger"]["revision"]
    except (KeyError, TypeError, ValueError):
        return None
    return revision if isinstance(revision, int) else None


def _decision(model: RegisteredModel, version: ModelVersion, approved: bool, report: dict[str, Any]) -> RegistryChange:
    version.tags[STATUS_TAG] = str(report["status"])
    version.tags[REPORT_TAG] = json.dumps(report, separators=(",", ":"))
    outcome = events.decided(model, version.version, approved, report)
    changed = [outcome]
    previous = model.aliases.get(STAGING_ALIAS)
    if approved and previous != version.version:
        changed.append(registry_events.alias_created(model, STAGING_ALIAS, version.version, previous, events.ACTOR))
        model.aliases[STAGING_ALIAS] = version.version
    return RegistryChange(model, versions=[version], events=changed)


def _champion(
    registry: RegistryStore, model: RegisteredModel, metrics_of: Callable[[ModelVersion], _Metrics]
) -> Champion | None:
    number = model.aliases.get(deploy_alias(model.tags))
    if number is None:
        return None
    try:
        champion = registry.get_version(model, number)
    except NotFound:
        return None
    found = metrics_of(champion)
    return Champion(number, found.values, found.reason or None)


def source_run_id(tracking: TrackingStore, version: ModelVersion) -> str | None:
    """The run whose metrics the gates read: the source run of the logged model the version was registered
    from, else its run (bound to its source when it was registered: logic/registry/sources.py)."""
    if version.model_id:
        try:
            return tracking.get_logged_model(version.model_id).source_run_id
        except NotFound:
            return None
    return version.run_id


def _read_metrics(tracking: TrackingStore, run_id: str | None) -> _Metrics:
    if not run_id:
        return _Metrics(None, "the version has no source run to read metrics from")
    try:
        run = tracking.get_run(run_id)
    except NotFound:
        return _Metrics(None, f"the source run {run_id} does not exist")
    return _Metrics({key: metric.value for key, metric in run.metrics.items()})


def _now() -> datetime:
    return datetime.now(UTC)
